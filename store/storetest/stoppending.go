package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

// testDisablingStopsPending checks that every way of disabling or
// deleting a target marks its pending deliveries failed, and nothing else:
// its finished deliveries, ones created after the disabling write (not so
// after a delete: a deleted target is not enabled again), other targets'
// deliveries and other writes are left alone.
func testDisablingStopsPending(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, tc := range []struct {
		name      string
		connector bool
		disable   func(t *testing.T, id string) // deletes it when the name starts with Delete
	}{
		{"DisableWebhook", false, func(t *testing.T, id string) { must(t, s.DisableWebhook(ctx, id, "receiver answered 410 Gone")) }},
		{"UpdateWebhook enabled=false", false, func(t *testing.T, id string) {
			w, err := s.GetWebhook(ctx, id)
			must(t, err)
			w.Enabled = false
			must(t, s.UpdateWebhook(ctx, w))
		}},
		{"RecordWebhookResult at the threshold", false, func(t *testing.T, id string) {
			if disabled, err := s.RecordWebhookResult(ctx, id, false, 1); err != nil || !disabled {
				t.Fatalf("RecordWebhookResult = %v, %v; want it to disable", disabled, err)
			}
		}},
		{"CountDeliveryFailure at the threshold", false, func(t *testing.T, id string) { countToDisable(t, s, id) }},
		{"CountDeliveryFailure of a connector at the threshold", true, func(t *testing.T, id string) { countToDisable(t, s, id) }},
		{"DisableConnector", true, func(t *testing.T, id string) { must(t, s.DisableConnector(ctx, id, "channel archived")) }},
		{"UpdateConnector enabled=false", true, func(t *testing.T, id string) {
			c, err := s.GetConnector(ctx, id)
			must(t, err)
			c.Enabled = false
			must(t, s.UpdateConnector(ctx, c))
		}},
		{"RecordConnectorResult at the threshold", true, func(t *testing.T, id string) {
			if disabled, err := s.RecordConnectorResult(ctx, id, false, 1); err != nil || !disabled {
				t.Fatalf("RecordConnectorResult = %v, %v; want it to disable", disabled, err)
			}
		}},
		{"DeleteWebhook", false, func(t *testing.T, id string) { must(t, s.DeleteWebhook(ctx, id)) }},
		{"DeleteConnector", true, func(t *testing.T, id string) { must(t, s.DeleteConnector(ctx, id)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var id, other, what string
			if tc.connector {
				a, b := newConnector("a"), newConnector("b")
				must(t, s.CreateConnector(ctx, a))
				must(t, s.CreateConnector(ctx, b))
				id, other, what = a.ID, b.ID, herald.TargetConnector
			} else {
				id, other, what = createWebhook(t, s, newWebhook()).ID, createWebhook(t, s, newWebhook()).ID, herald.TargetWebhook
			}
			_, pending := createEvent(t, s, newEvent("user.created", t0, id, other))
			_, done := createEvent(t, s, newEvent("user.created", t0, id))
			// Published after the disabling write (the target enabled
			// again by then): not the disabling's to stop.
			_, later := createEvent(t, s, newEvent("user.created", time.Now().Add(time.Hour), id))
			must(t, s.RecordAttempt(ctx, done[0].ID, store.AttemptRecord{Status: herald.StatusSucceeded}))

			// An edit that keeps the target enabled stops nothing.
			if tc.connector {
				c, err := s.GetConnector(ctx, id)
				must(t, err)
				c.Name = "renamed"
				must(t, s.UpdateConnector(ctx, c))
			} else {
				w, err := s.GetWebhook(ctx, id)
				must(t, err)
				w.Description = "edited"
				must(t, s.UpdateWebhook(ctx, w))
			}
			status := func(d *herald.Delivery) *herald.Delivery {
				got, err := s.GetDelivery(ctx, d.ID)
				must(t, err)
				return got
			}
			if got := status(pending[0]); got.Status != herald.StatusPending {
				t.Fatalf("an edit stopped a pending delivery: %s", got.Status)
			}

			tc.disable(t, id)
			want := what + " was disabled"
			deleted := strings.HasPrefix(tc.name, "Delete")
			if deleted {
				want = what + " was deleted"
			}
			stopped := status(pending[0])
			if stopped.Status != herald.StatusFailed || stopped.LastError == nil || *stopped.LastError != want {
				t.Errorf("pending delivery after %s: %s, %v; want failed, %q", tc.name, stopped.Status, stopped.LastError, want)
			}
			if got := status(pending[1]); got.Status != herald.StatusPending {
				t.Errorf("another target's pending delivery became %s", got.Status)
			}
			if got := status(done[0]); got.Status != herald.StatusSucceeded {
				t.Errorf("a finished delivery became %s", got.Status)
			}
			// A deleted target cannot be enabled again: every pending
			// delivery to it stops.
			if got := status(later[0]); deleted != (got.Status == herald.StatusFailed) {
				t.Errorf("a delivery created after the %s write became %s", tc.name, got.Status)
			}
		})
	}
}

// countToDisable fails a new delivery to target id and counts it with a
// threshold of 1, which must disable the target.
func countToDisable(t *testing.T, s store.Store, id string) {
	t.Helper()
	_, ds := createEvent(t, s, newEvent("user.created", t0, id))
	must(t, s.RecordAttempt(t.Context(), ds[0].ID, store.AttemptRecord{Status: herald.StatusFailed, Error: strp("HTTP 500")}))
	if disabled, err := s.CountDeliveryFailure(t.Context(), ds[0].ID, 0, 1); err != nil || !disabled {
		t.Fatalf("CountDeliveryFailure = %v, %v; want it to disable", disabled, err)
	}
}
