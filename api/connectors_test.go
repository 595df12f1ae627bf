package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/api"
)

// Connector configs used below, with the secret part of each.
const (
	slackHookURL     = "https://hooks.slack.com/services/T000/B000/slackhooksecret"
	slackHookSecret  = "slackhooksecret"
	slackToken       = "xoxb-1234-slacktokensecret"
	slackTokenSecret = "slacktokensecret"
	discordHookURL   = "https://discord.com/api/webhooks/123456/discordtokensecret"
	discordSecret    = "discordtokensecret"
	telegramToken    = "123456:telegramtokensecret"
	telegramSecret   = "telegramtokensecret"
)

// connectorBody is a valid Slack create body with over applied on top
// (omit removes a key).
func connectorBody(over map[string]any) string {
	m := map[string]any{
		"kind": "slack", "name": "Ops chat", "events": []any{"rankrecord.*"},
		"config": map[string]any{"webhook_url": slackHookURL},
	}
	for k, v := range over {
		if v == omit {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// connectorJSON is a connector as the API shows it.
type connectorJSON struct {
	ID             string            `json:"id"`
	Kind           string            `json:"kind"`
	Name           string            `json:"name"`
	Events         []string          `json:"events"`
	Enabled        bool              `json:"enabled"`
	Config         map[string]any    `json:"config"`
	Templates      map[string]string `json:"templates"`
	DisabledReason *string           `json:"disabled_reason"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
}

// createConnector creates a connector with the admin key and returns it.
func (e *testEnv) createConnector(t *testing.T, body string) connectorJSON {
	t.Helper()
	r := e.do(t, "POST", "/v1/connectors", adminKey, body)
	wantStatus(t, r, http.StatusCreated)
	return decodeAs[connectorJSON](t, r)
}

// storedConnector reads a connector straight from the store.
func (e *testEnv) storedConnector(t *testing.T, id string) *herald.Connector {
	t.Helper()
	c, err := e.db.GetConnector(context.Background(), id)
	if err != nil {
		t.Fatalf("store GetConnector(%s): %v", id, err)
	}
	return c
}

func TestCreateConnectorValidation(t *testing.T) {
	manyTemplates := map[string]any{}
	for i := range 51 {
		manyTemplates[fmt.Sprintf("rankrecord%d.created", i)] = "{{.Event}}"
	}
	tests := []struct {
		name   string
		body   string
		status int
		fields []string
	}{
		{name: "kind, name, events and config missing", body: `{}`, status: 422, fields: []string{"kind", "name", "events", "config"}},
		{name: "unknown kind", body: connectorBody(map[string]any{"kind": "teams"}), status: 422, fields: []string{"kind"}},
		{name: "name empty", body: connectorBody(map[string]any{"name": ""}), status: 422, fields: []string{"name"}},
		{name: "name of 201 chars", body: connectorBody(map[string]any{"name": strings.Repeat("n", 201)}), status: 422, fields: []string{"name"}},
		{name: "name of 200 chars", body: connectorBody(map[string]any{"name": strings.Repeat("n", 200)}), status: 201},
		{name: "events empty", body: connectorBody(map[string]any{"events": []any{}}), status: 422, fields: []string{"events"}},
		{name: "events not in catalog", body: connectorBody(map[string]any{"events": []any{"bogus.*"}}), status: 422, fields: []string{"events[0]"}},
		{name: "config a string", body: connectorBody(map[string]any{"config": "https://hooks.slack.com/x"}), status: 422, fields: []string{"config"}},
		{name: "config an array", body: connectorBody(map[string]any{"config": []any{}}), status: 422, fields: []string{"config"}},
		{name: "config null", body: connectorBody(map[string]any{"config": nil}), status: 422, fields: []string{"config"}},
		{name: "slack without webhook_url or token", body: connectorBody(map[string]any{"config": map[string]any{}}), status: 422, fields: []string{"config.webhook_url"}},
		{name: "slack token without channel", body: connectorBody(map[string]any{"config": map[string]any{"token": slackToken}}), status: 422, fields: []string{"config.channel"}},
		{name: "slack unknown config field", body: connectorBody(map[string]any{"config": map[string]any{"webhook_url": slackHookURL, "colour": "red"}}), status: 422, fields: []string{"config.colour"}},
		{name: "discord URL not a Discord webhook", body: connectorBody(map[string]any{"kind": "discord", "config": map[string]any{"webhook_url": "https://example.com/hooks/1"}}), status: 422, fields: []string{"config.webhook_url"}},
		{name: "telegram token without colon", body: connectorBody(map[string]any{"kind": "telegram", "config": map[string]any{"token": "123456telegram", "chat_id": "-100123"}}), status: 422, fields: []string{"config.token"}},
		{name: "telegram chat_id missing", body: connectorBody(map[string]any{"kind": "telegram", "config": map[string]any{"token": telegramToken}}), status: 422, fields: []string{"config.chat_id"}},
		{name: "template does not parse", body: connectorBody(map[string]any{"templates": map[string]any{"rankrecord.created": "{{ .Data.x "}}), status: 422, fields: []string{`templates["rankrecord.created"]`}},
		{name: "template for an unknown event", body: connectorBody(map[string]any{"templates": map[string]any{"nope.created": "hi"}}), status: 422, fields: []string{`templates["nope.created"]`}},
		{name: "template over 4096 bytes", body: connectorBody(map[string]any{"templates": map[string]any{"rankrecord.created": strings.Repeat("x", 4097)}}), status: 422, fields: []string{`templates["rankrecord.created"]`}},
		{name: "template of 4096 bytes", body: connectorBody(map[string]any{"templates": map[string]any{"rankrecord.created": strings.Repeat("x", 4096)}}), status: 201},
		{name: "more than 50 templates", body: connectorBody(map[string]any{"templates": manyTemplates}), status: 422, fields: []string{"templates"}},
		{name: "template not a string", body: connectorBody(map[string]any{"templates": map[string]any{"rankrecord.created": 5}}), status: 422, fields: []string{`templates["rankrecord.created"]`}},
		{name: "unknown top-level field", body: connectorBody(map[string]any{"colour": "red"}), status: 422, fields: []string{"colour"}},
		{name: "several fields bad at once", body: connectorBody(map[string]any{
			"name": "", "events": []any{"bogus.*"}, "config": map[string]any{"token": slackToken}, "templates": map[string]any{"nope.created": "hi"},
		}), status: 422, fields: []string{"name", "events[0]", "config.channel", `templates["nope.created"]`}},
		{name: "config field twice", body: `{"name": "ops", "kind": "slack", "events": ["*"], "config": {"token": "` + slackToken + `", "channel": "#ops", "channel": "#exec"}}`, status: 422, fields: []string{"config.channel"}},
		{name: "config field twice, once escaped", body: `{"name": "ops", "kind": "slack", "events": ["*"], "config": {"webhook_url": "` + slackHookURL + `", "webhook\u005furl": "https://hooks.slack.com/services/T1/B1/other"}}`, status: 422, fields: []string{"config.webhook_url"}},
		{name: "config text with half a surrogate pair", body: `{"name": "ops", "kind": "slack", "events": ["*"], "config": {"token": "` + slackToken + `", "channel": "#ops\udc00"}}`, status: 422, fields: []string{"config.channel"}},
		{name: "config missing with a valid kind", body: connectorBody(map[string]any{"config": omit}), status: 422, fields: []string{"config"}},
		{name: "slack webhook_url on a private address", body: connectorBody(map[string]any{"config": map[string]any{"webhook_url": "https://blocked.example/services/T/B/X"}}), status: 422, fields: []string{"config.webhook_url"}},
	}
	e := newEnv(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, "POST", "/v1/connectors", adminKey, tc.body)
			if tc.status == http.StatusCreated {
				wantStatus(t, r, http.StatusCreated)
				e.do(t, "DELETE", "/v1/connectors/"+decodeAs[connectorJSON](t, r).ID, adminKey, "")
				return
			}
			wantProblem(t, r, tc.status, tc.fields...)
		})
	}
	t.Run("nothing was stored", func(t *testing.T) {
		r := e.do(t, "GET", "/v1/connectors", adminKey, "")
		wantStatus(t, r, http.StatusOK)
		if list := decodeAs[listPage[connectorJSON]](t, r); len(list.Data) != 0 {
			t.Errorf("list = %d connectors after failed creates, want 0: %s", len(list.Data), r.body)
		}
	})
}

// With private targets allowed (herald dev), a Slack webhook_url may point
// anywhere, as a webhook's URL may.
func TestConnectorPrivateURLAllowed(t *testing.T) {
	e := newEnv(t, func(d *api.Deps) { d.AllowPrivateTargets = true })
	r := e.do(t, "POST", "/v1/connectors", adminKey, connectorBody(map[string]any{"config": map[string]any{"webhook_url": "https://blocked.example/services/T/B/X"}}))
	wantStatus(t, r, http.StatusCreated)
}

func TestConnectorConfigMasked(t *testing.T) {
	tests := []struct {
		kind       string
		config     map[string]any
		secret     string
		wantConfig map[string]any
	}{
		{"slack", map[string]any{"webhook_url": slackHookURL}, slackHookSecret,
			map[string]any{"webhook_url": "https://hooks.slack.com/services/****"}},
		{"slack", map[string]any{"token": slackToken, "channel": "C0123"}, slackTokenSecret,
			map[string]any{"token": "xoxb-****", "channel": "C0123"}},
		{"discord", map[string]any{"webhook_url": discordHookURL}, discordSecret,
			map[string]any{"webhook_url": "https://discord.com/api/webhooks/123456/****"}},
		{"telegram", map[string]any{"token": telegramToken, "chat_id": "-100123", "message_thread_id": 7}, telegramSecret,
			map[string]any{"token": "123456:****", "chat_id": "-100123", "message_thread_id": float64(7)}},
	}
	e := newEnv(t)
	for _, tc := range tests {
		t.Run(tc.kind+" "+tc.secret, func(t *testing.T) {
			r := e.do(t, "POST", "/v1/connectors", adminKey, connectorBody(map[string]any{"kind": tc.kind, "config": tc.config}))
			wantStatus(t, r, http.StatusCreated)
			c := decodeAs[connectorJSON](t, r)
			if !strings.HasPrefix(c.ID, herald.PrefixConnector) || c.Kind != tc.kind || c.Name != "Ops chat" || !c.Enabled ||
				strings.Join(c.Events, ",") != "rankrecord.*" || c.Templates == nil || c.CreatedAt.IsZero() {
				t.Errorf("created = %+v, want con_ id, kind %s, name, events, enabled, templates {}", c, tc.kind)
			}
			for _, path := range []string{"/v1/connectors/" + c.ID, "/v1/connectors"} {
				got := e.do(t, "GET", path, adminKey, "")
				wantStatus(t, got, http.StatusOK)
				if bytes.Contains(got.body, []byte(tc.secret)) {
					t.Errorf("GET %s shows the secret: %s", path, got.body)
				}
			}
			for name, res := range map[string]response{"POST": r, "GET": e.do(t, "GET", "/v1/connectors/"+c.ID, adminKey, "")} {
				if bytes.Contains(res.body, []byte(tc.secret)) {
					t.Errorf("%s body shows the secret: %s", name, res.body)
				}
				got := decodeAs[connectorJSON](t, res).Config
				if !equalJSON(got, tc.wantConfig) {
					t.Errorf("%s config = %v, want %v", name, got, tc.wantConfig)
				}
			}
			stored := e.storedConnector(t, c.ID)
			if !bytes.Contains(stored.Config, []byte(tc.secret)) {
				t.Errorf("stored config %s lost the secret", stored.Config)
			}
		})
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func TestConnectorPatch(t *testing.T) {
	e := newEnv(t)
	c := e.createConnector(t, connectorBody(map[string]any{"templates": map[string]any{"rankrecord.created": "{{.Event}}"}}))
	path := "/v1/connectors/" + c.ID
	before := e.storedConnector(t, c.ID)

	t.Run("name only keeps config", func(t *testing.T) {
		r := e.do(t, "PATCH", path, adminKey, `{"name": "Ops room"}`)
		wantStatus(t, r, http.StatusOK)
		got := decodeAs[connectorJSON](t, e.do(t, "GET", path, adminKey, ""))
		if got.Name != "Ops room" || got.Kind != "slack" || strings.Join(got.Events, ",") != "rankrecord.*" ||
			got.Templates["rankrecord.created"] != "{{.Event}}" || !equalJSON(got.Config, c.Config) {
			t.Errorf("after PATCH name: %+v; want only name changed", got)
		}
		if after := e.storedConnector(t, c.ID); !bytes.Equal(after.Config, before.Config) {
			t.Errorf("stored config after PATCH name = %s, want %s", after.Config, before.Config)
		}
	})

	bad := []struct {
		name   string
		body   string
		fields []string
	}{
		{"bad new config", `{"config": {"webhook_url": "ftp://x"}}`, []string{"config.webhook_url"}},
		{"config not an object", `{"config": "x"}`, []string{"config"}},
		{"kind changed, slack config kept", `{"kind": "telegram"}`, []string{"config.token", "config.chat_id", "config.webhook_url"}},
		{"unknown kind", `{"kind": "teams"}`, []string{"kind"}},
		{"empty name and bad template", `{"name": "", "templates": {"nope.created": "x"}}`, []string{"name", `templates["nope.created"]`}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			wantProblem(t, e.do(t, "PATCH", path, adminKey, tc.body), 422, tc.fields...)
			after := e.storedConnector(t, c.ID)
			if after.Kind != "slack" || after.Name != "Ops room" || !bytes.Equal(after.Config, before.Config) {
				t.Errorf("failed PATCH changed the connector: kind %s name %s config %s", after.Kind, after.Name, after.Config)
			}
		})
	}

	t.Run("new config validated and stored", func(t *testing.T) {
		r := e.do(t, "PATCH", path, adminKey, `{"config": {"token": "`+slackToken+`", "channel": "C0999"}}`)
		wantStatus(t, r, http.StatusOK)
		if bytes.Contains(r.body, []byte(slackTokenSecret)) {
			t.Errorf("PATCH response shows the token: %s", r.body)
		}
		if got := decodeAs[connectorJSON](t, r).Config; !equalJSON(got, map[string]any{"channel": "C0999", "token": "xoxb-****"}) {
			t.Errorf("config = %v, want masked token and channel C0999", got)
		}
		var stored map[string]string
		if err := json.Unmarshal(e.storedConnector(t, c.ID).Config, &stored); err != nil || stored["token"] != slackToken || stored["channel"] != "C0999" {
			t.Errorf("stored config = %v (%v), want the new token and channel", stored, err)
		}
	})

	t.Run("kind and config changed together", func(t *testing.T) {
		r := e.do(t, "PATCH", path, adminKey, `{"kind": "telegram", "config": {"token": "`+telegramToken+`", "chat_id": -100123}}`)
		wantStatus(t, r, http.StatusOK)
		got := decodeAs[connectorJSON](t, r)
		if got.Kind != "telegram" || got.Config["token"] != "123456:****" {
			t.Errorf("after kind change: %+v", got)
		}
	})

	t.Run("unknown id", func(t *testing.T) {
		wantProblem(t, e.do(t, "PATCH", "/v1/connectors/con_nope", adminKey, `{"name": "x"}`), 404)
	})
}

func TestConnectorDelete(t *testing.T) {
	e := newEnv(t)
	c := e.createConnector(t, connectorBody(nil))
	path := "/v1/connectors/" + c.ID
	wantStatus(t, e.do(t, "DELETE", path, adminKey, ""), http.StatusNoContent)
	wantProblem(t, e.do(t, "GET", path, adminKey, ""), 404)
	wantProblem(t, e.do(t, "DELETE", path, adminKey, ""), 404)
}

func TestConnectorLogs(t *testing.T) {
	e := newEnv(t)
	c := e.createConnector(t, connectorBody(nil))
	r := e.do(t, "GET", "/v1/connectors/"+c.ID+"/logs", adminKey, "")
	wantStatus(t, r, http.StatusOK)
	if got := decodeAs[listPage[json.RawMessage]](t, r); got.Data == nil || len(got.Data) != 0 || got.NextCursor != nil {
		t.Errorf("logs = %s, want an empty list with next_cursor null", r.body)
	}
	wantProblem(t, e.do(t, "GET", "/v1/connectors/con_nope/logs", adminKey, ""), 404)
}

func TestConnectorTest(t *testing.T) {
	e := newEnv(t)
	c := e.createConnector(t, connectorBody(nil))

	r := e.do(t, "POST", "/v1/connectors/"+c.ID+"/test", adminKey, "")
	wantStatus(t, r, http.StatusOK)
	entry := decodeAs[herald.LogEntry](t, r)
	calls := e.conTest.tests()
	if len(calls) != 1 {
		t.Fatalf("tester called %d times, want 1", len(calls))
	}
	if calls[0].connector.ID != c.ID || calls[0].event != "webhook.test" || !bytes.Equal(calls[0].connector.Config, e.storedConnector(t, c.ID).Config) {
		t.Errorf("tester got connector %s, event %q, config %s; want %s, webhook.test, the stored config",
			calls[0].connector.ID, calls[0].event, calls[0].connector.Config, c.ID)
	}
	if entry.TargetType != herald.TargetConnector || entry.TargetID != c.ID || entry.Event != "webhook.test" ||
		entry.Response == nil || entry.Response.Status != http.StatusOK || entry.Request.Body != string(calls[0].data) {
		t.Errorf("entry = %+v, want the tester's entry", entry)
	}

	r = e.do(t, "POST", "/v1/connectors/"+c.ID+"/test", adminKey, `{"event": "rankrecord.created", "data": {"id": 9}}`)
	wantStatus(t, r, http.StatusOK)
	if calls := e.conTest.tests(); len(calls) != 2 || calls[1].event != "rankrecord.created" || string(calls[1].data) != `{"id": 9}` {
		t.Errorf("second test call = %+v, want rankrecord.created with the data given", calls[len(calls)-1])
	}

	wantProblem(t, e.do(t, "POST", "/v1/connectors/"+c.ID+"/test", adminKey, `{"event": "nope.created"}`), 422, "event")
	wantProblem(t, e.do(t, "POST", "/v1/connectors/con_nope/test", adminKey, ""), 404)
	if n := len(e.conTest.tests()); n != 2 {
		t.Errorf("tester called %d times, want 2 (not for bad requests)", n)
	}
}

func TestConnectorListPages(t *testing.T) {
	e := newEnv(t)
	want := map[string]bool{}
	for i := range 5 {
		c := e.createConnector(t, connectorBody(map[string]any{"name": fmt.Sprintf("chat %d", i)}))
		want[c.ID] = true
	}
	seen := map[string]bool{}
	var sizes []int
	path := "/v1/connectors?limit=2"
	for range 5 {
		r := e.do(t, "GET", path, adminKey, "")
		wantStatus(t, r, http.StatusOK)
		if bytes.Contains(r.body, []byte(slackHookSecret)) {
			t.Errorf("list shows the webhook secret: %s", r.body)
		}
		p := decodeAs[listPage[connectorJSON]](t, r)
		sizes = append(sizes, len(p.Data))
		for _, c := range p.Data {
			if seen[c.ID] {
				t.Errorf("connector %s listed twice", c.ID)
			}
			seen[c.ID] = true
		}
		if p.NextCursor == nil {
			break
		}
		path = "/v1/connectors?limit=2&cursor=" + *p.NextCursor
	}
	if fmt.Sprint(sizes) != "[2 2 1]" {
		t.Errorf("page sizes = %v, want [2 2 1]", sizes)
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("connector %s never listed", id)
		}
	}
	wantProblem(t, e.do(t, "GET", "/v1/connectors?limit=0", adminKey, ""), 422, "limit")
}

func TestConnectorScopes(t *testing.T) {
	e := newEnv(t)
	c := e.createConnector(t, connectorBody(nil))
	viewer := e.newKey(t, "view:log")
	wantProblem(t, e.do(t, "GET", "/v1/connectors", viewer, ""), 403)
	wantProblem(t, e.do(t, "POST", "/v1/connectors", viewer, connectorBody(nil)), 403)
	wantStatus(t, e.do(t, "GET", "/v1/connectors/"+c.ID+"/logs", viewer, ""), http.StatusOK)
	wantProblem(t, e.do(t, "GET", "/v1/connectors", "", ""), 401)
}
