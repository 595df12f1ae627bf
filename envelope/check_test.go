package envelope

import (
	"errors"
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
