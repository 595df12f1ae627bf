package publish

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/delivery"
	"github.com/heraldhub/herald/store"
)

// TestStore is the part of the store a test send needs.
type TestStore interface {
	CreateEvent(ctx context.Context, r store.CreateEventRequest) (*herald.Event, bool, error)
	RecordAttempt(ctx context.Context, deliveryID string, rec store.AttemptRecord) error
}

// Sender makes one webhook request.
type Sender interface {
	Send(ctx context.Context, a delivery.Attempt) (*herald.LogEntry, delivery.Outcome, error)
}

// Tester sends a single test request to one webhook, outside any workflow:
// no retries, and the answer is the log entry of that one request.
type Tester struct {
	store  TestStore
	sender Sender
}

// NewTester returns a Tester.
func NewTester(s TestStore, sender Sender) *Tester {
	return &Tester{store: s, sender: sender}
}

// Test stores a test event with one delivery to w, sends it now, records
// the attempt, and returns its log entry (whatever the receiver answered).
func (t *Tester) Test(ctx context.Context, w *herald.Webhook, event string, data []byte) (*herald.LogEntry, error) {
	now := time.Now().UTC()
	ev := &herald.Event{
		ID: herald.NewID(herald.PrefixEvent), Name: event, Created: now,
		TraceID: newTraceID(), Data: data,
	}
	d := newDelivery(ev, herald.TargetWebhook, w.ID, now)
	if _, _, err := t.store.CreateEvent(ctx, store.CreateEventRequest{Event: ev, Deliveries: []*herald.Delivery{d}}); err != nil {
		return nil, fmt.Errorf("store test event: %w", err)
	}
	entry, out, err := t.sender.Send(ctx, delivery.Attempt{Event: ev, Webhook: w, DeliveryID: d.ID, Number: 1})
	if err != nil {
		return nil, fmt.Errorf("build test request: %w", err)
	}
	entry.ID = herald.NewID(herald.PrefixLog)
	rec := store.AttemptRecord{Log: entry, Status: herald.StatusFailed}
	if out.Success {
		rec.Status = herald.StatusSucceeded
	} else {
		rec.Error = &out.Reason
	}
	if out.StatusCode != 0 {
		code := out.StatusCode
		rec.StatusCode = &code
	}
	if err := t.store.RecordAttempt(ctx, d.ID, rec); err != nil {
		return nil, fmt.Errorf("record test attempt: %w", err)
	}
	return entry, nil
}
