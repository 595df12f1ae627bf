package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// localAttemptSlack is added to a target's request timeout to get an
// attempt's start-to-close timeout. Besides the request, an attempt may
// wait up to 3 s for its rate-limit slot and take up to 10 s for its store
// writes (activities.maxInlineWait and recordTimeout), plus its loads: one
// that runs out of time after a 2xx would be sent again.
const localAttemptSlack = 15 * time.Second

// localQueueAllowance is how long the first, local attempt may wait for a
// free local-activity slot on a busy worker before its timeout starts
// counting; without it the SDK counts the wait against the attempt.
const localQueueAllowance = 2 * time.Minute

// EventWorkflow delivers one event to each of its targets concurrently and
// waits for all of them. A delivery first runs as a local activity (one
// quick attempt without extra history round trips); if that attempt fails in
// a retryable way, a regular activity takes over with the target's retry
// policy, so retries survive worker and server restarts.
func EventWorkflow(ctx workflow.Context, in EventInput) (EventResult, error) {
	results := make([]DeliveryOutcome, len(in.Targets))
	wg := workflow.NewWaitGroup(ctx)
	for i, t := range in.Targets {
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			results[i] = deliver(ctx, in, t)
		})
	}
	wg.Wait(ctx)
	result := EventResult{Deliveries: results}
	if msg := failedSummary(results); msg != "" && ctx.Err() == nil &&
		workflow.GetVersion(ctx, failedStatusChange, workflow.DefaultVersion, 1) == 1 {
		// Temporal UI shows the event as failed, and lists such events
		// (ExecutionStatus = "Failed"); the details keep the result.
		return result, temporal.NewNonRetryableApplicationError(msg, ErrDeliveriesFailed, nil, result)
	}
	return result, nil
}

// failedStatusChange versions ending an event with a failed delivery as a
// failed workflow (workflow.GetVersion): before it, every event workflow
// completed. Asked only then, so an event delivered in full carries no
// marker.
const failedStatusChange = "failed-status"

// failedSummary is the failure of an event workflow whose deliveries did
// not all succeed, naming the first few and why; "" when all succeeded.
func failedSummary(results []DeliveryOutcome) string {
	var failed []DeliveryOutcome
	for _, r := range results {
		if !r.Succeeded {
			failed = append(failed, r)
		}
	}
	if len(failed) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d deliveries failed: ", len(failed), len(results))
	const named = 3
	for i, f := range failed[:min(len(failed), named)] {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s (%s)", f.TargetID, f.Error)
	}
	if len(failed) > named {
		fmt.Fprintf(&b, "; and %d more", len(failed)-named)
	}
	return b.String()
}

func deliver(ctx workflow.Context, in EventInput, t Target) DeliveryOutcome {
	out := DeliveryOutcome{DeliveryID: t.DeliveryID, TargetID: t.ID}
	input := DeliverInput{DeliveryID: t.DeliveryID, TargetType: t.Type, TargetID: t.ID, EventID: in.EventID, AttemptOffset: t.PriorAttempts, Timeout: t.Timeout, Generation: t.Generation}
	timeout := t.Timeout + localAttemptSlack
	// No attempt starts once the target's max age has passed since the
	// event was published (SPEC §6).
	deadline := maxAgeDeadline(ctx, in.Published, t.Retry.MaxAge)
	if !deadline.IsZero() && !workflow.GetInfo(ctx).WorkflowStartTime.Before(deadline) &&
		workflow.GetVersion(ctx, lateFirstAttemptChange, workflow.DefaultVersion, 1) == 1 {
		// Started after the max age ran out (the sweep, or a publisher's
		// retry of its id long after a failed start): no attempt at all,
		// and, as no request was made, nothing against the target. A
		// workflow started in time makes its first attempt however late
		// its first workflow task runs (no worker was up, say).
		return finish(ctx, out, t, temporal.NewApplicationErrorWithOptions(
			fmt.Sprintf("max age (%s) passed before the first attempt", t.Retry.MaxAge), ErrNotSent,
			temporal.ApplicationErrorOptions{NonRetryable: true}))
	}

	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    timeout,
		ScheduleToCloseTimeout: timeout + localQueueAllowance,
		RetryPolicy:            &temporal.RetryPolicy{MaximumAttempts: 1},
		Summary:                fmt.Sprintf("%s %s, attempt %d", t.Type, t.ID, t.PriorAttempts+1),
	})
	err := workflow.ExecuteLocalActivity(lctx, DeliverActivityName, input).Get(ctx, nil)
	var wait time.Duration
	outages := 0 // attempts in a row held back by the store
	if held, ok := heldBack(err); ok {
		// No request went out: the same attempt runs later.
		wait, outages = holdWait(ctx, t.Retry, held, outages, deadline)
	} else if queuedTooLong(err) && workflow.GetVersion(ctx, localQueueChange, workflow.DefaultVersion, 1) == 1 {
		// The attempt waited for one of the worker's local-activity slots
		// (all held by slow receivers) until its schedule-to-close ran
		// out. It made no request: one that starts without time left for
		// its request and writes ends as not sent instead
		// (activities.Deliver). A regular activity makes it now, under
		// the same number, and it uses up no attempt. Should the max age
		// have passed meanwhile, the delivery ends as not sent, which
		// does not count against the target.
		err = temporal.NewApplicationErrorWithOptions("waited too long for a free worker slot", ErrNotSent,
			temporal.ApplicationErrorOptions{NonRetryable: true})
	} else {
		switch {
		case err == nil:
			out.Succeeded = true
			return out
		case t.Retry.MaxAttempts == 1, !retryable(err) && !panicRetried(ctx, err):
			return finish(ctx, out, t, err)
		}
		// Wait what the receiver asked for (Retry-After), else the first
		// backoff interval, before the durable retries begin.
		wait = t.Retry.InitialInterval
		if d := nextRetryDelay(err); d > 0 {
			wait = min(d, max(t.Retry.MaxInterval, t.Retry.InitialInterval))
		}
		input.AttemptOffset++
		if wait <= inlineWaitMax && workflow.GetVersion(ctx, inlineWaitChange, workflow.DefaultVersion, 1) == 1 {
			// A short wait is kept by the activity itself, scheduled now:
			// a timer, and then the activity, would each reach the server
			// only when this workflow task completes, which another
			// target's slow first attempt holds open (see inlineWaitMax).
			input.NotBefore = workflow.Now(ctx).Add(wait)
		} else if wait > inlineWaitMax && workflow.GetVersion(ctx, deferredWaitChange, workflow.DefaultVersion, 1) == 1 {
			// Too long to hold a worker slot: the activity's first try
			// hands the wait back to Temporal (DeliverInput.Deferred),
			// which holds nothing and needs no workflow task.
			input.NotBefore, input.Deferred = workflow.Now(ctx).Add(wait), true
		}
	}

	// Regular activities make the remaining attempts under the target's
	// retry policy. One that finds the rate limit's slot far ahead ends
	// without a request; the next one starts when the slot is due and
	// carries on the attempt numbering, and none starts after the
	// deadline.
	// Workflows that reached this point before the deadline was enforced
	// slept past it; they must replay as they ran.
	legacy := workflow.GetVersion(ctx, maxAgeChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion
	for {
		if !deadline.IsZero() && !legacy && !workflow.Now(ctx).Add(wait).Before(deadline) {
			return finish(ctx, out, t, err)
		}
		inline := time.Duration(0) // the part of the wait the activity keeps
		if !input.NotBefore.IsZero() {
			inline = min(wait, inlineWaitMax)
		} else {
			timer := workflow.NewTimerWithOptions(ctx, wait, workflow.TimerOptions{
				Summary: fmt.Sprintf("%s %s, wait for attempt %d", t.Type, t.ID, input.AttemptOffset+1),
			})
			if err := timer.Get(ctx, nil); err != nil {
				return finish(ctx, out, t, err)
			}
		}
		scheduleToClose, ok := attemptWindow(deadline, workflow.Now(ctx), legacy)
		if !ok {
			return finish(ctx, out, t, err)
		}
		made := input.AttemptOffset - t.PriorAttempts
		policy := RetryPolicy(t.Retry, made)
		if input.Deferred {
			policy = deferredPolicy(policy)
		}
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout:    timeout + inline,
			ScheduleToCloseTimeout: scheduleToClose,
			RetryPolicy:            policy,
			Summary:                fmt.Sprintf("%s %s, attempts from %d", t.Type, t.ID, input.AttemptOffset+1),
		})
		err = workflow.ExecuteActivity(actx, DeliverActivityName, input).Get(ctx, nil)
		input.NotBefore, input.Deferred = time.Time{}, false // later waits are timers
		held, ok := heldBack(err)
		switch {
		case err == nil:
			out.Succeeded = true
			return out
		case !ok:
			return finish(ctx, out, t, err)
		}
		if held.Attempt-1 > input.AttemptOffset {
			outages = 0 // requests went out since the last hold
		}
		input.AttemptOffset = max(held.Attempt-1, input.AttemptOffset)
		if t.Retry.MaxAttempts > 0 && input.AttemptOffset-t.PriorAttempts >= t.Retry.MaxAttempts {
			// Not reached: an activity with no attempt left makes none.
			return finish(ctx, out, t, err)
		}
		wait, outages = holdWait(ctx, t.Retry, held, outages, deadline)
	}
}

// held is an attempt that ended before its request.
type held struct {
	RateLimited
	storeDown bool // ErrNotSent: Herald's store could not be read
}

// heldBack reports whether an attempt ended before its request: because
// of the target's rate limit (ErrRateLimited) or because the store could
// not be read (ErrNotSent).
func heldBack(err error) (held, bool) {
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || (app.Type() != ErrRateLimited && app.Type() != ErrNotSent) {
		return held{}, false
	}
	h := held{storeDown: app.Type() == ErrNotSent}
	if app.HasDetails() {
		_ = app.Details(&h.RateLimited) // a missing detail leaves a zero wait
	}
	return h, true
}

// holdWait is how long to wait before running a held-back attempt again,
// given the store outages in a row so far, and their new count. A rate
// limit says when its slot is due; a store outage backs off from the
// target's initial interval, at least doubling, so a long one adds little
// history: each wait is a timer, an activity and a workflow task in it.
// The backoff grows to outageMaxWait even for a target whose max_interval
// is shorter (it may be a second), or a day's outage would run the history
// into Temporal's limit; a wait that would pass the max-age deadline is
// cut so that one more try comes before it.
func holdWait(ctx workflow.Context, r RetrySettings, h held, outages int, deadline time.Time) (time.Duration, int) {
	if !h.storeDown {
		return max(h.Wait, time.Second), 0
	}
	if workflow.GetVersion(ctx, outageBackoffChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		wait := grown(max(r.InitialInterval, time.Second), max(r.BackoffCoefficient, 1), max(r.MaxInterval, time.Second), outages)
		return wait, outages + 1
	}
	wait := grown(max(r.InitialInterval, time.Second), max(r.BackoffCoefficient, 2), max(r.MaxInterval, outageMaxWait), outages)
	// Past the deadline (a workflow from before it was enforced goes on
	// after it) the wait is not cut: it would hold every second.
	if left := deadline.Sub(workflow.Now(ctx)); !deadline.IsZero() && left > 0 && wait >= left {
		wait = max(left/2, time.Second)
	}
	return wait, outages + 1
}

// inlineWaitMax is the longest first-retry wait the retry's activity
// keeps itself (DeliverInput.NotBefore), holding a worker slot meanwhile;
// a longer one it hands to Temporal (DeliverInput.Deferred). Either way
// the activity is scheduled at once. Each target's first attempt is a
// local activity in the event's first workflow task, and commands (a
// timer, an activity) reach the server only when that task completes, or
// when the SDK completes it early while a slow receiver holds an attempt,
// every 80% of its timeout (publish's workflowTaskTimeout, 5 s). A timer
// and then its activity took up to three of those: a slow sibling held a
// 1 s retry back to about 12 s. An activity scheduled at once takes at
// most one, 4 s.
const inlineWaitMax = MaxInlineWait

// deferredWaitChange versions handing a long first-retry wait to Temporal
// through the activity's first try (DeliverInput.Deferred)
// (workflow.GetVersion): before it, such a wait was a timer, which a slow
// sibling's first attempt held back as it held back short ones. Asked
// only when the wait is that long.
const deferredWaitChange = "deferred-first-wait"

// deferredPolicy is p for a Deferred activity, whose first try makes no
// request: one more try, and the backoff one step behind, so that the
// tries with requests wait as p says.
func deferredPolicy(p *temporal.RetryPolicy) *temporal.RetryPolicy {
	d := *p
	if d.MaximumAttempts > 0 {
		d.MaximumAttempts++
	}
	d.InitialInterval = time.Duration(float64(d.InitialInterval) / d.BackoffCoefficient)
	return &d
}

// inlineWaitChange versions keeping a short first-retry wait in the
// activity (workflow.GetVersion): before it, every wait was a timer.
// Asked only when the wait is short enough.
const inlineWaitChange = "inline-first-wait"

// outageBackoffChange versions holdWait's backoff through a store outage
// (workflow.GetVersion): before it, the waits grew only to the target's
// max interval.
const outageBackoffChange = "outage-backoff"

// outageMaxWait is the least that waits through a store outage grow to.
const outageMaxWait = 10 * time.Minute

// localQueueChange versions the handling of a first attempt that timed
// out waiting for a local-activity slot (workflow.GetVersion): before it,
// such an attempt counted as made.
const localQueueChange = "local-queue-timeout"

// panicChange versions the retry of a first attempt that panicked
// (workflow.GetVersion): before it, such a delivery failed at once.
const panicChange = "local-panic-retry"

// panicRetried reports whether err is a panic of the first, local attempt
// that is retried like a regular attempt's panic, which the server
// retries: a bug met on rare event data is not the receiver's failure.
func panicRetried(ctx workflow.Context, err error) bool {
	var panicked *temporal.PanicError
	return errors.As(err, &panicked) && workflow.GetVersion(ctx, panicChange, workflow.DefaultVersion, 1) == 1
}

// queuedTooLong reports whether a local attempt ended on its
// schedule-to-close timeout.
func queuedTooLong(err error) bool {
	var timeout *temporal.TimeoutError
	return errors.As(err, &timeout) && timeout.TimeoutType() == enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE
}

// lateFirstAttemptChange versions ending a delivery without its first
// attempt when the workflow started after the max age ran out
// (workflow.GetVersion): before it, the first attempt was made anyway.
// Asked only then, so a workflow started in time carries no marker.
const lateFirstAttemptChange = "late-first-attempt"

// maxAgeChange versions the max-age deadline of deliver (workflow.GetVersion).
const maxAgeChange = "max-age-deadline"

// publishedChange versions counting max age from the event's publication
// (workflow.GetVersion): a workflow an older worker ran counted from its
// start, and must replay as it ran.
const publishedChange = "max-age-from-publication"

// lateStart is how long after the event's publication a workflow must
// start for max age to count from the publication. A publish starts its
// workflow within a minute (usually milliseconds), and that difference is
// not worth a version marker in every event's history.
const lateStart = time.Minute

// maxAgeDeadline is when the target's max age runs out, or zero for no
// limit. It counts from published when the workflow started more than
// lateStart after it (started late: by a publisher's retry of an id whose
// start failed, or by the sweep), else from the workflow's start. It
// depends only on the input, the start time and the version, all fixed in
// history.
func maxAgeDeadline(ctx workflow.Context, published time.Time, maxAge time.Duration) time.Time {
	if maxAge <= 0 {
		return time.Time{}
	}
	from := workflow.GetInfo(ctx).WorkflowStartTime
	if !published.IsZero() && from.Sub(published) > lateStart &&
		workflow.GetVersion(ctx, publishedChange, workflow.DefaultVersion, 1) == 1 {
		from = published
	}
	return from.Add(maxAge)
}

// attemptWindow is the schedule-to-close timeout of regular attempts that
// start at now: Temporal starts no retry that would begin after the
// max-age deadline, and ends a running attempt there. Zero means no
// deadline. It is not ok when the deadline has passed already, which a
// timer that fired late (a busy worker) can find although the check before
// the sleep passed; zero or a negative timeout would mean no limit or an
// activity that never starts.
func attemptWindow(deadline, now time.Time, legacy bool) (time.Duration, bool) {
	switch {
	case deadline.IsZero():
		return 0, true
	case legacy:
		return max(deadline.Sub(now), time.Minute), true
	}
	d := deadline.Sub(now)
	return d, d > 0
}

// finishPatience is how long finish keeps trying to record a failure.
const finishPatience = 7 * 24 * time.Hour

// finishFallbackChange versions finish's regular activity after its local
// one gave up (workflow.GetVersion): before it, the local activity itself
// retried for finishPatience.
const finishFallbackChange = "finish-fallback"

// finish records the failure in the store (the last attempt's activity may
// not have known it was the last) and reports it.
func finish(ctx workflow.Context, out DeliveryOutcome, t Target, cause error) DeliveryOutcome {
	out.Error = failureReason(cause)
	// Record the failure even when the workflow itself is being cancelled.
	ctx, _ = workflow.NewDisconnectedContext(ctx)
	in := FinishInput{DeliveryID: t.DeliveryID, TargetType: t.Type, TargetID: t.ID, Reason: out.Error, CountFailure: countsAgainstTarget(cause), Generation: t.Generation}
	// First in the workflow task, retried inside the worker for a moment:
	// every local retry that waits longer than the workflow task timeout
	// costs history events (a marker, a timer, a workflow task).
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 30 * time.Second,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 5 * time.Second},
		Summary:                fmt.Sprintf("record the failure of %s %s", t.Type, t.ID),
	})
	err := workflow.ExecuteLocalActivity(lctx, FinishActivityName, in).Get(ctx, nil)
	if err != nil && workflow.GetVersion(ctx, finishFallbackChange, workflow.DefaultVersion, 1) == 1 {
		// Until this lands the delivery stays pending, which neither a
		// manual retry nor recover touches: keep trying through a long
		// store outage. The server retries a regular activity without
		// adding to the history, however long the outage.
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout:    30 * time.Second,
			ScheduleToCloseTimeout: finishPatience,
			RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumInterval: time.Minute},
			Summary:                fmt.Sprintf("record the failure of %s %s", t.Type, t.ID),
		})
		err = workflow.ExecuteActivity(actx, FinishActivityName, in).Get(ctx, nil)
	}
	if err != nil {
		workflow.GetLogger(ctx).Error("could not mark delivery failed", "delivery_id", t.DeliveryID, "error", err)
	}
	return out
}

// retryable reports whether an activity failure may succeed on a later try.
func retryable(err error) bool {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return !app.NonRetryable() && app.Type() != ErrPermanent && app.Type() != ErrStopped
	}
	var timeout *temporal.TimeoutError
	return errors.As(err, &timeout)
}

// countsAgainstTarget reports whether a delivery that ended with err
// counts towards its target's consecutive failures: not when the target
// went away (deleted or disabled meanwhile), nor when an operator
// cancelled the workflow, nor when its last attempt panicked (a bug in
// Herald: ErrPanicked, or a PanicError in older histories), nor when it
// never sent a request (held back by the target's rate limit or by a
// store outage until max age): that says nothing of the receiver, and a
// burst to a rate-limited webhook would otherwise disable it.
func countsAgainstTarget(err error) bool {
	var app *temporal.ApplicationError
	if errors.As(err, &app) && (app.Type() == ErrStopped || app.Type() == ErrRateLimited || app.Type() == ErrNotSent || app.Type() == ErrPanicked || app.Type() == ErrNotDue) {
		return false
	}
	var cancelled *temporal.CanceledError
	var panicked *temporal.PanicError
	return !errors.As(err, &cancelled) && !errors.As(err, &panicked)
}

func nextRetryDelay(err error) time.Duration {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.NextRetryDelay()
	}
	return 0
}

// failureReason is the innermost message of an activity failure.
func failureReason(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return "timed out: " + timeout.TimeoutType().String()
	}
	var cancelled *temporal.CanceledError
	if errors.As(err, &cancelled) {
		return "cancelled"
	}
	var panicked *temporal.PanicError
	if errors.As(err, &panicked) {
		// The panic's value may quote what the activity held; the
		// worker's log has it, with the stack.
		return PanicReason
	}
	return err.Error()
}
