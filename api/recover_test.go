package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/api"
)

// failedDeliveries has n failed deliveries for any target.
type failedDeliveries struct{ n int }

func (f failedDeliveries) GetDelivery(context.Context, string) (*herald.Delivery, error) {
	return nil, herald.Errorf(herald.ENotFound, "delivery not found")
}

func (f failedDeliveries) ListFailedDeliveries(_ context.Context, _, target string, _ time.Time, limit int) ([]*herald.Delivery, error) {
	var ds []*herald.Delivery
	for i := range min(f.n, limit) {
		ds = append(ds, &herald.Delivery{ID: fmt.Sprintf("dlv_%04d", i), TargetType: herald.TargetWebhook, TargetID: target, Status: herald.StatusFailed})
	}
	return ds, nil
}

// flakyRedeliverer starts redeliveries until its failAt-th call (1-based;
// 0: never fails), which fails as Temporal being unreachable does.
type flakyRedeliverer struct{ calls, failAt int }

func (r *flakyRedeliverer) Redeliver(_ context.Context, d *herald.Delivery) (string, error) {
	r.calls++
	if r.calls == r.failAt {
		return "", fmt.Errorf("start workflow: %w", errors.New("connection refused"))
	}
	return "redeliver/" + d.ID, nil
}

type recoverJSON struct {
	Data []struct {
		DeliveryID string `json:"delivery_id"`
	} `json:"data"`
	Skipped int    `json:"skipped"`
	More    bool   `json:"more"`
	Stopped string `json:"stopped"`
}

func TestRecoverSaysWhenMoreAreLeft(t *testing.T) {
	for _, tc := range []struct {
		name       string
		failed     int
		failAt     int
		wantStatus int
		started    int
		more       bool
	}{
		{"all of them", 999, 0, http.StatusAccepted, 999, false},
		{"a full page may leave more", 1500, 0, http.StatusAccepted, 1000, true},
		{"stopped partway", 5, 3, http.StatusAccepted, 2, true},
		{"nothing started", 5, 1, http.StatusInternalServerError, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			red := &flakyRedeliverer{failAt: tc.failAt}
			e := newEnv(t, func(d *api.Deps) {
				d.Deliveries, d.Redeliverer = failedDeliveries{tc.failed}, red
			})
			w := e.createWebhook(t, hookBody(nil))
			r := e.do(t, "POST", "/v1/webhooks/"+w.ID+"/recover", adminKey, `{"since":"2026-01-01T00:00:00Z"}`)
			if tc.wantStatus != http.StatusAccepted {
				wantProblem(t, r, tc.wantStatus)
				return
			}
			wantStatus(t, r, http.StatusAccepted)
			got := decodeAs[recoverJSON](t, r)
			if len(got.Data) != tc.started || got.More != tc.more {
				t.Errorf("started %d, more=%v; want %d, %v", len(got.Data), got.More, tc.started, tc.more)
			}
			if tc.failAt > 0 && got.Stopped == "" {
				t.Error("a call that stopped early does not say why")
			}
		})
	}
}

// A disabled webhook's redeliveries would all stop at once: recover says
// so instead of reporting them started.
func TestRecoverDisabledWebhookIsConflict(t *testing.T) {
	red := &flakyRedeliverer{}
	e := newEnv(t, func(d *api.Deps) { d.Deliveries, d.Redeliverer = failedDeliveries{3}, red })
	w := e.createWebhook(t, hookBody(map[string]any{"enabled": false}))
	r := e.do(t, "POST", "/v1/webhooks/"+w.ID+"/recover", adminKey, `{"since":"2026-01-01T00:00:00Z"}`)
	wantProblem(t, r, http.StatusConflict)
	if red.calls != 0 {
		t.Errorf("%d redeliveries started for a disabled webhook", red.calls)
	}
}

// recover's since must be an RFC 3339 time within years 1 to 9999 in UTC.
func TestRecoverRefusesBadSince(t *testing.T) {
	red := &flakyRedeliverer{}
	e := newEnv(t, func(d *api.Deps) { d.Deliveries, d.Redeliverer = failedDeliveries{3}, red })
	w := e.createWebhook(t, hookBody(nil))
	for _, body := range []string{`{}`, `{"since": "yesterday"}`, `{"since": "9999-12-31T23:30:00-02:00"}`} {
		r := e.do(t, "POST", "/v1/webhooks/"+w.ID+"/recover", adminKey, body)
		wantProblem(t, r, http.StatusUnprocessableEntity, "since")
	}
	if red.calls != 0 {
		t.Errorf("%d redeliveries started with a bad since", red.calls)
	}
}
