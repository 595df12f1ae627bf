package workflows

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// A regular attempt's schedule-to-close runs to the max-age deadline. A
// timer that fires after the deadline (a worker that fell behind) gets no
// attempt: a zero timeout would lift the limit and a negative one fails
// the activity with a confusing reason.
func TestAttemptWindow(t *testing.T) {
	deadline := time.Date(2026, 5, 17, 21, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		deadline time.Time
		now      time.Time
		legacy   bool
		want     time.Duration
		ok       bool
	}{
		{"no max age", time.Time{}, deadline, false, 0, true},
		{"time left", deadline, deadline.Add(-90 * time.Second), false, 90 * time.Second, true},
		{"exactly at the deadline", deadline, deadline, false, 0, false},
		{"timer fired late", deadline, deadline.Add(3 * time.Second), false, -3 * time.Second, false},
		{"legacy workflow keeps its minute", deadline, deadline.Add(3 * time.Second), true, time.Minute, true},
		{"legacy workflow with time left", deadline, deadline.Add(-2 * time.Minute), true, 2 * time.Minute, true},
	} {
		got, ok := attemptWindow(tc.deadline, tc.now, tc.legacy)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: attemptWindow = %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

// holdWaitOf runs holdWait in a workflow, as the workflow code does, for
// the given store outages in a row and a deadline d from now (none if 0).
func holdWaitOf(t *testing.T, r RetrySettings, outages int, d time.Duration) time.Duration {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.ExecuteWorkflow(func(ctx workflow.Context) (time.Duration, error) {
		var deadline time.Time
		if d != 0 {
			deadline = workflow.Now(ctx).Add(d)
		}
		wait, _ := holdWait(ctx, r, held{storeDown: true}, outages, deadline)
		return wait, nil
	})
	var wait time.Duration
	if err := env.GetWorkflowResult(&wait); err != nil {
		t.Fatal(err)
	}
	return wait
}

// A store-outage wait grows to ten minutes; one that would reach the
// max-age deadline is cut to half the time left, so one more try comes;
// past the deadline (a workflow from before it was enforced) nothing is
// cut, or it would hold every second.
func TestHoldWaitThroughAStoreOutage(t *testing.T) {
	r := RetrySettings{InitialInterval: time.Second, BackoffCoefficient: 1.5, MaxInterval: time.Second}
	for _, tc := range []struct {
		name     string
		outages  int
		deadline time.Duration
		want     time.Duration
	}{
		{"first", 0, 0, time.Second},
		{"doubling past a short max interval", 3, 0, 8 * time.Second},
		{"up to ten minutes", 20, 0, 10 * time.Minute},
		{"cut before the deadline", 20, 6 * time.Minute, 3 * time.Minute},
		{"never under a second", 20, 1500 * time.Millisecond, time.Second},
		{"past the deadline", 20, -time.Minute, 10 * time.Minute},
	} {
		if got := holdWaitOf(t, r, tc.outages, tc.deadline); got != tc.want {
			t.Errorf("%s: holdWait = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// A first attempt that waited for a local-activity slot until its
// schedule-to-close ran out made no request. If the max age passed while
// it waited, the delivery ends without counting against the target, as
// any attempt that never sent does. (The wait is played as workflow time
// passing before deliver runs. That also shows a workflow started in
// time makes its first attempt, however late its first task runs.)
func TestQueuedPastMaxAgeDoesNotCount(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	var finishes []FinishInput
	env.RegisterActivityWithOptions(func(ctx context.Context, in DeliverInput) (DeliverResult, error) {
		return DeliverResult{}, temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE, nil)
	}, activity.RegisterOptions{Name: DeliverActivityName})
	env.RegisterActivityWithOptions(func(ctx context.Context, in FinishInput) error {
		finishes = append(finishes, in)
		return nil
	}, activity.RegisterOptions{Name: FinishActivityName})
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context) (DeliveryOutcome, error) {
		if err := workflow.Sleep(ctx, 3*time.Minute); err != nil {
			return DeliveryOutcome{}, err
		}
		t := Target{DeliveryID: "dlv_1", Type: "webhook", ID: "whk_1", Timeout: 5 * time.Second,
			Retry: RetrySettings{InitialInterval: time.Second, BackoffCoefficient: 2, MaxInterval: 10 * time.Second, MaxAge: 2 * time.Minute}}
		return deliver(ctx, EventInput{EventID: "evt_1"}, t), nil
	}, workflow.RegisterOptions{Name: "queued"})
	env.ExecuteWorkflow("queued")
	var out DeliveryOutcome
	if err := env.GetWorkflowResult(&out); err != nil {
		t.Fatal(err)
	}
	if out.Succeeded || len(finishes) != 1 {
		t.Fatalf("outcome %+v, finishes %+v; want one failed delivery", out, finishes)
	}
	if f := finishes[0]; f.CountFailure || !strings.Contains(f.Reason, "worker slot") {
		t.Errorf("finish %+v; want it not counted, the reason naming the wait for a worker slot", f)
	}
}
