package storetest

import (
	"testing"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

// testTargetsVersion checks that every change to what an event matches
// moves TargetsVersion, and that delivery bookkeeping does not.
func testTargetsVersion(t *testing.T, s store.Store) {
	ctx := t.Context()
	last := func() int64 {
		t.Helper()
		v, err := s.TargetsVersion(ctx)
		must(t, err)
		return v
	}
	prev := last()
	step := func(what string, moves bool, f func()) {
		t.Helper()
		f()
		v := last()
		switch {
		case moves && v == prev:
			t.Errorf("%s: TargetsVersion stayed %d", what, v)
		case !moves && v != prev:
			t.Errorf("%s: TargetsVersion moved from %d to %d", what, prev, v)
		}
		prev = v
	}

	w := newWebhook()
	step("create webhook", true, func() { must(t, s.CreateWebhook(ctx, w)) })
	step("change webhook events", true, func() {
		w.Events = []string{"user.*"}
		must(t, s.UpdateWebhook(ctx, w))
	})
	step("change webhook retry", true, func() {
		w.Retry.MaxAttempts = 3
		must(t, s.UpdateWebhook(ctx, w))
	})
	step("disable webhook", true, func() { must(t, s.DisableWebhook(ctx, w.ID, "test")) })
	step("re-enable webhook", true, func() {
		fresh, err := s.GetWebhook(ctx, w.ID) // w is from before the disable
		must(t, err)
		fresh.Enabled = true
		must(t, s.UpdateWebhook(ctx, fresh))
	})
	step("count a webhook failure", false, func() {
		_, err := s.RecordWebhookResult(ctx, w.ID, false, 0)
		must(t, err)
	})
	step("disable webhook at the failure threshold", true, func() {
		disabled, err := s.RecordWebhookResult(ctx, w.ID, false, 2)
		must(t, err)
		if !disabled {
			t.Fatal("second failure with threshold 2 did not disable")
		}
	})
	step("publish an event", false, func() {
		_, _, err := s.CreateEvent(ctx, store.CreateEventRequest{Event: &herald.Event{Name: "user.created", Data: []byte(`{}`)}})
		must(t, err)
	})
	step("delete webhook", true, func() { must(t, s.DeleteWebhook(ctx, w.ID)) })

	c := newConnector("ops")
	step("create connector", true, func() { must(t, s.CreateConnector(ctx, c)) })
	step("disable connector", true, func() { must(t, s.DisableConnector(ctx, c.ID, "test")) })
	step("count a connector failure", false, func() {
		_, err := s.RecordConnectorResult(ctx, c.ID, false, 0)
		must(t, err)
	})
	step("delete connector", true, func() { must(t, s.DeleteConnector(ctx, c.ID)) })
}
