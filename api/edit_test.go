package api_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/api"
	"github.com/heraldhub/herald/store/sqlite"
)

// racingStore is the real store with a delivery worker's disable landing
// right after each of the next `races` reads of a webhook or connector:
// between an edit's read and its write.
type racingStore struct {
	*sqlite.DB
	mu    sync.Mutex
	races int
}

func (r *racingStore) race(ctx context.Context, disable func(context.Context, string, string) error, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.races == 0 {
		return nil
	}
	r.races--
	return disable(ctx, id, "receiver answered 410 Gone")
}

func (r *racingStore) GetWebhook(ctx context.Context, id string) (*herald.Webhook, error) {
	w, err := r.DB.GetWebhook(ctx, id)
	if err == nil {
		err = r.race(ctx, r.DisableWebhook, id)
	}
	return w, err
}

func (r *racingStore) GetConnector(ctx context.Context, id string) (*herald.Connector, error) {
	c, err := r.DB.GetConnector(ctx, id)
	if err == nil {
		err = r.race(ctx, r.DisableConnector, id)
	}
	return c, err
}

func newRacingEnv(t *testing.T) (*testEnv, *racingStore) {
	rs := &racingStore{}
	e := newEnv(t, func(d *api.Deps) {
		rs.DB = d.Webhooks.(*sqlite.DB)
		d.Webhooks, d.Connectors = rs, rs
	})
	return e, rs
}

func (r *racingStore) set(n int) {
	r.mu.Lock()
	r.races = n
	r.mu.Unlock()
}

// A PATCH whose webhook is disabled between its read and its write is
// applied to the disabled webhook: the edit lands and the disable stays.
func TestPatchWebhookKeepsConcurrentDisable(t *testing.T) {
	e, rs := newRacingEnv(t)
	w := e.createWebhook(t, hookBody(nil))

	rs.set(1)
	r := e.do(t, "PATCH", "/v1/webhooks/"+w.ID, adminKey, `{"description":"edited"}`)
	wantStatus(t, r, http.StatusOK)
	got := decodeAs[webhookJSON](t, r)
	stored, err := e.db.GetWebhook(t.Context(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Enabled || stored.Enabled || stored.Description != "edited" || stored.DisabledReason == nil {
		t.Errorf("response enabled=%v; stored enabled=%v description=%q reason=%v: want the edit on a disabled webhook",
			got.Enabled, stored.Enabled, stored.Description, stored.DisabledReason)
	}

	// Enabling it is the admin's decision and wins over a disable that
	// raced with it.
	rs.set(1)
	r = e.do(t, "PATCH", "/v1/webhooks/"+w.ID, adminKey, `{"enabled":true}`)
	wantStatus(t, r, http.StatusOK)
	if stored, _ = e.db.GetWebhook(t.Context(), w.ID); !stored.Enabled || stored.DisabledReason != nil {
		t.Errorf("after PATCH enabled: enabled=%v reason=%v", stored.Enabled, stored.DisabledReason)
	}
}

// A webhook that changes under every try gets a 409 and no write.
func TestPatchWebhookConflictAfterRetries(t *testing.T) {
	e, rs := newRacingEnv(t)
	w := e.createWebhook(t, hookBody(nil))
	rs.set(100)
	r := e.do(t, "PATCH", "/v1/webhooks/"+w.ID, adminKey, `{"description":"edited"}`)
	wantProblem(t, r, http.StatusConflict)
	rs.set(0)
	stored, err := e.db.GetWebhook(t.Context(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Description == "edited" {
		t.Error("the refused PATCH was written")
	}
}

// Rotating a secret races the same way: the rotation lands, the webhook
// stays disabled, and the old secret is kept as the previous one.
func TestRotateSecretKeepsConcurrentDisable(t *testing.T) {
	e, rs := newRacingEnv(t)
	w := e.createWebhook(t, hookBody(nil))
	rs.set(1)
	r := e.do(t, "POST", "/v1/webhooks/"+w.ID+"/rotate-secret", adminKey, "")
	wantStatus(t, r, http.StatusOK)
	rotated := decodeAs[webhookJSON](t, r)
	stored, err := e.db.GetWebhook(t.Context(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Enabled || stored.Secret != rotated.Secret || stored.Secret == w.Secret || stored.PreviousSecret != w.Secret {
		t.Errorf("after rotation: enabled=%v, secret changed=%v, previous is the old one=%v",
			stored.Enabled, stored.Secret != w.Secret, stored.PreviousSecret == w.Secret)
	}
}

func TestPatchConnectorKeepsConcurrentDisable(t *testing.T) {
	e, rs := newRacingEnv(t)
	c := e.createConnector(t, connectorBody(nil))
	rs.set(1)
	r := e.do(t, "PATCH", "/v1/connectors/"+c.ID, adminKey, `{"name":"renamed"}`)
	wantStatus(t, r, http.StatusOK)
	stored := e.storedConnector(t, c.ID)
	if stored.Enabled || stored.Name != "renamed" {
		t.Errorf("stored enabled=%v name=%q, want the rename on a disabled connector", stored.Enabled, stored.Name)
	}
	rs.set(100)
	r = e.do(t, "PATCH", "/v1/connectors/"+c.ID, adminKey, `{"name":"again"}`)
	wantProblem(t, r, http.StatusConflict)
}
