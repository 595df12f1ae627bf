package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/heraldhub/herald/signature"
)

// createSource registers a source named perscom with secret and returns
// its ID.
func (e *testEnv) createSource(t *testing.T, secret string) string {
	t.Helper()
	r := e.do(t, "POST", "/v1/sources", adminKey, `{"name": "perscom", "secret": "`+secret+`"}`)
	wantStatus(t, r, http.StatusCreated)
	return decodeAs[struct {
		ID string `json:"id"`
	}](t, r).ID
}

// A source can be listed and read without its secret, and revoked: its
// ingest URL then answers 401, as for a source that never existed.
func TestSourcesListGetDelete(t *testing.T) {
	e := newEnv(t)
	const secret = "0123456789abcdef"
	srcID := e.createSource(t, secret)

	list := e.do(t, "GET", "/v1/sources?limit=10", adminKey, "")
	wantStatus(t, list, http.StatusOK)
	got := e.do(t, "GET", "/v1/sources/"+srcID, adminKey, "")
	wantStatus(t, got, http.StatusOK)
	for name, r := range map[string]response{"list": list, "get": got} {
		if !strings.Contains(string(r.body), srcID) || strings.Contains(string(r.body), secret) || strings.Contains(string(r.body), `"secret"`) {
			t.Errorf("%s: %s, want the source without its secret", name, r.body)
		}
	}
	var page struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(list.body, &page); err != nil || len(page.Data) != 1 {
		t.Errorf("list: %s, want one source", list.body)
	}

	ingest := func() int {
		body := `{"event": "user.created", "created": "2026-05-17T21:04:05Z", "data": {"id": 1}}`
		req, _ := http.NewRequest("POST", e.srv.URL+"/ingest/"+srcID, strings.NewReader(body))
		req.Header.Set("Signature", signature.Perscom(secret, []byte(body)))
		return e.request(t, req).status
	}
	if status := ingest(); status != http.StatusAccepted {
		t.Fatalf("ingest before the delete: %d, want 202", status)
	}
	wantStatus(t, e.do(t, "DELETE", "/v1/sources/"+srcID, adminKey, ""), http.StatusNoContent)
	if status := ingest(); status != http.StatusUnauthorized {
		t.Errorf("ingest after the delete: %d, want 401", status)
	}
	wantProblem(t, e.do(t, "GET", "/v1/sources/"+srcID, adminKey, ""), http.StatusNotFound)
	wantProblem(t, e.do(t, "DELETE", "/v1/sources/"+srcID, adminKey, ""), http.StatusNotFound)
	wantProblem(t, e.do(t, "GET", "/v1/sources?limit=0", adminKey, ""), http.StatusUnprocessableEntity, "limit")
}

// A signed envelope whose event is not a string, or that gives a field
// twice, is a 422 naming the field,
// as on POST /v1/events; a trace_id that is not a string is ignored, as an
// invalid one is, and a body that is not a JSON object stays a 400.
func TestIngestEnvelopeWithWrongTypes(t *testing.T) {
	e := newEnv(t)
	const secret = "0123456789abcdef"
	id := e.createSource(t, secret)
	ingest := func(body string) response {
		req, _ := http.NewRequest("POST", e.srv.URL+"/ingest/"+id, strings.NewReader(body))
		req.Header.Set("Signature", signature.Perscom(secret, []byte(body)))
		return e.request(t, req)
	}
	wantProblem(t, ingest(`{"event": 5, "data": {"id": 1}}`), http.StatusUnprocessableEntity, "event")
	wantProblem(t, ingest(`{"event": 5, "data": [1]}`), http.StatusUnprocessableEntity, "event", "data")
	wantStatus(t, ingest(`{"event": "user.created", "trace_id": 5, "data": {"id": 1}}`), http.StatusAccepted)
	wantProblem(t, ingest(`[1]`), http.StatusBadRequest)
	wantProblem(t, ingest(`null`), http.StatusBadRequest)
	wantProblem(t, ingest(`{"event": "user.created", "data": {"id": 1}} x`), http.StatusBadRequest)
	wantProblem(t, ingest(`{"event": "user.created", "data": {"id": 1}}{"event": "user.deleted"}`), http.StatusBadRequest)
	// A field Herald reads, given twice, is refused as on POST /v1/events;
	// one it does not read may repeat.
	wantProblem(t, ingest(`{"event": "user.created", "data": {"id": 1}, "event": "user.deleted"}`), http.StatusUnprocessableEntity, "event")
	wantProblem(t, ingest(`{"event": "user.created", "data": {"id": 1}, "data": {"id": 2}}`), http.StatusUnprocessableEntity, "data")
	wantStatus(t, ingest(`{"event": "user.created", "data": {"id": 3}, "request_id": "a", "request_id": "b"}`), http.StatusAccepted)
}

// A compressed ingest body is a 415 naming the encoding, not the 401 of a
// signature that cannot match; an identity encoding is no compression.
func TestIngestCompressedBody(t *testing.T) {
	e := newEnv(t)
	const secret = "0123456789abcdef"
	id := e.createSource(t, secret)
	body := `{"event": "user.created", "data": {"id": 1}}`
	ingest := func(encoding string) response {
		req, _ := http.NewRequest("POST", e.srv.URL+"/ingest/"+id, strings.NewReader(body))
		req.Header.Set("Signature", signature.Perscom(secret, []byte(body)))
		req.Header.Set("Content-Encoding", encoding)
		return e.request(t, req)
	}
	if p := wantProblem(t, ingest("gzip"), http.StatusUnsupportedMediaType); !strings.Contains(p.Detail, "Content-Encoding gzip") {
		t.Errorf("detail %q does not name the encoding", p.Detail)
	}
	wantStatus(t, ingest("identity"), http.StatusAccepted)
}
