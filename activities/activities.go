// Package activities holds Herald's Temporal activities: they load what a
// delivery needs from the store (secrets included, so none of it enters
// workflow history), make the request, record it, and classify the outcome
// into the error types the workflow's retry policy acts on.
package activities

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/delivery"
	"github.com/heraldhub/herald/store"
	"github.com/heraldhub/herald/workflows"
)

// Store is the part of the store activities use.
type Store interface {
	GetEvent(ctx context.Context, id string) (*herald.Event, error)
	GetWebhook(ctx context.Context, id string) (*herald.Webhook, error)
	DisableWebhook(ctx context.Context, id, reason string) error
	RecordWebhookResult(ctx context.Context, id string, success bool, disableAfter int) (bool, error)
	RecordAttempt(ctx context.Context, deliveryID string, rec store.AttemptRecord) error
}

// Sender makes one webhook request.
type Sender interface {
	Send(ctx context.Context, a delivery.Attempt) (*herald.LogEntry, delivery.Outcome, error)
}

// Activities is registered with the worker. Its methods are safe for
// concurrent use.
type Activities struct {
	store        Store
	sender       Sender
	log          *slog.Logger
	disableAfter int
}

// New returns the activities. A webhook is disabled after disableAfter
// consecutive failed deliveries (0 never disables).
func New(s Store, sender Sender, log *slog.Logger, disableAfter int) *Activities {
	return &Activities{store: s, sender: sender, log: log, disableAfter: disableAfter}
}

// Deliver makes one attempt of a delivery. It returns nil on a 2xx answer; a
// retryable *temporal.ApplicationError (with NextRetryDelay when the
// receiver sent Retry-After) on network errors, 408, 425, 429 and 5xx; and a
// non-retryable one for everything else, including a target that was
// deleted or disabled since the event was published.
func (a *Activities) Deliver(ctx context.Context, in workflows.DeliverInput) (workflows.DeliverResult, error) {
	number := int(activity.GetInfo(ctx).Attempt) + in.AttemptOffset
	if in.TargetType != herald.TargetWebhook {
		return workflows.DeliverResult{}, permanent(fmt.Sprintf("unsupported target type %q", in.TargetType))
	}
	ev, err := a.store.GetEvent(ctx, in.EventID)
	if err != nil {
		return workflows.DeliverResult{}, a.loadError("event", err)
	}
	wh, err := a.store.GetWebhook(ctx, in.TargetID)
	if err != nil {
		if herald.IsNotFound(err) {
			return workflows.DeliverResult{}, a.stop(ctx, in.DeliveryID, "webhook was deleted")
		}
		return workflows.DeliverResult{}, a.loadError("webhook", err)
	}
	if !wh.Enabled {
		return workflows.DeliverResult{}, a.stop(ctx, in.DeliveryID, "webhook is disabled")
	}

	entry, out, err := a.sender.Send(ctx, delivery.Attempt{Event: ev, Webhook: wh, DeliveryID: in.DeliveryID, Number: number})
	if err != nil {
		a.log.Error("build delivery request", "delivery_id", in.DeliveryID, "error", err)
		return workflows.DeliverResult{}, a.stop(ctx, in.DeliveryID, "request could not be built")
	}
	entry.ID = herald.NewID(herald.PrefixLog)
	rec := store.AttemptRecord{Log: entry, Status: herald.StatusPending}
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
	if err := a.store.RecordAttempt(ctx, in.DeliveryID, rec); err != nil {
		// The request went out but is not recorded: retry the attempt
		// rather than lose its log entry (delivery is at least once).
		a.log.Error("record delivery attempt", "delivery_id", in.DeliveryID, "error", err)
		return workflows.DeliverResult{}, retryable("could not record attempt", 0)
	}
	if out.Gone {
		a.disable(ctx, wh.ID, "receiver answered 410 Gone")
	}
	switch {
	case out.Success:
		if wh.ConsecutiveFailures > 0 {
			if _, err := a.store.RecordWebhookResult(ctx, wh.ID, true, a.disableAfter); err != nil {
				a.log.Error("reset webhook failure count", "webhook_id", wh.ID, "error", err)
			}
		}
		return workflows.DeliverResult{StatusCode: out.StatusCode}, nil
	case out.Retryable:
		// Temporal lets NextRetryDelay exceed the policy's MaximumInterval;
		// SPEC §6 caps Retry-After at max_interval_seconds.
		maxDelay := time.Duration(max(wh.Retry.MaxIntervalSeconds, wh.Retry.InitialIntervalSeconds)) * time.Second
		return workflows.DeliverResult{}, retryable(out.Reason, min(out.Delay, maxDelay))
	default:
		return workflows.DeliverResult{}, permanent(out.Reason)
	}
}

// FinishDelivery marks a delivery failed after its last attempt and, when
// the failure counts against the webhook, may disable it (SPEC §6).
func (a *Activities) FinishDelivery(ctx context.Context, in workflows.FinishInput) error {
	reason := in.Reason
	err := a.store.RecordAttempt(ctx, in.DeliveryID, store.AttemptRecord{Status: herald.StatusFailed, Error: &reason})
	if err != nil && !herald.IsNotFound(err) {
		return fmt.Errorf("mark delivery %s failed: %w", in.DeliveryID, err)
	}
	if !in.CountFailure || in.TargetType != herald.TargetWebhook {
		return nil
	}
	disabled, err := a.store.RecordWebhookResult(ctx, in.TargetID, false, a.disableAfter)
	if err != nil {
		return fmt.Errorf("count failure of webhook %s: %w", in.TargetID, err)
	}
	if disabled {
		a.log.Warn("webhook disabled after consecutive failed deliveries", "webhook_id", in.TargetID, "failures", a.disableAfter)
	}
	return nil
}

// stop marks a delivery failed without a request and returns the error
// that ends it without counting against the webhook.
func (a *Activities) stop(ctx context.Context, deliveryID, reason string) error {
	if err := a.store.RecordAttempt(ctx, deliveryID, store.AttemptRecord{Status: herald.StatusFailed, Error: &reason}); err != nil {
		a.log.Error("mark delivery failed", "delivery_id", deliveryID, "error", err)
	}
	return temporal.NewApplicationErrorWithOptions(reason, workflows.ErrStopped, temporal.ApplicationErrorOptions{NonRetryable: true})
}

func (a *Activities) disable(ctx context.Context, id, reason string) {
	if err := a.store.DisableWebhook(ctx, id, reason); err != nil {
		a.log.Error("disable webhook", "webhook_id", id, "error", err)
		return
	}
	a.log.Warn("webhook disabled", "webhook_id", id, "reason", reason)
}

// loadError turns a store failure into an activity error: a missing row is
// permanent, anything else (a busy database) is worth retrying.
func (a *Activities) loadError(what string, err error) error {
	if herald.IsNotFound(err) {
		return permanent(what + " not found")
	}
	a.log.Error("load "+what, "error", err)
	return retryable("could not load "+what, 0)
}

// The two constructors below return *temporal.ApplicationError as a plain
// error, never wrapped: wrapping would hide the type and NextRetryDelay.
func retryable(msg string, delay time.Duration) error {
	return temporal.NewApplicationErrorWithOptions(msg, workflows.ErrRetryable, temporal.ApplicationErrorOptions{NextRetryDelay: delay})
}

func permanent(msg string) error {
	return temporal.NewApplicationErrorWithOptions(msg, workflows.ErrPermanent, temporal.ApplicationErrorOptions{NonRetryable: true})
}
