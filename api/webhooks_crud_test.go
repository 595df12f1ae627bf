package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald"
)

func TestWebhookCreateDefaults(t *testing.T) {
	e := newEnv(t)
	w := e.createWebhook(t, hookBody(nil))
	if !strings.HasPrefix(w.ID, herald.PrefixWebhook) {
		t.Errorf("id = %q, want prefix wh_", w.ID)
	}
	if !strings.HasPrefix(w.Secret, "whsec_") || len(w.Secret) < 16+len("whsec_") {
		t.Errorf("generated secret = %q, want whsec_...", w.Secret)
	}
	if w.Method != "POST" || !w.Enabled || w.TimeoutSeconds != 10 || w.Retry != herald.DefaultRetry || w.Headers == nil {
		t.Errorf("defaults = %+v, want POST, enabled, 10 s, default retry, headers {}", w)
	}

	given := e.createWebhook(t, hookBody(map[string]any{"secret": "my-own-secret-0123456789", "method": "get"}))
	if given.Secret != "my-own-secret-0123456789" {
		t.Errorf("secret = %q, want the one given", given.Secret)
	}
	if given.Method != "GET" {
		t.Errorf(`method "get" became %q, want GET`, given.Method)
	}
}

func TestWebhookSecretOnlyRevealedOnRequest(t *testing.T) {
	e := newEnv(t)
	w := e.createWebhook(t, hookBody(nil))
	for _, path := range []string{"/v1/webhooks/" + w.ID, "/v1/webhooks"} {
		r := e.do(t, "GET", path, adminKey, "")
		wantStatus(t, r, http.StatusOK)
		if strings.Contains(string(r.body), `"secret"`) || strings.Contains(string(r.body), w.Secret) {
			t.Errorf("GET %s shows the secret: %s", path, r.body)
		}
	}
	r := e.do(t, "GET", "/v1/webhooks/"+w.ID+"/secret", adminKey, "")
	wantStatus(t, r, http.StatusOK)
	if got := decodeAs[map[string]string](t, r)["secret"]; got != w.Secret {
		t.Errorf("revealed secret = %q, want %q", got, w.Secret)
	}
}

func TestWebhookPatch(t *testing.T) {
	e := newEnv(t)
	w := e.createWebhook(t, hookBody(map[string]any{"events": []any{"user.created", "rankrecord.*"}, "headers": map[string]any{"X-Team": "ops"}}))
	path := "/v1/webhooks/" + w.ID

	r := e.do(t, "PATCH", path, adminKey, `{"description": "ops pager"}`)
	wantStatus(t, r, http.StatusOK)
	got := decodeAs[webhookJSON](t, e.do(t, "GET", path, adminKey, ""))
	if got.Description != "ops pager" || got.URL != w.URL || strings.Join(got.Events, ",") != "user.created,rankrecord.*" ||
		got.Headers["X-Team"] != "ops" || got.Method != "POST" {
		t.Errorf("after PATCH description: %+v; want only description changed", got)
	}

	r = e.do(t, "PATCH", path, adminKey, `{"retry": {"max_attempts": 5}}`)
	wantStatus(t, r, http.StatusOK)
	want := herald.DefaultRetry
	want.MaxAttempts = 5
	if got := decodeAs[webhookJSON](t, r); got.Retry != want {
		t.Errorf("retry after partial PATCH = %+v, want %+v", got.Retry, want)
	}

	before := e.do(t, "GET", path, adminKey, "")
	bad := []struct {
		name   string
		body   string
		fields []string
	}{
		{"bad url and events", `{"url": "ftp://x", "events": ["nope"], "description": "changed"}`, []string{"url", "events[0]"}},
		{"empty events", `{"events": []}`, []string{"events"}},
		{"timeout 61", `{"timeout_seconds": 61}`, []string{"timeout_seconds"}},
		{"interval below initial", `{"retry": {"max_interval_seconds": 1}}`, []string{"retry.max_interval_seconds"}},
		{"unknown field", `{"enabeld": false}`, []string{"enabeld"}},
		// null does not clear a field: it would answer 200 and keep it.
		{"nulls", `{"headers": null, "description": null, "retry": null, "enabled": null}`,
			[]string{"headers", "description", "retry", "enabled"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			wantProblem(t, e.do(t, "PATCH", path, adminKey, tc.body), http.StatusUnprocessableEntity, tc.fields...)
			after := e.do(t, "GET", path, adminKey, "")
			if string(after.body) != string(before.body) {
				t.Errorf("stored webhook changed by a rejected PATCH:\nbefore %s\nafter  %s", before.body, after.body)
			}
		})
	}
	t.Run("empty PATCH body", func(t *testing.T) {
		wantProblem(t, e.do(t, "PATCH", path, adminKey, ""), http.StatusBadRequest)
	})
}

func TestWebhookDeleteAndUnknownIDs(t *testing.T) {
	e := newEnv(t)
	w := e.createWebhook(t, hookBody(nil))
	path := "/v1/webhooks/" + w.ID
	wantStatus(t, e.do(t, "DELETE", path, adminKey, ""), http.StatusNoContent)

	for _, id := range []string{w.ID, "wh_missing"} {
		tests := []struct{ method, path, body string }{
			{"GET", "/v1/webhooks/" + id, ""},
			{"PATCH", "/v1/webhooks/" + id, `{"description": "x"}`},
			{"DELETE", "/v1/webhooks/" + id, ""},
			{"GET", "/v1/webhooks/" + id + "/secret", ""},
			{"POST", "/v1/webhooks/" + id + "/test", ""},
			{"GET", "/v1/webhooks/" + id + "/logs", ""},
		}
		for _, tc := range tests {
			t.Run(tc.method+" "+tc.path, func(t *testing.T) {
				wantProblem(t, e.do(t, tc.method, tc.path, adminKey, tc.body), http.StatusNotFound)
			})
		}
	}
}

func TestWebhookTestSend(t *testing.T) {
	e := newEnv(t)
	w := e.createWebhook(t, hookBody(nil))
	path := "/v1/webhooks/" + w.ID + "/test"

	r := e.send(t, "POST", path, adminKey, "", "")
	wantStatus(t, r, http.StatusOK)
	entry := decodeAs[herald.LogEntry](t, r)
	if entry.Event != "webhook.test" || entry.TargetID != w.ID || entry.Request.Body == "" {
		t.Errorf("test log entry = %+v, want webhook.test to %s with the example data", entry, w.ID)
	}
	r = e.do(t, "POST", path, adminKey, `{"event": "user.created", "data": {"id": 7}}`)
	wantStatus(t, r, http.StatusOK)
	if entry := decodeAs[herald.LogEntry](t, r); entry.Request.Body != `{"id": 7}` {
		t.Errorf("test body = %q, want the given data", entry.Request.Body)
	}
	wantProblem(t, e.do(t, "POST", path, adminKey, `{"event": "nope.created"}`), http.StatusUnprocessableEntity, "event")
	t.Run("data sent as given", func(t *testing.T) {
		data := `{"name":"Jane <Doe>","n":12345678901234567890}`
		r := e.do(t, "POST", path, adminKey, `{"data": `+data+`}`)
		wantStatus(t, r, http.StatusOK)
		if entry := decodeAs[herald.LogEntry](t, r); entry.Request.Body != data {
			t.Errorf("test body = %s, want %s", entry.Request.Body, data)
		}
	})
	wantProblem(t, e.do(t, "POST", path, adminKey, `{"data": [1]}`), http.StatusUnprocessableEntity, "data")
}

func TestWebhookPagination(t *testing.T) {
	e := newEnv(t)
	created := map[string]bool{}
	for i := range 5 {
		w := e.createWebhook(t, hookBody(map[string]any{"description": fmt.Sprint("hook ", i)}))
		created[w.ID] = true
	}

	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		path := "/v1/webhooks?limit=2"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		r := e.do(t, "GET", path, adminKey, "")
		wantStatus(t, r, http.StatusOK)
		page := decodeAs[listPage[webhookJSON]](t, r)
		pages++
		for _, w := range page.Data {
			if seen[w.ID] {
				t.Errorf("webhook %s listed twice", w.ID)
			}
			seen[w.ID] = true
		}
		if wantLen := []int{2, 2, 1}[min(pages, 3)-1]; len(page.Data) != wantLen {
			t.Errorf("page %d has %d items, want %d", pages, len(page.Data), wantLen)
		}
		if page.NextCursor == nil || pages > 5 {
			if !strings.Contains(string(r.body), `"next_cursor":null`) {
				t.Errorf("last page next_cursor is not null: %s", r.body)
			}
			break
		}
		cursor = *page.NextCursor
	}
	if pages != 3 || len(seen) != 5 {
		t.Errorf("got %d pages and %d webhooks, want 3 and 5", pages, len(seen))
	}
	for id := range created {
		if !seen[id] {
			t.Errorf("webhook %s never listed", id)
		}
	}

	bad := []struct {
		query string
		field string
	}{
		{"limit=0", "limit"},
		{"limit=201", "limit"},
		{"limit=abc", "limit"},
		{"limit=-1", "limit"},
		{"limit=", "limit"},
		{"cursor=" + strings.Repeat("a", 600), "cursor"},
		{"cursor=" + url.QueryEscape("not a cursor!"), "cursor"},
	}
	for _, tc := range bad {
		t.Run(tc.query+" "+tc.field, func(t *testing.T) {
			r := e.do(t, "GET", "/v1/webhooks?"+tc.query, adminKey, "")
			if tc.field == "" {
				wantProblem(t, r, http.StatusUnprocessableEntity)
				return
			}
			wantProblem(t, r, http.StatusUnprocessableEntity, tc.field)
		})
	}
	r := e.do(t, "GET", "/v1/webhooks?limit=200", adminKey, "")
	wantStatus(t, r, http.StatusOK)
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(r.body, &raw)
	if string(raw["next_cursor"]) != "null" {
		t.Errorf("single page next_cursor = %s, want null", raw["next_cursor"])
	}
}

func TestRotateSecretValidation(t *testing.T) {
	e := newEnv(t)
	w := e.createWebhook(t, hookBody(nil))
	path := "/v1/webhooks/" + w.ID
	for _, bad := range []string{`{"secret": "short"}`, `{"secret": "whsec_not-base64-at-all!"}`, `{"secret": 42}`} {
		wantProblem(t, e.do(t, "POST", path+"/rotate-secret", adminKey, bad), http.StatusUnprocessableEntity, "secret")
	}
	r := e.do(t, "GET", path+"/secret", adminKey, "")
	if got := decodeAs[map[string]string](t, r)["secret"]; got != w.Secret {
		t.Errorf("secret after refused rotations = %q, want the first %q", got, w.Secret)
	}
	const next = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	r = e.do(t, "POST", path+"/rotate-secret", adminKey, `{"secret": "`+next+`"}`)
	wantStatus(t, r, http.StatusOK)
	if got := decodeAs[webhookJSON](t, r).Secret; got != next {
		t.Errorf("rotated secret = %q, want %q", got, next)
	}
}

// A second rotation while the replaced secret still signs would cut that
// secret off at once: it is refused, and allowed again once the overlap
// is over.
func TestRotateSecretOneAtATime(t *testing.T) {
	e := newEnv(t)
	w := e.createWebhook(t, hookBody(nil))
	path := "/v1/webhooks/" + w.ID + "/rotate-secret"
	r := e.do(t, "POST", path, adminKey, "")
	wantStatus(t, r, http.StatusOK)
	first := decodeAs[webhookJSON](t, r).Secret

	wantProblem(t, e.do(t, "POST", path, adminKey, ""), http.StatusConflict)
	stored, err := e.db.GetWebhook(t.Context(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Secret != first || stored.PreviousSecret != w.Secret {
		t.Fatalf("after the refused rotation: current is first rotation's=%v, previous is the original=%v",
			stored.Secret == first, stored.PreviousSecret == w.Secret)
	}

	// Once the original secret has stopped signing, rotating works again.
	past := time.Now().Add(-time.Minute)
	stored.PreviousSecretExpiresAt = &past
	if err := e.db.UpdateWebhook(t.Context(), stored); err != nil {
		t.Fatal(err)
	}
	r = e.do(t, "POST", path, adminKey, "")
	wantStatus(t, r, http.StatusOK)
	if stored, _ = e.db.GetWebhook(t.Context(), w.ID); stored.PreviousSecret != first {
		t.Error("the second rotation did not keep the first rotation's secret as the previous one")
	}
}

// PATCH secret replaces the secret at once, as the 409 of a second
// rotation says: the secret the last rotation replaced (leaked, say) stops
// signing too, and rotating is allowed again.
func TestPatchSecretEndsARotationsOverlap(t *testing.T) {
	e := newEnv(t)
	w := e.createWebhook(t, hookBody(nil))
	r := e.do(t, "POST", "/v1/webhooks/"+w.ID+"/rotate-secret", adminKey, "")
	wantStatus(t, r, http.StatusOK)
	// A client that sends every field back, the current secret among
	// them, ends no overlap.
	rotated := decodeAs[webhookJSON](t, r).Secret
	wantStatus(t, e.do(t, "PATCH", "/v1/webhooks/"+w.ID, adminKey, `{"secret": "`+rotated+`"}`), http.StatusOK)
	if stored, err := e.db.GetWebhook(t.Context(), w.ID); err != nil || len(stored.SigningSecrets(time.Now())) != 2 {
		t.Fatalf("after PATCH of the current secret: %v; want both secrets still signing", err)
	}
	const next = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	wantStatus(t, e.do(t, "PATCH", "/v1/webhooks/"+w.ID, adminKey, `{"secret": "`+next+`"}`), http.StatusOK)
	stored, err := e.db.GetWebhook(t.Context(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := stored.SigningSecrets(time.Now()); len(got) != 1 || got[0] != next {
		t.Errorf("after PATCH secret, %d secrets sign (the PATCHed one among them: %v); want only it", len(got), slices.Contains(got, next))
	}
	wantStatus(t, e.do(t, "POST", "/v1/webhooks/"+w.ID+"/rotate-secret", adminKey, ""), http.StatusOK)
}

// Rotating to the current secret is refused: it would change nothing but
// start an overlap that refuses every real rotation for 24 hours.
func TestRotateToTheCurrentSecretIsRefused(t *testing.T) {
	e := newEnv(t)
	w := e.createWebhook(t, hookBody(nil))
	body := `{"secret": "` + w.Secret + `"}`
	wantProblem(t, e.do(t, "POST", "/v1/webhooks/"+w.ID+"/rotate-secret", adminKey, body), http.StatusUnprocessableEntity, "secret")
	wantStatus(t, e.do(t, "POST", "/v1/webhooks/"+w.ID+"/rotate-secret", adminKey, ""), http.StatusOK)
}
