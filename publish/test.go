package publish

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/connectors/dispatch"
	"github.com/heraldhub/herald/delivery"
	"github.com/heraldhub/herald/envelope"
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

// ChatSender sends one attempt of a connector delivery.
type ChatSender interface {
	Send(ctx context.Context, a dispatch.Attempt) ([]*herald.LogEntry, delivery.Outcome)
}

// Tester sends a single test request to one webhook or connector, outside
// any workflow: no retries, and the answer is the log entry of that one
// request.
type Tester struct {
	store  TestStore
	sender Sender
	chat   ChatSender
}

// NewTester returns a Tester.
func NewTester(s TestStore, sender Sender, chat ChatSender) *Tester {
	return &Tester{store: s, sender: sender, chat: chat}
}

// Test stores a test event with one delivery to w, sends it now, records
// the attempt, and returns its log entry (whatever the receiver answered).
func (t *Tester) Test(ctx context.Context, w *herald.Webhook, event string, data []byte) (*herald.LogEntry, error) {
	ev, d, err := t.prepare(ctx, herald.TargetWebhook, w.ID, event, data)
	if err != nil {
		return nil, err
	}
	entry, out, err := t.sender.Send(ctx, delivery.Attempt{Event: ev, Webhook: w, DeliveryID: d.ID, Number: 1})
	if err != nil {
		// No request: the test delivery ends failed, without a log entry.
		reason := "request could not be built"
		var answer error = fmt.Errorf("build test request: %w", err)
		if errors.Is(err, envelope.ErrQueryTooLong) {
			// The data's fault, not the stored webhook's: say so.
			msg := envelope.ErrQueryTooLong.Error()
			reason += ": " + msg
			answer = &herald.Error{Code: herald.EInvalid, Message: "data: " + msg,
				Fields: []herald.FieldError{{Field: "data", Message: msg}}}
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
		defer cancel()
		if rerr := t.store.RecordAttempt(rctx, d.ID, store.AttemptRecord{Status: herald.StatusFailed, Error: &reason}); rerr != nil {
			// An internal error (logged, 500), not the 422: the test
			// delivery could not be ended.
			return nil, fmt.Errorf("record test attempt (%s): %w", reason, rerr)
		}
		return nil, answer
	}
	return t.record(ctx, d, entry, out)
}

// TestConnector is Test for a chat connector.
func (t *Tester) TestConnector(ctx context.Context, c *herald.Connector, event string, data []byte) (*herald.LogEntry, error) {
	ev, d, err := t.prepare(ctx, herald.TargetConnector, c.ID, event, data)
	if err != nil {
		return nil, err
	}
	entries, out := t.chat.Send(ctx, dispatch.Attempt{Event: ev, Connector: c, DeliveryID: d.ID, Number: 1})
	for _, e := range entries[:len(entries)-1] {
		if _, err := t.record(ctx, d, e, delivery.Outcome{Reason: "superseded by a later request"}); err != nil {
			return nil, err
		}
	}
	return t.record(ctx, d, entries[len(entries)-1], out)
}

// prepare stores a test event with one delivery to the target.
func (t *Tester) prepare(ctx context.Context, targetType, targetID, event string, data []byte) (*herald.Event, *herald.Delivery, error) {
	now := herald.Now()
	ev := &herald.Event{
		ID: herald.NewID(herald.PrefixEvent), Name: event, Created: now,
		TraceID: newTraceID(), Data: data, Changes: envelope.OrNoChanges(nil),
	}
	d := newDelivery(ev, targetType, targetID, now)
	if _, _, err := t.store.CreateEvent(ctx, store.CreateEventRequest{Event: ev, Deliveries: []*herald.Delivery{d}}); err != nil {
		return nil, nil, fmt.Errorf("store test event: %w", err)
	}
	return ev, d, nil
}

// recordTimeout bounds the store write of one request of a test send.
const recordTimeout = 10 * time.Second

// record stores one request of a test send with the delivery's new state.
// The write does not stop when ctx does (an API client that hangs up): the
// request went out, and its log entry and the delivery's end must land.
func (t *Tester) record(ctx context.Context, d *herald.Delivery, entry *herald.LogEntry, out delivery.Outcome) (*herald.LogEntry, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
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
