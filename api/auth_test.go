package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/api"
)

// routeScopes is every route of api/server.go and the scope it needs
// ("" for none). TestEveryRouteIsGuarded fails when the two disagree.
var routeScopes = map[string]string{
	"GET /healthz":                        "",
	"GET /readyz":                         "",
	"GET /openapi.json":                   "",
	"POST /ingest/:id":                    "",
	"POST /v1/webhooks":                   herald.ScopeManageWebhook,
	"GET /v1/webhooks":                    herald.ScopeManageWebhook,
	"GET /v1/webhooks/:id":                herald.ScopeManageWebhook,
	"PATCH /v1/webhooks/:id":              herald.ScopeManageWebhook,
	"DELETE /v1/webhooks/:id":             herald.ScopeManageWebhook,
	"GET /v1/webhooks/:id/secret":         herald.ScopeManageWebhook,
	"POST /v1/webhooks/:id/rotate-secret": herald.ScopeManageWebhook,
	"POST /v1/webhooks/:id/recover":       herald.ScopeManageWebhook,
	"POST /v1/deliveries/:id/retry":       herald.ScopeManageWebhook,
	"POST /v1/sources":                    herald.ScopeManageWebhook,
	"GET /v1/sources":                     herald.ScopeManageWebhook,
	"GET /v1/sources/:id":                 herald.ScopeManageWebhook,
	"DELETE /v1/sources/:id":              herald.ScopeManageWebhook,
	"POST /v1/webhooks/:id/test":          herald.ScopeManageWebhook,
	"POST /v1/connectors":                 herald.ScopeManageWebhook,
	"GET /v1/connectors":                  herald.ScopeManageWebhook,
	"GET /v1/connectors/:id":              herald.ScopeManageWebhook,
	"PATCH /v1/connectors/:id":            herald.ScopeManageWebhook,
	"DELETE /v1/connectors/:id":           herald.ScopeManageWebhook,
	"POST /v1/connectors/:id/test":        herald.ScopeManageWebhook,
	"GET /v1/connectors/:id/logs":         herald.ScopeViewLog,
	"POST /v1/events":                     herald.ScopePublishEvent,
	"GET /v1/event-types":                 anyKey,
	"GET /v1/events":                      herald.ScopeViewLog,
	"GET /v1/events/:id":                  herald.ScopeViewLog,
	"GET /v1/webhooks/:id/logs":           herald.ScopeViewLog,
	"GET /v1/webhooks/:id/logs/stream":    herald.ScopeViewLog,
	"GET /v1/logs/:id":                    herald.ScopeViewLog,
	"POST /v1/api-keys":                   herald.ScopeAdmin,
	"GET /v1/api-keys":                    herald.ScopeAdmin,
	"DELETE /v1/api-keys/:id":             herald.ScopeAdmin,
}

// anyKey stands in routeScopes for a route every valid key may use.
const anyKey = "any key"

var nonAdminScopes = []string{herald.ScopeManageWebhook, herald.ScopePublishEvent, herald.ScopeViewLog}

func TestEveryRouteIsGuarded(t *testing.T) {
	e := newEnv(t)
	engine := api.Engine(e.handler)
	registered := map[string]bool{}
	for _, ri := range engine.Routes() {
		registered[ri.Method+" "+ri.Path] = true
		if _, ok := routeScopes[ri.Method+" "+ri.Path]; !ok {
			t.Errorf("route %s %s is not in routeScopes; add it with its scope", ri.Method, ri.Path)
		}
	}
	for route := range routeScopes {
		if !registered[route] {
			t.Errorf("routeScopes names %s, which server.go does not register", route)
		}
	}

	// A key with every scope but the one a route needs (all non-admin
	// scopes for admin routes), and one with exactly that scope.
	lacking, granting := map[string]string{}, map[string]string{}
	for _, scope := range append([]string{herald.ScopeAdmin}, nonAdminScopes...) {
		var others []string
		for _, s := range nonAdminScopes {
			if s != scope {
				others = append(others, s)
			}
		}
		lacking[scope] = e.newKey(t, others...)
		granting[scope] = e.newKey(t, scope)
	}

	for route, scope := range routeScopes {
		method, path, _ := strings.Cut(route, " ")
		path = strings.ReplaceAll(path, ":id", "x_missing")
		t.Run(route, func(t *testing.T) {
			if route == "POST /ingest/:id" {
				// No API key: the source's HMAC signature is the credential.
				wantProblem(t, e.do(t, method, path, "", `{}`), http.StatusUnauthorized)
				return
			}
			if scope == "" {
				wantStatus(t, e.do(t, method, path, "", ""), http.StatusOK)
				return
			}
			if scope == anyKey {
				wantProblem(t, e.do(t, method, path, "", ""), http.StatusUnauthorized)
				for _, key := range granting {
					wantStatus(t, e.do(t, method, path, key, ""), http.StatusOK)
				}
				return
			}
			r := e.do(t, method, path, "", "")
			wantProblem(t, r, http.StatusUnauthorized)
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a Bearer WWW-Authenticate challenge: %q", r.header.Get("WWW-Authenticate"))
			}
			wantProblem(t, e.do(t, method, path, "wrong", ""), http.StatusUnauthorized)
			wantProblem(t, e.do(t, method, path, lacking[scope], ""), http.StatusForbidden)
			for name, key := range map[string]string{"scoped key": granting[scope], "admin key": adminKey} {
				if r := e.do(t, method, path, key, ""); r.status == http.StatusUnauthorized || r.status == http.StatusForbidden {
					t.Errorf("%s with %s: status %d, want past auth; body %s", route, name, r.status, r.body)
				}
			}
		})
	}
}

func TestAuthorizationHeader(t *testing.T) {
	e := newEnv(t)
	viewKey := e.newKey(t, herald.ScopeViewLog)
	tests := []struct {
		name   string
		header string
		status int
	}{
		{"none", "", 401},
		{"unknown key", "Bearer wrong", 401},
		{"empty bearer", "Bearer ", 401},
		{"basic scheme", "Basic " + viewKey, 401},
		{"bare key", viewKey, 401},
		{"valid key", "Bearer " + viewKey, 200},
		{"admin key", "Bearer " + adminKey, 200},
		{"admin key prefix", "Bearer " + adminKey[:5], 401},
		{"lowercase scheme", "bearer " + viewKey, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", e.srv.URL+"/v1/event-types", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			r := e.request(t, req)
			if tc.status == http.StatusOK {
				wantStatus(t, r, http.StatusOK)
				return
			}
			wantProblem(t, r, tc.status)
		})
	}
}

func TestScopes(t *testing.T) {
	e := newEnv(t)
	view := e.newKey(t, herald.ScopeViewLog)
	pub := e.newKey(t, herald.ScopePublishEvent)
	manage := e.newKey(t, herald.ScopeManageWebhook)
	storedAdmin := e.newKey(t, herald.ScopeAdmin)
	event := `{"event": "user.created", "data": {"id": 1}}`
	tests := []struct {
		name         string
		key          string
		method, path string
		body         string
		status       int
	}{
		{"view:log creates webhook", view, "POST", "/v1/webhooks", hookBody(nil), 403},
		{"view:log reads event types", view, "GET", "/v1/event-types", "", 200},
		{"publish:event reads event types", pub, "GET", "/v1/event-types", "", 200},
		{"view:log publishes", view, "POST", "/v1/events", event, 403},
		{"publish:event publishes", pub, "POST", "/v1/events", event, 202},
		{"publish:event lists webhooks", pub, "GET", "/v1/webhooks", "", 403},
		{"manage:webhook creates webhook", manage, "POST", "/v1/webhooks", hookBody(nil), 201},
		{"manage:webhook creates key", manage, "POST", "/v1/api-keys", `{"name": "x", "scopes": ["admin"]}`, 403},
		{"manage:webhook lists keys", manage, "GET", "/v1/api-keys", "", 403},
		{"manage:webhook reads logs", manage, "GET", "/v1/logs/log_x", "", 403},
		{"admin creates webhook", adminKey, "POST", "/v1/webhooks", hookBody(nil), 201},
		{"admin publishes", adminKey, "POST", "/v1/events", event, 202},
		{"admin lists keys", adminKey, "GET", "/v1/api-keys", "", 200},
		{"admin lists events", adminKey, "GET", "/v1/events", "", 200},
		{"stored admin key creates webhook", storedAdmin, "POST", "/v1/webhooks", hookBody(nil), 201},
		{"stored admin key publishes", storedAdmin, "POST", "/v1/events", event, 202},
		{"stored admin key creates key", storedAdmin, "POST", "/v1/api-keys", `{"name": "x", "scopes": ["view:log"]}`, 201},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, tc.method, tc.path, tc.key, tc.body)
			if tc.status == http.StatusForbidden {
				wantProblem(t, r, http.StatusForbidden)
				return
			}
			wantStatus(t, r, tc.status)
		})
	}
}
