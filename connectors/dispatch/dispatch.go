// Package dispatch delivers one event to one chat connector: it renders the
// message (default text or the connector's template), sends it with the
// connector's kind, and turns what happened into request log entries and a
// delivery.Outcome, the same classification webhook deliveries use.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/connectors"
	"github.com/heraldhub/herald/connectors/message"
	"github.com/heraldhub/herald/delivery"
)

// SendTimeout bounds one send through a connector, all its requests
// together. It is the request timeout of a connector delivery: the
// activity around it allows more, so that an attempt that hangs still ends
// in time to be logged.
const SendTimeout = 10 * time.Second

// Dispatcher sends events through connectors. It is safe for concurrent use.
type Dispatcher struct {
	// Timeout bounds each send; set it before the first. Zero is
	// SendTimeout.
	Timeout time.Duration
	kinds   map[string]connectors.Kind
	now     func() time.Time
}

// New returns a Dispatcher over the given kinds (see connectors/kinds).
func New(kinds map[string]connectors.Kind) *Dispatcher {
	return &Dispatcher{kinds: kinds, now: time.Now}
}

// Attempt is one try of a connector delivery.
type Attempt struct {
	Event      *herald.Event
	Connector  *herald.Connector
	DeliveryID string
	Number     int
}

// Send renders and sends a.Event through a.Connector. It returns at least
// one log entry (without IDs): one per HTTP request made, or a single entry
// with the error when no request could be made.
func (d *Dispatcher) Send(ctx context.Context, a Attempt) ([]*herald.LogEntry, delivery.Outcome) {
	start := d.now()
	msg, err := d.render(a)
	if err != nil {
		return d.failed(a, start, err.Error()), delivery.Outcome{Reason: err.Error()}
	}
	kind, ok := d.kinds[a.Connector.Kind]
	if !ok {
		reason := fmt.Sprintf("unknown connector kind %q", a.Connector.Kind)
		return d.failed(a, start, reason), delivery.Outcome{Reason: reason}
	}
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = SendTimeout
	}
	sctx, cancel := context.WithTimeout(ctx, timeout)
	exchanges, err := kind.Send(sctx, a.Connector.Config, msg)
	cancel()
	out := outcome(err)
	if len(exchanges) == 0 {
		entries := d.failed(a, start, out.Reason)
		if out.Success {
			entries[0].Error = nil
		}
		entries[0].Request.Note = msg.Note
		return entries, out
	}
	entries := make([]*herald.LogEntry, len(exchanges))
	for i, x := range exchanges {
		e := d.entry(a, start)
		e.Request, e.Response = x.Request, x.Response
		e.Request.Note = msg.Note
		e.DurationMS = x.Duration.Milliseconds()
		if i == len(exchanges)-1 && !out.Success {
			reason := out.Reason
			e.Error = &reason
		}
		entries[i] = e
	}
	if last := exchanges[len(exchanges)-1].Response; last != nil && out.StatusCode == 0 {
		out.StatusCode = last.Status
	}
	return entries, out
}

// render builds the message: the connector's template for this event when
// it has one, else the default text.
func (d *Dispatcher) render(a Attempt) (connectors.Message, error) {
	ev := a.Event
	env, err := message.NewEnvelope(ev.Name, ev.Created, ev.ID, ev.Data, ev.Changes)
	if err != nil {
		return connectors.Message{}, fmt.Errorf("event data cannot be rendered: %w", err)
	}
	// Templates were checked at registration; one that no longer parses
	// (an older Herald accepted it) is skipped with a note. Only this
	// event's template is parsed: a connector may have one for every event.
	var own map[string]string
	if text, ok := a.Connector.Templates[ev.Name]; ok {
		own = map[string]string{ev.Name: text}
	}
	tpl, bad := message.ParseTemplates(own)
	msg := tpl.Render(env)
	if reason, ok := bad[ev.Name]; ok && msg.Note == "" {
		msg.Note = fmt.Sprintf("template for %s is invalid (%s); default text used", ev.Name, reason)
	}
	return msg, nil
}

// outcome classifies a kind's error like an HTTP answer.
func outcome(err error) delivery.Outcome {
	if err == nil {
		return delivery.Outcome{Success: true, Reason: "sent"}
	}
	var ce *connectors.Error
	if errors.As(err, &ce) {
		return delivery.Outcome{Retryable: ce.Retryable, Delay: ce.RetryAfter, StatusCode: ce.StatusCode, Reason: ce.Reason}
	}
	// Anything else is unexpected: retry, without its text (it may hold a
	// token in a URL).
	return delivery.Outcome{Retryable: true, Reason: "connector error"}
}

func (d *Dispatcher) entry(a Attempt, start time.Time) *herald.LogEntry {
	return &herald.LogEntry{
		DeliveryID: a.DeliveryID,
		EventID:    a.Event.ID,
		Event:      a.Event.Name,
		TargetType: herald.TargetConnector,
		TargetID:   a.Connector.ID,
		Attempt:    a.Number,
		CreatedAt:  start.UTC().Truncate(time.Microsecond), // as herald.Now
	}
}

// failed is the single log entry of an attempt that made no request.
func (d *Dispatcher) failed(a Attempt, start time.Time, reason string) []*herald.LogEntry {
	e := d.entry(a, start)
	e.Request = herald.LogRequest{Method: "", URL: "", Headers: map[string]string{}}
	e.Error = &reason
	e.DurationMS = d.now().Sub(start).Milliseconds()
	return []*herald.LogEntry{e}
}
