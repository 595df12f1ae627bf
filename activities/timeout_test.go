package activities_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
	"github.com/heraldhub/herald/workflows"
)

// A webhook's timeout raised after its event was published does not let
// the request outlive the activity, whose timeout the workflow planned
// around the old one: the request ends at the planned timeout.
func TestDeliverKeepsToThePlannedTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	f := newFixture(t, srv.URL, 30) // raised to 30 s after publishing

	_, env := retryEnv(f)
	in := workflows.DeliverInput{DeliveryID: f.delivery.ID, TargetType: herald.TargetWebhook, TargetID: f.webhook.ID,
		EventID: f.event.ID, Timeout: time.Second}
	done := make(chan error, 1)
	go func() { _, err := env.ExecuteActivity(workflows.DeliverActivityName, in); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Deliver succeeded against a receiver that never answers")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the request ran past the planned 1 s timeout (still running after 10 s)")
	}
	logs, _, err := f.db.ListLogs(t.Context(), store.LogFilter{TargetType: herald.TargetWebhook, TargetID: f.webhook.ID})
	if err != nil || len(logs) != 1 || logs[0].Error == nil || !strings.Contains(*logs[0].Error, "timeout") {
		t.Fatalf("log entries %+v, %v; want one that timed out", logs, err)
	}
	if d := logs[0].DurationMS; d > 5000 {
		t.Errorf("request took %d ms, want it cut at about 1000", d)
	}
}

// sendDue runs a retry's Deliver with NotBefore set to notBefore(start),
// start being when the call begins, and returns when its request arrived
// and the fixture.
func sendDue(t *testing.T, notBefore func(start time.Time) time.Time) (start, arrivedAt time.Time, f fixture) {
	t.Helper()
	arrived := make(chan time.Time, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { arrived <- time.Now() }))
	t.Cleanup(srv.Close)
	f = newFixture(t, srv.URL, 5)
	_, env := retryEnv(f)
	start = time.Now()
	in := workflows.DeliverInput{DeliveryID: f.delivery.ID, TargetType: herald.TargetWebhook, TargetID: f.webhook.ID,
		EventID: f.event.ID, Timeout: 5 * time.Second, AttemptOffset: 1, NotBefore: notBefore(start)}
	if _, err := env.ExecuteActivity(workflows.DeliverActivityName, in); err != nil {
		t.Fatal(err)
	}
	return start, <-arrived, f
}

// A retry scheduled before it is due (DeliverInput.NotBefore) waits until
// then before its request.
func TestDeliverWaitsUntilTheRetryIsDue(t *testing.T) {
	t.Parallel()
	const wait = 1500 * time.Millisecond
	start, at, f := sendDue(t, func(start time.Time) time.Time { return start.Add(wait) })
	if at.Before(start.Add(wait)) {
		t.Errorf("request arrived %v before it was due", start.Add(wait).Sub(at))
	}
	logs, _, err := f.db.ListLogs(t.Context(), store.LogFilter{TargetType: herald.TargetWebhook, TargetID: f.webhook.ID})
	if err != nil || len(logs) != 1 || logs[0].Attempt != 2 {
		t.Errorf("log %v, %v: want one entry, attempt 2", logs, err)
	}
}

// NotBefore is the workflow's time; a host whose clock is behind it waits
// no longer than MaxInlineWait, not into the attempt's timeout.
func TestDeliverWaitsForNotBeforeAtMostMaxInlineWait(t *testing.T) {
	t.Parallel()
	start, at, _ := sendDue(t, func(start time.Time) time.Time { return start.Add(time.Hour) })
	if waited := at.Sub(start); waited < workflows.MaxInlineWait || waited > workflows.MaxInlineWait+2*time.Second {
		t.Errorf("request sent after %v, want after MaxInlineWait (%v)", waited, workflows.MaxInlineWait)
	}
}

// The first try of a Deferred retry makes no request: it hands the wait
// to Temporal as a retryable ErrNotDue with the time left until
// NotBefore.
func TestDeferredRetryFirstTryHandsTheWaitBack(t *testing.T) {
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests++ }))
	defer srv.Close()
	f := newFixture(t, srv.URL, 5)
	_, env := retryEnv(f)
	in := workflows.DeliverInput{DeliveryID: f.delivery.ID, TargetType: herald.TargetWebhook, TargetID: f.webhook.ID,
		EventID: f.event.ID, Timeout: 5 * time.Second, AttemptOffset: 1, NotBefore: time.Now().Add(30 * time.Second), Deferred: true}
	_, err := env.ExecuteActivity(workflows.DeliverActivityName, in)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != workflows.ErrNotDue || app.NonRetryable() ||
		app.NextRetryDelay() < 25*time.Second || app.NextRetryDelay() > 30*time.Second {
		t.Fatalf("Deliver = %v, want a retryable %s asking for about 30 s", err, workflows.ErrNotDue)
	}
	if requests != 0 {
		t.Errorf("receiver got %d requests, want none", requests)
	}
}
