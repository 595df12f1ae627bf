package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

// acceptAll is a webhook store that keeps nothing; the fuzz target only
// checks how the handler answers.
type acceptAll struct{}

func (acceptAll) CreateWebhook(context.Context, *herald.Webhook) error { return nil }
func (acceptAll) GetWebhook(context.Context, string) (*herald.Webhook, error) {
	return &herald.Webhook{ID: "wh_x", Method: "POST", Events: []string{"*"}, TimeoutSeconds: 10, Retry: herald.DefaultRetry}, nil
}
func (acceptAll) ListWebhooks(context.Context, store.Page) ([]*herald.Webhook, string, error) {
	return nil, "", nil
}
func (acceptAll) UpdateWebhook(context.Context, *herald.Webhook) error { return nil }
func (acceptAll) DeleteWebhook(context.Context, string) error          { return nil }

// FuzzWebhookBody sends arbitrary bodies to create and patch: the answer is
// always 2xx, 400, 413, 415 or a 422 problem whose entries name fields,
// never a 500 or a panic.
func FuzzWebhookBody(f *testing.F) {
	for _, seed := range []string{
		`{"url":"https://a.example/x","events":["user.created"]}`,
		`{"url":5,"events":[1,"*"],"retry":{"max_attempts":"x"}}`,
		`{"headers":{"X-A":"b","x-a":"c"},"timeout_seconds":0}`,
		`{"retry":null,"events":null}`, `[]`, `null`, `{`, `{"a":{"b":{}}}`,
	} {
		f.Add([]byte(seed))
	}
	h := New(Deps{Webhooks: acceptAll{}, AdminKey: "k", AllowPrivateTargets: true})
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, method := range []string{"POST /v1/webhooks", "PATCH /v1/webhooks/wh_x"} {
			m, path, _ := bytes.Cut([]byte(method), []byte(" "))
			req := httptest.NewRequest(string(m), string(path), bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer k")
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			switch rec.Code {
			case http.StatusOK, http.StatusCreated, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
			case http.StatusUnprocessableEntity:
				var p problem
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || len(p.Errors) == 0 {
					t.Fatalf("%s: 422 without field errors: %s", method, rec.Body)
				}
			default:
				t.Fatalf("%s %q: status %d: %s", method, body, rec.Code, rec.Body)
			}
		}
	})
}
