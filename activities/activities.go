// Package activities holds Herald's Temporal activities: they load what a
// delivery needs from the store (secrets included, so none of it enters
// workflow history), make the request, record it, and classify the outcome
// into the error types the workflow's retry policy acts on.
package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/connectors/dispatch"
	"github.com/heraldhub/herald/delivery"
	"github.com/heraldhub/herald/metrics"
	"github.com/heraldhub/herald/store"
	"github.com/heraldhub/herald/workflows"
)

// Store is the part of the store activities use.
type Store interface {
	GetEvent(ctx context.Context, id string) (*herald.Event, error)
	GetWebhook(ctx context.Context, id string) (*herald.Webhook, error)
	DisableWebhook(ctx context.Context, id, reason string) error
	GetConnector(ctx context.Context, id string) (*herald.Connector, error)
	DisableConnector(ctx context.Context, id, reason string) error
	RecordAttempt(ctx context.Context, deliveryID string, rec store.AttemptRecord) error
	CountDeliveryFailure(ctx context.Context, deliveryID string, generation, disableAfter int) (bool, error)
	ReserveSlot(ctx context.Context, targetID, deliveryID string, perSecond int, maxWait time.Duration) (time.Duration, error)
	GetDelivery(ctx context.Context, id string) (*herald.Delivery, error)
}

// Sender makes one webhook request.
type Sender interface {
	Send(ctx context.Context, a delivery.Attempt) (*herald.LogEntry, delivery.Outcome, error)
}

// ChatSender sends one attempt of a connector delivery.
type ChatSender interface {
	Send(ctx context.Context, a dispatch.Attempt) ([]*herald.LogEntry, delivery.Outcome)
}

// Activities is registered with the worker. Its methods are safe for
// concurrent use.
type Activities struct {
	store        Store
	sender       Sender
	chat         ChatSender
	log          *slog.Logger
	metrics      *metrics.Metrics
	disableAfter int
	events       *eventCache
	running      running
	stopping     context.Context // done once Stop was called
	cutShort     context.CancelFunc
}

// Config are the dependencies of the activities. Chat may be nil in a
// worker that only serves webhooks.
type Config struct {
	Store  Store
	Sender Sender
	Chat   ChatSender
	Logger *slog.Logger
	// Metrics counts attempts; nil counts nothing.
	Metrics *metrics.Metrics
	// DisableAfter disables a target after this many consecutive failed
	// deliveries (0 never disables).
	DisableAfter int
}

// New returns the activities.
func New(c Config) *Activities {
	a := &Activities{
		store: c.Store, sender: c.Sender, chat: c.Chat, log: c.Logger, metrics: c.Metrics, disableAfter: c.DisableAfter,
		events: newEventCache(c.Store.GetEvent),
	}
	a.stopping, a.cutShort = context.WithCancel(context.Background())
	return a
}

// Deliver makes one attempt of a delivery. It returns nil on success; a
// retryable *temporal.ApplicationError (with NextRetryDelay when the
// receiver asked for a delay) on network errors, 408, 425, 429 and 5xx; and
// a non-retryable one for everything else, including a target that was
// deleted or disabled since the event was published.
func (a *Activities) Deliver(ctx context.Context, in workflows.DeliverInput) (_ workflows.DeliverResult, err error) {
	a.running.start()
	defer a.running.done()
	defer a.contain("deliver", in.DeliveryID, &err)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(a.stopping, cancel)()
	info := activity.GetInfo(ctx)
	number := int(info.Attempt) + in.AttemptOffset
	if in.Deferred {
		// The first try only hands the wait to Temporal; the attempts
		// with requests are the tries after it.
		number--
		if info.Attempt == 1 {
			// Never zero: that would mean the policy's backoff.
			return workflows.DeliverResult{}, temporal.NewApplicationErrorWithOptions("waiting for the retry to be due", workflows.ErrNotDue,
				temporal.ApplicationErrorOptions{NextRetryDelay: max(time.Until(in.NotBefore), 10*time.Millisecond)})
		}
	}
	if a.stopping.Err() != nil {
		// Handed over by a poll that was out when the process began to
		// stop: the store may be closing.
		return workflows.DeliverResult{}, notSent("worker is stopping", number)
	}
	// The delivery may have been stopped (its target disabled, and maybe
	// enabled again since), reopened by a redelivery, or finished by this
	// very attempt before a worker restart replays it, while the attempt
	// waited: for a retry, its backoff; for the first attempt, a backlog
	// of workflow tasks or local-activity slots.
	if info.IsLocalActivity && !info.Deadline.IsZero() && time.Until(info.Deadline) < in.Timeout+maxInlineWait+recordTimeout {
		// It waited so long for a local-activity slot (all held by slow
		// receivers) that its request might be cut short: none is made,
		// and the workflow makes this attempt again as a regular one.
		return workflows.DeliverResult{}, notSent("waited too long for a free worker slot", number)
	}
	if wait := min(time.Until(in.NotBefore), workflows.MaxInlineWait); wait > 0 {
		// A retry scheduled at once, due a moment later (see
		// workflows.DeliverInput.NotBefore): its request waits until
		// then. Cut short (the worker stopping), it has made none.
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return workflows.DeliverResult{}, notSent("cancelled while waiting for the retry to be due", number)
		}
	}
	if err := a.stillPending(ctx, in.DeliveryID, in.Generation, number); err != nil {
		if errors.Is(err, errDelivered) {
			// This attempt ran before and its 2xx is recorded (a worker
			// stopped before the workflow heard of it): nothing to send.
			return workflows.DeliverResult{}, nil
		}
		return workflows.DeliverResult{}, err
	}
	ev, err := a.events.get(ctx, in.EventID)
	if err != nil {
		return workflows.DeliverResult{}, a.loadError("event", err, number)
	}
	var t target
	switch in.TargetType {
	case herald.TargetWebhook:
		t, err = a.sendWebhook(ctx, in, ev, number)
	case herald.TargetConnector:
		t, err = a.sendConnector(ctx, in, ev, number)
	default:
		err = permanent(fmt.Sprintf("unsupported target type %q", in.TargetType))
	}
	if err != nil {
		return workflows.DeliverResult{}, err
	}
	return a.conclude(ctx, in, t)
}

// FinishDelivery marks a delivery failed after its last attempt and, when
// the failure counts against the webhook, may disable it (SPEC §6).
func (a *Activities) FinishDelivery(ctx context.Context, in workflows.FinishInput) (err error) {
	a.running.start()
	defer a.running.done()
	defer a.contain("finish", in.DeliveryID, &err)
	reason := in.Reason
	err = a.store.RecordAttempt(ctx, in.DeliveryID, store.AttemptRecord{Status: herald.StatusFailed, Error: &reason, Generation: &in.Generation})
	if errors.Is(err, store.ErrStaleGeneration) {
		// A redelivery reopened it: its state and outcome are the
		// redelivery's now.
		return nil
	}
	if herald.IsNotFound(err) {
		// No such delivery: its event was withdrawn because the workflow
		// seemed not to start (publish.Publish). No delivery failed.
		return nil
	}
	if err != nil {
		return fmt.Errorf("mark delivery %s failed: %w", in.DeliveryID, err)
	}
	if !in.CountFailure {
		return nil
	}
	// Counted once per delivery and generation: this activity runs again
	// if its worker stops after the write landed.
	disabled, err := a.store.CountDeliveryFailure(ctx, in.DeliveryID, in.Generation, a.disableAfter)
	if err != nil {
		return fmt.Errorf("count failure of %s %s: %w", in.TargetType, in.TargetID, err)
	}
	if disabled {
		a.log.Warn("target disabled after consecutive failed deliveries", "target_id", in.TargetID, "failures", a.disableAfter)
	}
	return nil
}

// stillPending ends the attempt without a request when the delivery is no
// longer pending (errDelivered when it succeeded), or no longer this
// workflow's: something stopped it
// (store.Store's disabling writes) while it waited for this attempt, and
// maybe a redelivery reopened it since (a new generation). Its stored
// state stays as it is.
func (a *Activities) stillPending(ctx context.Context, deliveryID string, generation, number int) error {
	d, err := a.store.GetDelivery(ctx, deliveryID)
	if err != nil {
		return a.loadError("delivery", err, number)
	}
	if d.Status == herald.StatusPending && d.Generation == generation {
		return nil
	}
	if d.Generation != generation {
		return takenOver()
	}
	if d.Status == herald.StatusSucceeded {
		return errDelivered
	}
	reason := "delivery already " + d.Status
	if d.Status == herald.StatusFailed && d.LastError != nil {
		reason = *d.LastError
	}
	return temporal.NewApplicationErrorWithOptions(reason, workflows.ErrStopped, temporal.ApplicationErrorOptions{NonRetryable: true})
}

// errDelivered is stillPending's answer for a delivery this workflow has
// delivered already.
var errDelivered = errors.New("delivery already succeeded")

// takenOver ends an attempt whose delivery a redelivery reopened: a new
// generation, which that redelivery's workflow owns.
func takenOver() error {
	return temporal.NewApplicationErrorWithOptions("delivery taken over by a redelivery", workflows.ErrStopped, temporal.ApplicationErrorOptions{NonRetryable: true})
}

// stop marks a delivery failed without a request and returns the error
// that ends it without counting against the webhook. A delivery a
// redelivery has reopened since is left to it.
func (a *Activities) stop(ctx context.Context, in workflows.DeliverInput, reason string) error {
	err := a.store.RecordAttempt(ctx, in.DeliveryID, store.AttemptRecord{Status: herald.StatusFailed, Error: &reason, Generation: &in.Generation})
	if err != nil && !errors.Is(err, store.ErrStaleGeneration) {
		a.log.Error("mark delivery failed", "delivery_id", in.DeliveryID, "error", err)
	}
	return temporal.NewApplicationErrorWithOptions(reason, workflows.ErrStopped, temporal.ApplicationErrorOptions{NonRetryable: true})
}

// loadError turns a store failure before attempt number's request into an
// activity error: a missing row is permanent; anything else (a busy or
// unreachable database) is worth trying again, and as no request was made
// the attempt is not counted.
func (a *Activities) loadError(what string, err error, number int) error {
	if herald.IsNotFound(err) {
		return permanent(what + " not found")
	}
	a.log.Error("load "+what, "error", err)
	return notSent("could not load "+what, number)
}

// notSent returns the error of attempt number ending before its request
// because the store failed (or it was cancelled while it waited for its
// rate-limit slot): the workflow makes the same attempt again after a
// backoff, without counting it (workflows.ErrNotSent).
func notSent(msg string, number int) error {
	return temporal.NewApplicationErrorWithOptions(msg, workflows.ErrNotSent,
		temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{workflows.RateLimited{Attempt: number}}})
}

// The two constructors below return *temporal.ApplicationError as a plain
// error, never wrapped: wrapping would hide the type and NextRetryDelay.
func retryable(msg string, delay time.Duration) error {
	return temporal.NewApplicationErrorWithOptions(msg, workflows.ErrRetryable, temporal.ApplicationErrorOptions{NextRetryDelay: delay})
}

func permanent(msg string) error {
	return temporal.NewApplicationErrorWithOptions(msg, workflows.ErrPermanent, temporal.ApplicationErrorOptions{NonRetryable: true})
}
