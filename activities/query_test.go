package activities_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
	"github.com/heraldhub/herald/workflows"
)

// An event whose GET query would be too long (a small, deeply nested
// document repeats its key path on every leaf) fails its delivery to a GET
// webhook at once, with no request made and a reason the admin can act
// on, instead of building a query of hundreds of megabytes.
func TestDeliverGETQueryTooLongFails(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests.Add(1) }))
	defer srv.Close()
	f := newFixture(t, srv.URL, 5)
	ctx := t.Context()
	f.webhook.Method = "GET"
	if err := f.db.UpdateWebhook(ctx, f.webhook); err != nil {
		t.Fatal(err)
	}
	deep := strings.Repeat(`[0,`, 9000) + "0" + strings.Repeat("]", 9000)
	ev, _, err := f.db.CreateEvent(ctx, store.CreateEventRequest{
		Event:      &herald.Event{Name: "user.created", Data: []byte(`{"a":` + deep + `}`)},
		Deliveries: []*herald.Delivery{{TargetType: herald.TargetWebhook, TargetID: f.webhook.ID}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := f.db.ListDeliveries(ctx, ev.ID)
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries %v, %v", ds, err)
	}

	_, env := retryEnv(f)
	_, err = env.ExecuteActivity(workflows.DeliverActivityName, workflows.DeliverInput{DeliveryID: ds[0].ID,
		TargetType: herald.TargetWebhook, TargetID: f.webhook.ID, EventID: ev.ID, AttemptOffset: 1})
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || !app.NonRetryable() || !strings.Contains(app.Message(), "GET query would be longer") {
		t.Fatalf("Deliver = %v, want a permanent failure naming the query's length", err)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("receiver got %d requests, want 0", n)
	}
	d, err := f.db.GetDelivery(ctx, ds[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != herald.StatusFailed || d.LastError == nil || !strings.Contains(*d.LastError, "a POST webhook can take this event") {
		t.Errorf("delivery %s, last_error %v; want failed, saying a POST webhook can take it", d.Status, d.LastError)
	}
}
