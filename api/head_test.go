package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

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
	srv := httptest.NewServer(e.handler)
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

// A 405 lists HEAD wherever it lists GET, since the handler serves HEAD
// as GET; a route without GET gets no HEAD.
func TestMethodNotAllowedListsHead(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ method, path, allow string }{
		{http.MethodDelete, "/healthz", "GET, HEAD"},
		{http.MethodPut, "/v1/webhooks", "GET, POST, HEAD"},
		{http.MethodGet, "/v1/api-keys/x", "DELETE"},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(tc.method, tc.path, nil)
		req.Header.Set("Authorization", "Bearer "+adminKey)
		e.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d, Allow %q; want 405, Allow %q", tc.method, tc.path, rec.Code, rec.Header().Get("Allow"), tc.allow)
		}
	}
}

// gin's Context.Stream asks the writer for CloseNotify; on a HEAD request
// it must not panic, and the stream ends after its first flush.
func TestHeadAsGetStream(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/s", func(c *gin.Context) {
		c.Header("Content-Type", "text/event-stream")
		c.Stream(func(w io.Writer) bool {
			_, _ = io.WriteString(w, "data: x\n\n")
			return true // for ever, unless the client goes
		})
	})
	srv := httptest.NewServer(api.HeadAsGet(r))
	defer srv.Close()
	client := &http.Client{Timeout: 5 * time.Second}
	req, _ := http.NewRequest(http.MethodHead, srv.URL+"/s", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("HEAD: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Errorf("HEAD: %d %q, want 200 text/event-stream", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
