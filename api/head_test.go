package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald/api"
	"github.com/heraldhub/herald/metrics"
)

// HEAD gets what GET would, without the body, on every GET route: the
// probes, the API, and the live log, whose HEAD ends with its headers
// instead of streaming. A route without GET still answers 405.
func TestHeadAsGet(t *testing.T) {
	m := metrics.New()
	e := newEnv(t, func(d *api.Deps) { d.Metrics = m })
	w := e.createWebhook(t, hookBody(nil))
	srv := httptest.NewServer(api.HeadAsGet(e.handler))
	t.Cleanup(func() {
		if !t.Failed() {
			srv.Close() // a stream left running would hold it for ever
		}
	})
	client := &http.Client{Timeout: 5 * time.Second}
	for _, tc := range []struct {
		path        string
		status      int
		contentType string
	}{
		{"/healthz", http.StatusOK, "application/json; charset=utf-8"},
		{"/readyz", http.StatusOK, "application/json; charset=utf-8"},
		{"/v1/webhooks", http.StatusOK, "application/json; charset=utf-8"},
		{"/v1/webhooks/" + w.ID + "/logs/stream", http.StatusOK, "text/event-stream"},
		{"/v1/webhooks/wh_missing", http.StatusNotFound, "application/problem+json"},
		{"/v1/events/x", http.StatusForbidden, "application/problem+json"}, // scope checks as for GET
		{"/v1/api-keys/x", http.StatusMethodNotAllowed, "application/problem+json"},
	} {
		req, _ := http.NewRequest(http.MethodHead, srv.URL+tc.path, nil)
		key := adminKey
		if tc.status == http.StatusForbidden {
			key = e.newKey(t, "publish:event")
		}
		req.Header.Set("Authorization", "Bearer "+key)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("HEAD %s: %v", tc.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != tc.contentType || len(body) != 0 {
			t.Errorf("HEAD %s: %d %q, %d body bytes; want %d %q and no body", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body), tc.status, tc.contentType)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("HEAD %s took %v", tc.path, d)
		}
	}
	// Counted as what the client sent.
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if want := `herald_http_requests_total{code="200",method="HEAD",route="/healthz"} 1`; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("metrics lack %s:\n%s", want, rec.Body.String())
	}
	// The connection serves the next request: the stream's HEAD did not
	// hold it.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/healthz", nil)
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET after HEADs: %v %v", resp, err)
	}
	resp.Body.Close()
}
