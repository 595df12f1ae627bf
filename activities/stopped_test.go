package activities_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/activities"
	"github.com/heraldhub/herald/connectors/dispatch"
	"github.com/heraldhub/herald/delivery"
	"github.com/heraldhub/herald/store"
	"github.com/heraldhub/herald/workflows"
)

// An attempt of a delivery that was stopped while it waited (its webhook
// disabled, then enabled again) makes no request and ends the delivery
// without touching its stored state. That holds for the first attempt, a
// local activity, as for a retry: under a backlog the first attempt can run
// long after its event was published. An attempt of an older generation
// (a redelivery reopened the delivery since) makes no request either.
func TestAttemptOfStoppedDeliveryMakesNoRequest(t *testing.T) {
	for _, local := range []bool{true, false} {
		name := "retry"
		if local {
			name = "first, local attempt"
		}
		t.Run(name, func(t *testing.T) {
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

			acts, env := retryEnv(f)
			attempt := func(generation int) error {
				in := workflows.DeliverInput{DeliveryID: f.delivery.ID, TargetType: herald.TargetWebhook,
					TargetID: f.webhook.ID, EventID: f.event.ID, Generation: generation}
				if local {
					_, err := env.ExecuteLocalActivity(acts.Deliver, in)
					return err
				}
				in.AttemptOffset = 1
				_, err := env.ExecuteActivity(workflows.DeliverActivityName, in)
				return err
			}
			err = attempt(0)
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

			// A redelivery reopens it (generation 1): the old workflow's
			// attempt leaves it to the redelivery.
			_, err = f.db.ReopenDelivery(ctx, f.delivery.ID)
			must(err)
			if err := attempt(0); !errors.As(err, &app) || app.Type() != workflows.ErrStopped {
				t.Fatalf("generation 0 attempt after a reopen = %v, want it stopped", err)
			}
			if n := requests.Load(); n != 0 {
				t.Errorf("receiver got %d requests from a stale attempt, want 0", n)
			}
		})
	}
}

// An attempt in flight while its delivery is stopped and reopened by a
// redelivery (disable, enable, retry) is logged, since its request went
// out, but its outcome is not written over the redelivery's state, and
// the old workflow's finish step counts nothing.
func TestAttemptInFlightDuringARedeliveryLeavesItsState(t *testing.T) {
	var f fixture
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		reason := "webhook was disabled"
		if err := f.db.RecordAttempt(ctx, f.delivery.ID, store.AttemptRecord{Status: herald.StatusFailed, Error: &reason}); err != nil {
			t.Error(err)
		}
		if _, err := f.db.ReopenDelivery(ctx, f.delivery.ID); err != nil {
			t.Error(err)
		}
		w.WriteHeader(http.StatusBadRequest)
	}))
	defer srv.Close()
	f = newFixture(t, srv.URL, 5)
	ctx := t.Context()

	acts, env := retryEnv(f)
	_, err := env.ExecuteActivity(workflows.DeliverActivityName, workflows.DeliverInput{
		DeliveryID: f.delivery.ID, TargetType: herald.TargetWebhook, TargetID: f.webhook.ID, EventID: f.event.ID, AttemptOffset: 1})
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != workflows.ErrStopped {
		t.Fatalf("Deliver = %v, want it stopped: the delivery is the redelivery's now", err)
	}
	fin := workflows.FinishInput{DeliveryID: f.delivery.ID, TargetType: herald.TargetWebhook, TargetID: f.webhook.ID, Reason: "HTTP 400", CountFailure: true}
	if err := acts.FinishDelivery(ctx, fin); err != nil {
		t.Fatal(err)
	}
	d, err := f.db.GetDelivery(ctx, f.delivery.ID)
	if err != nil || d.Status != herald.StatusPending || d.Generation != 1 || d.Attempts != 0 {
		t.Errorf("delivery %+v, %v: want it as the redelivery reopened it (pending, generation 1, no attempts)", d, err)
	}
	logs, _, err := f.db.ListLogs(ctx, store.LogFilter{TargetType: herald.TargetWebhook, TargetID: f.webhook.ID})
	if err != nil || len(logs) != 1 || logs[0].Attempt != 2 {
		t.Errorf("log %v, %v: want the in-flight attempt's entry (attempt 2)", logs, err)
	}
	if w, _ := f.db.GetWebhook(ctx, f.webhook.ID); w.ConsecutiveFailures != 0 {
		t.Errorf("%d consecutive failures, want 0: the old workflow's failure is not the delivery's", w.ConsecutiveFailures)
	}
}

// retryEnv returns activities on f's store and an environment that runs
// Deliver as a regular activity, as a retry runs.
func retryEnv(f fixture) (*activities.Activities, *testsuite.TestActivityEnvironment) {
	acts := activities.New(activities.Config{Store: f.db, Sender: delivery.NewSender(delivery.NewHTTPClient(true), nil),
		Logger: slog.New(slog.DiscardHandler), DisableAfter: 20})
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestActivityEnvironment()
	// A local attempt's deadline is the test timeout: room for a request.
	env.SetTestTimeout(time.Minute)
	env.RegisterActivityWithOptions(acts.Deliver, activity.RegisterOptions{Name: workflows.DeliverActivityName})
	return acts, env
}

// A first, local attempt that waited for a worker slot so long that its
// request might be cut short by its deadline makes none: it ends as not
// sent, and the workflow makes it again as a regular activity.
func TestLocalAttemptWithoutTimeLeftMakesNoRequest(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests.Add(1) }))
	defer srv.Close()
	f := newFixture(t, srv.URL, 10)
	acts, env := retryEnv(f)
	in := workflows.DeliverInput{DeliveryID: f.delivery.ID, TargetType: herald.TargetWebhook,
		TargetID: f.webhook.ID, EventID: f.event.ID, Timeout: 10 * time.Second}

	env.SetTestTimeout(20 * time.Second) // less than the 10 s request and the writes after it
	_, err := env.ExecuteLocalActivity(acts.Deliver, in)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != workflows.ErrNotSent {
		t.Fatalf("Deliver = %v, want it not sent", err)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("receiver got %d requests, want 0", n)
	}

	env.SetTestTimeout(time.Minute)
	if _, err := env.ExecuteLocalActivity(acts.Deliver, in); err != nil || requests.Load() != 1 {
		t.Errorf("with time left: Deliver = %v after %d requests, want one 2xx", err, requests.Load())
	}
}

// A first attempt that runs again after its 2xx was recorded (its worker
// stopped before the workflow heard of it) sends nothing and succeeds.
func TestReplayedAttemptOfADeliveredDeliverySucceeds(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests.Add(1) }))
	defer srv.Close()
	f := newFixture(t, srv.URL, 5)
	acts, env := retryEnv(f)
	in := workflows.DeliverInput{DeliveryID: f.delivery.ID, TargetType: herald.TargetWebhook,
		TargetID: f.webhook.ID, EventID: f.event.ID, Timeout: 5 * time.Second}
	for i := range 2 {
		if _, err := env.ExecuteLocalActivity(acts.Deliver, in); err != nil {
			t.Fatalf("run %d: Deliver = %v, want success", i+1, err)
		}
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("receiver got %d requests, want 1", n)
	}
	d, err := f.db.GetDelivery(t.Context(), f.delivery.ID)
	if err != nil || d.Status != herald.StatusSucceeded || d.LastError != nil {
		t.Errorf("delivery %+v, %v; want succeeded without an error", d, err)
	}
}

// An attempt cancelled while it waits for its rate-limit slot (a worker
// shutting down) sent nothing: it ends as not sent, so the workflow makes
// the same attempt again instead of counting one that never went out.
func TestRateLimitWaitCancelledIsNotSent(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests.Add(1) }))
	defer srv.Close()
	f := newFixture(t, srv.URL, 5)
	w, err := f.db.GetWebhook(t.Context(), f.webhook.ID)
	if err != nil {
		t.Fatal(err)
	}
	w.RateLimitPerSecond = 1
	if err := f.db.UpdateWebhook(t.Context(), w); err != nil {
		t.Fatal(err)
	}
	// Another delivery holds this second's slot: the attempt waits.
	if _, err := f.db.ReserveSlot(t.Context(), w.ID, "dlv_other", 1, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	acts, env := retryEnv(f)
	ctx, cancel := context.WithCancel(context.Background())
	env.SetWorkerOptions(worker.Options{BackgroundActivityContext: ctx})
	time.AfterFunc(200*time.Millisecond, cancel)
	in := workflows.DeliverInput{DeliveryID: f.delivery.ID, TargetType: herald.TargetWebhook,
		TargetID: f.webhook.ID, EventID: f.event.ID, Timeout: 5 * time.Second}
	_, err = env.ExecuteActivity(acts.Deliver, in)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != workflows.ErrNotSent {
		t.Errorf("Deliver cancelled during its rate-limit wait = %v, want a not-sent error", err)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
}

// twoPartChat stands for a connector whose message takes two requests (a
// long Telegram message, say); a redelivery reopens the delivery while
// they are out.
type twoPartChat struct {
	f  *fixture
	id string
}

func (c twoPartChat) Send(ctx context.Context, a dispatch.Attempt) ([]*herald.LogEntry, delivery.Outcome) {
	// Disabled, enabled again and retried by an admin meanwhile.
	reason := "connector was disabled"
	if err := c.f.db.RecordAttempt(ctx, c.id, store.AttemptRecord{Status: herald.StatusFailed, Error: &reason}); err != nil {
		panic(err)
	}
	if _, err := c.f.db.ReopenDelivery(ctx, c.id); err != nil {
		panic(err)
	}
	entry := func(part string) *herald.LogEntry {
		return &herald.LogEntry{DeliveryID: a.DeliveryID, EventID: a.Event.ID, Event: a.Event.Name, TargetType: herald.TargetConnector,
			TargetID: a.Connector.ID, Attempt: a.Number, Request: herald.LogRequest{Method: "POST", URL: "https://chat.example/" + part},
			Response: &herald.LogResponse{Status: 200}}
	}
	return []*herald.LogEntry{entry("part-1"), entry("part-2")}, delivery.Outcome{Success: true, StatusCode: 200}
}

// A connector attempt of several requests that a redelivery takes over
// while they are out logs every one of them (all went out), and leaves
// the delivery's state to the redelivery.
func TestMultiPartAttemptTakenOverLogsEveryPart(t *testing.T) {
	f := newFixture(t, "http://127.0.0.1:9/", 5)
	ctx := t.Context()
	c := &herald.Connector{Kind: "telegram", Name: "ops", Events: []string{"*"}, Enabled: true, Config: []byte(`{"bot_token":"1:x","chat_id":"1"}`)}
	if err := f.db.CreateConnector(ctx, c); err != nil {
		t.Fatal(err)
	}
	ev, _, err := f.db.CreateEvent(ctx, store.CreateEventRequest{
		Event:      &herald.Event{Name: "user.created", Data: []byte(`{}`)},
		Deliveries: []*herald.Delivery{{TargetType: herald.TargetConnector, TargetID: c.ID}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := f.db.ListDeliveries(ctx, ev.ID)
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries %v, %v", ds, err)
	}
	acts := activities.New(activities.Config{Store: f.db, Sender: delivery.NewSender(delivery.NewHTTPClient(true), nil),
		Chat: twoPartChat{&f, ds[0].ID}, Logger: slog.New(slog.DiscardHandler), DisableAfter: 20})
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivityWithOptions(acts.Deliver, activity.RegisterOptions{Name: workflows.DeliverActivityName})
	_, err = env.ExecuteActivity(workflows.DeliverActivityName, workflows.DeliverInput{
		DeliveryID: ds[0].ID, TargetType: herald.TargetConnector, TargetID: c.ID, EventID: ev.ID, Timeout: 5 * time.Second})
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != workflows.ErrStopped {
		t.Fatalf("Deliver = %v, want it stopped: the delivery is the redelivery's now", err)
	}
	logs, _, err := f.db.ListLogs(ctx, store.LogFilter{TargetType: herald.TargetConnector, TargetID: c.ID})
	if err != nil || len(logs) != 2 {
		t.Errorf("log %v, %v: want both requests' entries", logs, err)
	}
	if d, err := f.db.GetDelivery(ctx, ds[0].ID); err != nil || d.Status != herald.StatusPending || d.Generation != 1 {
		t.Errorf("delivery %+v, %v: want it as the redelivery reopened it", d, err)
	}
}
