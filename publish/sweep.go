package publish

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
	"github.com/heraldhub/herald/workflows"
)

// SweepStore is the part of the store the sweep needs.
type SweepStore interface {
	ListUnstartedEvents(ctx context.Context, since, before time.Time, after string, limit int) ([]string, error)
	GetEvent(ctx context.Context, id string) (*herald.Event, error)
	ListDeliveries(ctx context.Context, eventID string) ([]*herald.Delivery, error)
	RecordAttempt(ctx context.Context, deliveryID string, rec store.AttemptRecord) error
}

// sweepBatch is how many events one sweep looks at: each costs a Describe
// call, and a worker outage leaves every event published meanwhile
// untried, with its workflow waiting.
const sweepBatch = 100

// sweepAfter is how long an untried delivery must have been left alone
// before the sweep looks at its event: far longer than a publish takes
// from storing an event to starting its workflow (storeTimeout, then two
// tries of startTimeout), with room for clocks that differ between hosts.
const sweepAfter = 2 * time.Minute

// NotStartedReason is the last error of a delivery whose event's workflow
// never started and whose publisher gave no id (see Sweep).
const NotStartedReason = "the event's workflow never started, and its publisher was not told it was accepted; retry the delivery to send it"

// InterruptedTestReason is the last error of a test send's delivery left
// pending by an API process that stopped during it (see Sweep).
const InterruptedTestReason = "the test send was cut off (Herald stopped during it); send a new test"

// Sweep looks for events stored without a workflow (the process that
// stored one died before it started the event's workflow, or the start
// failed and the event has a client id, so it was kept for the
// publisher's retry) and for test sends cut off by a stop. Their
// deliveries would stay pending for ever. It looks at up to sweepBatch
// events published within horizon with an untried delivery last updated
// more than sweepAfter ago, by ID after cursor, and returns the cursor for
// the next sweep: "" once it reached the last one.
//
// horizon is to be shorter than the Temporal namespace's retention: a
// workflow is looked up by ID, and one that closed longer than the
// retention ago is gone, which would look the same as one that never
// started. (An event whose workflow was ended by hand has untried
// deliveries left.)
//
// An event whose workflow exists (running, or ended by hand) is left
// alone. A test send, which has none, is over in seconds: one left pending
// ends failed with InterruptedTestReason. For any other event without one:
//   - with a client id, the workflow is started now, as the publisher's
//     retry of that id would do (see restart): the publisher may have
//     given up, and a retry after this start delivers nothing twice;
//   - without one, the publisher got no 202 and may have published the
//     event again under a new ID, so sending it could deliver it twice.
//     Its deliveries end as failed with NotStartedReason, where an admin
//     sees them and can retry or recover them.
func (p *Publisher) Sweep(ctx context.Context, s SweepStore, cursor string, horizon time.Duration) (string, error) {
	now := time.Now()
	ids, err := s.ListUnstartedEvents(ctx, now.Add(-horizon), now.Add(-sweepAfter), cursor, sweepBatch)
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
	wid := workflows.WorkflowID(id)
	_, err := p.starter.DescribeWorkflowExecution(ctx, wid, "")
	var missing *serviceerror.NotFound
	if err == nil || !errors.As(err, &missing) {
		if err != nil {
			return fmt.Errorf("describe workflow %s: %w", wid, err)
		}
		return nil // it has a workflow: that is at its deliveries, or was ended by hand
	}
	ev, err := s.GetEvent(ctx, id)
	if herald.IsNotFound(err) {
		return nil // deleted meanwhile (its start failed, without a client id)
	}
	if err != nil {
		return fmt.Errorf("load event %s: %w", id, err)
	}
	if ev.IsTest() {
		// A test send runs in the API request, without a workflow, and
		// is over in seconds: the process died during it.
		n, err := endPending(ctx, s, id, InterruptedTestReason)
		if n > 0 {
			p.log.Warn("test send cut off: its delivery ended as failed", "event_id", id)
		}
		return err
	}
	if ev.ClientID != "" {
		started, err := p.restart(ctx, ev)
		if err != nil {
			return fmt.Errorf("start the workflow of event %s: %w", id, err)
		}
		if started { // not when another sweep, or the publisher's retry, was first
			p.log.Warn("started the workflow of an event stored without one", "event_id", id, "workflow_id", wid)
		}
		return nil
	}
	ended, err := endPending(ctx, s, id, NotStartedReason)
	if ended > 0 {
		p.log.Warn("event stored without a workflow and without a client id: its deliveries ended as failed", "event_id", id, "deliveries", ended)
	}
	return err
}

// endPending ends the event's pending deliveries of generation 0 as failed
// with reason, and returns how many it ended. One a redelivery has
// reopened meanwhile is left to it.
func endPending(ctx context.Context, s SweepStore, eventID, reason string) (int, error) {
	ds, err := s.ListDeliveries(ctx, eventID)
	if err != nil {
		return 0, fmt.Errorf("list deliveries of event %s: %w", eventID, err)
	}
	ended := 0
	for _, d := range ds {
		if d.Status != herald.StatusPending || d.Generation > 0 {
			continue
		}
		gen := d.Generation
		err := s.RecordAttempt(ctx, d.ID, store.AttemptRecord{Status: herald.StatusFailed, Error: &reason, Generation: &gen})
		if errors.Is(err, store.ErrStaleGeneration) {
			continue
		}
		if err != nil {
			return ended, fmt.Errorf("end delivery %s: %w", d.ID, err)
		}
		ended++
	}
	return ended, nil
}

// sweepSoon is the pause before the next sweep when the last one looked
// at a full batch: a backlog (say, every event published while no worker
// ran) is gone through quicker than every interval, but not all at once.
const sweepSoon = 5 * time.Second

// RunSweeps sweeps at once, then every interval (sooner while there are
// more events to look at), until ctx ends. Errors are logged; the next
// sweep tries again. Each sweep asks horizon for its horizon (see Sweep),
// which may change while Herald runs: the namespace's retention.
func (p *Publisher) RunSweeps(ctx context.Context, s SweepStore, interval time.Duration, horizon func(context.Context) time.Duration) {
	cursor := ""
	for {
		var err error
		cursor, err = p.Sweep(ctx, s, cursor, horizon(ctx))
		if err != nil && ctx.Err() == nil {
			p.log.Error("sweep for events stored without a workflow", "error", err)
		}
		wait := interval
		if cursor != "" && err == nil {
			wait = min(interval, sweepSoon)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}
