package storetest

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

// testCancelledWrites checks the store's promise about cancellation: a
// write whose ctx is cancelled while it runs either lands and reports
// success, or reports failure and leaves nothing behind. A failure for a
// write that landed would have the API answer an error for a webhook it
// created (a client that retries gets two) or for a redelivery it
// reopened (whose workflow then never starts, so it stays pending for
// good). The cancellations fall at random within the first milliseconds,
// which spans the statement and its commit on both stores.
func testCancelledWrites(t *testing.T, s store.Store) {
	ctx := t.Context()
	const rounds = 150
	cancelled := func(f func(ctx context.Context) error) error {
		c, cancel := context.WithCancel(ctx)
		defer cancel()
		time.AfterFunc(time.Duration(rand.Int64N(int64(1500*time.Microsecond))), cancel)
		return f(c)
	}
	failures := 0
	check := func(what string, err error, landed bool) {
		t.Helper()
		if err != nil {
			failures++
			if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				t.Logf("%s: %v", what, err) // not the cancellation: still a failure, and must not land
			}
		}
		if err != nil && landed {
			t.Fatalf("%s reported %v, yet it was written", what, err)
		}
		if err == nil && !landed {
			t.Fatalf("%s reported success, yet nothing was written", what)
		}
	}

	for range rounds {
		w := newWebhook()
		err := cancelled(func(ctx context.Context) error { return s.CreateWebhook(ctx, w) })
		_, getErr := s.GetWebhook(ctx, w.ID)
		if getErr != nil && !herald.IsNotFound(getErr) {
			t.Fatal(getErr)
		}
		check("CreateWebhook", err, getErr == nil)
	}

	w := newWebhook()
	must(t, s.CreateWebhook(ctx, w))
	for i := range rounds {
		cur, err := s.GetWebhook(ctx, w.ID)
		must(t, err)
		cur.Description = "edit " + string(rune('a'+i%26)) + time.Now().Format(time.RFC3339Nano)
		want := cur.Description
		err = cancelled(func(ctx context.Context) error { return s.UpdateWebhook(ctx, cur) })
		got, getErr := s.GetWebhook(ctx, w.ID)
		must(t, getErr)
		check("UpdateWebhook", err, got.Description == want)
	}

	for range rounds {
		k := newAPIKey(herald.NewID("key"))
		err := cancelled(func(ctx context.Context) error { return s.CreateAPIKey(ctx, k) })
		_, getErr := s.GetAPIKeyByHash(ctx, k.Hash)
		if getErr != nil && !herald.IsNotFound(getErr) {
			t.Fatal(getErr)
		}
		check("CreateAPIKey", err, getErr == nil)
	}

	_, ds := createEvent(t, s, newEvent("user.created", t0, herald.NewID(herald.PrefixWebhook)))
	id := ds[0].ID
	must(t, s.RecordAttempt(ctx, id, store.AttemptRecord{Status: herald.StatusFailed, Error: strp("HTTP 500")}))
	for range rounds {
		before, err := s.GetDelivery(ctx, id)
		must(t, err)
		err = cancelled(func(ctx context.Context) error { _, err := s.ReopenDelivery(ctx, id); return err })
		after, getErr := s.GetDelivery(ctx, id)
		must(t, getErr)
		check("ReopenDelivery", err, after.Generation != before.Generation)
		if after.Status == herald.StatusPending {
			must(t, s.RecordAttempt(ctx, id, store.AttemptRecord{Status: herald.StatusFailed, Error: strp("HTTP 500"),
				Generation: &after.Generation}))
		}
	}
	// Disabling is one write too: the target and its pending deliveries
	// change together or not at all.
	for range rounds / 3 {
		w := newWebhook()
		must(t, s.CreateWebhook(ctx, w))
		_, ds := createEvent(t, s, newEvent("user.created", t0, w.ID))
		err := cancelled(func(ctx context.Context) error { return s.DisableWebhook(ctx, w.ID, "disabled by an admin") })
		got, getErr := s.GetWebhook(ctx, w.ID)
		must(t, getErr)
		d, getErr := s.GetDelivery(ctx, ds[0].ID)
		must(t, getErr)
		if got.Enabled != (d.Status == herald.StatusPending) {
			t.Fatalf("DisableWebhook (%v) left the webhook enabled=%v and its delivery %s", err, got.Enabled, d.Status)
		}
		check("DisableWebhook", err, !got.Enabled)
	}
	t.Logf("%d of %d calls reported failure", failures, 4*rounds+rounds/3)
}
