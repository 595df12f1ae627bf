package api_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/api"
	"github.com/heraldhub/herald/metrics"
)

func TestHealth(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, "GET", "/healthz", "", "")
	wantStatus(t, r, http.StatusOK)

	r = e.do(t, "GET", "/readyz", "", "")
	wantStatus(t, r, http.StatusOK)
	if got := decodeAs[map[string]map[string]string](t, r)["checks"]; got["database"] != "ok" {
		t.Errorf("readyz checks = %v, want database ok", got)
	}
}

func TestReadyzFailingCheck(t *testing.T) {
	e := newEnv(t, func(d *api.Deps) {
		d.Ready["temporal"] = api.CheckFunc(func(context.Context) error { return errors.New("dial tcp 10.0.0.7:7233: refused") })
	})
	r := e.do(t, "GET", "/readyz", "", "")
	wantStatus(t, r, http.StatusServiceUnavailable)
	got := decodeAs[map[string]map[string]string](t, r)["checks"]
	if got["database"] != "ok" || got["temporal"] != "unavailable" {
		t.Errorf("readyz checks = %v, want database ok and temporal unavailable", got)
	}
	if strings.Contains(string(r.body), "10.0.0.7") {
		t.Errorf("readyz leaks the check's error: %s", r.body)
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/nope", 404, ""},
		{"GET", "/v1/nope", 404, ""},
		{"GET", "/v1/webhooks/wh_1/nope", 404, ""},
		{"GET", "/v1/webhooks/", 404, ""}, // not an HTML redirect
		{"POST", "/ingest/..%2f", 404, ""},
		{"PUT", "/v1/webhooks", 405, "GET, POST"},
		{"DELETE", "/v1/events", 405, "GET, POST"},
		{"POST", "/healthz", 405, "GET"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := e.do(t, tc.method, tc.path, adminKey, "")
			wantProblem(t, r, tc.status)
			if tc.allow != "" {
				allow := strings.Split(r.header.Get("Allow"), ", ")
				for _, m := range strings.Split(tc.allow, ", ") {
					if !strings.Contains(","+strings.Join(allow, ",")+",", ","+m+",") {
						t.Errorf("Allow = %q, want it to include %s", r.header.Get("Allow"), m)
					}
				}
			}
		})
	}
}

// panickingWebhooks is a webhook store whose GetWebhook panics.
type panickingWebhooks struct{ api.WebhookStore }

func (panickingWebhooks) GetWebhook(context.Context, string) (*herald.Webhook, error) {
	panic("store bug")
}

// A handler that panics answers a 500 problem, and /metrics counts it:
// those are the 500s an operator most wants to see.
func TestPanicIsAnsweredAndCounted(t *testing.T) {
	m := metrics.New()
	e := newEnv(t, func(d *api.Deps) {
		d.Webhooks = panickingWebhooks{d.Webhooks}
		d.Metrics = m
	})
	wantProblem(t, e.do(t, "GET", "/v1/webhooks/wh_1", adminKey, ""), http.StatusInternalServerError)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if want := `herald_http_requests_total{code="500",method="GET",route="/v1/webhooks/:id"} 1`; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("metrics lack %s:\n%s", want, rec.Body.String())
	}
}
