package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// A body with fields of the wrong type or name is still checked whole: one
// 422 names every bad field (SPEC §2), and nothing is written.
func TestOneAnswerNamesEveryBadField(t *testing.T) {
	e := newEnv(t)
	w := e.createWebhook(t, `{"url":"https://example.com/hook","events":["*"]}`)
	con := e.createConnector(t, connectorBody(nil))
	for _, tc := range []struct {
		method, path, body string
		fields             []string
	}{
		{"POST", "/v1/events", `{"event":"nope","data":[],"extra":1}`, []string{"extra", "event", "data"}},
		{"POST", "/v1/api-keys", `{"name":5,"scopes":[]}`, []string{"name", "scopes"}},
		{"POST", "/v1/api-keys", `{"name":"ci","scopes":["view:log","nope"],"extra":true}`, []string{"extra", "scopes[1]"}},
		{"POST", "/v1/sources", `{"name":"","secret":5}`, []string{"secret", "name"}},
		{"PATCH", "/v1/webhooks/" + w.ID, `{"url":"ftp://x","timeout_seconds":"10"}`, []string{"timeout_seconds", "url"}},
		{"POST", "/v1/webhooks/" + w.ID + "/rotate-secret", `{"secret":"short","extra":1}`, []string{"extra", "secret"}},
		{"POST", "/v1/webhooks/" + w.ID + "/recover", `{"extra":1}`, []string{"extra", "since"}},
		{"POST", "/v1/webhooks/" + w.ID + "/test", `{"event":"nope","extra":1}`, []string{"extra", "event"}},
		{"POST", "/v1/connectors", `{"kind":"slack","name":5,"events":["nope"]}`, []string{"name", "events[0]", "config"}},
		{"PATCH", "/v1/connectors/" + con.ID, `{"name":5,"events":["nope"]}`, []string{"name", "events[0]"}},
	} {
		r := e.do(t, tc.method, tc.path, adminKey, tc.body)
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("%s %s %s: status %d, want 422: %s", tc.method, tc.path, tc.body, r.status, r.body)
			continue
		}
		wantProblem(t, r, http.StatusUnprocessableEntity, tc.fields...)
	}
	got := decodeAs[webhookJSON](t, e.do(t, "GET", "/v1/webhooks/"+w.ID, adminKey, ""))
	if got.URL != "https://example.com/hook" || got.TimeoutSeconds != 10 {
		t.Errorf("a refused PATCH changed the webhook: %+v", got)
	}
}

// Query parameters too: every bad one is named in one 422.
func TestOneAnswerNamesEveryBadParameter(t *testing.T) {
	e := newEnv(t)
	w := e.createWebhook(t, `{"url":"https://example.com/hook","events":["*"]}`)
	long := strings.Repeat("A", 600)
	for path, fields := range map[string][]string{
		"/v1/webhooks/" + w.ID + "/logs?status=nope&since=nope&limit=0": {"status", "since", "limit"},
		"/v1/events?limit=0&since=x":                                    {"limit", "since"},
		"/v1/webhooks?limit=201&cursor=" + long:                         {"limit", "cursor"},
	} {
		wantProblem(t, e.do(t, "GET", path, adminKey, ""), http.StatusUnprocessableEntity, fields...)
	}
}

// A host whose name cannot be looked up for now (a DNS outage) is a 503 to
// try again, not a 422 calling the URL bad; a refused host stays a 422.
func TestURLCheckDuringDNSOutage(t *testing.T) {
	e := newEnv(t)
	w := e.createWebhook(t, `{"url":"https://example.com/hook","events":["*"]}`)
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/v1/webhooks", `{"url":"https://dns-down.example/hook","events":["*"]}`},
		{"PATCH", "/v1/webhooks/" + w.ID, `{"url":"https://dns-down.example/hook"}`},
		{"POST", "/v1/connectors", connectorBody(map[string]any{"config": map[string]any{"webhook_url": "https://dns-down.example/services/T0/B0/x"}})},
	} {
		wantProblem(t, e.do(t, tc.method, tc.path, adminKey, tc.body), http.StatusServiceUnavailable)
	}
	wantProblem(t, e.do(t, "POST", "/v1/webhooks", adminKey, `{"url":"https://blocked.example/hook","events":["*"]}`), http.StatusUnprocessableEntity, "url")
}

// Field errors come before a failed DNS lookup: the 503 only says "try
// again", which would not help a body with other mistakes. A field that
// failed to decode counts as missing, so the fields that depend on it are
// still checked (a connector's config against its kind).
func TestFieldErrorsBeforeLookupFailure(t *testing.T) {
	e := newEnv(t)
	con := e.createConnector(t, connectorBody(nil))
	wantProblem(t, e.do(t, "POST", "/v1/webhooks", adminKey, `{"url":"https://dns-down.example/hook","events":["*"],"timeout_seconds":99}`),
		http.StatusUnprocessableEntity, "timeout_seconds")
	wantProblem(t, e.do(t, "POST", "/v1/connectors", adminKey, connectorBody(map[string]any{"name": "", "config": map[string]any{"webhook_url": "https://dns-down.example/services/T0/B0/x"}})),
		http.StatusUnprocessableEntity, "name")
	wantProblem(t, e.do(t, "PATCH", "/v1/connectors/"+con.ID, adminKey, `{"kind":5,"config":{"webhook_url":"nope"}}`),
		http.StatusUnprocessableEntity, "kind", "config.webhook_url")
	wantProblem(t, e.do(t, "POST", "/v1/connectors/"+con.ID+"/test", adminKey, `{"event":"nope","data":5}`),
		http.StatusUnprocessableEntity, "event", "data")
}
