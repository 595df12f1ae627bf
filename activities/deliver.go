package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/connectors/dispatch"
	"github.com/heraldhub/herald/delivery"
	"github.com/heraldhub/herald/envelope"
	"github.com/heraldhub/herald/store"
	"github.com/heraldhub/herald/workflows"
)

// target is what one attempt did, whatever the kind of target.
type target struct {
	entries  []*herald.LogEntry
	out      delivery.Outcome
	maxDelay time.Duration // cap of a requested retry delay (SPEC §6)
	disable  func(ctx context.Context, reason string) error
}

func (a *Activities) sendWebhook(ctx context.Context, in workflows.DeliverInput, ev *herald.Event, number int) (target, error) {
	wh, err := a.store.GetWebhook(ctx, in.TargetID)
	if err != nil {
		if herald.IsNotFound(err) {
			return target{}, a.stop(ctx, in, "webhook was deleted")
		}
		return target{}, a.loadError("webhook", err, number)
	}
	if !wh.Enabled {
		return target{}, a.stop(ctx, in, "webhook is disabled")
	}
	if err := a.rateLimit(ctx, wh, in.DeliveryID, number); err != nil {
		return target{}, err
	}
	if planned := int(in.Timeout / time.Second); planned > 0 && wh.TimeoutSeconds > planned {
		// Raised since the workflow planned this activity's timeout
		// around the old value: keep the request inside it.
		wh.TimeoutSeconds = planned
	}
	entry, out, err := a.sender.Send(ctx, delivery.Attempt{Event: ev, Webhook: wh, DeliveryID: in.DeliveryID, Number: number})
	if err != nil {
		a.log.Error("build delivery request", "delivery_id", in.DeliveryID, "error", err)
		reason := "request could not be built"
		if errors.Is(err, envelope.ErrQueryTooLong) {
			// The one cause that is the event's, not the stored webhook's,
			// and says nothing secret: tell the admin what to change.
			reason += ": " + envelope.ErrQueryTooLong.Error()
		}
		return target{}, a.stop(ctx, in, reason)
	}
	return target{
		entries:  []*herald.LogEntry{entry},
		out:      out,
		maxDelay: time.Duration(max(wh.Retry.MaxIntervalSeconds, wh.Retry.InitialIntervalSeconds)) * time.Second,
		disable:  func(ctx context.Context, reason string) error { return a.store.DisableWebhook(ctx, wh.ID, reason) },
	}, nil
}

func (a *Activities) sendConnector(ctx context.Context, in workflows.DeliverInput, ev *herald.Event, number int) (target, error) {
	c, err := a.store.GetConnector(ctx, in.TargetID)
	if err != nil {
		if herald.IsNotFound(err) {
			return target{}, a.stop(ctx, in, "connector was deleted")
		}
		return target{}, a.loadError("connector", err, number)
	}
	if !c.Enabled {
		return target{}, a.stop(ctx, in, "connector is disabled")
	}
	if a.chat == nil {
		return target{}, permanent("chat connectors are not configured in this worker")
	}
	entries, out := a.chat.Send(ctx, dispatch.Attempt{Event: ev, Connector: c, DeliveryID: in.DeliveryID, Number: number})
	return target{
		entries:  entries,
		out:      out,
		maxDelay: time.Duration(herald.DefaultRetry.MaxIntervalSeconds) * time.Second,
		disable:  func(ctx context.Context, reason string) error { return a.store.DisableConnector(ctx, c.ID, reason) },
	}, nil
}

// maxInlineWait is the longest a delivery waits for its rate-limit slot
// inside the activity; a later slot is held for the delivery, which
// retries maxInlineWait before it is due and waits for it here. A retry
// that starts more than this late has lost its slot and books a new one.
// It stays well inside the activity's start-to-close slack (see
// workflows.localAttemptSlack, which counts it).
const maxInlineWait = 3 * time.Second

// rateLimit waits for the webhook's next request slot (SPEC §5
// rate_limit_per_second). Slots live in the store, so the limit holds
// across every worker sharing it.
func (a *Activities) rateLimit(ctx context.Context, wh *herald.Webhook, deliveryID string, number int) error {
	wait, err := a.store.ReserveSlot(ctx, wh.ID, deliveryID, wh.RateLimitPerSecond, maxInlineWait)
	if err != nil {
		a.log.Error("reserve rate slot", "webhook_id", wh.ID, "error", err)
		return notSent("could not reserve a rate-limit slot", number)
	}
	if wait > maxInlineWait {
		// Come back maxInlineWait before the held slot and wait for it
		// here, so that an activity that starts late (a busy timer queue,
		// dispatch) still finds its slot ahead. No request was made, so
		// the workflow runs this same attempt again rather than counting
		// it (workflows.ErrRateLimited).
		return temporal.NewApplicationErrorWithOptions("rate limit of the webhook reached", workflows.ErrRateLimited,
			temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{workflows.RateLimited{Wait: wait - maxInlineWait, Attempt: number}}})
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			// No request went out: the same attempt runs again.
			return notSent("cancelled while waiting for the rate limit", number)
		}
	}
	return nil
}

// recordTimeout bounds the store writes that follow a request.
const recordTimeout = 10 * time.Second

// conclude records the attempt's log entries and the delivery's new state,
// then returns the result or the error Temporal's retry policy acts on.
// The writes do not share the activity's deadline: a request that ran into
// it (a hung receiver, the max age reached) is still one log entry.
func (a *Activities) conclude(ctx context.Context, in workflows.DeliverInput, t target) (workflows.DeliverResult, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	out := t.out
	outcome := "permanent"
	switch {
	case out.Success:
		outcome = "success"
	case out.Retryable:
		outcome = "retryable"
	}
	var took time.Duration
	for _, e := range t.entries {
		took += time.Duration(e.DurationMS) * time.Millisecond
	}
	a.metrics.Attempt(in.TargetType, outcome, took)
	stale := false
	for i, entry := range t.entries {
		entry.ID = herald.NewID(herald.PrefixLog)
		rec := store.AttemptRecord{Log: entry, Status: herald.StatusPending, Generation: &in.Generation}
		if i == len(t.entries)-1 {
			if out.StatusCode != 0 {
				code := out.StatusCode
				rec.StatusCode = &code
			}
			switch {
			case out.Success:
				rec.Status = herald.StatusSucceeded
			case !out.Retryable:
				rec.Status = herald.StatusFailed
				rec.Error = &out.Reason
			default:
				rec.Error = &out.Reason
			}
		}
		err := a.store.RecordAttempt(ctx, in.DeliveryID, rec)
		if errors.Is(err, store.ErrStaleGeneration) {
			// A redelivery reopened the delivery while this request was
			// out: the entry is logged, and so are the rest (their
			// requests went out too), but the outcome is not this
			// workflow's to write, and it stops after them.
			stale = true
			continue
		}
		if err != nil {
			// The request went out but is not recorded: retry the attempt
			// rather than lose its log entry (delivery is at least once).
			a.log.Error("record delivery attempt", "delivery_id", in.DeliveryID, "error", err)
			return workflows.DeliverResult{}, retryable("could not record attempt", 0)
		}
	}
	if stale {
		return workflows.DeliverResult{}, takenOver()
	}
	if out.Gone {
		reason := "receiver answered 410 Gone"
		if err := t.disable(ctx, reason); err != nil {
			a.log.Error("disable target", "target_id", in.TargetID, "error", err)
		} else {
			a.log.Warn("target disabled", "target_id", in.TargetID, "reason", reason)
		}
	}
	switch {
	case out.Success:
		// RecordAttempt has reset the target's failure count.
		return workflows.DeliverResult{StatusCode: out.StatusCode}, nil
	case out.Retryable:
		// Temporal lets NextRetryDelay exceed the policy's MaximumInterval;
		// SPEC §6 caps a requested delay at max_interval_seconds.
		return workflows.DeliverResult{}, retryable(out.Reason, min(out.Delay, t.maxDelay))
	default:
		return workflows.DeliverResult{}, permanent(out.Reason)
	}
}
