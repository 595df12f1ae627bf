package api_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/api"
	"github.com/heraldhub/herald/store/sqlite"
)

// idRecorder is the real store, noting every ID it is asked to look up.
type idRecorder struct {
	*sqlite.DB
	mu  sync.Mutex
	ids []string
}

func (r *idRecorder) note(id string) {
	r.mu.Lock()
	r.ids = append(r.ids, id)
	r.mu.Unlock()
}

func (r *idRecorder) GetWebhook(ctx context.Context, id string) (*herald.Webhook, error) {
	r.note(id)
	return r.DB.GetWebhook(ctx, id)
}

func (r *idRecorder) GetSource(ctx context.Context, id string) (*herald.Source, error) {
	r.note(id)
	return r.DB.GetSource(ctx, id)
}

// Path IDs that are not valid text (PostgreSQL refuses invalid UTF-8 and
// NUL) reach the store as text that names nothing, and get the answer of
// an unknown ID.
func TestPathIDsReachTheStoreAsText(t *testing.T) {
	rec := &idRecorder{}
	e := newEnv(t, func(d *api.Deps) {
		rec.DB = d.Webhooks.(*sqlite.DB)
		d.Webhooks, d.Sources = rec, rec
	})
	for _, path := range []string{"/v1/webhooks/%FF", "/v1/webhooks/wh_%00x"} {
		wantProblem(t, e.do(t, "GET", path, adminKey, ""), http.StatusNotFound)
	}
	r := e.send(t, "POST", "/ingest/%FFsrc", "", "application/json", `{"event":"user.created","data":{}}`)
	wantProblem(t, r, http.StatusUnauthorized)
	if len(rec.ids) != 3 {
		t.Fatalf("store saw %d lookups (%q), want 3", len(rec.ids), rec.ids)
	}
	for _, id := range rec.ids {
		if !utf8.ValidString(id) || strings.ContainsRune(id, 0) {
			t.Errorf("store was asked for %q, not valid text", id)
		}
	}
}

func TestCursorOfInvalidText(t *testing.T) {
	e := newEnv(t)
	for _, raw := range []string{"\xff\xfe", "wh_\x00"} {
		cursor := base64.RawURLEncoding.EncodeToString([]byte(raw))
		wantProblem(t, e.do(t, "GET", "/v1/webhooks?cursor="+cursor, adminKey, ""), http.StatusUnprocessableEntity, "cursor")
	}
}

// A NUL in any text field of a body is that field's error, not a store
// failure (PostgreSQL) or a stored value (SQLite).
func TestNULInTextFields(t *testing.T) {
	e := newEnv(t)
	w := e.createWebhook(t, hookBody(nil))
	for _, tc := range []struct {
		method, path, body, field string
	}{
		{"POST", "/v1/webhooks", hookBody(map[string]any{"description": "a\x00b"}), "description"},
		{"POST", "/v1/webhooks", hookBody(map[string]any{"headers": map[string]any{"X-Team": "a\x00"}}), "headers.X-Team"},
		{"PATCH", "/v1/webhooks/" + w.ID, `{"description":"\u0000"}`, "description"},
		{"POST", "/v1/events", `{"id":"perscom-\u0000","event":"user.created","data":{}}`, "id"},
		{"POST", "/v1/api-keys", `{"name":"ops\u0000","scopes":["view:log"]}`, "name"},
	} {
		r := e.do(t, tc.method, tc.path, adminKey, tc.body)
		wantProblem(t, r, http.StatusUnprocessableEntity, tc.field)
	}
	// Event data is kept as the publisher wrote it, escapes included.
	r := e.do(t, "POST", "/v1/events", adminKey, `{"event":"user.created","data":{"note":"a\u0000b"}}`)
	wantStatus(t, r, http.StatusAccepted)
}

// Text that decoding would not keep as sent (bytes that are not UTF-8, a
// \u escape of half a surrogate pair) is its field's error. Decoded, it
// would become U+FFFD: two different idempotency ids would name one event,
// and a secret would sign with a key its owner never set.
func TestTextThatIsNotUTF8(t *testing.T) {
	e := newEnv(t)
	w := e.createWebhook(t, hookBody(nil))
	secret := `"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"`
	for _, tc := range []struct {
		method, path, body, field string
	}{
		{"POST", "/v1/events", "{\"id\":\"order-\xff\",\"event\":\"user.created\",\"data\":{}}", "id"},
		{"POST", "/v1/events", `{"id":"order-\udbff","event":"user.created","data":{}}`, "id"},
		{"POST", "/v1/events", `{"id":"order-\udc00x","event":"user.created","data":{}}`, "id"},
		{"POST", "/v1/webhooks", "{\"url\":\"https://example.com/hook\",\"events\":[\"*\"],\"secret\":\"\xff\xfe0123456789abcdef\"}", "secret"},
		{"PATCH", "/v1/webhooks/" + w.ID, "{\"description\":\"caf\xe9\"}", "description"},
		{"PATCH", "/v1/webhooks/" + w.ID, "{\"headers\":{\"X-Team\":\"\xc3\"}}", "headers"},
		{"PATCH", "/v1/webhooks/" + w.ID, "{\"events\":[\"user.*\",\"\xff\"]}", "events"},
		{"POST", "/v1/api-keys", `{"name":"ops\ud800","scopes":["view:log"]}`, "name"},
		{"POST", "/v1/connectors", "{\"name\":\"ops\",\"kind\":\"slack\",\"events\":[\"*\"],\"config\":{\"token\":\"" + slackToken + "\",\"channel\":\"#ops-\xff\"}}", "config.channel"},
	} {
		r := e.do(t, tc.method, tc.path, adminKey, tc.body)
		wantProblem(t, r, http.StatusUnprocessableEntity, tc.field)
	}
	got := e.do(t, "GET", "/v1/webhooks/"+w.ID, adminKey, "")
	wantStatus(t, got, http.StatusOK)
	if after := decodeAs[webhookJSON](t, got); after.Description != w.Description || len(after.Headers) != len(w.Headers) || !slices.Equal(after.Events, w.Events) {
		t.Errorf("a refused PATCH changed the webhook: %+v, was %+v", after, w)
	}
	// Nothing was stored under the mangled id: a valid id that decodes to
	// what it would have become is a new event.
	r := e.do(t, "POST", "/v1/events", adminKey, `{"id":"order-\ufffd","event":"user.created","data":{}}`)
	wantStatus(t, r, http.StatusAccepted)
	// A whole surrogate pair, escaped, is text like any other.
	r = e.do(t, "POST", "/v1/webhooks", adminKey, `{"url":"https://example.com/hook","events":["*"],"description":"\ud83d\ude80","secret":`+secret+`}`)
	wantStatus(t, r, http.StatusCreated)
}

// A query string Go's parser cannot read whole is refused: the bad pair
// would otherwise be dropped, and a cursor or filter with it.
func TestMalformedQueryStringIsRefused(t *testing.T) {
	e := newEnv(t)
	w := e.createWebhook(t, `{"url":"https://example.com/hook","events":["*"]}`)
	for _, path := range []string{
		"/v1/webhooks?cursor=%zz",
		"/v1/webhooks?limit=%zz",
		"/v1/webhooks/" + w.ID + "/logs?status=%zz",
		"/v1/webhooks/" + w.ID + "/logs?since=%zz&status=failure",
		"/v1/events?limit=1;since=x",
	} {
		r := e.do(t, "GET", path, adminKey, "")
		wantProblem(t, r, http.StatusBadRequest)
		if !strings.Contains(string(r.body), "malformed query string") {
			t.Errorf("GET %s: %s", path, r.body)
		}
	}
	wantStatus(t, e.do(t, "GET", "/v1/webhooks?limit=1&cursor=", adminKey, ""), http.StatusOK)
}
