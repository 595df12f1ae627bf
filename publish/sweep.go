package publish

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

// SweepStore is the part of the store the sweep needs.
type SweepStore interface {
	ListUnstartedEvents(ctx context.Context, before time.Time, after string, limit int) ([]string, error)
	GetEvent(ctx context.Context, id string) (*herald.Event, error)
	ListDeliveries(ctx context.Context, eventID string) ([]*herald.Delivery, error)
	RecordAttempt(ctx context.Context, deliveryID string, rec store.AttemptRecord) error
}

// sweepBatch is how many events one sweep looks at: each costs a Describe
// call, and a worker outage leaves every event published meanwhile
// untried, with its workflow waiting.
const sweepBatch = 100

// NotStartedReason is the last error of a delivery whose event's workflow
// never started and whose publisher gave no id (see Sweep).
const NotStartedReason = "the event's workflow never started, and its publisher was not told it was accepted; retry the delivery to send it"

// Sweep looks for events stored without a workflow: the process that
// stored one died before it started the event's workflow, or the start
// failed and the event has a client id (and so was kept for the
// publisher's retry). Their deliveries would stay pending for ever. It
// looks at up to sweepBatch events with an untried delivery last updated
// more than strandedAfter ago (a publish may still be starting the
// workflow), by ID after cursor, and returns the cursor for the next
// sweep: "" once it reached the last one.
//
// An event whose workflow exists (running, or ended by hand) is left
// alone. For one without:
//   - with a client id, the workflow is started now, as the publisher's
//     retry of that id would do: the publisher may have given up, and a
//     retry after this start delivers nothing twice;
//   - without one, the publisher got no 202 and may have published the
//     event again under a new ID, so sending it could deliver it twice.
//     Its deliveries end as failed with NotStartedReason, where an admin
//     sees them and can retry or recover them.
func (p *Publisher) Sweep(ctx context.Context, s SweepStore, cursor string) (string, error) {
	ids, err := s.ListUnstartedEvents(ctx, time.Now().Add(-strandedAfter), cursor, sweepBatch)
	if err != nil {
		return cursor, fmt.Errorf("list unstarted events: %w", err)
	}
	for _, id := range ids {
		if err := p.sweepOne(ctx, s, id); err != nil {
			// Past it: one event that keeps failing must not hold up
			// the rest. It comes round again once the sweep wraps.
			return id, err
		}
		cursor = id
	}
	if len(ids) < sweepBatch {
		cursor = ""
	}
	return cursor, nil
}

func (p *Publisher) sweepOne(ctx context.Context, s SweepStore, id string) error {
	ev, err := s.GetEvent(ctx, id)
	if herald.IsNotFound(err) {
		return nil // deleted meanwhile (its start failed, without a client id)
	}
	if err != nil {
		return fmt.Errorf("load event %s: %w", id, err)
	}
	_, err = p.starter.DescribeWorkflowExecution(ctx, ev.WorkflowID, "")
	var missing *serviceerror.NotFound
	if err == nil || !errors.As(err, &missing) {
		if err != nil {
			return fmt.Errorf("describe workflow %s: %w", ev.WorkflowID, err)
		}
		return nil // it has a workflow: that is at its deliveries, or was ended by hand
	}
	if ev.ClientID != "" {
		if err := p.restart(ctx, ev); err != nil {
			return fmt.Errorf("start the workflow of event %s: %w", id, err)
		}
		p.log.Warn("started the workflow of an event stored without one", "event_id", id, "workflow_id", ev.WorkflowID)
		return nil
	}
	ds, err := s.ListDeliveries(ctx, id)
	if err != nil {
		return fmt.Errorf("list deliveries of event %s: %w", id, err)
	}
	reason := NotStartedReason
	ended := 0
	for _, d := range ds {
		if d.Status != herald.StatusPending || d.Generation > 0 {
			continue
		}
		gen := d.Generation
		err := s.RecordAttempt(ctx, d.ID, store.AttemptRecord{Status: herald.StatusFailed, Error: &reason, Generation: &gen})
		if errors.Is(err, store.ErrStaleGeneration) {
			continue // a redelivery took it meanwhile
		}
		if err != nil {
			return fmt.Errorf("end delivery %s: %w", d.ID, err)
		}
		ended++
	}
	p.log.Warn("event stored without a workflow and without a client id: its deliveries ended as failed", "event_id", id, "deliveries", ended)
	return nil
}

// RunSweeps sweeps every interval, and once at once, until ctx ends.
// Errors are logged; the next sweep tries again.
func (p *Publisher) RunSweeps(ctx context.Context, s SweepStore, interval time.Duration) {
	cursor := ""
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		var err error
		cursor, err = p.Sweep(ctx, s, cursor)
		if err != nil && ctx.Err() == nil {
			p.log.Error("sweep for events stored without a workflow", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
