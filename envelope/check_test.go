package envelope

import (
	"errors"
	"maps"
	"slices"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want error
	}{
		{`{"a":1,"b":{"a":2},"c":[{"a":1},{"a":2}]}`, nil},
		{`{"a":{"b":1},"c":[1,{"b":2}],"d":null}`, nil},
		{`{"s":"\ud83d\ude00 and \uD83D\uDE00"}`, nil}, // a pair, either case
		{`{"s":"\\ud800"}`, nil},                       // a backslash, then text
		{`{"s":"\\\ud83d\ude00"}`, nil},
		{`{"a":1,"a":2}`, ErrDuplicateKey},
		{`{"x":[{"a":1,"b":2,"a":3}]}`, ErrDuplicateKey},
		{`{"a":{"b":1},"a":2}`, ErrDuplicateKey},   // after a nested value
		{`{"a":[1,2],"a":[3]}`, ErrDuplicateKey},   // after an array value
		{`{"a":1,"\u0061":2}`, ErrDuplicateKey},    // equal once decoded
		{`{"s":"\ud800"}`, ErrLoneSurrogate},       // high alone
		{`{"s":"\udc00"}`, ErrLoneSurrogate},       // low alone
		{`{"s":"\ud800\u0041"}`, ErrLoneSurrogate}, // high, then not a low
		{`{"s":"\ud800x"}`, ErrLoneSurrogate},
		{`{"\udbff":1}`, ErrLoneSurrogate}, // in a key
		{`{"s":"\\\ud800"}`, ErrLoneSurrogate},
	} {
		err := Check([]byte(tc.raw))
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("Check(%s) = %v, want %v", tc.raw, err, tc.want)
		}
	}
}

// Members reads each key once, with its last value as encoding/json would,
// and names every key given twice, however it is escaped; anything but an
// object, alone but for white space, is an error.
func TestMembers(t *testing.T) {
	tests := []struct {
		raw      string
		keys     []string // sorted
		repeated []string // sorted
	}{
		{`{}`, nil, nil},
		{` {"a": {"b": [1, {"c": 2}]}, "d": null} `, []string{"a", "d"}, nil},
		{`{"event": "x", "data": {"event": 1}, "event": "y"}`, []string{"data", "event"}, []string{"event"}},
		{`{"id": 1, "\u0069d": 2, "id": 3, "k": 1, "k": 2}`, []string{"id", "k"}, []string{"id", "k"}},
	}
	for _, tt := range tests {
		members, repeated, err := Members([]byte(tt.raw))
		if err != nil {
			t.Errorf("Members(%s): %v", tt.raw, err)
			continue
		}
		if got := slices.Sorted(maps.Keys(members)); !slices.Equal(got, tt.keys) {
			t.Errorf("Members(%s) keys %q, want %q", tt.raw, got, tt.keys)
		}
		if got := slices.Sorted(maps.Keys(repeated)); !slices.Equal(got, tt.repeated) {
			t.Errorf("Members(%s) repeated %q, want %q", tt.raw, got, tt.repeated)
		}
	}
	if m, _, _ := Members([]byte(`{"event": "x", "event": "y"}`)); string(m["event"]) != `"y"` {
		t.Errorf("event = %s, want the last value, as encoding/json keeps", m["event"])
	}
	for _, raw := range []string{`[]`, `null`, `"x"`, `{"a": 1`, ``, `{"a": 1} x`, `{"a": 1}{"b": 2}`, `{"a": 1}]`} {
		if _, _, err := Members([]byte(raw)); err == nil {
			t.Errorf("Members(%q): no error", raw)
		}
	}
}

// CheckText flags exactly the text decoding would not keep as written.
func TestCheckText(t *testing.T) {
	for raw, want := range map[string]error{
		`"café"`:            nil,
		`"\ud83d\ude80"`:    nil, // a whole pair
		`"\\ud800"`:         nil, // an escaped backslash, then text
		`"\ufffd"`:          nil, // the replacement character itself
		`["a", {"b": 1.5}]`: nil,
		"\"caf\xe9\"":       ErrNotUTF8,
		`"\ud800"`:          ErrLoneSurrogate,
		`"x\udc00"`:         ErrLoneSurrogate,
		`"\ud83d\u0041"`:    ErrLoneSurrogate, // a high half before no low one
		`{"k\udbff": "v"}`:  ErrLoneSurrogate, // keys too
	} {
		if err := CheckText([]byte(raw)); !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Errorf("CheckText(%s) = %v, want %v", raw, err, want)
		}
	}
}
