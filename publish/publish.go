// Package publish turns an accepted event into durable work: it stores the
// event with one pending delivery per matching target and starts the
// event's workflow, so 202 Accepted means nothing can be lost any more.
package publish

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/catalog"
	"github.com/heraldhub/herald/connectors/dispatch"
	"github.com/heraldhub/herald/envelope"
	"github.com/heraldhub/herald/metrics"
	"github.com/heraldhub/herald/store"
	"github.com/heraldhub/herald/workflows"
)

// startTimeout bounds one workflow start.
const startTimeout = 10 * time.Second

// storeTimeout bounds what a publish does before it starts the workflow:
// reading the targets and storing the event.
const storeTimeout = 30 * time.Second

// Store is the part of the store publishing needs.
type Store interface {
	ListEnabledWebhooks(ctx context.Context) ([]*herald.Webhook, error)
	GetWebhook(ctx context.Context, id string) (*herald.Webhook, error)
	ListEnabledConnectors(ctx context.Context) ([]*herald.Connector, error)
	TargetsVersion(ctx context.Context) (int64, error)
	GetConnector(ctx context.Context, id string) (*herald.Connector, error)
	CreateEvent(ctx context.Context, r store.CreateEventRequest) (*herald.Event, bool, error)
	DeleteEvent(ctx context.Context, id string) error
	ListDeliveries(ctx context.Context, eventID string) ([]*herald.Delivery, error)
	RecordAttempt(ctx context.Context, deliveryID string, rec store.AttemptRecord) error
}

// Starter starts workflows (a Temporal client).
type Starter interface {
	ExecuteWorkflow(ctx context.Context, opts client.StartWorkflowOptions, workflow any, args ...any) (client.WorkflowRun, error)
	DescribeWorkflowExecution(ctx context.Context, workflowID, runID string) (*workflowservice.DescribeWorkflowExecutionResponse, error)
}

// Request is a validated event to publish.
type Request struct {
	ClientID string // optional idempotency key
	Event    string
	Data     json.RawMessage
	Changes  json.RawMessage
	TraceID  string // optional; generated when empty
}

// Publisher publishes events. It is safe for concurrent use.
type Publisher struct {
	store     Store
	starter   Starter
	taskQueue string
	log       *slog.Logger
	metrics   *metrics.Metrics

	mu      sync.Mutex
	targets *targetIndex // the last read, nil before the first

	storeTimeout time.Duration // storeTimeout; tests shorten it
}

// targetIndex is what matching needs of every enabled target, read at one
// TargetsVersion. It holds no secrets.
type targetIndex struct {
	version int64
	entries []indexEntry // webhooks, then connectors, each by ascending ID
}

type indexEntry struct {
	events []string
	target workflows.Target
}

// New returns a Publisher starting workflows on taskQueue; m may be nil.
func New(s Store, starter Starter, taskQueue string, log *slog.Logger, m *metrics.Metrics) *Publisher {
	return &Publisher{store: s, starter: starter, taskQueue: taskQueue, log: log, metrics: m, storeTimeout: storeTimeout}
}

// Publish stores the event and its deliveries, then starts its workflow.
// When an event with the same ClientID exists, it makes sure that event's
// workflow was started and returns it with existed=true: nothing is stored
// or delivered twice. If the workflow cannot be started the error is a 503;
// an event without ClientID is then removed so it is not half-accepted,
// unless the start may have reached Temporal after all (see start).
func (p *Publisher) Publish(ctx context.Context, r Request) (*herald.Event, bool, error) {
	// The 202, a replay of it and the webhook body agree on created.
	now := herald.Now()
	ev := &herald.Event{
		ID:       herald.NewID(herald.PrefixEvent),
		ClientID: r.ClientID,
		Name:     r.Event,
		Created:  now,
		TraceID:  r.TraceID,
		Data:     r.Data,
		Changes:  envelope.OrNoChanges(r.Changes),
	}
	if ev.TraceID == "" {
		ev.TraceID = newTraceID()
	}
	ev.WorkflowID = workflows.WorkflowID(ev.ID)

	// Bounded, so that a publish reaches its start well within the
	// sweep's wait (sweepAfter), which takes an event still without a
	// workflow by then for one its publisher gave up on.
	sctx, cancel := context.WithTimeout(ctx, p.storeTimeout)
	defer cancel()
	targets, err := p.matching(sctx, r.Event)
	if err != nil {
		return nil, false, p.storeError(sctx, ev, err)
	}
	deliveries := make([]*herald.Delivery, len(targets))
	for i, t := range targets {
		deliveries[i] = newDelivery(ev, t.Type, t.ID, now)
	}
	stored, existed, err := p.store.CreateEvent(sctx, store.CreateEventRequest{Event: ev, Deliveries: deliveries})
	if err != nil {
		return nil, false, p.storeError(sctx, ev, fmt.Errorf("store event: %w", err))
	}
	if existed {
		if _, err := p.restart(ctx, stored); err != nil {
			return nil, false, err
		}
		return stored, true, nil
	}
	if _, err := p.start(ctx, ev, deliveries, targets); err != nil {
		var maybe maybeStarted
		// An event without deliveries has nothing to lose.
		if r.ClientID == "" && (!errors.As(err, &maybe) || len(deliveries) == 0) {
			if derr := p.store.DeleteEvent(context.WithoutCancel(ctx), ev.ID); derr != nil {
				p.log.Error("remove event whose workflow did not start", "event_id", ev.ID, "error", derr)
			}
		}
		return nil, false, err
	}
	p.metrics.Published(ev.Name)
	return ev, false, nil
}

// storeError is the answer to a publish whose store step failed with err:
// when the step ran out of its time (a busy or locked database), a 503 that
// says how to retry, as for a start that failed; otherwise err. The event
// is most likely not stored; should it be, the sweep takes care of it.
func (p *Publisher) storeError(sctx context.Context, ev *herald.Event, err error) error {
	if !errors.Is(sctx.Err(), context.DeadlineExceeded) {
		return err
	}
	p.log.Error("store event", "event_id", ev.ID, "error", err)
	return &herald.Error{Code: herald.EUnavailable, Message: "Herald's database did not answer in time; " + retryHint(ev)}
}

// retryHint tells a publisher how to publish an event again: an event
// without a client id is not kept (see maybeStarted for when it is).
func retryHint(ev *herald.Event) string {
	if ev.ClientID != "" {
		return "retry with the same id"
	}
	return "publish the event again"
}

// matching returns the event's targets: matching enabled webhooks, then
// matching enabled connectors, each by ascending ID.
func (p *Publisher) matching(ctx context.Context, event string) ([]workflows.Target, error) {
	idx, err := p.index(ctx)
	if err != nil {
		return nil, err
	}
	var targets []workflows.Target
	for _, e := range idx.entries {
		if catalog.MatchAny(e.events, event) {
			targets = append(targets, e.target)
		}
	}
	return targets, nil
}

// index returns the enabled targets. It lists them only when the store's
// TargetsVersion differs from the last read, so a publish costs one small
// query however many targets there are. The version is read before the
// lists: a change that lands in between is already in them, and it moves
// the version, so the next publish lists again.
func (p *Publisher) index(ctx context.Context) (*targetIndex, error) {
	v, err := p.store.TargetsVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("read targets version: %w", err)
	}
	p.mu.Lock()
	idx := p.targets
	p.mu.Unlock()
	if idx != nil && idx.version == v {
		return idx, nil
	}

	hooks, err := p.store.ListEnabledWebhooks(ctx)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	cons, err := p.store.ListEnabledConnectors(ctx)
	if err != nil {
		return nil, fmt.Errorf("list connectors: %w", err)
	}
	idx = &targetIndex{version: v, entries: make([]indexEntry, 0, len(hooks)+len(cons))}
	for _, w := range hooks {
		idx.entries = append(idx.entries, indexEntry{events: w.Events, target: webhookTarget(w)})
	}
	for _, c := range cons {
		idx.entries = append(idx.entries, indexEntry{events: c.Events, target: connectorTarget(c)})
	}
	// Whichever concurrent refresh stores last wins; an index older than
	// the store's version is simply read again on the next publish.
	p.mu.Lock()
	p.targets = idx
	p.mu.Unlock()
	return idx, nil
}

// restart starts the workflow of an event stored earlier whose start may
// have failed; for an event whose workflow runs or ran it does nothing.
// Only deliveries still pending go into it: after Temporal's retention has
// dropped a closed workflow, the start succeeds again, and a finished
// delivery must not be sent twice. A pending delivery whose target was
// deleted ends failed instead. The workflow counts max age from the
// event's publication (EventInput.Published), so one started after a
// target's max age makes no attempt for it, and one started before makes
// no retry past it. It reports whether this call started the workflow.
func (p *Publisher) restart(ctx context.Context, ev *herald.Event) (bool, error) {
	ds, err := p.store.ListDeliveries(ctx, ev.ID)
	if err != nil {
		return false, fmt.Errorf("list deliveries: %w", err)
	}
	// Pending in a later generation: a redelivery reopened it and runs
	// it; starting the event's workflow beside it would send it twice.
	ds = slices.DeleteFunc(ds, func(d *herald.Delivery) bool { return d.Status != herald.StatusPending || d.Generation > 0 })
	if len(ds) == 0 {
		return false, nil // the workflow ran
	}
	targets := make([]workflows.Target, 0, len(ds))
	kept := ds[:0]
	for _, d := range ds {
		var t workflows.Target
		switch d.TargetType {
		case herald.TargetWebhook:
			var w *herald.Webhook
			if w, err = p.store.GetWebhook(ctx, d.TargetID); err == nil {
				t = webhookTarget(w)
			}
		case herald.TargetConnector:
			var c *herald.Connector
			if c, err = p.store.GetConnector(ctx, d.TargetID); err == nil {
				t = connectorTarget(c)
			}
		}
		if herald.IsNotFound(err) {
			// Deleted since: the delivery stops, as one pending in a
			// workflow would (SPEC §6).
			reason := d.TargetType + " was deleted"
			err := p.store.RecordAttempt(ctx, d.ID, store.AttemptRecord{Status: herald.StatusFailed, Error: &reason, Generation: &d.Generation})
			if err != nil && !errors.Is(err, store.ErrStaleGeneration) { // stale: a redelivery took it meanwhile
				return false, fmt.Errorf("stop delivery %s: %w", d.ID, err)
			}
			continue
		}
		if err != nil {
			return false, fmt.Errorf("load target: %w", err)
		}
		targets = append(targets, t)
		kept = append(kept, d)
	}
	if len(kept) == 0 {
		return false, nil
	}
	return p.start(ctx, ev, kept, targets)
}

func webhookTarget(w *herald.Webhook) workflows.Target {
	return workflows.Target{
		Type:    herald.TargetWebhook,
		ID:      w.ID,
		Retry:   retrySettings(w.Retry),
		Timeout: time.Duration(w.TimeoutSeconds) * time.Second,
	}
}

// connectorTarget: chat services get the default retry policy and request
// timeout (SPEC §8 gives connectors no settings of their own).
func connectorTarget(c *herald.Connector) workflows.Target {
	return workflows.Target{
		Type:    herald.TargetConnector,
		ID:      c.ID,
		Retry:   retrySettings(herald.DefaultRetry),
		Timeout: dispatch.SendTimeout,
	}
}

// start starts the event workflow; deliveries[i] goes to targets[i]. A
// workflow that was started already is no error; the bool reports whether
// this call started it.
func (p *Publisher) start(ctx context.Context, ev *herald.Event, deliveries []*herald.Delivery, targets []workflows.Target) (bool, error) {
	in := workflows.EventInput{EventID: ev.ID, Event: ev.Name, Published: ev.Created}
	ids := make([]string, len(targets))
	for i, t := range targets {
		ids[i] = t.ID
		// A restarted delivery may have made attempts already: numbering
		// goes on from them, as in a redelivery.
		t.DeliveryID, t.PriorAttempts, t.Generation = deliveries[i].ID, deliveries[i].Attempts, deliveries[i].Generation
		in.Targets = append(in.Targets, t)
	}
	attrs := []temporal.SearchAttributeUpdate{workflows.SearchEvent.ValueSet(ev.Name)}
	if ids = searchableTargets(ids); len(ids) > 0 {
		attrs = append(attrs, workflows.SearchTarget.ValueSet(ids))
	}
	opts := client.StartWorkflowOptions{
		ID:                                       workflows.WorkflowID(ev.ID),
		TaskQueue:                                p.taskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		EnableEagerStart:                         true,
		TypedSearchAttributes:                    temporal.NewSearchAttributes(attrs...),
		StaticSummary:                            fmt.Sprintf("%s to %d target(s)", ev.Name, len(targets)),
	}
	err := p.execute(ctx, opts, in)
	maybe := uncertain(err)
	if maybe {
		// The server may have started it after all (it can take seconds
		// under load): asking again under the same ID tells, since a
		// second start of a running workflow is refused as already
		// started. Deleting the event of a started workflow would send
		// it without a record, and the publisher's retry would send it
		// again under another webhook-id.
		err = p.execute(ctx, opts, in)
	}
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err == nil || errors.As(err, &started) {
		return err == nil, nil
	}
	p.log.Error("start event workflow", "event_id", ev.ID, "error", err)
	again := retryHint(ev)
	var refused *serviceerror.InvalidArgument
	if errors.As(err, &refused) {
		// Refused as asked: the first try, had it reached the server,
		// was refused too.
		// The server was reached but refused the start: Herald's search
		// attributes missing on an external cluster, say, or not yet
		// known to every frontend (they cache them for a minute). The
		// log has the server's reason.
		return false, &herald.Error{Code: herald.EUnavailable, Message: "the workflow engine refused to start the event's workflow (see Herald's log); " + again}
	}
	if maybe {
		// Still not known whether the first try started it: the event
		// stays, for its workflow or else for the sweep. Without an id,
		// publishing it again may send it twice, and the publisher is
		// told so, with the ID to look it up by.
		if ev.ClientID == "" {
			again = fmt.Sprintf("event %s is kept and is delivered if the start went through (GET /v1/events/%s shows it); publishing it again may deliver it twice", ev.ID, ev.ID)
		}
		return false, maybeStarted{&herald.Error{Code: herald.EUnavailable, Message: "the workflow engine did not confirm the start; " + again}}
	}
	return false, &herald.Error{Code: herald.EUnavailable, Message: "the workflow engine is not reachable; " + again}
}

// maybeStarted is the error of a start that may have reached the server
// although it failed: the event must not be removed.
type maybeStarted struct{ err *herald.Error }

func (m maybeStarted) Error() string { return m.err.Error() }
func (m maybeStarted) Unwrap() error { return m.err }

// maxSearchValue is the size Temporal allows one search attribute value
// by default (frontend.searchAttributesSizeOfValueLimit, counted on the
// value's JSON); it refuses a start with a larger one.
const maxSearchValue = 2048

// searchableTargets is the longest prefix of ids whose HeraldTarget value
// fits in maxSearchValue: an event with more targets (about 50 webhook
// IDs fit) lists its first ones in Temporal UI, and every one in
// GET /v1/events/{id}.
func searchableTargets(ids []string) []string {
	size := len("[]")
	for i, id := range ids {
		v, _ := json.Marshal(id)
		size += len(v)
		if i > 0 {
			size++ // the comma
		}
		if size > maxSearchValue {
			return ids[:i]
		}
	}
	return ids
}

// uncertain reports whether a start failed in a way that leaves open
// whether the server started the workflow: on its deadline, or cut off by
// the client closing under it (a shutdown that stopped waiting for the
// request).
func uncertain(err error) bool {
	var deadline *serviceerror.DeadlineExceeded
	var canceled *serviceerror.Canceled
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &deadline) ||
		errors.Is(err, context.Canceled) || errors.As(err, &canceled)
}

// workflowTaskTimeout is the event workflows' workflow task timeout
// (Temporal's default is 10 s). Each target's first attempt runs as a local
// activity inside the first workflow task, and the command that follows a
// failed one (the retry's activity, which keeps a short wait itself and
// hands a long one to Temporal; see workflows.inlineWaitMax) only reaches
// the server when the task completes. While a slow receiver holds its attempt, the SDK completes
// the task early ("heartbeats") every 80% of this timeout, so a slow
// target holds back another target's first retry by up to one of those:
// 4 s here. Shorter would cut the margin a loaded worker has to heartbeat
// in time (a missed one runs the first attempts again), and would move
// finish's local retries (backoff up to 5 s) into history.
const workflowTaskTimeout = 5 * time.Second

// execute starts a workflow, waiting at most startTimeout. The start must
// not be cut short by a publisher that hangs up: the event is stored, and
// a start the server completed after we stopped waiting would leave a
// workflow whose event we then delete.
func (p *Publisher) execute(ctx context.Context, opts client.StartWorkflowOptions, in workflows.EventInput) error {
	opts.WorkflowTaskTimeout = workflowTaskTimeout
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), startTimeout)
	defer cancel()
	_, err := p.starter.ExecuteWorkflow(ctx, opts, workflows.EventWorkflowName, in)
	return err
}

func newDelivery(ev *herald.Event, targetType, targetID string, now time.Time) *herald.Delivery {
	return &herald.Delivery{
		ID:         herald.NewID(herald.PrefixDelivery),
		EventID:    ev.ID,
		TargetType: targetType,
		TargetID:   targetID,
		Status:     herald.StatusPending,
		CreatedAt:  now,
		UpdatedAt:  now,
	}
}

func retrySettings(r herald.RetrySettings) workflows.RetrySettings {
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	return workflows.RetrySettings{
		InitialInterval:    sec(r.InitialIntervalSeconds),
		BackoffCoefficient: r.BackoffCoefficient,
		MaxInterval:        sec(r.MaxIntervalSeconds),
		MaxAge:             sec(r.MaxAgeSeconds),
		MaxAttempts:        r.MaxAttempts,
	}
}

func newTraceID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
