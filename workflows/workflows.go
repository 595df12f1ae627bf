// Package workflows holds Herald's deterministic workflow code: one workflow
// per published event, fanning out to one delivery per matching target.
// Nothing here does I/O; activities are called by their registered names.
package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
)

// Registered names. They are part of the persisted history: never rename.
const (
	EventWorkflowName   = "herald.Event"
	DeliverActivityName = "herald.Deliver"
	FinishActivityName  = "herald.FinishDelivery"
	DefaultTaskQueue    = "herald"
)

// Search attributes Herald registers and sets on every event workflow.
var (
	SearchEvent  = temporal.NewSearchAttributeKeyKeyword("HeraldEvent")
	SearchTarget = temporal.NewSearchAttributeKeyKeywordList("HeraldTarget")
)

// WorkflowID is the workflow ID of an event (SPEC §9).
func WorkflowID(eventID string) string { return "event/" + eventID }

// EventInput starts an event workflow. It carries IDs and settings only:
// payloads, secrets and tokens stay in Herald's store.
type EventInput struct {
	EventID string
	Event   string
	Targets []Target // sorted by TargetID by the publisher
	// Published is when the event was published: the targets' max age
	// counts from it (SPEC §6), however late the workflow starts (a
	// publisher's retry after a failed start, or the sweep). Zero, in a
	// redelivery (which gets a max age of its own) or a workflow started
	// before it was added, counts from the workflow's start.
	Published time.Time
}

// Target is one delivery of the event.
type Target struct {
	DeliveryID string
	Type       string // herald.TargetWebhook or herald.TargetConnector
	ID         string
	Retry      RetrySettings
	Timeout    time.Duration // the receiver's request timeout
	// PriorAttempts counts the delivery's attempts before this workflow (a
	// redelivery continues the numbering).
	PriorAttempts int `json:",omitempty"`
	// Generation is the delivery's generation this workflow works for
	// (herald.Delivery.Generation): a redelivery reopening the delivery
	// moves it on, and this workflow's attempts then stop.
	Generation int `json:",omitempty"`
}

// RetrySettings mirrors herald.RetrySettings in durations.
type RetrySettings struct {
	InitialInterval    time.Duration
	BackoffCoefficient float64
	MaxInterval        time.Duration
	MaxAge             time.Duration
	MaxAttempts        int // 0 means no limit
}

// DeliverInput is the input of the deliver activity. AttemptOffset is added
// to the activity's own attempt number to get the delivery's attempt number
// (the first attempt runs as a local activity).
type DeliverInput struct {
	DeliveryID    string
	TargetType    string
	TargetID      string
	EventID       string
	AttemptOffset int
	// Timeout is the request timeout the activity's own timeout was
	// planned around (the target's when the workflow started; 0 in
	// workflows from before it was added). A target's timeout raised
	// since must not let a request outlive its activity: Temporal would
	// retry it while it is still in flight.
	Timeout time.Duration `json:",omitempty"`
	// Generation is Target.Generation.
	Generation int `json:",omitempty"`
	// NotBefore is when the attempt is due: an attempt that starts
	// earlier waits until then before its request. The first retry after
	// the local attempt is scheduled at once with it, rather than after a
	// timer, when its wait is short (see inlineWaitMax).
	NotBefore time.Time `json:",omitzero"`
	// Deferred is set with a NotBefore too far off to wait in a worker
	// slot: the activity's first try then makes no request and ends
	// retryable (ErrNotDue) with a NextRetryDelay until NotBefore, so that
	// Temporal itself starts the real attempt on time, and the attempt
	// numbers count from its second try.
	Deferred bool `json:",omitempty"`
}

// MaxInlineWait is the longest wait an activity keeps for NotBefore. Its
// host's clock may differ from the workflow's (NotBefore is workflow
// time): a host behind it would otherwise wait on into the attempt's
// timeout.
const MaxInlineWait = 5 * time.Second

// DeliverResult is what a successful attempt reports.
type DeliverResult struct {
	StatusCode int
}

// FinishInput marks a delivery failed once every attempt is spent.
// CountFailure is false when the delivery stopped because its target was
// deleted or disabled, which must not count towards auto-disabling.
type FinishInput struct {
	DeliveryID   string
	TargetType   string
	TargetID     string
	Reason       string
	CountFailure bool
	// Generation is Target.Generation: a delivery reopened since is not
	// this workflow's to mark failed.
	Generation int `json:",omitempty"`
}

// EventResult summarises the workflow.
type EventResult struct {
	Deliveries []DeliveryOutcome
}

// DeliveryOutcome is the end state of one delivery.
type DeliveryOutcome struct {
	DeliveryID string
	TargetID   string
	Succeeded  bool
	Error      string `json:",omitempty"`
}

// Error types activities return; the retry policy never retries
// ErrPermanent or ErrStopped (a target deleted or disabled meanwhile).
// ErrRateLimited and ErrNotSent are non-retryable too: no request was made
// (the target's rate limit held it back, or Herald's store could not be
// read), so the workflow, not the retry policy, waits and runs the attempt
// again without counting it (see RateLimited).
const (
	ErrRetryable   = "HeraldRetryable"
	ErrPermanent   = "HeraldPermanent"
	ErrStopped     = "HeraldStopped"
	ErrRateLimited = "HeraldRateLimited"
	ErrNotSent     = "HeraldNotSent"
	// ErrNotDue is the first try of a Deferred attempt: no request, and
	// Temporal retries when it is due. It never ends a delivery unless
	// the attempt's time runs out first.
	ErrNotDue = "HeraldNotDue"
)

// ErrPanicked is the error type of an activity that panicked (a bug in
// Herald): retried like a failed request, never counted against the
// target, its message always PanicReason. Before it, a panic reached the
// workflow as a *temporal.PanicError, which older histories still hold.
const ErrPanicked = "HeraldPanicked"

// PanicReason is the reason a delivery that ended on a panic gives; the
// worker's log has the details.
const PanicReason = "the worker failed during the attempt (a panic; see its log)"

// ErrDeliveriesFailed is the error type of an event workflow that ended
// with a delivery not made; its detail is the EventResult.
const ErrDeliveriesFailed = "HeraldDeliveriesFailed"

// RateLimited is the detail of an ErrRateLimited or ErrNotSent failure:
// Attempt is the delivery attempt number that was not made, to be made
// later. For ErrRateLimited the target's rate limit holds a slot for the
// delivery Wait from now; ErrNotSent has no Wait, and the workflow backs
// off as the target's retry settings say.
type RateLimited struct {
	Wait    time.Duration
	Attempt int
}

// RetryPolicy builds the Temporal retry policy of a regular activity from a
// target's settings; made counts the attempts this workflow already made
// (the local first attempt, and earlier regular activities). A limited
// MaxAttempts shrinks by it, and the backoff goes on from where those
// attempts left it: the wait after the activity's first attempt is the
// made-th growth of the initial interval, so the delivery as a whole waits
// initial, initial×coefficient, initial×coefficient², and so on (SPEC §6).
// The caller never asks for a policy once made has reached the limit.
func RetryPolicy(s RetrySettings, made int) *temporal.RetryPolicy {
	p := &temporal.RetryPolicy{
		InitialInterval:        s.InitialInterval,
		BackoffCoefficient:     s.BackoffCoefficient,
		MaximumInterval:        s.MaxInterval,
		NonRetryableErrorTypes: []string{ErrPermanent, ErrStopped, ErrRateLimited, ErrNotSent},
	}
	if p.BackoffCoefficient < 1 {
		p.BackoffCoefficient = 1
	}
	if p.MaximumInterval < p.InitialInterval {
		p.MaximumInterval = p.InitialInterval
	}
	p.InitialInterval = grown(p.InitialInterval, p.BackoffCoefficient, p.MaximumInterval, made)
	if s.MaxAttempts > 0 {
		p.MaximumAttempts = int32(max(s.MaxAttempts-made, 1))
	}
	return p
}

// grown is d multiplied by coefficient n times, never past limit.
func grown(d time.Duration, coefficient float64, limit time.Duration, n int) time.Duration {
	for range n {
		if d >= limit {
			break
		}
		d = time.Duration(float64(d) * coefficient)
	}
	return min(d, limit)
}
