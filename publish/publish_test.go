package publish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
	"github.com/heraldhub/herald/workflows"
)

// fakeStore keeps one event at most, as the idempotency cases need.
type fakeStore struct {
	hooks    []*herald.Webhook
	cons     []*herald.Connector
	existing *herald.Event
	existDs  []*herald.Delivery
	created  *store.CreateEventRequest
	deleted  []string
	version  int64 // TargetsVersion; tests that change targets move it
	lists    int   // ListEnabledWebhooks calls
	// createDeadline is the deadline CreateEvent was called with.
	createDeadline time.Time
}

func (s *fakeStore) ListEnabledWebhooks(context.Context) ([]*herald.Webhook, error) {
	s.lists++
	return s.hooks, nil
}
func (s *fakeStore) TargetsVersion(context.Context) (int64, error) {
	return s.version, nil
}
func (s *fakeStore) ListEnabledConnectors(context.Context) ([]*herald.Connector, error) {
	return s.cons, nil
}
func (s *fakeStore) GetWebhook(_ context.Context, id string) (*herald.Webhook, error) {
	for _, w := range s.hooks {
		if w.ID == id {
			return w, nil
		}
	}
	return nil, herald.Errorf(herald.ENotFound, "webhook not found")
}
func (s *fakeStore) GetConnector(_ context.Context, id string) (*herald.Connector, error) {
	for _, c := range s.cons {
		if c.ID == id {
			return c, nil
		}
	}
	return nil, herald.Errorf(herald.ENotFound, "connector not found")
}
func (s *fakeStore) CreateEvent(ctx context.Context, r store.CreateEventRequest) (*herald.Event, bool, error) {
	s.createDeadline, _ = ctx.Deadline()
	if s.existing != nil && r.Event.ClientID != "" && r.Event.ClientID == s.existing.ClientID {
		return s.existing, true, nil
	}
	s.created = &r
	return r.Event, false, nil
}
func (s *fakeStore) DeleteEvent(_ context.Context, id string) error {
	s.deleted = append(s.deleted, id)
	return nil
}
func (s *fakeStore) ListDeliveries(context.Context, string) ([]*herald.Delivery, error) {
	return slices.Clone(s.existDs), nil
}
func (s *fakeStore) RecordAttempt(_ context.Context, id string, rec store.AttemptRecord) error {
	for _, d := range s.existDs {
		if d.ID == id {
			d.Status, d.LastError = rec.Status, rec.Error
			return nil
		}
	}
	return herald.Errorf(herald.ENotFound, "delivery not found")
}

func (s *fakeStore) ReopenDelivery(_ context.Context, id string) (*herald.Delivery, error) {
	for _, d := range s.existDs {
		if d.ID == id {
			if d.Status == herald.StatusPending {
				return nil, store.StillPending(id)
			}
			d.Status, d.Generation = herald.StatusPending, d.Generation+1
			c := *d
			return &c, nil
		}
	}
	return nil, herald.Errorf(herald.ENotFound, "delivery not found")
}

// fakeStarter records workflow starts and answers with err.
type fakeStarter struct {
	starts []client.StartWorkflowOptions
	inputs []workflows.EventInput
	err    error
	errs   []error // answers to the first starts, before err

	// running are the IDs of the workflows that run; Describe finds no
	// other.
	running   []string
	described []string
}

func (f *fakeStarter) DescribeWorkflowExecution(_ context.Context, id, _ string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	f.described = append(f.described, id)
	if !slices.Contains(f.running, id) {
		return nil, serviceerror.NewNotFound("workflow not found")
	}
	return &workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{
		Status: enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING}}, nil
}

func (f *fakeStarter) ExecuteWorkflow(_ context.Context, o client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	f.starts = append(f.starts, o)
	f.inputs = append(f.inputs, args[0].(workflows.EventInput))
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return nil, err
	}
	return nil, f.err
}

func hook(id string, events ...string) *herald.Webhook {
	return &herald.Webhook{ID: id, Events: events, Enabled: true, TimeoutSeconds: 10, Retry: herald.DefaultRetry}
}

func newPublisher(s *fakeStore, st *fakeStarter) *Publisher {
	return New(s, st, "herald", slog.New(slog.DiscardHandler), nil)
}

func TestPublishStoresMatchingTargetsAndStartsTheWorkflow(t *testing.T) {
	s := &fakeStore{
		hooks: []*herald.Webhook{hook("wh_a", "user.*"), hook("wh_b", "rankrecord.*"), hook("wh_c", "*")},
		cons:  []*herald.Connector{{ID: "con_a", Events: []string{"*.created"}, Enabled: true}},
	}
	st := &fakeStarter{}
	ev, existed, err := newPublisher(s, st).Publish(context.Background(), Request{Event: "user.created", Data: []byte(`{}`)})
	if err != nil || existed {
		t.Fatalf("Publish = %v, %v", existed, err)
	}
	var got []string
	for _, d := range s.created.Deliveries {
		got = append(got, d.TargetType+":"+d.TargetID)
	}
	if want := []string{"webhook:wh_a", "webhook:wh_c", "connector:con_a"}; !slices.Equal(got, want) {
		t.Errorf("deliveries %v, want %v", got, want)
	}
	if len(st.starts) != 1 {
		t.Fatalf("%d workflow starts", len(st.starts))
	}
	o := st.starts[0]
	if o.ID != "event/"+ev.ID || ev.WorkflowID != o.ID || !o.EnableEagerStart || !o.WorkflowExecutionErrorWhenAlreadyStarted ||
		o.WorkflowIDReusePolicy != enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE || o.TaskQueue != "herald" {
		t.Errorf("start options %+v", o)
	}
	in := st.inputs[0]
	if len(in.Targets) != 3 || in.Targets[0].DeliveryID != s.created.Deliveries[0].ID || in.Targets[2].Type != herald.TargetConnector {
		t.Errorf("workflow input %+v", in)
	}
	if ev.TraceID == "" {
		t.Error("no trace id generated")
	}
	if ev.Created.Nanosecond()%1000 != 0 {
		t.Errorf("created %v has nanoseconds; PostgreSQL and the envelope keep microseconds", ev.Created)
	}
}

// An event published without changes is stored with [], as its envelope
// carries it, so reading it back shows what receivers got; given changes,
// null included, are kept as sent.
func TestPublishStoresChangesAsTheEnvelopeCarriesThem(t *testing.T) {
	for given, want := range map[string]string{"": `[]`, `null`: `null`, `{"name": "x"}`: `{"name": "x"}`} {
		s := &fakeStore{hooks: []*herald.Webhook{hook("wh_a", "*")}}
		_, _, err := newPublisher(s, &fakeStarter{}).Publish(context.Background(), Request{Event: "user.updated", Data: []byte(`{}`), Changes: []byte(given)})
		if err != nil {
			t.Fatal(err)
		}
		if got := string(s.created.Event.Changes); got != want {
			t.Errorf("published with changes %q: stored %q, want %q", given, got, want)
		}
	}
}

func TestPublishWithoutClientIDRemovesTheEventWhenTheStartFails(t *testing.T) {
	s := &fakeStore{hooks: []*herald.Webhook{hook("wh_a", "*")}}
	_, _, err := newPublisher(s, &fakeStarter{err: errors.New("connection refused")}).
		Publish(context.Background(), Request{Event: "user.created", Data: []byte(`{}`)})
	if herald.ErrorCode(err) != herald.EUnavailable || len(s.deleted) != 1 || !strings.Contains(err.Error(), "publish the event again") {
		t.Errorf("err %v, deleted %v; want unavailable, the event removed, and to publish it again", err, s.deleted)
	}
	s.deleted = nil
	_, _, err = newPublisher(s, &fakeStarter{err: errors.New("connection refused")}).
		Publish(context.Background(), Request{ClientID: "c1", Event: "user.created", Data: []byte(`{}`)})
	if herald.ErrorCode(err) != herald.EUnavailable || len(s.deleted) != 0 || !strings.Contains(err.Error(), "retry with the same id") {
		t.Errorf("with a client id: err %v, deleted %v; want the event kept for the client's retry", err, s.deleted)
	}
}

// A start that timed out, or that a closing client cut off (a shutdown),
// may have started the workflow anyway: asked again, the server says so.
// While that stays unknown the event stays too (its workflow, or else the
// sweep, sees to it); a refusal of the same request shows the first try
// did not start it either, and the event is removed.
func TestPublishAsksAgainAfterAStartTimedOut(t *testing.T) {
	timedOut := fmt.Errorf("start: %w", context.DeadlineExceeded)
	closing := serviceerror.NewCanceled("grpc: the client connection is closing")
	for _, tc := range []struct {
		name        string
		first       error
		second      error
		wantErr     bool
		wantDeleted bool
	}{
		{"it had started", timedOut, serviceerror.NewWorkflowExecutionAlreadyStarted("running", "", ""), false, false},
		{"it starts now", timedOut, nil, false, false},
		{"still unreachable", timedOut, errors.New("connection refused"), true, false},
		{"the client closed", closing, closing, true, false},
		{"refused", timedOut, serviceerror.NewInvalidArgument("unknown search attribute"), true, true},
	} {
		s := &fakeStore{hooks: []*herald.Webhook{hook("wh_a", "*")}}
		st := &fakeStarter{errs: []error{tc.first, tc.second}}
		_, _, err := newPublisher(s, st).Publish(context.Background(), Request{Event: "user.created", Data: []byte(`{}`)})
		if (err != nil) != tc.wantErr || len(st.starts) != 2 || (len(s.deleted) == 1) != tc.wantDeleted {
			t.Errorf("%s: err %v after %d starts, deleted %v", tc.name, err, len(st.starts), s.deleted)
		}
		if tc.wantErr && herald.ErrorCode(err) != herald.EUnavailable {
			t.Errorf("%s: err %v, want a 503", tc.name, err)
		}
		// Kept without an id: the publisher learns a second publish
		// may send it twice, and how to look it up.
		if tc.wantErr && !tc.wantDeleted && (!strings.Contains(err.Error(), "may deliver it twice") || !strings.Contains(err.Error(), s.created.Event.ID)) {
			t.Errorf("%s: err %q does not say the event is kept", tc.name, err)
		}
	}
	// An event without targets has nothing to lose: it goes.
	s := &fakeStore{}
	st := &fakeStarter{errs: []error{timedOut, timedOut}}
	if _, _, err := newPublisher(s, st).Publish(context.Background(), Request{Event: "user.created", Data: []byte(`{}`)}); err == nil || len(s.deleted) != 1 {
		t.Errorf("event without targets: err %v, deleted %v; want it removed", err, s.deleted)
	}
}

func TestPublishSameClientIDStartsOnlyWhatIsStillPending(t *testing.T) {
	existing := &herald.Event{ID: "evt_1", ClientID: "c1", Name: "user.created", WorkflowID: "event/evt_1", Created: herald.Now()}
	pending := &herald.Delivery{ID: "del_1", EventID: "evt_1", TargetType: herald.TargetWebhook, TargetID: "wh_a", Status: herald.StatusPending}
	tests := []struct {
		name       string
		status     string
		generation int
		startErr   error
		wantStart  bool
	}{
		{"never started: start it now", herald.StatusPending, 0, nil, true},
		{"running: the duplicate start is fine", herald.StatusPending, 0, serviceerror.NewWorkflowExecutionAlreadyStarted("running", "", ""), true},
		{"finished: no second workflow, even after retention", herald.StatusSucceeded, 0, nil, false},
		{"pending in a redelivery: left to it", herald.StatusPending, 1, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := *pending
			d.Status, d.Generation = tt.status, tt.generation
			s := &fakeStore{hooks: []*herald.Webhook{hook("wh_a", "*")}, existing: existing, existDs: []*herald.Delivery{&d}}
			st := &fakeStarter{err: tt.startErr}
			ev, existed, err := newPublisher(s, st).Publish(context.Background(), Request{ClientID: "c1", Event: "user.created", Data: []byte(`{}`)})
			if err != nil || !existed || ev.ID != "evt_1" {
				t.Fatalf("Publish = %v, %v, %v", ev, existed, err)
			}
			if started := len(st.starts) == 1; started != tt.wantStart {
				t.Errorf("started %v, want %v", started, tt.wantStart)
			}
		})
	}
}

// A repeated client ID restarts only the deliveries still pending: one
// that finished is not sent again (once Temporal has dropped the closed
// workflow the start succeeds), and one whose target was deleted stops.
func TestPublishSameClientIDRestartsOnlyPendingDeliveries(t *testing.T) {
	existing := &herald.Event{ID: "evt_1", ClientID: "c1", Name: "user.created", WorkflowID: "event/evt_1", Created: herald.Now()}
	delivery := func(id, target, status string) *herald.Delivery {
		return &herald.Delivery{ID: id, EventID: "evt_1", TargetType: herald.TargetWebhook, TargetID: target, Status: status}
	}
	s := &fakeStore{
		hooks:    []*herald.Webhook{hook("wh_a", "*"), hook("wh_b", "*"), hook("wh_c", "*")},
		existing: existing,
		existDs: []*herald.Delivery{
			delivery("del_a", "wh_a", herald.StatusSucceeded),
			{ID: "del_b", EventID: "evt_1", TargetType: herald.TargetWebhook, TargetID: "wh_b", Status: herald.StatusPending, Attempts: 3},
			delivery("del_c", "wh_c", herald.StatusFailed),
			delivery("del_gone", "wh_gone", herald.StatusPending),
		},
	}
	st := &fakeStarter{}
	if _, existed, err := newPublisher(s, st).Publish(context.Background(), Request{ClientID: "c1", Event: "user.created", Data: []byte(`{}`)}); err != nil || !existed {
		t.Fatalf("Publish: existed %v, %v", existed, err)
	}
	if len(st.inputs) != 1 {
		t.Fatalf("%d workflow starts, want 1", len(st.inputs))
	}
	var got []string
	for _, tg := range st.inputs[0].Targets {
		got = append(got, tg.DeliveryID+"->"+tg.ID)
	}
	if want := []string{"del_b->wh_b"}; !slices.Equal(got, want) {
		t.Errorf("restarted %v, want only the pending delivery %v", got, want)
	}
	if n := st.inputs[0].Targets[0].PriorAttempts; n != 3 {
		t.Errorf("restarted delivery's PriorAttempts = %d, want its 3 attempts so far", n)
	}
	gone := s.existDs[3]
	if gone.Status != herald.StatusFailed || gone.LastError == nil || *gone.LastError != "webhook was deleted" {
		t.Errorf("delivery to the deleted webhook: status %s, error %v; want failed, webhook was deleted", gone.Status, gone.LastError)
	}
}

// Targets are listed again only when the store's TargetsVersion moves.
func TestPublishListsTargetsOnlyWhenTheyChange(t *testing.T) {
	s := &fakeStore{hooks: []*herald.Webhook{hook("wh_a", "user.*")}, version: 7}
	st := &fakeStarter{}
	p := newPublisher(s, st)
	publish := func() []string {
		t.Helper()
		if _, _, err := p.Publish(t.Context(), Request{Event: "user.created", Data: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, tg := range st.inputs[len(st.inputs)-1].Targets {
			ids = append(ids, tg.ID)
		}
		return ids
	}

	for range 3 {
		if got := publish(); !slices.Equal(got, []string{"wh_a"}) {
			t.Fatalf("targets %v, want [wh_a]", got)
		}
	}
	if s.lists != 1 {
		t.Errorf("listed webhooks %d times for 3 publishes at one version, want 1", s.lists)
	}

	s.hooks = append(s.hooks, hook("wh_b", "*"))
	s.version++
	if got := publish(); !slices.Equal(got, []string{"wh_a", "wh_b"}) {
		t.Errorf("after the version moved: targets %v, want [wh_a wh_b]", got)
	}
	if s.lists != 2 {
		t.Errorf("listed webhooks %d times, want 2", s.lists)
	}
}

// A delivery still pending is being delivered: a manual retry would run a
// second workflow beside it.
func TestRedeliverPendingIsConflict(t *testing.T) {
	st := &fakeStarter{running: []string{"event/evt_1"}}
	fs := &fakeStore{hooks: []*herald.Webhook{{ID: "wh_a", Enabled: true}}}
	d := &herald.Delivery{ID: "del_1", EventID: "evt_1", TargetType: herald.TargetWebhook, TargetID: "wh_a", Status: herald.StatusPending}
	_, err := newPublisher(fs, st).Redeliver(context.Background(), redeliverStore{fs}, d)
	if herald.ErrorCode(err) != herald.EConflict || len(st.starts) != 0 {
		t.Errorf("Redeliver(pending) = %v after %d starts, want a conflict and no start", err, len(st.starts))
	}
}

// A pending delivery no workflow is at (its API process died between
// storing the event and starting the workflow) can be retried by hand once
// it has been left alone for a while: it is ended as failed and
// redelivered. One whose workflow runs, or that was stored just now (its
// publish may still be starting it), stays a conflict.
func TestRedeliverStrandedPending(t *testing.T) {
	old := herald.Now().Add(-time.Hour)
	for _, tc := range []struct {
		name       string
		generation int
		updated    time.Time
		running    []string
		described  string // the owner asked about; "" for none
		redeliver  bool
	}{
		{"no workflow ever started", 0, old, nil, "event/evt_1", true},
		{"its event's workflow runs", 0, old, []string{"event/evt_1"}, "event/evt_1", false},
		{"stored just now", 0, herald.Now(), nil, "", false},
		// A publish whose store step was slow may still start it.
		{"stored 45 s ago", 0, herald.Now().Add(-45 * time.Second), nil, "", false},
		{"its redelivery's workflow is gone", 1, old, []string{"event/evt_1"}, "redeliver/del_1", true},
		{"its redelivery's workflow runs", 1, old, []string{"redeliver/del_1"}, "redeliver/del_1", false},
		{"a test send still sending", 0, old, nil, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := &fakeStore{hooks: []*herald.Webhook{{ID: "wh_on", Enabled: true}}}
			fs.existDs = []*herald.Delivery{{ID: "del_1", Status: herald.StatusPending, Generation: tc.generation}}
			st := &fakeStarter{running: tc.running}
			d := &herald.Delivery{ID: "del_1", EventID: "evt_1", TargetType: herald.TargetWebhook, TargetID: "wh_on",
				Status: herald.StatusPending, Generation: tc.generation, CreatedAt: old, UpdatedAt: tc.updated}
			if strings.HasPrefix(tc.name, "a test send") {
				d.EventID = "evt_test" // made by a test send: no workflow, ever
			}
			_, err := newPublisher(fs, st).Redeliver(context.Background(), redeliverStore{fs}, d)
			if got := strings.Join(st.described, ","); got != tc.described {
				t.Errorf("asked about %q, want %q", got, tc.described)
			}
			if !tc.redeliver {
				if herald.ErrorCode(err) != herald.EConflict || len(st.starts) != 0 || fs.existDs[0].Status != herald.StatusPending {
					t.Errorf("Redeliver = %v after %d starts, stored %+v; want a conflict, nothing changed", err, len(st.starts), fs.existDs[0])
				}
				return
			}
			if err != nil || len(st.starts) != 1 || st.inputs[0].Targets[0].Generation != tc.generation+1 {
				t.Fatalf("Redeliver = %v, starts %+v; want one redelivery in generation %d", err, st.inputs, tc.generation+1)
			}
		})
	}
}

// redeliverStore adds the event lookup redelivery needs to fakeStore.
type redeliverStore struct{ *fakeStore }

func (redeliverStore) GetEvent(_ context.Context, id string) (*herald.Event, error) {
	ev := &herald.Event{ID: id, Name: "user.created", WorkflowID: "event/" + id}
	if id == "evt_test" {
		ev.WorkflowID = "" // made by a test send
	}
	return ev, nil
}

// A disabled target would stop the redelivery at once and fail it again,
// and a test send's made-up data is no event to deliver: the caller hears
// so, and nothing starts or changes status.
func TestRedeliverToDisabledTargetIsConflict(t *testing.T) {
	fs := &fakeStore{
		hooks: []*herald.Webhook{{ID: "wh_off", Enabled: false}, {ID: "wh_on", Enabled: true}},
		cons:  []*herald.Connector{{ID: "con_off", Enabled: false}},
	}
	st := &fakeStarter{}
	p := newPublisher(fs, st)
	for _, id := range []string{"wh_off", "con_off", "wh_on"} {
		fs.existDs = append(fs.existDs, &herald.Delivery{ID: "del_" + id, Status: herald.StatusFailed})
	}
	for _, tc := range []struct {
		typ, id string
		want    string
	}{
		{herald.TargetWebhook, "wh_off", herald.EConflict},
		{herald.TargetConnector, "con_off", herald.EConflict},
		{herald.TargetWebhook, "wh_on", ""},
		{herald.TargetWebhook, "wh_on", herald.EConflict}, // a test send's delivery
	} {
		ev := "evt_1"
		if tc.want != "" && tc.id == "wh_on" {
			ev = "evt_test"
		}
		d := &herald.Delivery{ID: "del_" + tc.id, EventID: ev, TargetType: tc.typ, TargetID: tc.id, Status: herald.StatusFailed}
		_, err := p.Redeliver(context.Background(), redeliverStore{fs}, d)
		got := ""
		if err != nil {
			got = herald.ErrorCode(err)
		}
		if got != tc.want {
			t.Errorf("Redeliver to %s: %v (code %q), want code %q", tc.id, err, got, tc.want)
		}
	}
	if len(st.starts) != 1 {
		t.Errorf("%d workflows started, want 1 (the enabled webhook's)", len(st.starts))
	}
	for _, d := range fs.existDs[:2] {
		if d.Status != herald.StatusFailed {
			t.Errorf("delivery %s is %s after a refused redelivery, want failed", d.ID, d.Status)
		}
	}
}

// A redelivery reopens its delivery in a new generation, which its
// workflow carries, and replaces a redelivery workflow left running for an
// earlier generation (one whose delivery was stopped).
func TestRedeliverStartsANewGeneration(t *testing.T) {
	fs := &fakeStore{hooks: []*herald.Webhook{{ID: "wh_on", Enabled: true}}}
	fs.existDs = []*herald.Delivery{{ID: "del_1", Status: herald.StatusFailed, Attempts: 3, Generation: 1}}
	st := &fakeStarter{}
	d := &herald.Delivery{ID: "del_1", EventID: "evt_1", TargetType: herald.TargetWebhook, TargetID: "wh_on", Status: herald.StatusFailed, Attempts: 3, Generation: 1}
	if _, err := newPublisher(fs, st).Redeliver(context.Background(), redeliverStore{fs}, d); err != nil {
		t.Fatal(err)
	}
	if len(st.starts) != 1 || st.starts[0].WorkflowIDConflictPolicy != enumspb.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING {
		t.Fatalf("starts %+v, want one that terminates a stale redelivery", st.starts)
	}
	if tg := st.inputs[0].Targets[0]; tg.Generation != 2 || tg.PriorAttempts != 3 || fs.existDs[0].Status != herald.StatusPending {
		t.Errorf("target %+v, stored %+v: want generation 2, prior attempts 3, pending", tg, fs.existDs[0])
	}
}

// A redelivery whose start failed, even by timing out, puts the delivery
// back as it was (for its generation) and asks the caller to try again:
// a run that started late then finds it not pending and sends nothing.
func TestRedeliverStartFailurePutsTheDeliveryBack(t *testing.T) {
	for _, startErr := range []error{fmt.Errorf("start: %w", context.DeadlineExceeded), errors.New("connection refused")} {
		fs := &fakeStore{hooks: []*herald.Webhook{{ID: "wh_on", Enabled: true}}}
		fs.existDs = []*herald.Delivery{{ID: "del_1", Status: herald.StatusFailed}}
		st := &fakeStarter{err: startErr}
		d := &herald.Delivery{ID: "del_1", EventID: "evt_1", TargetType: herald.TargetWebhook, TargetID: "wh_on", Status: herald.StatusFailed}
		_, err := newPublisher(fs, st).Redeliver(context.Background(), redeliverStore{fs}, d)
		if herald.ErrorCode(err) != herald.EUnavailable || len(st.starts) != 1 {
			t.Errorf("%v: err %v after %d starts, want unavailable after one", startErr, err, len(st.starts))
		}
		if got := fs.existDs[0].Status; got != herald.StatusFailed {
			t.Errorf("%v: delivery %s, want failed again", startErr, got)
		}
	}
}

// Temporal refuses a search attribute value over 2 KiB. HeraldTarget
// keeps the first targets that fit: 53 webhook IDs, not 54.
func TestSearchableTargetsFitTemporalsLimit(t *testing.T) {
	var ids []string
	for i := range 60 {
		ids = append(ids, fmt.Sprintf("wh_%032x", i))
	}
	got := searchableTargets(ids)
	if len(got) != 53 || !slices.Equal(got, ids[:53]) {
		t.Fatalf("kept %d IDs, want the first 53", len(got))
	}
	raw, _ := json.Marshal(got)
	if len(raw) > maxSearchValue {
		t.Errorf("value of %d bytes, over the limit", len(raw))
	}
	if got := searchableTargets(ids[:10]); len(got) != 10 {
		t.Errorf("10 IDs trimmed to %d", len(got))
	}
}

// A start the server refuses is reported as that, not as an engine that
// cannot be reached; it is still worth a retry (a frontend may not know
// newly added search attributes for a minute).
func TestPublishStartRefusedSaysSo(t *testing.T) {
	s := &fakeStore{hooks: []*herald.Webhook{hook("wh_a", "*")}}
	st := &fakeStarter{err: serviceerror.NewInvalidArgument("search attribute HeraldEvent is not defined")}
	_, _, err := newPublisher(s, st).Publish(context.Background(), Request{Event: "user.created", Data: []byte(`{}`)})
	var herr *herald.Error
	if !errors.As(err, &herr) || herr.Code != herald.EUnavailable || !strings.Contains(herr.Message, "refused") {
		t.Fatalf("Publish = %v, want a 503 saying the start was refused", err)
	}
}

// A workflow started late (the publisher's retry of an id whose start
// failed, or the sweep) is told when the event was published: max age
// counts from then (see workflows.EventInput.Published).
func TestRestartPassesThePublicationTime(t *testing.T) {
	existing := &herald.Event{ID: "evt_1", ClientID: "c1", Name: "user.created", WorkflowID: "event/evt_1", Created: herald.Now().Add(-48 * time.Hour)}
	s := &fakeStore{
		hooks:    []*herald.Webhook{hook("wh_a", "*")},
		existing: existing,
		existDs:  []*herald.Delivery{{ID: "del_a", EventID: "evt_1", TargetType: herald.TargetWebhook, TargetID: "wh_a", Status: herald.StatusPending}},
	}
	st := &fakeStarter{}
	if _, _, err := newPublisher(s, st).Publish(context.Background(), Request{ClientID: "c1", Event: "user.created", Data: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if len(st.inputs) != 1 || !st.inputs[0].Published.Equal(existing.Created) {
		t.Fatalf("started %+v, want one workflow counting from the publication, %v", st.inputs, existing.Created)
	}
}

// Storing an event is bounded, so that a publish reaches its start long
// before the sweep would take the event for one left without a workflow.
func TestPublishBoundsStoringTheEvent(t *testing.T) {
	s := &fakeStore{hooks: []*herald.Webhook{hook("wh_a", "*")}}
	if _, _, err := newPublisher(s, &fakeStarter{}).Publish(context.Background(), Request{Event: "user.created", Data: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	left := time.Until(s.createDeadline)
	if left <= 0 || left > storeTimeout || storeTimeout+2*startTimeout >= sweepAfter/2 {
		t.Errorf("CreateEvent had %v left (storeTimeout %v, two starts %v, sweep after %v); want a bound well inside the sweep's wait",
			left, storeTimeout, 2*startTimeout, sweepAfter)
	}
}

// A store step that runs out of its time (a locked table, say) answers a
// 503 that says how to retry, not a bare internal error.
func TestPublishStoreTimeoutIsUnavailable(t *testing.T) {
	for _, clientID := range []string{"", "c1"} {
		s := &slowStore{fakeStore: &fakeStore{hooks: []*herald.Webhook{hook("wh_a", "*")}}}
		p := newPublisher(s.fakeStore, &fakeStarter{})
		p.store, p.storeTimeout = s, 10*time.Millisecond
		_, _, err := p.Publish(context.Background(), Request{ClientID: clientID, Event: "user.created", Data: []byte(`{}`)})
		want := "publish the event again"
		if clientID != "" {
			want = "retry with the same id"
		}
		if herald.ErrorCode(err) != herald.EUnavailable || !strings.Contains(err.Error(), want) {
			t.Errorf("client id %q: %v, want a 503 saying to %s", clientID, err, want)
		}
	}
}

// slowStore's CreateEvent waits until its context ends.
type slowStore struct{ *fakeStore }

func (s *slowStore) CreateEvent(ctx context.Context, _ store.CreateEventRequest) (*herald.Event, bool, error) {
	<-ctx.Done()
	return nil, false, fmt.Errorf("create deliveries: timeout: %w", ctx.Err())
}
