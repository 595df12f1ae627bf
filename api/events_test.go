package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald/signature"
)

type acceptedJSON struct {
	ID         string    `json:"id"`
	Event      string    `json:"event"`
	Created    time.Time `json:"created"`
	WorkflowID string    `json:"workflow_id"`
}

func TestPublishEventValidation(t *testing.T) {
	bigData := `{"blob": "` + strings.Repeat("x", 300<<10) + `"}`
	tests := []struct {
		name   string
		body   string
		fields []string
	}{
		{"unknown event", `{"event": "nope.created", "data": {}}`, []string{"event"}},
		{"event missing", `{"data": {}}`, []string{"event"}},
		{"test event", `{"event": "webhook.test", "data": {}}`, []string{"event"}},
		{"pattern as event", `{"event": "user.*", "data": {}}`, []string{"event"}},
		{"data missing", `{"event": "user.created"}`, []string{"data"}},
		{"data null", `{"event": "user.created", "data": null}`, []string{"data"}},
		{"data array", `{"event": "user.created", "data": [1, 2]}`, []string{"data"}},
		{"data string", `{"event": "user.created", "data": "hi"}`, []string{"data"}},
		{"data number", `{"event": "user.created", "data": 7}`, []string{"data"}},
		{"data over 256 KiB", `{"event": "user.created", "data": ` + bigData + `}`, []string{"data"}},
		{"changes number", `{"event": "user.updated", "data": {}, "changes": 5}`, []string{"changes"}},
		{"changes string", `{"event": "user.updated", "data": {}, "changes": "x"}`, []string{"changes"}},
		{"empty id", `{"id": "", "event": "user.created", "data": {}}`, []string{"id"}},
		{"id too long", `{"id": "` + strings.Repeat("i", 201) + `", "event": "user.created", "data": {}}`, []string{"id"}},
		{"id wrong type", `{"id": 5, "event": "user.created", "data": {}}`, []string{"id"}},
		{"id of an ingested event", `{"id": "ingest:src_1:abc", "event": "user.created", "data": {}}`, []string{"id"}},
		{"event and data bad", `{"event": "nope", "data": []}`, []string{"event", "data"}},
		{"unknown field", `{"event": "user.created", "data": {}, "name": "x"}`, []string{"name"}},
		{"data not UTF-8", "{\"event\": \"user.created\", \"data\": {\"name\": \"a\xffb\"}}", []string{"data"}},
		{"changes not UTF-8", "{\"event\": \"user.updated\", \"data\": {}, \"changes\": {\"x\": \"\xfe\"}}", []string{"changes"}},
		{"id null", `{"id": null, "event": "user.created", "data": {}}`, []string{"id"}},
		{"data with a key twice", `{"event": "user.created", "data": {"role": "user", "role": "admin"}}`, []string{"data"}},
		{"event twice", `{"event": "user.created", "data": {}, "event": "user.deleted"}`, []string{"event"}},
		{"id twice, once escaped", `{"id": "a", "event": "user.created", "data": {}, "\u0069d": "b"}`, []string{"id"}},
		{"data with half a surrogate pair", `{"event": "user.created", "data": {"name": "\ud800"}}`, []string{"data"}},
		{"changes with a key twice", `{"event": "user.updated", "data": {}, "changes": {"a": [1, 2], "a": [3, 4]}}`, []string{"changes"}},
		{"id of 200 characters in more bytes", `{"id": "` + strings.Repeat("é", 201) + `", "event": "user.created", "data": {}}`, []string{"id"}},
	}
	e := newEnv(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantProblem(t, e.do(t, "POST", "/v1/events", adminKey, tc.body), http.StatusUnprocessableEntity, tc.fields...)
		})
	}
	t.Run("malformed", func(t *testing.T) {
		wantProblem(t, e.do(t, "POST", "/v1/events", adminKey, `{"event": "user.created", "data": {`), http.StatusBadRequest)
	})
	t.Run("text/plain", func(t *testing.T) {
		wantProblem(t, e.send(t, "POST", "/v1/events", adminKey, "text/plain", `{"event": "user.created", "data": {}}`), http.StatusUnsupportedMediaType)
	})
	if n := len(e.pub.requests()); n != 0 {
		t.Errorf("publisher called %d times for invalid events, want 0", n)
	}
}

func TestPublishEvent(t *testing.T) {
	e := newEnv(t)
	data := `{"id": 42, "name": "Jane <Doe>"}`

	r := e.do(t, "POST", "/v1/events", adminKey, `{"event": "user.created", "data": `+data+`}`)
	wantStatus(t, r, http.StatusAccepted)
	acc := decodeAs[acceptedJSON](t, r)
	if !strings.HasPrefix(acc.ID, "evt_") || acc.Event != "user.created" || acc.Created.IsZero() || acc.WorkflowID == "" {
		t.Errorf("202 body = %s, want id evt_..., event, created, workflow_id", r.body)
	}
	reqs := e.pub.requests()
	if len(reqs) != 1 || reqs[0].Event != "user.created" || reqs[0].ClientID != "" {
		t.Fatalf("publisher got %+v, want one user.created without id", reqs)
	}
	var got, want any
	_ = json.Unmarshal(reqs[0].Data, &got)
	_ = json.Unmarshal([]byte(data), &want)
	if b1, b2 := mustJSON(got), mustJSON(want); b1 != b2 {
		t.Errorf("published data = %s, want %s", b1, b2)
	}

	t.Run("data of exactly 256 KiB", func(t *testing.T) {
		prefix, suffix := `{"blob": "`, `"}`
		d := prefix + strings.Repeat("x", 256<<10-len(prefix)-len(suffix)) + suffix
		wantStatus(t, e.do(t, "POST", "/v1/events", adminKey, `{"event": "user.created", "data": `+d+`}`), http.StatusAccepted)
	})

	t.Run("changes forms", func(t *testing.T) {
		for _, changes := range []string{`{"name": "x"}`, `[]`, `null`} {
			r := e.do(t, "POST", "/v1/events", adminKey, `{"event": "user.updated", "data": {}, "changes": `+changes+`}`)
			wantStatus(t, r, http.StatusAccepted)
		}
	})

	t.Run("traceparent", func(t *testing.T) {
		const trace = "4bf92f3577b34da6a3ce929d0e0e4736"
		for header, want := range map[string]string{
			"00-" + trace + "-00f067aa0ba902b7-01":                    trace,
			"01-" + trace + "-00f067aa0ba902b7-01-more":               trace, // a later version may add fields
			"ff-" + trace + "-00f067aa0ba902b7-01":                    "",    // version ff is invalid
			"00-" + trace + "-0000000000000000-01":                    "",    // all-zero parent
			"00-" + trace + "-00f067aa0ba902b7-01-extra":              "",    // version 00 is exactly 55 long
			"00-" + trace + "-zzzzzzzzzzzzzzzz-01":                    "",
			"00-" + trace + "-00f067aa0ba902b7-0g":                    "",
			"00-00000000000000000000000000000000-00f067aa0ba902b7-01": "",
		} {
			req, _ := http.NewRequest("POST", e.srv.URL+"/v1/events", strings.NewReader(`{"event": "user.deleted", "data": {}}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+adminKey)
			req.Header.Set("traceparent", header)
			wantStatus(t, e.request(t, req), http.StatusAccepted)
			reqs := e.pub.requests()
			if last := reqs[len(reqs)-1]; last.TraceID != want {
				t.Errorf("traceparent %q: trace id = %q, want %q", header, last.TraceID, want)
			}
		}
	})

	t.Run("ingest: traceparent first, then the envelope's trace_id", func(t *testing.T) {
		source := e.do(t, "POST", "/v1/sources", adminKey, `{"name": "perscom", "secret": "0123456789abcdef"}`)
		wantStatus(t, source, http.StatusCreated)
		url := e.srv.URL + "/ingest/" + decodeAs[webhookJSON](t, source).ID
		for i, tc := range []struct{ traceparent, envelope, want string }{
			{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "", "4bf92f3577b34da6a3ce929d0e0e4736"},
			{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "0af7651916cd43dd8448eb211c80319c", "4bf92f3577b34da6a3ce929d0e0e4736"},
			{"", "0af7651916cd43dd8448eb211c80319c", "0af7651916cd43dd8448eb211c80319c"},
		} {
			body := fmt.Sprintf(`{"event": "user.created", "created": "2026-05-17T21:04:05Z", "trace_id": %q, "data": {"id": %d}, "changes": []}`, tc.envelope, i)
			req, _ := http.NewRequest("POST", url, strings.NewReader(body))
			req.Header.Set("Signature", signature.Perscom("0123456789abcdef", []byte(body)))
			if tc.traceparent != "" {
				req.Header.Set("traceparent", tc.traceparent)
			}
			wantStatus(t, e.request(t, req), http.StatusAccepted)
			reqs := e.pub.requests()
			if last := reqs[len(reqs)-1]; last.TraceID != tc.want {
				t.Errorf("traceparent %q, envelope %q: trace id = %q, want %q", tc.traceparent, tc.envelope, last.TraceID, tc.want)
			}
		}
	})

	t.Run("same id twice", func(t *testing.T) {
		body := `{"id": "perscom-123", "event": "rankrecord.created", "data": {"id": 1}}`
		first := e.do(t, "POST", "/v1/events", adminKey, body)
		wantStatus(t, first, http.StatusAccepted)
		again := e.do(t, "POST", "/v1/events", adminKey, body)
		wantStatus(t, again, http.StatusOK)
		if a, b := decodeAs[acceptedJSON](t, first), decodeAs[acceptedJSON](t, again); a != b {
			t.Errorf("second response = %+v, want the first's %+v", b, a)
		}
	})

	t.Run("read back", func(t *testing.T) {
		r := e.do(t, "GET", "/v1/events/"+acc.ID, adminKey, "")
		wantStatus(t, r, http.StatusOK)
		ev := decodeAs[map[string]any](t, r)
		if ev["id"] != acc.ID || ev["event"] != "user.created" {
			t.Errorf("GET event = %s", r.body)
		}
		if ds, ok := ev["deliveries"].([]any); !ok || len(ds) != 0 {
			t.Errorf("deliveries = %v, want []", ev["deliveries"])
		}
		wantProblem(t, e.do(t, "GET", "/v1/events/evt_missing", adminKey, ""), http.StatusNotFound)
		r = e.do(t, "GET", "/v1/events?event=rankrecord.created", adminKey, "")
		wantStatus(t, r, http.StatusOK)
		if list := decodeAs[listPage[acceptedJSON]](t, r); len(list.Data) != 1 {
			t.Errorf("events filtered by name = %s, want the one rankrecord.created", r.body)
		}
		wantProblem(t, e.do(t, "GET", "/v1/events?since=yesterday", adminKey, ""), http.StatusUnprocessableEntity, "since")
		wantProblem(t, e.do(t, "GET", "/v1/events?limit=0", adminKey, ""), http.StatusUnprocessableEntity, "limit")
	})
}

func TestEventTypes(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, "GET", "/v1/event-types", adminKey, "")
	wantStatus(t, r, http.StatusOK)
	var body struct {
		Data []map[string]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Data) != 34 {
		t.Fatalf("got %d event types, want 34 (33 PERSCOM events and webhook.test)", len(body.Data))
	}
	names := map[string]bool{}
	for _, et := range body.Data {
		var name, resource, action, description string
		for key, dst := range map[string]*string{"name": &name, "resource": &resource, "action": &action, "description": &description} {
			if err := json.Unmarshal(et[key], dst); err != nil || *dst == "" {
				t.Errorf("event type %s: %s is missing or not a string", et["name"], key)
			}
		}
		if name != resource+"."+action {
			t.Errorf("name %q is not resource.action (%q.%q)", name, resource, action)
		}
		if ex := strings.TrimSpace(string(et["example"])); !strings.HasPrefix(ex, "{") {
			t.Errorf("%s example = %.40s, want an object", name, ex)
		}
		names[name] = true
	}
	for _, want := range []string{"user.created", "rankrecord.updated", "submission.deleted", "webhook.test"} {
		if !names[want] {
			t.Errorf("event types lack %s", want)
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
