package activities_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/activities"
	"github.com/heraldhub/herald/store"
	"github.com/heraldhub/herald/store/sqlite"
	"github.com/heraldhub/herald/workflows"
)

// fixture is a real SQLite store holding one webhook to url and one
// event with a delivery to it.
type fixture struct {
	db       *sqlite.DB
	webhook  *herald.Webhook
	event    *herald.Event
	delivery *herald.Delivery
}

func newFixture(t *testing.T, url string, timeoutSeconds int) fixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	w := &herald.Webhook{URL: url, Method: "POST", Events: []string{"*"}, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		Enabled: true, TimeoutSeconds: timeoutSeconds, Retry: herald.DefaultRetry}
	if err := db.CreateWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
	ev, _, err := db.CreateEvent(ctx, store.CreateEventRequest{
		Event:      &herald.Event{Name: "user.created", Data: []byte(`{}`)},
		Deliveries: []*herald.Delivery{{TargetType: herald.TargetWebhook, TargetID: w.ID}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := db.ListDeliveries(ctx, ev.ID)
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries %v, %v", ds, err)
	}
	return fixture{db: db, webhook: w, event: ev, delivery: ds[0]}
}

// A delivery that no longer exists (its event was withdrawn when its
// workflow seemed not to start) was never made, so finishing it does not
// count against the webhook; a real one does, once.
func TestFinishCountsOnlyRealDeliveries(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, "https://receiver.example", 10)
	db, w, ds := f.db, f.webhook, []*herald.Delivery{f.delivery}
	a := activities.New(activities.Config{Store: db, Logger: slog.New(slog.DiscardHandler), DisableAfter: 20})
	failures := func() int {
		got, err := db.GetWebhook(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.ConsecutiveFailures
	}

	fin := workflows.FinishInput{DeliveryID: "dlv_withdrawn", TargetType: herald.TargetWebhook, TargetID: w.ID, Reason: "event not found", CountFailure: true}
	if err := a.FinishDelivery(ctx, fin); err != nil {
		t.Fatal(err)
	}
	if n := failures(); n != 0 {
		t.Errorf("a missing delivery counted: %d consecutive failures, want 0", n)
	}
	fin.DeliveryID, fin.Reason = ds[0].ID, "HTTP 500"
	if err := a.FinishDelivery(ctx, fin); err != nil {
		t.Fatal(err)
	}
	if n := failures(); n != 1 {
		t.Errorf("a failed delivery: %d consecutive failures, want 1", n)
	}
	// The finish step's local activity runs again when its worker stopped
	// after the write landed: the same failure is not counted twice.
	if err := a.FinishDelivery(ctx, fin); err != nil {
		t.Fatal(err)
	}
	if n := failures(); n != 1 {
		t.Errorf("a failed delivery finished twice: %d consecutive failures, want 1", n)
	}
}
