package envelope

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestJSON(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		changes string
		want    string // the envelope after "trace_id":"t1",
	}{
		{"changes omitted", `{"id":42}`, ``, `"data":{"id":42},"changes":[]}`},
		{"changes null", `{"id":42}`, `null`, `"data":{"id":42},"changes":null}`},
		{"changes object", `{"id":42}`, `{"name": ["a", "b"]}`, `"data":{"id":42},"changes":{"name":["a","b"]}}`},
		{"changes empty array", `{"id":42}`, ` [ ] `, `"data":{"id":42},"changes":[]}`},
		{"compacted, order and numbers kept", "{ \"z\" : 1.50,\n\t\"a\" : [ 1e3 , -0 ] }", ``,
			`"data":{"z":1.50,"a":[1e3,-0]},"changes":[]}`},
		{"publisher escapes kept", `{"h":"<b>\u003ci\u003e & \"q\""}`, ``,
			`"data":{"h":"<b>\u003ci\u003e & \"q\""},"changes":[]}`},
		{"unicode", `{"name":"Šárka 🎖️"}`, ``, `"data":{"name":"Šárka 🎖️"},"changes":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := base()
			e.Data = json.RawMessage(tt.data)
			if tt.changes != "" {
				e.Changes = json.RawMessage(tt.changes)
			}
			got, err := e.JSON()
			if err != nil {
				t.Fatal(err)
			}
			want := `{"event":"user.created","created":"2026-05-17T21:04:05.401118Z","request_id":"evt_1","trace_id":"t1",` + tt.want
			if string(got) != want {
				t.Errorf("JSON()\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestJSONHeaderFieldsNotHTMLEscaped(t *testing.T) {
	e := Envelope{Event: "<a&b>", RequestID: `"q"`, TraceID: "é\n", Data: json.RawMessage(`{}`),
		Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	got, err := e.JSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"event":"<a&b>","created":"2026-01-02T03:04:05.000000Z","request_id":"\"q\"","trace_id":"é\n","data":{},"changes":[]}`
	if string(got) != want {
		t.Errorf("JSON()\n got %s\nwant %s", got, want)
	}
}

func TestCreatedFormat(t *testing.T) {
	berlin := time.FixedZone("CEST", 2*60*60)
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"microseconds", time.Date(2026, 5, 17, 21, 4, 5, 401118000, time.UTC), "2026-05-17T21:04:05.401118Z"},
		{"zero nanoseconds", time.Date(2026, 5, 17, 21, 4, 5, 0, time.UTC), "2026-05-17T21:04:05.000000Z"},
		{"trailing zeros kept", time.Date(2026, 5, 17, 21, 4, 5, 100000000, time.UTC), "2026-05-17T21:04:05.100000Z"},
		{"nanoseconds truncated", time.Date(2026, 5, 17, 21, 4, 5, 999999999, time.UTC), "2026-05-17T21:04:05.999999Z"},
		{"non-UTC input", time.Date(2026, 5, 17, 23, 4, 5, 401118000, berlin), "2026-05-17T21:04:05.401118Z"},
		{"local wall clock", time.Now().Local(), ""}, // want computed below
	}
	for _, tt := range tests {
		e := base()
		e.Created, e.Data = tt.in, json.RawMessage(`{}`)
		got, err := e.JSON()
		if err != nil {
			t.Fatal(err)
		}
		var decoded struct{ Created string }
		if err := json.Unmarshal(got, &decoded); err != nil {
			t.Fatal(err)
		}
		want := tt.want
		if want == "" {
			want = tt.in.UTC().Format(CreatedLayout)
		}
		if decoded.Created != want {
			t.Errorf("%s: created = %s, want %s", tt.name, decoded.Created, want)
		}
		if _, err := time.Parse(time.RFC3339Nano, decoded.Created); err != nil {
			t.Errorf("%s: created is not RFC 3339: %v", tt.name, err)
		}
	}
}

func TestJSONErrors(t *testing.T) {
	tests := []struct {
		name          string
		data, changes string
		wantErr       error
	}{
		{"no data", ``, ``, ErrNoData},
		{"truncated data", `{"a":`, ``, ErrInvalidData},
		{"trailing garbage", `{"a":1} x`, ``, ErrInvalidData},
		{"two values", `{} {}`, ``, ErrInvalidData},
		{"bare word", `hello`, ``, ErrInvalidData},
		{"invalid changes", `{}`, `{"a"}`, ErrInvalidChanges},
	}
	for _, tt := range tests {
		e := base()
		e.Data, e.Changes = json.RawMessage(tt.data), json.RawMessage(tt.changes)
		if _, err := e.JSON(); !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: error = %v, want %v", tt.name, err, tt.wantErr)
		}
	}
}
