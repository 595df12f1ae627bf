package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"
)

var fuzzSeeds = []struct{ event, data, changes string }{
	{"user.created", `{"id":42,"name":"Jane <Doe> & co"}`, ``},
	{"rankrecord.updated", `{"a":[{"b":null},[],{}],"n":1.50e-3,"t":true}`, `{"rank":["PVT","SGT"]}`},
	{"<script>", `{"s":"\u2028\ud83c\udf96 \"x\"","k y":[false]}`, `null`},
	{"", `"scalar"`, `[]`},
	{"bad\xff", `{"a":`, `{}`},
	{"x", `{"a":1}`, `[1,`},
}

// decodeValue decodes one JSON value keeping number text.
func decodeValue(t *testing.T, raw []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", raw, err)
	}
	return v
}

// wantErr tells whether an envelope with these parts must be refused.
func wantErr(data, changes []byte) bool {
	return len(data) == 0 || !json.Valid(data) || len(changes) > 0 && !json.Valid(changes)
}

func FuzzJSON(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s.event, []byte(s.data), []byte(s.changes))
	}
	f.Fuzz(func(t *testing.T, event string, data, changes []byte) {
		e := Envelope{Event: event, Created: time.Unix(1779051845, 401118000), RequestID: "evt_1",
			TraceID: "t1", Data: data, Changes: changes}
		out, err := e.JSON()
		if wantErr(data, changes) != (err != nil) {
			t.Fatalf("JSON() error = %v for data %q, changes %q", err, data, changes)
		}
		if err != nil {
			if !errors.Is(err, ErrNoData) && !errors.Is(err, ErrInvalidData) && !errors.Is(err, ErrInvalidChanges) {
				t.Fatalf("unexpected error type: %v", err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("JSON() produced invalid JSON: %q", out)
		}
		got, ok := decodeValue(t, out).(map[string]any)
		if !ok {
			t.Fatalf("JSON() is not an object: %q", out)
		}
		if !reflect.DeepEqual(got["data"], decodeValue(t, data)) {
			t.Fatalf("data changed: %q became %q", data, out)
		}
		wantChanges := any([]any{})
		if len(changes) > 0 {
			wantChanges = decodeValue(t, changes)
		}
		if !reflect.DeepEqual(got["changes"], wantChanges) {
			t.Fatalf("changes changed: %q became %q", changes, out)
		}
		if utf8.ValidString(event) && got["event"] != event {
			t.Fatalf("event %q became %v", event, got["event"])
		}
	})
}

func FuzzQuery(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s.event, []byte(s.data), []byte(s.changes))
	}
	f.Fuzz(func(t *testing.T, event string, data, changes []byte) {
		e := Envelope{Event: event, Created: time.Unix(1779051845, 0), Data: data, Changes: changes}
		q, err := e.Query()
		if wantErr(data, changes) != (err != nil) {
			t.Fatalf("Query() error = %v for data %q, changes %q", err, data, changes)
		}
		if err != nil {
			return
		}
		for i := 0; i < len(q); i++ {
			switch c := q[i]; {
			case c == '%':
				if i+2 >= len(q) || !isUpperHex(q[i+1]) || !isUpperHex(q[i+2]) {
					t.Fatalf("bad escape at %d in %q", i, q)
				}
			case c == '&' || c == '=' || c == '-' || c == '.' || c == '_' || c == '~':
			case 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9':
			default:
				t.Fatalf("unescaped %q in %q", c, q)
			}
		}
		values, err := url.ParseQuery(q)
		if err != nil {
			t.Fatalf("url.ParseQuery(%q): %v", q, err)
		}
		if values.Get("event") != event {
			t.Fatalf("event %q came back as %q", event, values.Get("event"))
		}
	})
}

func isUpperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }
