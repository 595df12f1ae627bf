package publish

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
	"github.com/heraldhub/herald/workflows"
)

// RedeliverStore is the part of the store redelivery needs.
type RedeliverStore interface {
	GetEvent(ctx context.Context, id string) (*herald.Event, error)
	GetWebhook(ctx context.Context, id string) (*herald.Webhook, error)
	GetConnector(ctx context.Context, id string) (*herald.Connector, error)
	RecordAttempt(ctx context.Context, deliveryID string, rec store.AttemptRecord) error
	ReopenDelivery(ctx context.Context, id string) (*herald.Delivery, error)
}

// strandedAfter is how long a pending delivery must have been left alone
// before a redelivery asks whether a workflow owns it: a publish may still
// be storing its event and then starting the event's workflow, for as long
// as the sweep allows (storeTimeout, then two tries of startTimeout).
const strandedAfter = sweepAfter

// stranded returns nil after ending as failed a pending delivery that no
// workflow is at, so that it can be redelivered like any failed one; for
// any other pending delivery it returns the usual conflict. A delivery is
// stranded when the process that stored its event died before it started
// the event's workflow (the publisher got no 202, and without an id it
// cannot publish the event again), or when its workflow was ended by
// hand. Its owner is the event's workflow, or after a redelivery that
// redelivery's. A workflow that starts after all finds the delivery in a
// new generation and leaves it to the redelivery.
func (p *Publisher) stranded(ctx context.Context, s RedeliverStore, d *herald.Delivery) error {
	if time.Since(d.UpdatedAt) < strandedAfter {
		return store.StillPending(d.ID)
	}
	owner := workflows.WorkflowID(d.EventID)
	if d.Generation > 0 {
		owner = RedeliveryWorkflowID(d.ID)
	}
	desc, err := p.starter.DescribeWorkflowExecution(ctx, owner, "")
	var missing *serviceerror.NotFound
	switch {
	case errors.As(err, &missing):
	case err != nil:
		p.log.Error("describe the workflow of a pending delivery", "delivery_id", d.ID, "error", err)
		return &herald.Error{Code: herald.EUnavailable, Message: "the workflow engine is not reachable; try again"}
	case desc.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return store.StillPending(d.ID)
	}
	reason := "no workflow was delivering it"
	err = s.RecordAttempt(ctx, d.ID, store.AttemptRecord{Status: herald.StatusFailed, Error: &reason, Generation: &d.Generation})
	if err != nil {
		if errors.Is(err, store.ErrStaleGeneration) {
			return store.StillPending(d.ID) // a redelivery took it meanwhile
		}
		return fmt.Errorf("end stranded delivery: %w", err)
	}
	p.log.Warn("pending delivery without a workflow ended as failed to redeliver it", "delivery_id", d.ID, "workflow_id", owner)
	d.Status, d.LastError = herald.StatusFailed, &reason
	return nil
}

// RedeliveryWorkflowID is the workflow of a manual redelivery. One runs at
// a time per delivery.
func RedeliveryWorkflowID(deliveryID string) string { return "redeliver/" + deliveryID }

// Redeliver sends an existing delivery again (SPEC §6): same delivery ID,
// so receivers see the same webhook-id, with the target's current settings
// and its retry policy, in a workflow of its own. A delivery still pending
// (its event's workflow, or a redelivery, is at it) is a conflict: two
// workflows would overwrite each other's status and count one failed
// delivery twice towards auto-disable. A disabled target and a test send
// are conflicts too; a target deleted since is not_found.
func (p *Publisher) Redeliver(ctx context.Context, s RedeliverStore, d *herald.Delivery) (string, error) {
	ev, err := s.GetEvent(ctx, d.EventID)
	if err != nil {
		return "", fmt.Errorf("load event: %w", err)
	}
	if ev.IsTest() {
		// Its data is whatever the tester made up: not to be delivered
		// as a real event, by hand or by recover.
		return "", herald.Errorf(herald.EConflict, "delivery %s was a test send; send a new test instead", d.ID)
	}
	var t workflows.Target
	enabled := false
	switch d.TargetType {
	case herald.TargetWebhook:
		var w *herald.Webhook
		if w, err = s.GetWebhook(ctx, d.TargetID); err == nil {
			t, enabled = webhookTarget(w), w.Enabled
		}
	case herald.TargetConnector:
		var c *herald.Connector
		if c, err = s.GetConnector(ctx, d.TargetID); err == nil {
			t, enabled = connectorTarget(c), c.Enabled
		}
	default:
		err = herald.Errorf(herald.EInvalid, "unknown target type %q", d.TargetType)
	}
	if err != nil {
		return "", fmt.Errorf("load target: %w", err)
	}
	if !enabled {
		// The attempt would stop at once ("disabled") and the delivery
		// fail again: the caller is told now, not after a silent failure.
		return "", herald.Errorf(herald.EConflict, "%s %s is disabled; enable it first", d.TargetType, d.TargetID)
	}
	if d.Status == herald.StatusPending {
		// After the checks above: a test send in progress has no
		// workflow either, and is not this to end.
		if err := p.stranded(ctx, s, d); err != nil {
			return "", err
		}
	}

	wid := RedeliveryWorkflowID(d.ID)
	opts := client.StartWorkflowOptions{
		ID:                    wid,
		TaskQueue:             p.taskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		// A redelivery still running here works for an earlier
		// generation: its delivery was stopped (it is not pending, or
		// ReopenDelivery below refuses), and it would only stop at its
		// next attempt, which may be hours away.
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING,
		EnableEagerStart:         true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.SearchEvent.ValueSet(ev.Name), workflows.SearchTarget.ValueSet([]string{t.ID})),
		StaticSummary: fmt.Sprintf("redelivery of %s to %s", ev.Name, t.ID),
	}
	// Pending first (the workflow may finish before ExecuteWorkflow
	// returns), in a new generation: attempts an earlier workflow still
	// has planned for this delivery stop instead of sending beside this
	// one. Two redeliveries at once: one reopens, the other is refused.
	reopened, err := s.ReopenDelivery(ctx, d.ID)
	if err != nil {
		return "", fmt.Errorf("reopen delivery: %w", err)
	}
	t.DeliveryID, t.PriorAttempts, t.Generation = d.ID, reopened.Attempts, reopened.Generation
	in := workflows.EventInput{EventID: ev.ID, Event: ev.Name, Targets: []workflows.Target{t}}
	err = p.execute(ctx, opts, in)
	if err == nil {
		return wid, nil
	}
	p.log.Error("start redelivery workflow", "delivery_id", d.ID, "error", err)
	// Back as it was, unless something moved it on since. A start that
	// timed out may still land; its first attempt then finds the delivery
	// not pending and sends nothing. (Asking again, as publishing does,
	// would terminate such a run, perhaps in the middle of its request,
	// and send it a second time.)
	if rerr := s.RecordAttempt(context.WithoutCancel(ctx), d.ID, store.AttemptRecord{Status: d.Status, Generation: &reopened.Generation}); rerr != nil && !errors.Is(rerr, store.ErrStaleGeneration) {
		p.log.Error("restore delivery status", "delivery_id", d.ID, "error", rerr)
	}
	return "", &herald.Error{Code: herald.EUnavailable, Message: "the workflow engine is not reachable; try again"}
}
