package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/api"
)

type keyJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Scopes    []string  `json:"scopes"`
	Key       string    `json:"key"`
	CreatedAt time.Time `json:"created_at"`
}

func TestAPIKeyLifecycle(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, "POST", "/v1/api-keys", adminKey, `{"name": "ci", "scopes": ["manage:webhook", "view:log"]}`)
	wantStatus(t, r, http.StatusCreated)
	k := decodeAs[keyJSON](t, r)
	if !strings.HasPrefix(k.ID, herald.PrefixKey) || k.Name != "ci" || k.Key == "" || k.CreatedAt.IsZero() ||
		strings.Join(k.Scopes, ",") != "manage:webhook,view:log" {
		t.Fatalf("created key = %s, want id key_..., name, scopes, key, created_at", r.body)
	}

	r = e.do(t, "GET", "/v1/api-keys", adminKey, "")
	wantStatus(t, r, http.StatusOK)
	list := decodeAs[listPage[map[string]any]](t, r)
	if len(list.Data) != 1 || list.Data[0]["id"] != k.ID {
		t.Fatalf("list = %s, want the one key", r.body)
	}
	for _, leak := range []string{`"key"`, `"hash"`, k.Key, api.HashKey(k.Key)} {
		if strings.Contains(string(r.body), leak) {
			t.Errorf("key list shows %s: %s", leak, r.body)
		}
	}

	wantStatus(t, e.do(t, "GET", "/v1/webhooks", k.Key, ""), http.StatusOK)
	wantProblem(t, e.do(t, "POST", "/v1/events", k.Key, `{"event": "user.created", "data": {}}`), http.StatusForbidden)

	wantStatus(t, e.do(t, "DELETE", "/v1/api-keys/"+k.ID, adminKey, ""), http.StatusNoContent)
	wantProblem(t, e.do(t, "GET", "/v1/webhooks", k.Key, ""), http.StatusUnauthorized)
	wantProblem(t, e.do(t, "DELETE", "/v1/api-keys/"+k.ID, adminKey, ""), http.StatusNotFound)
}

func TestCreateAPIKeyValidation(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		body   string
		status int
		fields []string
	}{
		{"unknown scope", `{"name": "x", "scopes": ["root"]}`, 422, []string{"scopes[0]"}},
		{"second scope unknown", `{"name": "x", "scopes": ["view:log", "write:all", "admin"]}`, 422, []string{"scopes[1]"}},
		{"scopes empty", `{"name": "x", "scopes": []}`, 422, []string{"scopes"}},
		{"scopes missing", `{"name": "x"}`, 422, []string{"scopes"}},
		{"name missing", `{"scopes": ["admin"]}`, 422, []string{"name"}},
		{"name empty and bad scope", `{"name": "", "scopes": ["nope"]}`, 422, []string{"name", "scopes[0]"}},
		{"scopes of the wrong type", `{"name": "x", "scopes": ["admin", 5, null]}`, 422, []string{"scopes[1]", "scopes[2]"}},
		{"name too long", `{"name": "` + strings.Repeat("n", 201) + `", "scopes": ["admin"]}`, 422, []string{"name"}},
		{"scopes wrong type", `{"name": "x", "scopes": "admin"}`, 422, []string{"scopes"}},
		{"unknown field", `{"name": "x", "scopes": ["admin"], "key": "mine"}`, 422, []string{"key"}},
		{"malformed", `{"name": `, 400, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantProblem(t, e.do(t, "POST", "/v1/api-keys", adminKey, tc.body), tc.status, tc.fields...)
		})
	}
	r := e.do(t, "GET", "/v1/api-keys", adminKey, "")
	if list := decodeAs[listPage[keyJSON]](t, r); len(list.Data) != 0 {
		t.Errorf("keys stored by rejected requests: %s", r.body)
	}
	// Names count characters, not bytes; a scope named twice is kept once.
	r = e.do(t, "POST", "/v1/api-keys", adminKey, `{"name": "`+strings.Repeat("é", 200)+`", "scopes": ["view:log", "view:log"]}`)
	wantStatus(t, r, http.StatusCreated)
	if k := decodeAs[keyJSON](t, r); strings.Join(k.Scopes, ",") != "view:log" {
		t.Errorf("scopes %q, want [view:log]", k.Scopes)
	}
}
