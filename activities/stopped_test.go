package activities_test

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/activities"
	"github.com/heraldhub/herald/delivery"
	"github.com/heraldhub/herald/workflows"
)

// A retry of a delivery that was stopped while it waited (its webhook
// disabled, then enabled again) makes no request and ends the delivery
// without touching its stored state.
func TestRetryOfStoppedDeliveryMakesNoRequest(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests.Add(1) }))
	defer srv.Close()
	f := newFixture(t, srv.URL, 5)
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.db.DisableWebhook(ctx, f.webhook.ID, "disabled by an admin"))
	w, err := f.db.GetWebhook(ctx, f.webhook.ID)
	must(err)
	w.Enabled, w.DisabledReason = true, nil
	must(f.db.UpdateWebhook(ctx, w))

	acts := activities.New(activities.Config{Store: f.db, Sender: delivery.NewSender(delivery.NewHTTPClient(true), nil),
		Logger: slog.New(slog.DiscardHandler), DisableAfter: 20})
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestActivityEnvironment() // a regular activity: a retry
	env.RegisterActivityWithOptions(acts.Deliver, activity.RegisterOptions{Name: workflows.DeliverActivityName})
	_, err = env.ExecuteActivity(workflows.DeliverActivityName, workflows.DeliverInput{
		DeliveryID: f.delivery.ID, TargetType: herald.TargetWebhook, TargetID: f.webhook.ID, EventID: f.event.ID, AttemptOffset: 1})
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != workflows.ErrStopped || app.Message() != "webhook was disabled" {
		t.Fatalf("Deliver = %v, want the delivery stopped because the webhook was disabled", err)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("receiver got %d requests, want 0", n)
	}
	d, err := f.db.GetDelivery(ctx, f.delivery.ID)
	must(err)
	if d.Status != herald.StatusFailed || d.Attempts != 0 {
		t.Errorf("delivery %s after %d attempts, want failed after 0", d.Status, d.Attempts)
	}
}
