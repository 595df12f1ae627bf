package workflows_test

import (
	"strconv"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/heraldhub/herald/workflows"
)

// recorded builds, event by event, a history as an older build of Herald
// recorded it, so that a test can check today's workflow code replays it:
// workers restarted onto a new build pick up running workflows by
// replaying their history.
type recorded struct {
	t               *testing.T
	t0              time.Time
	events          []*historypb.HistoryEvent
	localActivities int // markers so far, which number their activity IDs
}

func newRecorded(t *testing.T, in workflows.EventInput) *recorded {
	r := &recorded{t: t, t0: time.Date(2026, 5, 17, 21, 0, 0, 0, time.UTC)}
	r.add(0, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{
			WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{
				WorkflowType: &commonpb.WorkflowType{Name: workflows.EventWorkflowName},
				TaskQueue:    &taskqueuepb.TaskQueue{Name: "herald"}, Input: r.payloads(in),
				WorkflowTaskTimeout: durationpb.New(10 * time.Second), Attempt: 1,
				OriginalExecutionRunId: "run-1", FirstExecutionRunId: "run-1",
			}}
	})
	return r
}

func (r *recorded) payloads(v ...any) *commonpb.Payloads {
	p, err := converter.GetDefaultDataConverter().ToPayloads(v...)
	if err != nil {
		r.t.Fatal(err)
	}
	return p
}

// add appends an event at offset at from the start, its attributes set by
// set, and returns its ID.
func (r *recorded) add(at time.Duration, typ enumspb.EventType, set func(e *historypb.HistoryEvent)) int64 {
	e := &historypb.HistoryEvent{EventId: int64(len(r.events) + 1), EventTime: timestamppb.New(r.t0.Add(at)), EventType: typ}
	set(e)
	r.events = append(r.events, e)
	return e.EventId
}

// task records a completed workflow task and returns its completed event.
func (r *recorded) task(at time.Duration) int64 {
	s := r.add(at, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_WorkflowTaskScheduledEventAttributes{
			WorkflowTaskScheduledEventAttributes: &historypb.WorkflowTaskScheduledEventAttributes{
				TaskQueue: &taskqueuepb.TaskQueue{Name: "herald"}, StartToCloseTimeout: durationpb.New(10 * time.Second), Attempt: 1}}
	})
	st := r.add(at, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_WorkflowTaskStartedEventAttributes{
			WorkflowTaskStartedEventAttributes: &historypb.WorkflowTaskStartedEventAttributes{ScheduledEventId: s}}
	})
	return r.add(at, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_WorkflowTaskCompletedEventAttributes{
			WorkflowTaskCompletedEventAttributes: &historypb.WorkflowTaskCompletedEventAttributes{ScheduledEventId: s, StartedEventId: st}}
	})
}

// localActivity records the marker of a local activity's attempt that
// failed with failure and was not retried, or succeeded (nil failure).
func (r *recorded) localActivity(at time.Duration, task int64, activityType string, failure *failurepb.Failure) {
	r.localActivities++
	data := struct {
		ActivityID   string
		ActivityType string
		ReplayTime   time.Time
		Attempt      int32
		Backoff      time.Duration
	}{strconv.Itoa(r.localActivities), activityType, r.t0.Add(at), 1, 0}
	r.add(at, enumspb.EVENT_TYPE_MARKER_RECORDED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_MarkerRecordedEventAttributes{
			MarkerRecordedEventAttributes: &historypb.MarkerRecordedEventAttributes{
				MarkerName: "LocalActivity", WorkflowTaskCompletedEventId: task,
				Details: map[string]*commonpb.Payloads{"data": r.payloads(data)}, Failure: failure}}
	})
}

// version records a workflow.GetVersion marker (without its search
// attribute update).
func (r *recorded) version(at time.Duration, task int64, changeID string, v workflow.Version) {
	r.add(at, enumspb.EVENT_TYPE_MARKER_RECORDED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_MarkerRecordedEventAttributes{
			MarkerRecordedEventAttributes: &historypb.MarkerRecordedEventAttributes{
				MarkerName: "Version", WorkflowTaskCompletedEventId: task,
				Details: map[string]*commonpb.Payloads{
					"change-id": r.payloads(changeID), "version": r.payloads(v),
					"version-search-attribute-updated": r.payloads(false),
				}}}
	})
}

// sleep records a timer of d started at at, and fired unless pending.
func (r *recorded) sleep(at time.Duration, task int64, d time.Duration, pending bool) {
	id := r.add(at, enumspb.EVENT_TYPE_TIMER_STARTED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_TimerStartedEventAttributes{
			TimerStartedEventAttributes: &historypb.TimerStartedEventAttributes{
				TimerId: strconv.Itoa(len(r.events) + 1), StartToFireTimeout: durationpb.New(d), WorkflowTaskCompletedEventId: task}}
	})
	if !pending {
		r.add(at+d, enumspb.EVENT_TYPE_TIMER_FIRED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_TimerFiredEventAttributes{
				TimerFiredEventAttributes: &historypb.TimerFiredEventAttributes{TimerId: strconv.FormatInt(id, 10), StartedEventId: id}}
		})
	}
}

// failedActivity records a regular activity scheduled at at that failed
// at end with failure.
func (r *recorded) failedActivity(at, end time.Duration, task int64, activityType string, failure *failurepb.Failure) {
	s := r.add(at, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{
			ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{
				ActivityId: strconv.Itoa(len(r.events) + 1), ActivityType: &commonpb.ActivityType{Name: activityType},
				TaskQueue: &taskqueuepb.TaskQueue{Name: "herald"}, WorkflowTaskCompletedEventId: task}}
	})
	st := r.add(end, enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_ActivityTaskStartedEventAttributes{
			ActivityTaskStartedEventAttributes: &historypb.ActivityTaskStartedEventAttributes{ScheduledEventId: s, Attempt: 1}}
	})
	r.add(end, enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_ActivityTaskFailedEventAttributes{
			ActivityTaskFailedEventAttributes: &historypb.ActivityTaskFailedEventAttributes{
				ScheduledEventId: s, StartedEventId: st, Failure: failure, RetryState: enumspb.RETRY_STATE_NON_RETRYABLE_FAILURE}}
	})
}

func (r *recorded) replay() error {
	rp := worker.NewWorkflowReplayer()
	rp.RegisterWorkflowWithOptions(workflows.EventWorkflow, workflow.RegisterOptions{Name: workflows.EventWorkflowName})
	return rp.ReplayWorkflowHistory(nil, &historypb.History{Events: r.events})
}

// storeDownFailure is how an attempt that could not read the store ends.
func storeDownFailure(r *recorded, attempt int) *failurepb.Failure {
	return &failurepb.Failure{Message: "could not load event", FailureInfo: &failurepb.Failure_ApplicationFailureInfo{
		ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{
			Type: workflows.ErrNotSent, NonRetryable: true, Details: r.payloads(workflows.RateLimited{Attempt: attempt})}}}
}

// A workflow held back by a store outage under the older backoff (waits
// capped at the target's max interval, 1 s here) slept 1 s at 8.5 s of its
// 10 s max age. Today's backoff waits 2 s there, which would pass the
// deadline and give up: the replay must still find the sleep (the change is
// versioned, and a wait past the deadline is cut short anyway).
func TestReplayOfAnOlderStoreOutageHold(t *testing.T) {
	in := workflows.EventInput{EventID: "evt_1", Event: "user.created", Targets: []workflows.Target{{
		DeliveryID: "dlv_1", Type: "webhook", ID: "whk_a", Timeout: 5 * time.Second,
		Retry: workflows.RetrySettings{InitialInterval: time.Second, BackoffCoefficient: 2, MaxInterval: time.Second, MaxAge: 10 * time.Second},
	}}}
	r := newRecorded(t, in)
	first := r.task(0)
	r.localActivity(0, first, workflows.DeliverActivityName, storeDownFailure(r, 1))
	r.version(0, first, "max-age-deadline", 1)
	r.sleep(0, first, time.Second, false)
	second := r.task(time.Second)
	r.failedActivity(time.Second, 8500*time.Millisecond, second, workflows.DeliverActivityName, storeDownFailure(r, 1))
	third := r.task(8500 * time.Millisecond)
	r.sleep(8500*time.Millisecond, third, time.Second, true)
	if err := r.replay(); err != nil {
		t.Fatalf("replay of a history recorded before the outage backoff changed: %v", err)
	}
}

// A late-started event workflow (published 2 min before its start, max age
// 2 min 30 s) that a worker from before max age counted from the
// publication ran: it counted from the start, so after the first attempt
// failed it slept the 1 min until the retry. Today's code would end the
// delivery there instead (the retry is past the publication plus max age),
// so the replay must find no version marker and count from the start too.
func TestReplayOfALateStartAnOlderWorkerRan(t *testing.T) {
	in := workflows.EventInput{EventID: "evt_1", Event: "user.created", Targets: []workflows.Target{{
		DeliveryID: "dlv_1", Type: "webhook", ID: "whk_a", Timeout: 5 * time.Second,
		Retry: workflows.RetrySettings{InitialInterval: time.Minute, BackoffCoefficient: 2, MaxInterval: time.Hour, MaxAge: 2*time.Minute + 30*time.Second},
	}}, Published: time.Date(2026, 5, 17, 20, 58, 0, 0, time.UTC)} // 2 min before newRecorded's start
	r := newRecorded(t, in)
	first := r.task(0)
	r.localActivity(0, first, workflows.DeliverActivityName, &failurepb.Failure{Message: "HTTP 500",
		FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{Type: workflows.ErrRetryable}}})
	r.version(0, first, "max-age-deadline", 1)
	r.sleep(0, first, time.Minute, true)
	if err := r.replay(); err != nil {
		t.Fatalf("replay of a late start an older worker ran: %v", err)
	}
}

// An event whose delivery failed ended, before failed deliveries failed
// the workflow, as a completed workflow. Replaying it (a query on a closed
// workflow) must find no version marker and complete again.
func TestReplayOfAnOlderFailedDelivery(t *testing.T) {
	in := workflows.EventInput{EventID: "evt_1", Event: "user.created", Targets: []workflows.Target{{
		DeliveryID: "dlv_1", Type: "webhook", ID: "whk_a", Timeout: 5 * time.Second,
		Retry: workflows.RetrySettings{InitialInterval: time.Second, BackoffCoefficient: 2, MaxInterval: time.Minute},
	}}}
	r := newRecorded(t, in)
	first := r.task(0)
	r.localActivity(0, first, workflows.DeliverActivityName, &failurepb.Failure{Message: "HTTP 400",
		FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{Type: workflows.ErrPermanent, NonRetryable: true}}})
	r.localActivity(0, first, workflows.FinishActivityName, nil)
	result := workflows.EventResult{Deliveries: []workflows.DeliveryOutcome{{DeliveryID: "dlv_1", TargetID: "whk_a", Error: "HTTP 400"}}}
	r.add(0, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_WorkflowExecutionCompletedEventAttributes{
			WorkflowExecutionCompletedEventAttributes: &historypb.WorkflowExecutionCompletedEventAttributes{
				Result: r.payloads(result), WorkflowTaskCompletedEventId: first}}
	})
	if err := r.replay(); err != nil {
		t.Fatalf("replay of an older event whose delivery failed: %v", err)
	}
}

// An older worker waited for every first retry with a timer. A workflow
// it left waiting on one must replay onto the timer, not the retry's
// activity scheduled at once that today's code uses for a short wait.
func TestReplayOfAnOlderFirstRetryTimer(t *testing.T) {
	in := workflows.EventInput{EventID: "evt_1", Event: "user.created", Targets: []workflows.Target{{
		DeliveryID: "dlv_1", Type: "webhook", ID: "whk_a", Timeout: 5 * time.Second,
		Retry: workflows.RetrySettings{InitialInterval: time.Second, BackoffCoefficient: 2, MaxInterval: time.Minute, MaxAge: time.Hour},
	}}}
	r := newRecorded(t, in)
	first := r.task(0)
	r.localActivity(0, first, workflows.DeliverActivityName, &failurepb.Failure{Message: "HTTP 500",
		FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{Type: workflows.ErrRetryable}}})
	r.version(0, first, "max-age-deadline", 1)
	r.sleep(0, first, time.Second, true)
	if err := r.replay(); err != nil {
		t.Fatalf("replay of an older first-retry timer: %v", err)
	}
}

// The same for a first retry whose wait was too long to keep in the
// activity (a Retry-After of 8 s): today's code hands such a wait to
// Temporal through the retry's activity, an older worker used a timer.
func TestReplayOfAnOlderLongFirstRetryTimer(t *testing.T) {
	in := workflows.EventInput{EventID: "evt_1", Event: "user.created", Targets: []workflows.Target{{
		DeliveryID: "dlv_1", Type: "webhook", ID: "whk_a", Timeout: 5 * time.Second,
		Retry: workflows.RetrySettings{InitialInterval: time.Second, BackoffCoefficient: 2, MaxInterval: time.Minute, MaxAge: time.Hour},
	}}}
	r := newRecorded(t, in)
	first := r.task(0)
	r.localActivity(0, first, workflows.DeliverActivityName, &failurepb.Failure{Message: "HTTP 429",
		FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{
			Type: workflows.ErrRetryable, NextRetryDelay: durationpb.New(8 * time.Second)}}})
	r.version(0, first, "max-age-deadline", 1)
	r.sleep(0, first, 8*time.Second, true)
	if err := r.replay(); err != nil {
		t.Fatalf("replay of an older long first-retry timer: %v", err)
	}
}
