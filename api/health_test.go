package api_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/heraldhub/herald/api"
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
