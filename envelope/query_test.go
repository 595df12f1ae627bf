package envelope

import (
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

func base() Envelope {
	return Envelope{
		Event:     "user.created",
		Created:   time.Date(2026, 5, 17, 21, 4, 5, 401118000, time.UTC),
		RequestID: "evt_1",
		TraceID:   "t1",
	}
}

const head = "event=user.created&created=2026-05-17T21%3A04%3A05.401118Z&request_id=evt_1&trace_id=t1"

func TestQuery(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		changes string
		want    string // after head
	}{
		{"flat", `{"id":42,"name":"Jane"}`, ``, `&data%5Bid%5D=42&data%5Bname%5D=Jane`},
		{"key order kept", `{"z":1,"a":2,"m":3}`, ``, `&data%5Bz%5D=1&data%5Ba%5D=2&data%5Bm%5D=3`},
		{"nested object", `{"user":{"name":"Jane","rank":{"abbr":"SGT"}}}`, ``,
			`&data%5Buser%5D%5Bname%5D=Jane&data%5Buser%5D%5Brank%5D%5Babbr%5D=SGT`},
		{"array of strings", `{"tags":["a","b"]}`, ``, `&data%5Btags%5D%5B0%5D=a&data%5Btags%5D%5B1%5D=b`},
		{"array of objects", `{"awards":[{"id":1},{"id":2,"name":"Star"}]}`, ``,
			`&data%5Bawards%5D%5B0%5D%5Bid%5D=1&data%5Bawards%5D%5B1%5D%5Bid%5D=2&data%5Bawards%5D%5B1%5D%5Bname%5D=Star`},
		{"nulls dropped, indexes kept", `{"a":null,"b":[null,"x"],"c":1}`, ``, `&data%5Bb%5D%5B1%5D=x&data%5Bc%5D=1`},
		{"empty array and object dropped", `{"a":[],"b":{},"c":[[],{}],"d":""}`, ``, `&data%5Bd%5D=`},
		{"booleans", `{"t":true,"f":false}`, ``, `&data%5Bt%5D=1&data%5Bf%5D=0`},
		{"number text kept", `{"a":1.50,"b":-0,"c":1e3,"d":12345678901234567890}`, ``,
			`&data%5Ba%5D=1.50&data%5Bb%5D=-0&data%5Bc%5D=1e3&data%5Bd%5D=12345678901234567890`},
		{"escaping", `{"s":"a b&c=d+e[f]/g?h#i%j~k-l.m_n"}`, ``,
			`&data%5Bs%5D=a%20b%26c%3Dd%2Be%5Bf%5D%2Fg%3Fh%23i%25j~k-l.m_n`},
		{"unicode", `{"name":"Šárka 🎖"}`, ``, `&data%5Bname%5D=%C5%A0%C3%A1rka%20%F0%9F%8E%96`},
		{"json escapes decoded", `{"q":"\"<b>\"\u0026\n"}`, ``, `&data%5Bq%5D=%22%3Cb%3E%22%26%0A`},
		{"escaped keys", `{"a b":{"c&d":1}}`, ``, `&data%5Ba%20b%5D%5Bc%26d%5D=1`},
		{"changes object", `{"id":1}`, `{"name":["Jane","Janet"]}`,
			`&data%5Bid%5D=1&changes%5Bname%5D%5B0%5D=Jane&changes%5Bname%5D%5B1%5D=Janet`},
		{"changes null", `{"id":1}`, `null`, `&data%5Bid%5D=1`},
		{"changes empty array", `{"id":1}`, `[]`, `&data%5Bid%5D=1`},
		{"scalar data", `"x"`, ``, `&data=x`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := base()
			e.Data = json.RawMessage(tt.data)
			if tt.changes != "" {
				e.Changes = json.RawMessage(tt.changes)
			}
			got, err := e.Query()
			if err != nil {
				t.Fatal(err)
			}
			if want := head + tt.want; got != want {
				t.Errorf("Query()\n got %s\nwant %s", got, want)
			}
		})
	}
}

// The GET vector of signature/testdata/golden.json signs this query string.
func TestQueryMatchesSignatureGolden(t *testing.T) {
	e := Envelope{
		Event:     "user.updated",
		Created:   time.Date(2026, 5, 17, 21, 4, 5, 401118000, time.UTC),
		RequestID: "evt_0196e0c4a1b20a1b2c3d4e5f60718294",
		TraceID:   "4bf92f3577b34da6a3ce929d0e0e4736",
		Data:      json.RawMessage(`{"id": 42, "name": "Jane Doe", "active": true}`),
		Changes:   json.RawMessage(`{"name": ["Jane", "Jane Doe"]}`),
	}
	got, err := e.Query()
	if err != nil {
		t.Fatal(err)
	}
	want := `event=user.updated&created=2026-05-17T21%3A04%3A05.401118Z&request_id=evt_0196e0c4a1b20a1b2c3d4e5f60718294&trace_id=4bf92f3577b34da6a3ce929d0e0e4736&data%5Bid%5D=42&data%5Bname%5D=Jane%20Doe&data%5Bactive%5D=1&changes%5Bname%5D%5B0%5D=Jane&changes%5Bname%5D%5B1%5D=Jane%20Doe`
	if got != want {
		t.Errorf("Query()\n got %s\nwant %s", got, want)
	}
	body, err := e.JSON()
	if err != nil {
		t.Fatal(err)
	}
	wantBody := `{"event":"user.updated","created":"2026-05-17T21:04:05.401118Z","request_id":"evt_0196e0c4a1b20a1b2c3d4e5f60718294","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","data":{"id":42,"name":"Jane Doe","active":true},"changes":{"name":["Jane","Jane Doe"]}}`
	if string(body) != wantBody {
		t.Errorf("JSON()\n got %s\nwant %s", body, wantBody)
	}
}

func TestQueryHeaderFieldsEscaped(t *testing.T) {
	e := base()
	e.Event, e.TraceID, e.Data = "a b&c", "", json.RawMessage(`{}`)
	got, err := e.Query()
	if err != nil {
		t.Fatal(err)
	}
	want := "event=a%20b%26c&created=2026-05-17T21%3A04%3A05.401118Z&request_id=evt_1&trace_id="
	if got != want {
		t.Errorf("Query()\n got %s\nwant %s", got, want)
	}
}

func TestQueryErrors(t *testing.T) {
	e := base()
	e.Data = json.RawMessage(`{"a":`)
	if _, err := e.Query(); !errors.Is(err, ErrInvalidData) {
		t.Errorf("invalid data: error = %v, want ErrInvalidData", err)
	}
	e.Data = nil
	if _, err := e.Query(); !errors.Is(err, ErrNoData) {
		t.Errorf("no data: error = %v, want ErrNoData", err)
	}
}

// allocated returns how many bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestQueryTooLong(t *testing.T) {
	// Each leaf repeats its key path: 27 KB nested 9,000 deep would be a
	// 280 MB query, and one 100 KiB key over 10,000 items a gigabyte.
	deep := strings.Repeat(`[0,`, 9000) + "0" + strings.Repeat("]", 9000)
	wide := `{"` + strings.Repeat("k", 100<<10) + `":[` + strings.TrimSuffix(strings.Repeat("0,", 10000), ",") + `]}`
	for name, data := range map[string]string{"deep": `{"a":` + deep + `}`, "wide": wide} {
		t.Run(name, func(t *testing.T) {
			e := base()
			e.Data = json.RawMessage(data)
			var err error
			n := allocated(func() { _, err = e.Query() })
			if !errors.Is(err, ErrQueryTooLong) {
				t.Fatalf("error = %v, want ErrQueryTooLong", err)
			}
			if n > 32<<20 {
				t.Errorf("allocated %d MiB on the way to refusing it", n>>20)
			}
		})
	}

	// Just under the limit is still built.
	e := base()
	e.Data = json.RawMessage(`{"s":"` + strings.Repeat("x", MaxQuery-len(head)-len("&data%5Bs%5D=")) + `"}`)
	q, err := e.Query()
	if err != nil || len(q) != MaxQuery {
		t.Errorf("a query of exactly MaxQuery: len %d, error %v", len(q), err)
	}
	e.Data = json.RawMessage(`{"s":"` + strings.Repeat("x", MaxQuery-len(head)-len("&data%5Bs%5D=")+1) + `"}`)
	if _, err := e.Query(); !errors.Is(err, ErrQueryTooLong) {
		t.Errorf("one byte over: error = %v, want ErrQueryTooLong", err)
	}
}
