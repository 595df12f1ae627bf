package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/workflows"
)

// fastRetry keeps intervals small; the test environment skips the waits.
var fastRetry = workflows.RetrySettings{
	InitialInterval:    time.Second,
	BackoffCoefficient: 2,
	MaxInterval:        10 * time.Second,
	MaxAge:             24 * time.Hour,
}

func target(id string, retry workflows.RetrySettings) workflows.Target {
	return workflows.Target{DeliveryID: "dlv_" + id, Type: herald.TargetWebhook, ID: id, Retry: retry, Timeout: 5 * time.Second}
}

func retryableErr(msg string, delay time.Duration) error {
	return temporal.NewApplicationErrorWithOptions(msg, workflows.ErrRetryable, temporal.ApplicationErrorOptions{NextRetryDelay: delay})
}

func permanentErr(msg string) error {
	return temporal.NewApplicationErrorWithOptions(msg, workflows.ErrPermanent, temporal.ApplicationErrorOptions{NonRetryable: true})
}

// deliverCall is one call of the fake deliver activity.
type deliverCall struct {
	In      workflows.DeliverInput
	Local   bool      // ran as a local activity
	Attempt int32     // the activity's own attempt number
	At      time.Time // on the test environment's clock
}

// number is the delivery's attempt number, as the real activity computes it.
func (c deliverCall) number() int { return attemptNumber(c.Attempt, c.In) }

// attemptNumber is the delivery attempt a try of the deliver activity
// makes, as the real activity counts: a Deferred activity's first try
// makes none.
func attemptNumber(try int32, in workflows.DeliverInput) int {
	if in.Deferred {
		try--
	}
	return int(try) + in.AttemptOffset
}

// fakeActivities stands in for activities.Activities. Deliver answers the
// n-th call for a target with script[target][n] (nil is a 2xx), repeating the
// last entry; a target without a script always succeeds.
type fakeActivities struct {
	now    func() time.Time
	script map[string][]func() error

	// finishDownUntil makes Finish fail (the store is down) before then.
	finishDownUntil time.Time

	mu         sync.Mutex
	delivers   []deliverCall
	finishes   []workflows.FinishInput
	finishErrs int
}

func (f *fakeActivities) Deliver(ctx context.Context, in workflows.DeliverInput) (workflows.DeliverResult, error) {
	info := activity.GetInfo(ctx)
	if in.Deferred && info.Attempt == 1 {
		// As the real activity: no request, and Temporal retries when
		// the attempt is due. Not a call of the target.
		return workflows.DeliverResult{}, temporal.NewApplicationErrorWithOptions("not due", workflows.ErrNotDue,
			temporal.ApplicationErrorOptions{NextRetryDelay: max(in.NotBefore.Sub(f.now()), time.Millisecond)})
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.callsLocked(in.TargetID))
	f.delivers = append(f.delivers, deliverCall{In: in, Local: info.IsLocalActivity, Attempt: info.Attempt, At: f.now()})
	script := f.script[in.TargetID]
	if len(script) == 0 {
		return workflows.DeliverResult{StatusCode: 200}, nil
	}
	if next := script[min(n, len(script)-1)]; next != nil {
		err := next()
		if errors.Is(err, errStoreDown) {
			// As the real activity: the attempt that was not made.
			err = temporal.NewApplicationErrorWithOptions("could not load event", workflows.ErrNotSent,
				temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{workflows.RateLimited{Attempt: attemptNumber(info.Attempt, in)}}})
		}
		var l limitedStep
		if errors.As(err, &l) {
			// As the real activity: the attempt that was not made.
			held := workflows.RateLimited{Wait: l.wait, Attempt: attemptNumber(info.Attempt, in)}
			err = temporal.NewApplicationErrorWithOptions("rate limit of the webhook reached", workflows.ErrRateLimited,
				temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{held}})
		}
		return workflows.DeliverResult{}, err
	}
	return workflows.DeliverResult{StatusCode: 200}, nil
}

func (f *fakeActivities) Finish(_ context.Context, in workflows.FinishInput) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.now().Before(f.finishDownUntil) {
		f.finishErrs++
		return errors.New("database is down")
	}
	f.finishes = append(f.finishes, in)
	return nil
}

func (f *fakeActivities) calls(targetID string) []deliverCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.callsLocked(targetID)
}

func (f *fakeActivities) callsLocked(targetID string) []deliverCall {
	var out []deliverCall
	for _, c := range f.delivers {
		if c.In.TargetID == targetID {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeActivities) finished() []workflows.FinishInput {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]workflows.FinishInput(nil), f.finishes...)
}

// success is the script step of an attempt that gets a 2xx.
var success func() error

// limited is the script step of an attempt the target's rate limit holds
// back for wait, without a request.
func limited(wait time.Duration) func() error {
	return func() error { return limitedStep{wait} }
}

type limitedStep struct{ wait time.Duration }

// errStoreDown is the script step of an attempt that could not read
// Herald's store, so made no request.
var errStoreDown = errors.New("store down")

func storeDown() error { return errStoreDown }

func (limitedStep) Error() string { return "rate limited" }

// runEvent runs EventWorkflow, registered under its real name, over fake
// activities registered under theirs, and returns its result.
func runEvent(t *testing.T, in workflows.EventInput, script map[string][]func() error) (workflows.EventResult, *fakeActivities) {
	t.Helper()
	return runEventWith(t, in, script, nil)
}

// runEventWith is runEvent with setup applied to the test environment and
// the fakes once everything is registered (nil for none).
func runEventWith(t *testing.T, in workflows.EventInput, script map[string][]func() error,
	setup func(*testsuite.TestWorkflowEnvironment, *fakeActivities)) (workflows.EventResult, *fakeActivities) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	f := &fakeActivities{now: env.Now, script: script}
	env.RegisterWorkflowWithOptions(workflows.EventWorkflow, workflow.RegisterOptions{Name: workflows.EventWorkflowName})
	env.RegisterActivityWithOptions(f.Deliver, activity.RegisterOptions{Name: workflows.DeliverActivityName})
	env.RegisterActivityWithOptions(f.Finish, activity.RegisterOptions{Name: workflows.FinishActivityName})
	// An attempt due later (DeliverInput.NotBefore) waits on the test
	// clock before its request, as the real activity waits: the argument
	// matcher sees each call's input before the wait is asked for. (Two
	// calls at once could swap inputs in between; the tests that fan out
	// give their targets' retries the same NotBefore.)
	var next workflows.DeliverInput
	env.OnActivity(workflows.DeliverActivityName, mock.Anything, mock.MatchedBy(func(in workflows.DeliverInput) bool {
		next = in
		return true
	})).Return(f.Deliver).AfterFn(func() time.Duration {
		if next.Deferred {
			return 0 // its first try hands the wait back (see Deliver)
		}
		return next.NotBefore.Sub(env.Now())
	})
	if setup != nil {
		setup(env, f)
	}

	env.ExecuteWorkflow(workflows.EventWorkflowName, in)
	return eventResult(t, env), f
}

// eventResult is the result of the EventWorkflow env ran: its value, or
// the detail of its failure, which must come exactly when a delivery
// failed.
func eventResult(t *testing.T, env *testsuite.TestWorkflowEnvironment) workflows.EventResult {
	t.Helper()
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	var res workflows.EventResult
	err := env.GetWorkflowError()
	if err == nil {
		if err := env.GetWorkflowResult(&res); err != nil {
			t.Fatalf("workflow result: %v", err)
		}
	} else {
		var app *temporal.ApplicationError
		if !errors.As(err, &app) || app.Type() != workflows.ErrDeliveriesFailed || !app.NonRetryable() {
			t.Fatalf("workflow failed: %v", err)
		}
		if err := app.Details(&res); err != nil {
			t.Fatalf("failure details: %v", err)
		}
	}
	failed := slices.ContainsFunc(res.Deliveries, func(d workflows.DeliveryOutcome) bool { return !d.Succeeded })
	if failed != (err != nil) {
		t.Errorf("workflow error %v with deliveries %+v: it must fail exactly when a delivery failed", err, res.Deliveries)
	}
	return res
}

func oneTarget(t workflows.Target) workflows.EventInput {
	return workflows.EventInput{EventID: "evt_1", Event: "user.created", Targets: []workflows.Target{t}}
}

// checkCalls compares the Deliver calls of a target with the expected
// (local, activity attempt, attempt offset) triples.
func checkCalls(t *testing.T, calls []deliverCall, want []deliverCall) {
	t.Helper()
	if len(calls) != len(want) {
		t.Fatalf("%d Deliver calls, want %d: %+v", len(calls), len(want), calls)
	}
	for i, c := range calls {
		w := want[i]
		try := c.Attempt // the activity's try among those with requests
		if c.In.Deferred {
			try--
		}
		if c.Local != w.Local || try != w.Attempt || c.In.AttemptOffset != w.In.AttemptOffset {
			t.Errorf("call %d: local=%v attempt=%d offset=%d, want local=%v attempt=%d offset=%d",
				i+1, c.Local, try, c.In.AttemptOffset, w.Local, w.Attempt, w.In.AttemptOffset)
		}
		if c.number() != i+1 {
			t.Errorf("call %d is delivery attempt %d, want %d", i+1, c.number(), i+1)
		}
	}
}

func local() deliverCall { return deliverCall{Local: true, Attempt: 1} }

func regular(attempt int32) deliverCall {
	return deliverCall{Attempt: attempt, In: workflows.DeliverInput{AttemptOffset: 1}}
}

func TestEventWorkflowSucceedsOnLocalAttempt(t *testing.T) {
	tg := target("whk_a", fastRetry)
	res, f := runEvent(t, oneTarget(tg), nil)

	checkCalls(t, f.calls("whk_a"), []deliverCall{local()})
	in := f.calls("whk_a")[0].In
	want := workflows.DeliverInput{DeliveryID: "dlv_whk_a", TargetType: herald.TargetWebhook, TargetID: "whk_a", EventID: "evt_1", Timeout: tg.Timeout}
	if in != want {
		t.Errorf("DeliverInput = %+v, want %+v", in, want)
	}
	if fin := f.finished(); len(fin) != 0 {
		t.Errorf("Finish called %d times, want 0", len(fin))
	}
	wantRes := []workflows.DeliveryOutcome{{DeliveryID: "dlv_whk_a", TargetID: "whk_a", Succeeded: true}}
	if !slices.Equal(res.Deliveries, wantRes) {
		t.Errorf("result = %+v, want %+v", res.Deliveries, wantRes)
	}
}

func TestEventWorkflowPermanentFailureOnLocalAttempt(t *testing.T) {
	tg := target("whk_a", fastRetry)
	res, f := runEvent(t, oneTarget(tg), map[string][]func() error{
		"whk_a": {func() error { return permanentErr("HTTP 404") }},
	})

	checkCalls(t, f.calls("whk_a"), []deliverCall{local()})
	wantFin := []workflows.FinishInput{{DeliveryID: "dlv_whk_a", TargetType: herald.TargetWebhook, TargetID: "whk_a", Reason: "HTTP 404", CountFailure: true}}
	if fin := f.finished(); !slices.Equal(fin, wantFin) {
		t.Errorf("Finish calls = %+v, want %+v", fin, wantFin)
	}
	wantRes := []workflows.DeliveryOutcome{{DeliveryID: "dlv_whk_a", TargetID: "whk_a", Error: "HTTP 404"}}
	if !slices.Equal(res.Deliveries, wantRes) {
		t.Errorf("result = %+v, want %+v", res.Deliveries, wantRes)
	}
}

func TestEventWorkflowRetriesThenSucceeds(t *testing.T) {
	tg := target("whk_a", fastRetry)
	res, f := runEvent(t, oneTarget(tg), map[string][]func() error{
		"whk_a": {
			func() error { return retryableErr("HTTP 503", 0) },
			func() error { return retryableErr("HTTP 502", 0) },
			success,
		},
	})

	calls := f.calls("whk_a")
	checkCalls(t, calls, []deliverCall{local(), regular(1), regular(2)})
	// The first wait is the initial interval; the policy's backoff goes on
	// from there, doubled.
	checkGaps(t, calls, []time.Duration{time.Second, 2 * time.Second})
	if fin := f.finished(); len(fin) != 0 {
		t.Errorf("Finish called %d times, want 0: %+v", len(fin), fin)
	}
	if len(res.Deliveries) != 1 || !res.Deliveries[0].Succeeded || res.Deliveries[0].Error != "" {
		t.Errorf("result = %+v, want one success", res.Deliveries)
	}
}

func TestEventWorkflowBacksOffExponentially(t *testing.T) {
	tg := target("whk_a", fastRetry)
	tg.Retry.MaxAttempts = 7
	_, f := runEvent(t, oneTarget(tg), map[string][]func() error{
		"whk_a": {func() error { return retryableErr("HTTP 500", 0) }},
	})
	// local, wait 1s, regular 1; then the policy: 2s, 4s, 8s, capped 10s:
	// one backoff across both kinds of activity (SPEC §6).
	checkGaps(t, f.calls("whk_a"), []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second})
}

func TestEventWorkflowRetryAfter(t *testing.T) {
	tests := []struct {
		name     string
		delay    time.Duration
		retry    workflows.RetrySettings
		wantWait time.Duration
	}{
		{"Retry-After within max interval", 30 * time.Second,
			workflows.RetrySettings{InitialInterval: time.Second, BackoffCoefficient: 2, MaxInterval: time.Minute}, 30 * time.Second},
		{"Retry-After capped at max interval", time.Hour, fastRetry, 10 * time.Second},
		{"Retry-After shorter than initial interval", 500 * time.Millisecond, fastRetry, 500 * time.Millisecond},
		{"max interval below initial: initial wins the cap", time.Hour,
			workflows.RetrySettings{InitialInterval: 20 * time.Second, BackoffCoefficient: 2, MaxInterval: 10 * time.Second}, 20 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, f := runEvent(t, oneTarget(target("whk_a", tt.retry)), map[string][]func() error{
				"whk_a": {func() error { return retryableErr("HTTP 429", tt.delay) }, success},
			})
			calls := f.calls("whk_a")
			checkCalls(t, calls, []deliverCall{local(), regular(1)})
			checkGaps(t, calls, []time.Duration{tt.wantWait})
			if !res.Deliveries[0].Succeeded {
				t.Errorf("result = %+v, want success", res.Deliveries)
			}
		})
	}
}

func TestEventWorkflowMaxAttempts(t *testing.T) {
	always := map[string][]func() error{"whk_a": {func() error { return retryableErr("HTTP 500", 0) }}}
	tests := []struct {
		attempts int
		want     []deliverCall
	}{
		{1, []deliverCall{local()}},
		{2, []deliverCall{local(), regular(1)}},
		{3, []deliverCall{local(), regular(1), regular(2)}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("max attempts %d", tt.attempts), func(t *testing.T) {
			tg := target("whk_a", fastRetry)
			tg.Retry.MaxAttempts = tt.attempts
			res, f := runEvent(t, oneTarget(tg), always)

			checkCalls(t, f.calls("whk_a"), tt.want)
			wantFin := []workflows.FinishInput{{DeliveryID: "dlv_whk_a", TargetType: herald.TargetWebhook, TargetID: "whk_a", Reason: "HTTP 500", CountFailure: true}}
			if fin := f.finished(); !slices.Equal(fin, wantFin) {
				t.Errorf("Finish calls = %+v, want %+v", fin, wantFin)
			}
			if d := res.Deliveries[0]; d.Succeeded || d.Error != "HTTP 500" {
				t.Errorf("result = %+v, want a failure with the last reason", d)
			}
		})
	}
}

func TestEventWorkflowPermanentFailureOnRetry(t *testing.T) {
	res, f := runEvent(t, oneTarget(target("whk_a", fastRetry)), map[string][]func() error{
		"whk_a": {
			func() error { return retryableErr("HTTP 503", 0) },
			func() error { return permanentErr("webhook was deleted") },
			success,
		},
	})
	checkCalls(t, f.calls("whk_a"), []deliverCall{local(), regular(1)})
	if fin := f.finished(); len(fin) != 1 || fin[0].Reason != "webhook was deleted" {
		t.Errorf("Finish calls = %+v, want one with the permanent reason", fin)
	}
	if d := res.Deliveries[0]; d.Succeeded || d.Error != "webhook was deleted" {
		t.Errorf("result = %+v", d)
	}
}

// TestEventWorkflowMaxAge: with no attempt limit, retries stop once the
// target's max age has passed.
func TestEventWorkflowMaxAge(t *testing.T) {
	tg := target("whk_a", fastRetry)
	tg.Retry.MaxAge = 2 * time.Minute
	res, f := runEvent(t, oneTarget(tg), map[string][]func() error{
		"whk_a": {func() error { return retryableErr("HTTP 500", 0) }},
	})
	calls := f.calls("whk_a")
	if len(calls) < 5 {
		t.Fatalf("%d Deliver calls, want retries until max age", len(calls))
	}
	if span := calls[len(calls)-1].At.Sub(calls[0].At); span > tg.Retry.MaxAge {
		t.Errorf("last attempt %v after the first, want within max age %v", span, tg.Retry.MaxAge)
	}
	if fin := f.finished(); len(fin) != 1 {
		t.Errorf("Finish called %d times, want 1", len(fin))
	}
	if d := res.Deliveries[0]; d.Succeeded || d.Error == "" {
		t.Errorf("result = %+v, want a failure with a reason", d)
	}
}

// TestEventWorkflowNoAttemptAfterMaxAge: attempts due at 0, 1, 3 and 7 s
// run; the next one, due at 15 s, is past the 12 s max age and never
// starts, and neither does one a Retry-After would put past it.
func TestEventWorkflowNoAttemptAfterMaxAge(t *testing.T) {
	t.Run("backoff", func(t *testing.T) {
		tg := target("whk_a", fastRetry)
		tg.Retry.MaxAge = 12 * time.Second
		res, f := runEvent(t, oneTarget(tg), map[string][]func() error{
			"whk_a": {func() error { return retryableErr("HTTP 500", 0) }},
		})
		calls := f.calls("whk_a")
		checkGaps(t, calls, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second})
		wantFin := []workflows.FinishInput{{DeliveryID: "dlv_whk_a", TargetType: herald.TargetWebhook, TargetID: "whk_a", Reason: "HTTP 500", CountFailure: true}}
		if fin := f.finished(); !slices.Equal(fin, wantFin) {
			t.Errorf("Finish calls = %+v, want %+v", fin, wantFin)
		}
		if d := res.Deliveries[0]; d.Succeeded || d.Error != "HTTP 500" {
			t.Errorf("result = %+v, want a failure with the last reason", d)
		}
	})
	t.Run("Retry-After past max age", func(t *testing.T) {
		tg := target("whk_a", workflows.RetrySettings{InitialInterval: time.Second, BackoffCoefficient: 2, MaxInterval: time.Minute, MaxAge: 30 * time.Second})
		res, f := runEvent(t, oneTarget(tg), map[string][]func() error{
			"whk_a": {func() error { return retryableErr("HTTP 429", 45*time.Second) }, success},
		})
		checkCalls(t, f.calls("whk_a"), []deliverCall{local()})
		if d := res.Deliveries[0]; d.Succeeded || d.Error != "HTTP 429" {
			t.Errorf("result = %+v, want a failure with the 429", d)
		}
	})
}

// A workflow that reached its retries before the max-age deadline existed
// (no version marker in its history) replays the old way: it sleeps past
// max age and makes the attempt.
func TestEventWorkflowMaxAgeBeforeTheDeadlineVersion(t *testing.T) {
	tg := target("whk_a", workflows.RetrySettings{InitialInterval: time.Second, BackoffCoefficient: 2, MaxInterval: time.Minute, MaxAge: 30 * time.Second})
	res, f := runEventWith(t, oneTarget(tg), map[string][]func() error{
		"whk_a": {func() error { return retryableErr("HTTP 429", 45*time.Second) }, success},
	}, func(env *testsuite.TestWorkflowEnvironment, _ *fakeActivities) {
		env.OnGetVersion("max-age-deadline", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	})
	checkCalls(t, f.calls("whk_a"), []deliverCall{local(), regular(1)})
	if !res.Deliveries[0].Succeeded {
		t.Errorf("result = %+v, want the old path's success after the wait", res.Deliveries)
	}
}

func TestEventWorkflowFansOut(t *testing.T) {
	// The publisher sorts targets; the workflow keeps whatever order it gets.
	in := workflows.EventInput{EventID: "evt_1", Event: "user.created", Targets: []workflows.Target{
		target("whk_c", fastRetry),
		target("whk_a", fastRetry),
		target("whk_b", fastRetry),
	}}
	res, f := runEvent(t, in, map[string][]func() error{
		"whk_a": {func() error { return retryableErr("HTTP 503", 0) }, success},
		"whk_b": {func() error { return permanentErr("HTTP 410: receiver is gone") }},
	})

	checkCalls(t, f.calls("whk_a"), []deliverCall{local(), regular(1)})
	checkCalls(t, f.calls("whk_b"), []deliverCall{local()})
	checkCalls(t, f.calls("whk_c"), []deliverCall{local()})
	for _, id := range []string{"whk_a", "whk_b", "whk_c"} {
		for _, c := range f.calls(id) {
			if c.In.DeliveryID != "dlv_"+id || c.In.EventID != "evt_1" {
				t.Errorf("%s: DeliverInput = %+v, want its own delivery of evt_1", id, c.In)
			}
		}
	}
	wantFin := []workflows.FinishInput{{DeliveryID: "dlv_whk_b", TargetType: herald.TargetWebhook, TargetID: "whk_b", Reason: "HTTP 410: receiver is gone", CountFailure: true}}
	if fin := f.finished(); !slices.Equal(fin, wantFin) {
		t.Errorf("Finish calls = %+v, want %+v", fin, wantFin)
	}
	wantRes := []workflows.DeliveryOutcome{
		{DeliveryID: "dlv_whk_c", TargetID: "whk_c", Succeeded: true},
		{DeliveryID: "dlv_whk_a", TargetID: "whk_a", Succeeded: true},
		{DeliveryID: "dlv_whk_b", TargetID: "whk_b", Error: "HTTP 410: receiver is gone"},
	}
	if !slices.Equal(res.Deliveries, wantRes) {
		t.Errorf("result =\n  %+v\nwant\n  %+v", res.Deliveries, wantRes)
	}
}

// An event with a delivery not made ends as a failed workflow, so that
// Temporal UI shows it as failed; its message names the first few.
func TestEventWorkflowFailsWhenADeliveryFailed(t *testing.T) {
	in := workflows.EventInput{EventID: "evt_1", Event: "user.created"}
	script := map[string][]func() error{}
	for _, id := range []string{"whk_a", "whk_b", "whk_c", "whk_d", "whk_e"} {
		in.Targets = append(in.Targets, target(id, fastRetry))
		if id != "whk_b" {
			script[id] = []func() error{func() error { return permanentErr("HTTP 404 at " + id) }}
		}
	}
	var env *testsuite.TestWorkflowEnvironment
	runEventWith(t, in, script, func(e *testsuite.TestWorkflowEnvironment, _ *fakeActivities) { env = e })
	var app *temporal.ApplicationError
	if !errors.As(env.GetWorkflowError(), &app) {
		t.Fatalf("workflow error %v, want its failure", env.GetWorkflowError())
	}
	want := "4 of 5 deliveries failed: whk_a (HTTP 404 at whk_a); whk_c (HTTP 404 at whk_c); whk_d (HTTP 404 at whk_d); and 1 more"
	if app.Message() != want {
		t.Errorf("failure %q, want %q", app.Message(), want)
	}
}

func TestEventWorkflowNoTargets(t *testing.T) {
	res, f := runEvent(t, workflows.EventInput{EventID: "evt_1", Event: "user.created"}, nil)
	if n := len(f.calls("")); len(res.Deliveries) != 0 || n != 0 {
		t.Errorf("result = %+v after %d calls, want nothing", res, n)
	}
}

// checkGaps compares the test-clock time between consecutive calls.
func checkGaps(t *testing.T, calls []deliverCall, want []time.Duration) {
	t.Helper()
	if len(calls) != len(want)+1 {
		t.Fatalf("%d calls, want %d", len(calls), len(want)+1)
	}
	for i, w := range want {
		if got := calls[i+1].At.Sub(calls[i].At); got != w {
			t.Errorf("wait before attempt %d = %v, want %v", i+2, got, w)
		}
	}
}

// A target deleted or disabled meanwhile ends its delivery without retries
// and without counting towards the webhook's auto-disable.
func TestEventWorkflowStoppedTargetDoesNotCountAsFailure(t *testing.T) {
	tg := target("whk_a", fastRetry)
	_, f := runEvent(t, oneTarget(tg), map[string][]func() error{
		"whk_a": {func() error {
			return temporal.NewApplicationErrorWithOptions("webhook is disabled", workflows.ErrStopped, temporal.ApplicationErrorOptions{NonRetryable: true})
		}},
	})
	checkCalls(t, f.calls("whk_a"), []deliverCall{local()})
	wantFin := []workflows.FinishInput{{DeliveryID: "dlv_whk_a", TargetType: herald.TargetWebhook, TargetID: "whk_a", Reason: "webhook is disabled", CountFailure: false}}
	if fin := f.finished(); !slices.Equal(fin, wantFin) {
		t.Errorf("Finish calls = %+v, want %+v", fin, wantFin)
	}
}

// numbers are the delivery attempt numbers of the calls.
func numbers(calls []deliverCall) []int {
	var out []int
	for _, c := range calls {
		out = append(out, c.number())
	}
	return out
}

// An attempt the rate limit holds back made no request: it neither uses up
// max_attempts nor takes a number, and it runs again when the slot is due.
func TestEventWorkflowRateLimitDoesNotUseAttempts(t *testing.T) {
	tg := target("whk_a", fastRetry)
	tg.Retry.MaxAttempts = 3
	fail := func() error { return retryableErr("HTTP 500", 0) }
	res, f := runEvent(t, oneTarget(tg), map[string][]func() error{
		"whk_a": {limited(10 * time.Second), fail, limited(20 * time.Second), fail, fail, success},
	})

	calls := f.calls("whk_a")
	// Calls 1 and 3 were held back; 2, 4 and 5 are the three attempts.
	if got, want := numbers(calls), []int{1, 1, 2, 2, 3}; !slices.Equal(got, want) {
		t.Fatalf("attempt numbers of the calls = %v, want %v", got, want)
	}
	if !calls[0].Local || calls[1].Local {
		t.Errorf("only the first call should be local: %+v", calls)
	}
	// The held slots' waits, and the backoff between real attempts: 1 s
	// after the first failure, 2 s after the second.
	checkGaps(t, calls, []time.Duration{10 * time.Second, time.Second, 20 * time.Second, 2 * time.Second})
	wantFin := []workflows.FinishInput{{DeliveryID: "dlv_whk_a", TargetType: herald.TargetWebhook, TargetID: "whk_a", Reason: "HTTP 500", CountFailure: true}}
	if fin := f.finished(); !slices.Equal(fin, wantFin) {
		t.Errorf("Finish calls = %+v, want %+v", fin, wantFin)
	}
	if d := res.Deliveries[0]; d.Succeeded {
		t.Errorf("result = %+v, want a failure after three attempts", d)
	}
}

// An attempt that could not read the store made no request either: it
// neither uses up max_attempts nor takes a number, and the workflow backs
// off before trying it again.
func TestEventWorkflowStoreOutageDoesNotUseAttempts(t *testing.T) {
	tg := target("whk_a", fastRetry)
	tg.Retry.MaxAttempts = 3
	fail := func() error { return retryableErr("HTTP 500", 0) }
	res, f := runEvent(t, oneTarget(tg), map[string][]func() error{
		"whk_a": {storeDown, storeDown, storeDown, fail, storeDown, fail, fail, success},
	})

	calls := f.calls("whk_a")
	if got, want := numbers(calls), []int{1, 1, 1, 1, 2, 2, 3}; !slices.Equal(got, want) {
		t.Fatalf("attempt numbers of the calls = %v, want %v", got, want)
	}
	// Outages in a row back off (1 s, 2 s, 4 s) and start over after a
	// request; real attempts keep their own backoff (1 s, then 2 s).
	checkGaps(t, calls, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, time.Second, time.Second, 2 * time.Second})
	if d := res.Deliveries[0]; d.Succeeded || d.Error != "HTTP 500" {
		t.Errorf("result = %+v, want a failure after three attempts", d)
	}
}

// Waits through a store outage grow to ten minutes even for a target
// whose max interval is a second: each wait adds to the history, and an
// outage of hours must not fill it.
func TestEventWorkflowStoreOutageBacksOffPastAShortMaxInterval(t *testing.T) {
	tg := target("whk_a", fastRetry)
	tg.Retry.MaxInterval, tg.Retry.BackoffCoefficient = time.Second, 1.5
	script := slices.Repeat([]func() error{storeDown}, 12)
	res, f := runEvent(t, oneTarget(tg), map[string][]func() error{"whk_a": append(script, success)})
	var want []time.Duration
	for wait := time.Second; len(want) < 12; wait = min(2*wait, 10*time.Minute) {
		want = append(want, wait)
	}
	checkGaps(t, f.calls("whk_a"), want)
	if !res.Deliveries[0].Succeeded {
		t.Errorf("result = %+v, want the delivery made once the store is back", res.Deliveries)
	}
}

// A wait through a store outage that would pass the max-age deadline is
// cut short, so the delivery still gets tried before it: the store is
// back after 14 minutes of a 15-minute max age, and the delivery is made.
func TestEventWorkflowStoreOutageKeepsATryBeforeMaxAge(t *testing.T) {
	tg := target("whk_a", fastRetry)
	tg.Retry.MaxInterval, tg.Retry.MaxAge = time.Second, 15*time.Minute
	var start time.Time
	down := func(env *testsuite.TestWorkflowEnvironment) func() error {
		return func() error {
			if env.Now().Sub(start) < 14*time.Minute {
				return errStoreDown
			}
			return nil
		}
	}
	res, f := runEventWith(t, oneTarget(tg), nil, func(env *testsuite.TestWorkflowEnvironment, f *fakeActivities) {
		start = env.Now()
		f.script = map[string][]func() error{"whk_a": {down(env)}}
	})
	if !res.Deliveries[0].Succeeded {
		t.Fatalf("result = %+v after %d tries, want the delivery made before its max age", res.Deliveries, len(f.calls("whk_a")))
	}
}

// A delivery whose rate-limit slot lies past its max age fails without a
// request; that does not count towards auto-disable.
func TestEventWorkflowRateLimitPastMaxAgeDoesNotCount(t *testing.T) {
	tg := target("whk_a", fastRetry)
	tg.Retry.MaxAge = time.Hour
	res, f := runEvent(t, oneTarget(tg), map[string][]func() error{
		"whk_a": {limited(2 * time.Hour)},
	})
	fin := f.finished()
	if len(fin) != 1 || fin[0].CountFailure || res.Deliveries[0].Succeeded {
		t.Errorf("Finish calls = %+v, result %+v: want one failure that does not count", fin, res.Deliveries)
	}
}

// With max_attempts 1, a first attempt held back by the rate limit still
// gets its one attempt.
func TestEventWorkflowRateLimitedSingleAttempt(t *testing.T) {
	tg := target("whk_a", fastRetry)
	tg.Retry.MaxAttempts = 1
	tg.PriorAttempts = 4 // a redelivery continues the numbering
	res, f := runEvent(t, oneTarget(tg), map[string][]func() error{
		"whk_a": {limited(5 * time.Second), success},
	})
	calls := f.calls("whk_a")
	if got, want := numbers(calls), []int{5, 5}; !slices.Equal(got, want) {
		t.Fatalf("attempt numbers of the calls = %v, want %v", got, want)
	}
	checkGaps(t, calls, []time.Duration{5 * time.Second})
	if !res.Deliveries[0].Succeeded || len(f.finished()) != 0 {
		t.Errorf("result = %+v, finishes %+v; want one success", res.Deliveries, f.finished())
	}
}

// A workflow an operator cancels (Temporal UI) ends its pending deliveries
// as failed, without counting towards the targets' auto-disable.
func TestEventWorkflowCancelDoesNotCountAsFailure(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	f := &fakeActivities{now: env.Now, script: map[string][]func() error{
		"whk_a": {func() error { return retryableErr("HTTP 503", 0) }},
	}}
	env.RegisterWorkflowWithOptions(workflows.EventWorkflow, workflow.RegisterOptions{Name: workflows.EventWorkflowName})
	env.RegisterActivityWithOptions(f.Deliver, activity.RegisterOptions{Name: workflows.DeliverActivityName})
	env.RegisterActivityWithOptions(f.Finish, activity.RegisterOptions{Name: workflows.FinishActivityName})
	tg := target("whk_a", workflows.RetrySettings{InitialInterval: time.Hour, BackoffCoefficient: 2, MaxInterval: time.Hour})
	// Cancelled while waiting an hour for the second attempt.
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Minute)
	env.ExecuteWorkflow(workflows.EventWorkflowName, oneTarget(tg))
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	fin := f.finished()
	if len(fin) != 1 || fin[0].CountFailure || fin[0].DeliveryID != "dlv_whk_a" {
		t.Errorf("Finish calls = %+v, want one for dlv_whk_a that does not count", fin)
	}
}

// A store outage far longer than the finish step's 30 s timeout still
// ends with the failure recorded: a delivery left pending could not be
// retried by hand. After half a minute of local tries, whose long waits
// would each add to the history, a regular activity retries it on the
// server.
func TestEventWorkflowFinishOutlastsStoreOutage(t *testing.T) {
	tg := target("whk_a", fastRetry)
	var mu sync.Mutex
	var locals, regulars int
	var lastLocal time.Duration
	res, f := runEventWith(t, oneTarget(tg), map[string][]func() error{
		"whk_a": {func() error { return permanentErr("HTTP 404") }},
	}, func(env *testsuite.TestWorkflowEnvironment, f *fakeActivities) {
		start := env.Now()
		// The testsuite stops unlimited retries after 10 attempts; the
		// server does not.
		f.finishDownUntil = start.Add(5 * time.Minute)
		env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
			if info.ActivityType.Name != workflows.FinishActivityName {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if info.IsLocalActivity {
				locals++
				lastLocal = env.Now().Sub(start)
			} else {
				regulars++
			}
		})
		env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) {
			if info.ActivityType.Name == workflows.FinishActivityName {
				mu.Lock()
				defer mu.Unlock()
				locals++
				lastLocal = env.Now().Sub(start)
			}
		})
	})
	if res.Deliveries[0].Error != "HTTP 404" {
		t.Errorf("result = %+v, want the HTTP 404 failure", res.Deliveries)
	}
	if fin := f.finished(); len(fin) != 1 || fin[0].Reason != "HTTP 404" {
		t.Errorf("Finish calls = %+v, want the failure recorded once the store is back", fin)
	}
	mu.Lock()
	defer mu.Unlock()
	if locals < 2 || lastLocal > time.Minute || regulars < 2 {
		t.Errorf("%d local tries (the last after %v), then %d regular ones; want a few local ones within a minute, then regular ones", locals, lastLocal, regulars)
	}
}

// A first attempt that ran out of its schedule-to-close timeout waiting for
// a local-activity slot made no request: a regular activity makes it under
// the same number, and it uses up no attempt, even with max_attempts 1.
func TestEventWorkflowLocalQueueTimeoutUsesNoAttempt(t *testing.T) {
	tg := target("whk_a", fastRetry)
	tg.Retry.MaxAttempts = 1
	queued := func() error { return temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE, nil) }
	res, f := runEvent(t, oneTarget(tg), map[string][]func() error{
		"whk_a": {queued, success},
	})
	calls := f.calls("whk_a")
	if len(calls) != 2 || !calls[0].Local || calls[1].Local {
		t.Fatalf("calls = %+v, want the local attempt, then a regular one", calls)
	}
	if got, want := numbers(calls), []int{1, 1}; !slices.Equal(got, want) {
		t.Errorf("attempt numbers of the calls = %v, want %v", got, want)
	}
	if !res.Deliveries[0].Succeeded || len(f.finished()) != 0 {
		t.Errorf("result = %+v, finishes %+v; want one success", res.Deliveries, f.finished())
	}
}

// A panic in the first, local attempt (a bug met on rare event data) is
// retried like a regular attempt's, which the server retries: it is not
// the receiver's failure, so it neither ends the delivery at once nor
// counts against the target. Its reason does not quote the panic's value.
func TestEventWorkflowLocalPanicIsRetried(t *testing.T) {
	tg := target("whk_a", fastRetry)
	res, f := runEvent(t, oneTarget(tg), map[string][]func() error{
		"whk_a": {func() error { panic("nil map in sender, token sk_live_x") }, success},
	})
	calls := f.calls("whk_a")
	if len(calls) != 2 || !calls[0].Local || calls[1].Local {
		t.Fatalf("calls = %+v, want the local attempt, then a regular one", calls)
	}
	if got, want := numbers(calls), []int{1, 2}; !slices.Equal(got, want) {
		t.Errorf("attempt numbers = %v, want %v", got, want)
	}
	if !res.Deliveries[0].Succeeded || len(f.finished()) != 0 {
		t.Errorf("result = %+v, finishes %+v; want one success", res.Deliveries, f.finished())
	}

	tg.Retry.MaxAttempts = 1
	_, f = runEvent(t, oneTarget(tg), map[string][]func() error{
		"whk_a": {func() error { panic("nil map in sender, token sk_live_x") }},
	})
	fin := f.finished()
	if len(fin) != 1 || fin[0].CountFailure || strings.Contains(fin[0].Reason, "sk_live_x") || !strings.Contains(fin[0].Reason, "panic") {
		t.Errorf("finishes %+v; want one, not counted, its reason naming a panic without quoting it", fin)
	}
}

// A workflow started late (a publisher's retry after a failed start, or
// the sweep) counts max age from the event's publication: with 2 min of
// its 2 min 4 s gone at the start, the attempts due at 0, 1 and 3 s run
// and the one due at 7 s does not. A start less than a minute after the
// publication (any normal publish), a publication time after the start
// (another host's clock ahead), and a history an older worker wrote
// (no version marker) count from the start.
func TestEventWorkflowMaxAgeCountsFromPublication(t *testing.T) {
	start := time.Date(2026, 5, 17, 21, 0, 0, 0, time.UTC)
	all := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
	for _, tc := range []struct {
		name      string
		published time.Time
		maxAge    time.Duration
		old       bool // replaying an older worker's history
		gaps      []time.Duration
	}{
		{"started 2 min late", start.Add(-2 * time.Minute), 2*time.Minute + 4*time.Second, false, all[:2]},
		{"started 50 s late", start.Add(-50 * time.Second), 12 * time.Second, false, all},
		{"published after the start", start.Add(time.Minute), 12 * time.Second, false, all},
		{"an older worker's history", start.Add(-2 * time.Minute), 12 * time.Second, true, all},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := target("whk_a", fastRetry)
			tg.Retry.MaxAge = tc.maxAge
			in := oneTarget(tg)
			in.Published = tc.published
			_, f := runEventWith(t, in, map[string][]func() error{
				"whk_a": {func() error { return retryableErr("HTTP 500", 0) }},
			}, func(env *testsuite.TestWorkflowEnvironment, _ *fakeActivities) {
				env.SetStartTime(start)
				if tc.old {
					env.OnGetVersion("max-age-from-publication", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
				}
			})
			checkGaps(t, f.calls("whk_a"), tc.gaps)
		})
	}
}

// A workflow that starts after its targets' max age ran out (the sweep
// restarting a kept event, or a publisher's retry of its id days later)
// makes no attempt: the delivery ends as not sent, which does not count
// against the target. A target without a max age is still delivered, and
// a history an older worker wrote (no version marker) made the attempt.
func TestEventWorkflowStartedAfterMaxAgeMakesNoAttempt(t *testing.T) {
	start := time.Date(2026, 5, 17, 21, 0, 0, 0, time.UTC)
	for _, old := range []bool{false, true} {
		t.Run(map[bool]string{false: "now", true: "an older worker's history"}[old], func(t *testing.T) {
			late := target("whk_late", fastRetry)
			late.Retry.MaxAge = time.Hour
			open := target("whk_open", fastRetry)
			open.Retry.MaxAge = 0
			in := workflows.EventInput{EventID: "evt_1", Event: "user.created", Targets: []workflows.Target{late, open}}
			in.Published = start.Add(-48 * time.Hour)
			res, f := runEventWith(t, in, map[string][]func() error{}, func(env *testsuite.TestWorkflowEnvironment, _ *fakeActivities) {
				env.SetStartTime(start)
				if old {
					env.OnGetVersion("late-first-attempt", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
				}
			})
			if n := len(f.calls("whk_open")); n != 1 {
				t.Errorf("the target without a max age got %d attempts, want 1", n)
			}
			calls, fin := len(f.calls("whk_late")), f.finished()
			if old {
				if calls != 1 {
					t.Errorf("an older worker's history made %d attempts, want the 1 it made", calls)
				}
				return
			}
			if calls != 0 || len(fin) != 1 || fin[0].CountFailure || !strings.Contains(fin[0].Reason, "max age (1h0m0s) passed before the first attempt") {
				t.Errorf("attempts %d, Finish calls %+v: want none, and one failure that does not count", calls, fin)
			}
			for _, d := range res.Deliveries {
				if d.Succeeded != (d.TargetID == "whk_open") {
					t.Errorf("delivery %+v: want only whk_open delivered", d)
				}
			}
		})
	}
}

// A panic contained by the activity (ErrPanicked) is retried like a
// failed request, and, on the last attempt, ends the delivery without
// counting against the target.
func TestEventWorkflowContainedPanicIsRetried(t *testing.T) {
	panicked := func() error {
		return temporal.NewApplicationErrorWithOptions(workflows.PanicReason, workflows.ErrPanicked, temporal.ApplicationErrorOptions{})
	}
	tg := target("whk_a", fastRetry)
	res, f := runEvent(t, oneTarget(tg), map[string][]func() error{"whk_a": {panicked, panicked, success}})
	if calls := f.calls("whk_a"); len(calls) != 3 || !calls[0].Local || calls[1].Local || !res.Deliveries[0].Succeeded {
		t.Fatalf("calls = %+v, result %+v: want the local attempt, two regular ones, and the delivery made", calls, res.Deliveries)
	}
	tg.Retry.MaxAttempts = 2
	_, f = runEvent(t, oneTarget(tg), map[string][]func() error{"whk_a": {panicked, panicked}})
	fin := f.finished()
	if len(fin) != 1 || fin[0].CountFailure || fin[0].Reason != workflows.PanicReason {
		t.Errorf("finishes %+v; want one, not counted, with the fixed reason", fin)
	}
}

// The first retry after the local attempt, when its wait is short (the
// initial interval, or a Retry-After), is scheduled at once and keeps the
// wait itself (NotBefore): a timer, and then the activity, would each wait
// for the first workflow task to complete, which a slow sibling holds
// open. A longer wait is a timer, as is every wait in a history an older
// worker wrote.
func TestEventWorkflowShortFirstWaitIsKeptByTheActivity(t *testing.T) {
	for _, tc := range []struct {
		name     string
		first    func() error
		old      string // a change an older worker's history lacks
		inline   bool   // scheduled at once, with NotBefore
		deferred bool
		gap      time.Duration
	}{
		{"initial interval", func() error { return retryableErr("HTTP 500", 0) }, "", true, false, time.Second},
		{"short Retry-After", func() error { return retryableErr("HTTP 429", 3*time.Second) }, "", true, false, 3 * time.Second},
		{"long Retry-After", func() error { return retryableErr("HTTP 429", 8*time.Second) }, "", true, true, 8 * time.Second},
		{"an older worker's history, short wait", func() error { return retryableErr("HTTP 500", 0) }, "inline-first-wait", false, false, time.Second},
		{"an older worker's history, long wait", func() error { return retryableErr("HTTP 429", 8*time.Second) }, "deferred-first-wait", false, false, 8 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := target("whk_a", fastRetry)
			_, f := runEventWith(t, oneTarget(tg), map[string][]func() error{
				"whk_a": {tc.first, success},
			}, func(env *testsuite.TestWorkflowEnvironment, _ *fakeActivities) {
				if tc.old != "" {
					env.OnGetVersion(tc.old, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
				}
			})
			calls := f.calls("whk_a")
			checkGaps(t, calls, []time.Duration{tc.gap})
			if calls[1].In.Deferred != tc.deferred || calls[1].number() != 2 {
				t.Errorf("retry deferred = %v as attempt %d, want deferred = %v as attempt 2", calls[1].In.Deferred, calls[1].number(), tc.deferred)
			}
			nb := calls[1].In.NotBefore
			if tc.inline && !nb.Equal(calls[0].At.Add(tc.gap)) {
				t.Errorf("retry's NotBefore = %v, want the local attempt's time plus %v (%v)", nb, tc.gap, calls[0].At.Add(tc.gap))
			}
			if !tc.inline && !nb.IsZero() {
				t.Errorf("retry's NotBefore = %v, want none (a timer waited)", nb)
			}
		})
	}
}
