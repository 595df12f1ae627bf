package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/api"
	"github.com/heraldhub/herald/metrics"
	"github.com/heraldhub/herald/signature"
	"github.com/heraldhub/herald/store"
)

// openAPIDoc decodes the embedded OpenAPI document.
func openAPIDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatalf("api/openapi.json is not valid JSON: %v", err)
	}
	return doc
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// docPath turns a gin route into its OpenAPI path: /v1/logs/:id is /v1/logs/{id}.
func docPath(route string) string { return ginParam.ReplaceAllString(route, "{$1}") }

// operations returns the document's operations keyed "METHOD /path".
func operations(doc map[string]any) map[string]map[string]any {
	ops := map[string]map[string]any{}
	paths, _ := doc["paths"].(map[string]any)
	for path, item := range paths {
		item, _ := item.(map[string]any)
		for _, m := range []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"} {
			if op, ok := item[m].(map[string]any); ok {
				ops[strings.ToUpper(m)+" "+path] = op
			}
		}
	}
	return ops
}

func TestOpenAPIDocument(t *testing.T) {
	doc := openAPIDoc(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	for _, key := range []string{"info", "servers", "paths", "components"} {
		if doc[key] == nil {
			t.Errorf("the document has no %q", key)
		}
	}
}

func TestOpenAPICoversEveryRoute(t *testing.T) {
	engine := api.Engine(api.New(api.Deps{Metrics: metrics.New()}))
	ops := operations(openAPIDoc(t))
	routes := engine.Routes()
	if len(routes) < 20 {
		t.Fatalf("only %d routes registered; the router looks wrong", len(routes))
	}
	for _, ri := range routes {
		if ri.Path == "/openapi.json" {
			continue
		}
		if _, ok := ops[ri.Method+" "+docPath(ri.Path)]; !ok {
			t.Errorf("route %s %s is not in api/openapi.json (as %s %s)", ri.Method, ri.Path, strings.ToLower(ri.Method), docPath(ri.Path))
		}
	}
}

// scopeOf returns the one bearer scope an operation declares ("" for none).
func scopeOf(op map[string]any) (string, error) {
	reqs, _ := op["security"].([]any)
	if len(reqs) == 0 {
		return "", nil
	}
	req, _ := reqs[0].(map[string]any)
	scopes, _ := req["bearer"].([]any)
	if _, bearer := req["bearer"]; len(reqs) == 1 && len(req) == 1 && bearer && len(scopes) == 0 {
		return anyKey, nil
	}
	if len(reqs) != 1 || len(req) != 1 || len(scopes) != 1 {
		return "", fmt.Errorf("security = %v, want [{bearer: [<scope>]}] or [{bearer: []}] for any key", reqs)
	}
	s, _ := scopes[0].(string)
	return s, nil
}

func TestOpenAPIV1OperationsDeclareScope(t *testing.T) {
	doc := openAPIDoc(t)
	if _, ok := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)["bearer"]; !ok {
		t.Fatal("components.securitySchemes has no bearer scheme")
	}
	known := []string{herald.ScopeAdmin, herald.ScopeManageWebhook, herald.ScopePublishEvent, herald.ScopeViewLog}
	for key, op := range operations(doc) {
		scope, err := scopeOf(op)
		_, path, _ := strings.Cut(key, " ")
		switch {
		case err != nil:
			t.Errorf("%s: %v", key, err)
		case strings.HasPrefix(path, "/v1/") && !slices.Contains(known, scope) && scope != anyKey:
			t.Errorf("%s declares scope %q, want one of %q", key, scope, known)
		case !strings.HasPrefix(path, "/v1/") && scope != "":
			t.Errorf("%s declares scope %q, but only /v1 needs a key", key, scope)
		}
	}
	// The scopes must be the ones the router enforces (auth_test.go).
	ops := operations(doc)
	for route, want := range routeScopes {
		method, path, _ := strings.Cut(route, " ")
		if op, ok := ops[method+" "+docPath(path)]; ok {
			if got, _ := scopeOf(op); got != want {
				t.Errorf("%s: the document says scope %q, the router enforces %q", route, got, want)
			}
		}
	}
}

// resolveRef follows a local reference into components.
func resolveRef(doc map[string]any, ref string) (any, bool) {
	ptr, ok := strings.CutPrefix(ref, "#/components/")
	if !ok {
		return nil, false
	}
	var cur any = doc["components"]
	for _, tok := range strings.Split(ptr, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func TestOpenAPIRefsResolve(t *testing.T) {
	doc := openAPIDoc(t)
	count := 0
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				ref, isRef := e.(string)
				if k == "$ref" || (isRef && strings.HasSuffix(at, "/discriminator/mapping")) {
					count++
					if _, ok := resolveRef(doc, ref); !isRef || !ok {
						t.Errorf("%s: $ref %v does not resolve to a component", at, e)
					}
					continue
				}
				walk(e, at+"/"+k)
			}
		case []any:
			for i, e := range v {
				walk(e, fmt.Sprintf("%s/%d", at, i))
			}
		}
	}
	walk(doc, "#")
	if count < 50 {
		t.Errorf("only %d references found; the walk looks wrong", count)
	}
}

// checkShape reports where value, a decoded response, has a key its
// schema does not declare or lacks a key the schema requires. Objects
// without declared properties (free-form ones) are not checked.
func checkShape(t *testing.T, doc, schema map[string]any, value any, at string) {
	t.Helper()
	props, required := map[string]any{}, []string{}
	var flatten func(s map[string]any)
	flatten = func(s map[string]any) {
		if ref, ok := s["$ref"].(string); ok {
			target, _ := resolveRef(doc, ref)
			m, _ := target.(map[string]any)
			flatten(m)
		}
		for _, sub := range asSlice(s["allOf"]) {
			sub, _ := sub.(map[string]any)
			flatten(sub)
		}
		for k, p := range asMap(s["properties"]) {
			props[k] = p
		}
		for _, r := range asSlice(s["required"]) {
			required = append(required, r.(string))
		}
		if items, ok := s["items"].(map[string]any); ok {
			props["[]"] = items
		}
	}
	flatten(schema)
	switch v := value.(type) {
	case map[string]any:
		for _, r := range required {
			if _, ok := v[r]; !ok {
				t.Errorf("%s: response lacks the required %q", at, r)
			}
		}
		if len(props) == 0 {
			return
		}
		for k, e := range v {
			p, ok := props[k].(map[string]any)
			if !ok {
				t.Errorf("%s: response has %q, which the schema does not declare", at, k)
				continue
			}
			checkShape(t, doc, p, e, at+"."+k)
		}
	case []any:
		for i, e := range v {
			if items, ok := props["[]"].(map[string]any); ok {
				checkShape(t, doc, items, e, fmt.Sprintf("%s[%d]", at, i))
			}
		}
	}
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
func asSlice(v any) []any        { s, _ := v.([]any); return s }

// fakeRedeliverer starts nothing and names the workflow it would start.
type fakeRedeliverer struct{}

func (fakeRedeliverer) Redeliver(_ context.Context, d *herald.Delivery) (string, error) {
	return "redeliver/" + d.ID, nil
}

// TestOpenAPISchemasMatchResponses checks real responses against the
// document's schemas, so a field added to or dropped from a response
// without the document changing fails here.
func TestOpenAPISchemasMatchResponses(t *testing.T) {
	doc := openAPIDoc(t)
	e := newEnv(t, func(d *api.Deps) {
		d.Deliveries = d.Events.(api.DeliveryStore)
		d.Redeliverer = fakeRedeliverer{}
	})
	hook := e.do(t, "POST", "/v1/webhooks", adminKey, `{"url": "https://example.com/h", "events": ["*"]}`)
	wantStatus(t, hook, http.StatusCreated)
	hookID := decodeAs[webhookJSON](t, hook).ID
	published := e.do(t, "POST", "/v1/events", adminKey, `{"event": "user.created", "data": {"id": 1}}`)
	wantStatus(t, published, http.StatusAccepted)

	// An event with a failed delivery, written to the store directly.
	now := time.Now().UTC()
	ev := &herald.Event{ID: herald.NewID(herald.PrefixEvent), Name: "user.created", Created: now,
		Data: json.RawMessage(`{"id": 2}`), Changes: json.RawMessage(`[]`), TraceID: "t", WorkflowID: "w"}
	del := &herald.Delivery{ID: herald.NewID(herald.PrefixDelivery), EventID: ev.ID, TargetType: herald.TargetWebhook,
		TargetID: hookID, Status: herald.StatusFailed, Attempts: 1, CreatedAt: now, UpdatedAt: now}
	if _, _, err := e.db.CreateEvent(context.Background(), store.CreateEventRequest{Event: ev, Deliveries: []*herald.Delivery{del}}); err != nil {
		t.Fatalf("create event: %v", err)
	}

	source := e.do(t, "POST", "/v1/sources", adminKey, `{"name": "perscom", "secret": "0123456789abcdef"}`)
	body := `{"event": "user.created", "created": "2026-05-17T21:04:05Z", "data": {"id": 3}, "changes": []}`
	req, _ := http.NewRequest("POST", e.srv.URL+"/ingest/"+decodeAs[webhookJSON](t, source).ID, strings.NewReader(body))
	req.Header.Set("Signature", signature.Perscom("0123456789abcdef", []byte(body)))
	ingest := e.request(t, req)

	tests := []struct {
		schema string
		r      response
	}{
		{"Health", e.do(t, "GET", "/healthz", "", "")},
		{"Readiness", e.do(t, "GET", "/readyz", "", "")},
		{"WebhookWithSecret", hook},
		{"Webhook", e.do(t, "GET", "/v1/webhooks/"+hookID, adminKey, "")},
		{"WebhookList", e.do(t, "GET", "/v1/webhooks", adminKey, "")},
		{"WebhookSecret", e.do(t, "GET", "/v1/webhooks/"+hookID+"/secret", adminKey, "")},
		{"WebhookWithSecret", e.do(t, "POST", "/v1/webhooks/"+hookID+"/rotate-secret", adminKey, "")},
		{"LogEntry", e.do(t, "POST", "/v1/webhooks/"+hookID+"/test", adminKey, "")},
		{"LogEntryList", e.do(t, "GET", "/v1/webhooks/"+hookID+"/logs", adminKey, "")},
		{"Connector", e.do(t, "POST", "/v1/connectors", adminKey,
			`{"kind": "slack", "name": "x", "events": ["*"], "config": {"webhook_url": "https://hooks.slack.com/services/T/B/X"}}`)},
		{"ConnectorList", e.do(t, "GET", "/v1/connectors", adminKey, "")},
		{"EventAccepted", published},
		{"EventDetail", e.do(t, "GET", "/v1/events/"+ev.ID, adminKey, "")},
		{"EventList", e.do(t, "GET", "/v1/events", adminKey, "")},
		{"EventTypeList", e.do(t, "GET", "/v1/event-types", adminKey, "")},
		{"Redelivery", e.do(t, "POST", "/v1/deliveries/"+del.ID+"/retry", adminKey, "")},
		{"RecoverResult", e.do(t, "POST", "/v1/webhooks/"+hookID+"/recover", adminKey, `{"since": "2000-01-01T00:00:00Z"}`)},
		{"SourceCreated", source},
		{"EventAccepted", ingest},
		{"APIKeyCreated", e.do(t, "POST", "/v1/api-keys", adminKey, `{"name": "k", "scopes": ["view:log"]}`)},
		{"APIKeyList", e.do(t, "GET", "/v1/api-keys", adminKey, "")},
		{"Problem", e.do(t, "POST", "/v1/webhooks", adminKey, `{"url": "ftp://x", "events": []}`)},
	}
	schemas := asMap(asMap(doc["components"])["schemas"])
	for _, tc := range tests {
		schema, ok := schemas[tc.schema].(map[string]any)
		if !ok {
			t.Errorf("components.schemas has no %s", tc.schema)
			continue
		}
		if tc.r.status >= 300 && tc.schema != "Problem" {
			t.Errorf("%s: status %d, body %s", tc.schema, tc.r.status, tc.r.body)
			continue
		}
		var v any
		if err := json.Unmarshal(tc.r.body, &v); err != nil {
			t.Errorf("%s: %v", tc.schema, err)
			continue
		}
		checkShape(t, doc, schema, v, tc.schema)
	}
}
