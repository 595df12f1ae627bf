package publish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/heraldhub/herald"
)

// sweepStore adds what the sweep needs to fakeStore: the events it finds,
// each stored with fakeStore's deliveries.
type sweepStore struct {
	*fakeStore
	events        []*herald.Event
	since, before time.Time // ListUnstartedEvents' arguments
}

func (s *sweepStore) ListUnstartedEvents(_ context.Context, since, before time.Time, after string, limit int) ([]string, error) {
	s.since, s.before = since, before
	var ids []string
	for _, ev := range s.events {
		if ev.ID > after && len(ids) < limit {
			ids = append(ids, ev.ID)
		}
	}
	return ids, nil
}

func (s *sweepStore) GetEvent(_ context.Context, id string) (*herald.Event, error) {
	for _, ev := range s.events {
		if ev.ID == id {
			return ev, nil
		}
	}
	return nil, herald.Errorf(herald.ENotFound, "event not found")
}

func TestSweepStartsOrEndsEventsStoredWithoutAWorkflow(t *testing.T) {
	for _, tc := range []struct {
		name     string
		clientID string
		running  bool
		started  bool   // a workflow started for the pending delivery
		status   string // the pending delivery's status after the sweep
	}{
		{"with a client id", "perscom-1", false, true, herald.StatusPending},
		{"without one", "", false, false, herald.StatusFailed},
		{"whose workflow runs", "perscom-1", true, false, herald.StatusPending},
		{"whose workflow runs, without a client id", "", true, false, herald.StatusPending},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := &fakeStore{hooks: []*herald.Webhook{hook("wh_a", "*"), hook("wh_b", "*")}}
			fs.existDs = []*herald.Delivery{
				{ID: "del_a", TargetType: herald.TargetWebhook, TargetID: "wh_a", Status: herald.StatusPending},
				{ID: "del_b", TargetType: herald.TargetWebhook, TargetID: "wh_b", Status: herald.StatusSucceeded, Attempts: 1},
				// Reopened by a redelivery, which is at it.
				{ID: "del_c", TargetType: herald.TargetWebhook, TargetID: "wh_c", Status: herald.StatusPending, Generation: 1},
			}
			ev := &herald.Event{ID: "evt_1", ClientID: tc.clientID, Name: "user.created", WorkflowID: "event/evt_1", Created: herald.Now().Add(-time.Hour)}
			st := &fakeStarter{}
			if tc.running {
				st.running = []string{"event/evt_1"}
			}
			ss := &sweepStore{fakeStore: fs, events: []*herald.Event{ev}}
			next, err := newPublisher(fs, st).Sweep(context.Background(), ss, "", 48*time.Hour)
			if err != nil || next != "" {
				t.Fatalf("Sweep = %q, %v; want the last batch, no error", next, err)
			}
			if age := time.Since(ss.before); age < sweepAfter || age > sweepAfter+time.Minute {
				t.Errorf("looked at deliveries updated before %v ago, want %v", age, sweepAfter)
			}
			if age := time.Since(ss.since); age < 48*time.Hour || age > 48*time.Hour+time.Minute {
				t.Errorf("looked at events published since %v ago, want the horizon, 48h", age)
			}
			if !slices.Equal(st.described, []string{"event/evt_1"}) {
				t.Errorf("described %v, want the event's workflow", st.described)
			}
			if tc.started {
				if len(st.starts) != 1 || st.starts[0].ID != "event/evt_1" || len(st.inputs[0].Targets) != 1 || st.inputs[0].Targets[0].DeliveryID != "del_a" {
					t.Fatalf("starts %+v, inputs %+v; want the event's workflow for its pending delivery only", st.starts, st.inputs)
				}
			} else if len(st.starts) != 0 {
				t.Fatalf("started %+v, want nothing", st.starts)
			}
			a, b, c := fs.existDs[0], fs.existDs[1], fs.existDs[2]
			if a.Status != tc.status || b.Status != herald.StatusSucceeded || c.Status != herald.StatusPending {
				t.Fatalf("deliveries %s, %s and %s, want %s, succeeded and pending", a.Status, b.Status, c.Status, tc.status)
			}
			if tc.status == herald.StatusFailed && (a.LastError == nil || *a.LastError != NotStartedReason) {
				t.Errorf("failed delivery's reason %v, want %q", a.LastError, NotStartedReason)
			}
		})
	}
}

// The sweep goes through the events a batch at a time, and past one it
// could not look at: the next sweep starts after it, and wraps round.
func TestSweepCursor(t *testing.T) {
	fs := &fakeStore{}
	ss := &sweepStore{fakeStore: fs}
	for i := range sweepBatch + 5 {
		ss.events = append(ss.events, &herald.Event{ID: fmt.Sprintf("evt_%03d", i), WorkflowID: fmt.Sprintf("event/evt_%03d", i)})
	}
	st := &fakeStarter{}
	for _, ev := range ss.events {
		st.running = append(st.running, ev.WorkflowID)
	}
	p := newPublisher(fs, st)
	next, err := p.Sweep(context.Background(), ss, "", time.Hour)
	if err != nil || next != ss.events[sweepBatch-1].ID {
		t.Fatalf("first sweep = %q, %v; want the cursor after a full batch", next, err)
	}
	next, err = p.Sweep(context.Background(), ss, next, time.Hour)
	if err != nil || next != "" || len(st.described) != sweepBatch+5 {
		t.Fatalf("second sweep = %q, %v after %d described; want every event once, then the start again", next, err, len(st.described))
	}

	// Temporal unreachable at the third event: the sweep stops there, and
	// the next one starts after it.
	failing := &failingDescriber{fakeStarter: st, failAt: ss.events[2].WorkflowID}
	p = newPublisher(fs, st)
	p.starter = failing
	next, err = p.Sweep(context.Background(), ss, "", time.Hour)
	if err == nil || next != ss.events[2].ID {
		t.Fatalf("sweep with a failing describe = %q, %v; want an error and the cursor at the failing event", next, err)
	}
}

type failingDescriber struct {
	*fakeStarter
	failAt string
}

func (f *failingDescriber) DescribeWorkflowExecution(ctx context.Context, id, run string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	if id == f.failAt {
		return nil, errors.New("connection refused")
	}
	return f.fakeStarter.DescribeWorkflowExecution(ctx, id, run)
}

// An event deleted since it was listed (its publish failed to start it
// and removed it) is no error.
func TestSweepSkipsAnEventDeletedMeanwhile(t *testing.T) {
	fs := &fakeStore{}
	ss := &sweepStore{fakeStore: fs, events: []*herald.Event{{ID: "evt_1", WorkflowID: "event/evt_1"}}}
	st := &fakeStarter{}
	gone := &goneStore{ss}
	next, err := newPublisher(fs, st).Sweep(context.Background(), gone, "", time.Hour)
	if err != nil || next != "" || len(st.starts) != 0 {
		t.Fatalf("Sweep = %q, %v after %d starts; want nothing done", next, err, len(st.starts))
	}
}

type goneStore struct{ *sweepStore }

func (goneStore) GetEvent(context.Context, string) (*herald.Event, error) {
	return nil, herald.Errorf(herald.ENotFound, "event not found")
}

// Two sweeps (or a sweep and the publisher's retry) racing to start one
// event's workflow: the one whose start is refused as a duplicate says
// nothing, and an event with nothing left to end is not logged either.
func TestSweepLogsOnlyWhatItDid(t *testing.T) {
	for _, tc := range []struct {
		name     string
		clientID string
		status   string
		startErr error
		want     string // in the log; "" for an empty log
	}{
		{"started", "c1", herald.StatusPending, nil, "started the workflow"},
		{"another was first", "c1", herald.StatusPending, serviceerror.NewWorkflowExecutionAlreadyStarted("running", "", ""), ""},
		{"ended", "", herald.StatusPending, nil, "ended as failed"},
		{"another ended it", "", herald.StatusFailed, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := &fakeStore{hooks: []*herald.Webhook{hook("wh_a", "*")}}
			fs.existDs = []*herald.Delivery{{ID: "del_a", TargetType: herald.TargetWebhook, TargetID: "wh_a", Status: tc.status}}
			ss := &sweepStore{fakeStore: fs, events: []*herald.Event{{ID: "evt_1", ClientID: tc.clientID, WorkflowID: "event/evt_1", Created: herald.Now()}}}
			var buf bytes.Buffer
			p := New(fs, &fakeStarter{err: tc.startErr}, "herald", slog.New(slog.NewTextHandler(&buf, nil)), nil)
			if _, err := p.Sweep(context.Background(), ss, "", time.Hour); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); (tc.want == "" && got != "") || !strings.Contains(got, tc.want) {
				t.Errorf("log %q, want %q", got, tc.want)
			}
		})
	}
}

// A test send left pending (the API process stopped during it) ends failed
// with its own reason; nothing is started or sent.
func TestSweepEndsACutOffTestSend(t *testing.T) {
	fs := &fakeStore{}
	fs.existDs = []*herald.Delivery{{ID: "del_t", TargetType: herald.TargetWebhook, TargetID: "wh_a", Status: herald.StatusPending}}
	ss := &sweepStore{fakeStore: fs, events: []*herald.Event{{ID: "evt_t", Name: "webhook.test", Created: herald.Now()}}} // no workflow ID: a test send
	st := &fakeStarter{}
	if _, err := newPublisher(fs, st).Sweep(context.Background(), ss, "", time.Hour); err != nil {
		t.Fatal(err)
	}
	d := fs.existDs[0]
	if len(st.starts) != 0 || d.Status != herald.StatusFailed || d.LastError == nil || *d.LastError != InterruptedTestReason {
		t.Fatalf("after %d starts the test delivery is %s (%v), want failed with %q", len(st.starts), d.Status, d.LastError, InterruptedTestReason)
	}
}

// Each sweep asks for its horizon, since the namespace's retention it
// follows may change while Herald runs.
func TestRunSweepsAsksForTheHorizonEachTime(t *testing.T) {
	ss := &sweepStore{fakeStore: &fakeStore{}}
	p := newPublisher(ss.fakeStore, &fakeStarter{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	horizons := []time.Duration{time.Hour, 10 * time.Hour}
	calls := 0
	p.RunSweeps(ctx, ss, time.Millisecond, func(context.Context) time.Duration {
		calls++
		if calls == len(horizons) {
			cancel() // this sweep is the last
		}
		return horizons[calls-1]
	})
	if age := time.Since(ss.since); calls != 2 || age < 10*time.Hour || age > 11*time.Hour {
		t.Errorf("%d sweeps, the last looking back %v; want 2, the second over the new 10h horizon", calls, age)
	}
}
