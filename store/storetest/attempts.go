package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

func testDeliveryListOrder(t *testing.T, s store.Store) {
	targets := []string{
		herald.NewID(herald.PrefixWebhook), herald.NewID(herald.PrefixConnector),
		herald.NewID(herald.PrefixWebhook), herald.NewID(herald.PrefixConnector),
	}
	ev, ds := createEvent(t, s, newEvent("user.created", t0, targets...))
	want := map[string]*herald.Delivery{}
	for _, d := range ds {
		want[d.ID] = d
	}
	got, err := s.ListDeliveries(t.Context(), ev.ID)
	must(t, err)
	var gotTargets []string
	for _, d := range got {
		gotTargets = append(gotTargets, d.TargetID)
		checkDelivery(t, d, want[d.ID])
	}
	equal(t, "delivery targets", gotTargets, sortedAsc(targets))
}

// attemptStep is one RecordAttempt call and the delivery state after it.
type attemptStep struct {
	name     string
	status   int    // response status of the log entry; 0 for none
	logErr   string // error of the log entry
	noLog    bool
	rec      store.AttemptRecord
	attempts int
}

func testAttemptCounts(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, ds := createEvent(t, s, newEvent("user.created", t0, herald.NewID(herald.PrefixWebhook)))
	d := ds[0]
	steps := []attemptStep{
		{name: "503", status: 503, attempts: 1,
			rec: store.AttemptRecord{Status: herald.StatusPending, StatusCode: intp(503)}},
		{name: "timeout", logErr: "context deadline exceeded", attempts: 2,
			rec: store.AttemptRecord{Status: herald.StatusPending, Error: strp("context deadline exceeded")}},
		{name: "state only", noLog: true, attempts: 2,
			rec: store.AttemptRecord{Status: herald.StatusFailed, Error: strp("webhook disabled")}},
		{name: "200", status: 200, attempts: 3,
			rec: store.AttemptRecord{Status: herald.StatusSucceeded, StatusCode: intp(200)}},
	}
	var logIDs []string
	for i, st := range steps {
		if !st.noLog {
			st.rec.Log = newLog(d, "user.created", st.status, st.logErr, t0.Add(time.Duration(i)*time.Second))
			st.rec.Log.Attempt = st.attempts
			logIDs = append(logIDs, st.rec.Log.ID)
		}
		before := time.Now()
		must(t, s.RecordAttempt(ctx, d.ID, st.rec))
		got, err := s.GetDelivery(ctx, d.ID)
		must(t, err)
		equal(t, st.name+": attempts", got.Attempts, st.attempts)
		equal(t, st.name+": status", got.Status, st.rec.Status)
		equal(t, st.name+": last status code", got.LastStatusCode, st.rec.StatusCode)
		equal(t, st.name+": last error", got.LastError, st.rec.Error)
		sameTime(t, st.name+": created at", got.CreatedAt, d.CreatedAt)
		if got.UpdatedAt.Before(before.Add(-time.Second)) {
			t.Errorf("%s: UpdatedAt = %v, want the time of the call", st.name, got.UpdatedAt)
		}
		if st.rec.Log != nil {
			l, err := s.GetLog(ctx, st.rec.Log.ID)
			must(t, err)
			checkLog(t, l, st.rec.Log)
		}
	}
	logs, _, err := s.ListLogs(ctx, store.LogFilter{Page: store.Page{Limit: 10}})
	must(t, err)
	if len(logs) != len(logIDs) {
		t.Errorf("%d log entries, want %d", len(logs), len(logIDs))
	}
}

func testAttemptFills(t *testing.T, s store.Store) {
	ctx := t.Context()
	wh := herald.NewID(herald.PrefixWebhook)
	ev, ds := createEvent(t, s, newEvent("rankrecord.created", t0, wh))
	for attempt := 1; attempt <= 2; attempt++ {
		l := newLog(ds[0], "", 500, "", time.Time{})
		l.ID, l.DeliveryID, l.EventID, l.TargetType, l.TargetID, l.Attempt = "", "", "", "", "", 0
		must(t, s.RecordAttempt(ctx, ds[0].ID, store.AttemptRecord{Log: l, Status: herald.StatusPending, StatusCode: intp(500)}))
		hasPrefix(t, "log ID", l.ID, herald.PrefixLog)
		equal(t, "log fields", []any{l.DeliveryID, l.EventID, l.Event, l.TargetType, l.TargetID, l.Attempt},
			[]any{ds[0].ID, ev.ID, ev.Name, herald.TargetWebhook, wh, attempt})
		recent(t, "log CreatedAt", l.CreatedAt)
		got, err := s.GetLog(ctx, l.ID)
		must(t, err)
		checkLog(t, got, l)
	}
}

func testAttemptErrors(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, ds := createEvent(t, s, newEvent("user.created", t0, herald.NewID(herald.PrefixWebhook)))
	missing := &herald.Delivery{ID: herald.NewID(herald.PrefixDelivery), EventID: ds[0].EventID,
		TargetType: herald.TargetWebhook, TargetID: ds[0].TargetID}
	l := newLog(missing, "user.created", 200, "", t0)
	err := s.RecordAttempt(ctx, missing.ID, store.AttemptRecord{Log: l, Status: herald.StatusSucceeded})
	wantCode(t, "RecordAttempt with a log for a missing delivery", err, herald.ENotFound)
	err = s.RecordAttempt(ctx, missing.ID, store.AttemptRecord{Status: herald.StatusFailed})
	wantCode(t, "RecordAttempt for a missing delivery", err, herald.ENotFound)
	_, err = s.GetLog(ctx, l.ID)
	wantCode(t, "GetLog of the refused entry", err, herald.ENotFound)

	other := newLog(ds[0], "user.created", 200, "", t0)
	other.DeliveryID = herald.NewID(herald.PrefixDelivery)
	err = s.RecordAttempt(ctx, ds[0].ID, store.AttemptRecord{Log: other, Status: herald.StatusSucceeded})
	wantCode(t, "RecordAttempt with another delivery's log", err, herald.EInvalid)
	err = s.RecordAttempt(ctx, ds[0].ID, store.AttemptRecord{Status: "done"})
	wantCode(t, "RecordAttempt with an unknown status", err, herald.EInvalid)

	got, err := s.GetDelivery(ctx, ds[0].ID)
	must(t, err)
	checkDelivery(t, got, ds[0])
}

// testAttemptStateOnlyKeepsLast checks which updates keep the delivery's
// last status code and error: a state-only update (no log) keeps them unless
// it gives new ones; an attempt with a log sets them as given.
func testAttemptStateOnlyKeepsLast(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, ds := createEvent(t, s, newEvent("user.created", t0, herald.NewID(herald.PrefixWebhook)))
	d := ds[0]
	for _, st := range []struct {
		name     string
		status   int // response status of the log entry; 0 for none
		noLog    bool
		rec      store.AttemptRecord
		wantCode *int
		wantErr  *string
	}{
		{name: "503 with a log", status: 503,
			rec:      store.AttemptRecord{Status: herald.StatusPending, StatusCode: intp(503), Error: strp("HTTP 503")},
			wantCode: intp(503), wantErr: strp("HTTP 503")},
		{name: "state only, nothing given", noLog: true,
			rec:      store.AttemptRecord{Status: herald.StatusFailed},
			wantCode: intp(503), wantErr: strp("HTTP 503")},
		{name: "state only, new error", noLog: true,
			rec:      store.AttemptRecord{Status: herald.StatusFailed, Error: strp("gave up after 5 attempts")},
			wantCode: intp(503), wantErr: strp("gave up after 5 attempts")},
		{name: "state only, new code", noLog: true,
			rec:      store.AttemptRecord{Status: herald.StatusFailed, StatusCode: intp(410)},
			wantCode: intp(410), wantErr: strp("gave up after 5 attempts")},
		{name: "timeout with a log clears the code",
			rec:      store.AttemptRecord{Status: herald.StatusFailed, Error: strp("timeout")},
			wantCode: nil, wantErr: strp("timeout")},
		{name: "200 with a log clears the error", status: 200,
			rec:      store.AttemptRecord{Status: herald.StatusSucceeded, StatusCode: intp(200)},
			wantCode: intp(200), wantErr: nil},
	} {
		if !st.noLog {
			st.rec.Log = newLog(d, "user.created", st.status, "", t0)
		}
		must(t, s.RecordAttempt(ctx, d.ID, st.rec))
		got, err := s.GetDelivery(ctx, d.ID)
		must(t, err)
		equal(t, st.name+": status", got.Status, st.rec.Status)
		equal(t, st.name+": last status code", got.LastStatusCode, st.wantCode)
		equal(t, st.name+": last error", got.LastError, st.wantErr)
	}
}

// testAttemptLateWrites checks the transitions RecordAttempt refuses: an
// attempt written after its delivery finished (its activity timed out and
// the workflow went on) keeps the final status, and a success is never
// turned into a failure; a state-only pending (a redelivery) reopens it.
func testAttemptLateWrites(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, ds := createEvent(t, s, newEvent("user.created", t0, herald.NewID(herald.PrefixWebhook)))
	d := ds[0]
	status := func(want string, attempts int) {
		t.Helper()
		got, err := s.GetDelivery(ctx, d.ID)
		must(t, err)
		if got.Status != want || got.Attempts != attempts {
			t.Fatalf("status %s after %d attempts, want %s after %d", got.Status, got.Attempts, want, attempts)
		}
	}
	attempt := func(status string, code int) store.AttemptRecord {
		return store.AttemptRecord{Log: newLog(d, "user.created", code, "", t0), Status: status, StatusCode: intp(code)}
	}

	must(t, s.RecordAttempt(ctx, d.ID, store.AttemptRecord{Status: herald.StatusFailed, Error: strp("max age reached")}))
	late := attempt(herald.StatusPending, 503)
	must(t, s.RecordAttempt(ctx, d.ID, late))
	status(herald.StatusFailed, 1)
	if _, err := s.GetLog(ctx, late.Log.ID); err != nil {
		t.Errorf("the late attempt's log entry: %v", err)
	}

	must(t, s.RecordAttempt(ctx, d.ID, store.AttemptRecord{Status: herald.StatusPending})) // redelivery
	status(herald.StatusPending, 1)
	must(t, s.RecordAttempt(ctx, d.ID, attempt(herald.StatusSucceeded, 200)))
	status(herald.StatusSucceeded, 2)
	must(t, s.RecordAttempt(ctx, d.ID, attempt(herald.StatusFailed, 400)))
	must(t, s.RecordAttempt(ctx, d.ID, attempt(herald.StatusPending, 503)))
	must(t, s.RecordAttempt(ctx, d.ID, store.AttemptRecord{Status: herald.StatusFailed, Error: strp("late finish")}))
	status(herald.StatusSucceeded, 4)

	must(t, s.RecordAttempt(ctx, d.ID, store.AttemptRecord{Status: herald.StatusPending})) // redelivery of a success
	status(herald.StatusPending, 4)
}

// testAttemptSuccessResetsFailures: a recorded success clears its target's
// failure count, whatever the count was when the attempt began (failures
// of other deliveries may land while its request is in flight); failures
// and state-only records leave it.
func testAttemptSuccessResetsFailures(t *testing.T, s store.Store) {
	ctx := t.Context()
	w := createWebhook(t, s, newWebhook())
	c := newConnector("ops")
	must(t, s.CreateConnector(ctx, c))
	_, ds := createEvent(t, s, newEvent("user.created", t0, w.ID, c.ID))
	for _, d := range ds {
		for range 2 {
			var err error
			if d.TargetType == herald.TargetConnector {
				_, err = s.RecordConnectorResult(ctx, c.ID, false, 0)
			} else {
				_, err = s.RecordWebhookResult(ctx, w.ID, false, 0)
			}
			must(t, err)
		}
		failures := func() int {
			if d.TargetType == herald.TargetConnector {
				got, err := s.GetConnector(ctx, c.ID)
				must(t, err)
				return got.ConsecutiveFailures
			}
			got, err := s.GetWebhook(ctx, w.ID)
			must(t, err)
			return got.ConsecutiveFailures
		}
		must(t, s.RecordAttempt(ctx, d.ID, store.AttemptRecord{
			Log: newLog(d, "user.created", 500, "", t0), Status: herald.StatusPending, StatusCode: intp(500)}))
		must(t, s.RecordAttempt(ctx, d.ID, store.AttemptRecord{Status: herald.StatusPending}))
		if n := failures(); n != 2 {
			t.Errorf("%s: %d failures after a 500 and a state-only record, want the 2 counted", d.TargetType, n)
		}
		must(t, s.RecordAttempt(ctx, d.ID, store.AttemptRecord{
			Log: newLog(d, "user.created", 200, "", t0.Add(time.Second)), Status: herald.StatusSucceeded, StatusCode: intp(200)}))
		if n := failures(); n != 0 {
			t.Errorf("%s: %d failures after a success, want 0", d.TargetType, n)
		}
	}
}

// A redelivery reopens a finished delivery once: pending again, with a new
// generation that attempts planned before can tell apart. One still
// pending is a conflict, an unknown one not_found.
func testDeliveryReopen(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, ds := createEvent(t, s, newEvent("user.created", t0, herald.NewID(herald.PrefixWebhook)))
	id := ds[0].ID
	if d, err := s.GetDelivery(ctx, id); err != nil || d.Generation != 0 {
		t.Fatalf("new delivery: %+v, %v; want generation 0", d, err)
	}
	_, err := s.ReopenDelivery(ctx, id)
	wantCode(t, "reopen a pending delivery", err, herald.EConflict)
	must(t, s.RecordAttempt(ctx, id, store.AttemptRecord{Status: herald.StatusFailed, Error: strp("HTTP 500")}))
	for gen := 1; gen <= 2; gen++ {
		d, err := s.ReopenDelivery(ctx, id)
		must(t, err)
		if d.ID != id || d.Status != herald.StatusPending || d.Generation != gen || d.LastError == nil {
			t.Errorf("reopened: %+v, want pending, generation %d, last error kept", d, gen)
		}
		if got, _ := s.GetDelivery(ctx, id); got.Generation != gen || got.Status != herald.StatusPending {
			t.Errorf("stored after reopen: %+v, want pending, generation %d", got, gen)
		}
		_, err = s.ReopenDelivery(ctx, id)
		wantCode(t, "reopen twice", err, herald.EConflict)
		must(t, s.RecordAttempt(ctx, id, store.AttemptRecord{Status: herald.StatusSucceeded}))
	}
	_, err = s.ReopenDelivery(ctx, "dlv_missing")
	wantCode(t, "reopen an unknown delivery", err, herald.ENotFound)
}

// A writer for an earlier generation (an attempt that was in flight when a
// redelivery reopened the delivery) keeps its log entry, since its request
// went out, but leaves the delivery to the redelivery. A writer that names
// no generation, or the current one, writes as before.
func testAttemptStaleGeneration(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, ds := createEvent(t, s, newEvent("user.created", t0, herald.NewID(herald.PrefixWebhook)))
	d := ds[0]
	must(t, s.RecordAttempt(ctx, d.ID, store.AttemptRecord{Status: herald.StatusFailed, Error: strp("webhook was disabled")}))
	reopened, err := s.ReopenDelivery(ctx, d.ID)
	must(t, err)
	old, current := 0, reopened.Generation

	l := newLog(d, "user.created", 400, "", t0.Add(time.Second))
	l.Attempt = 2
	err = s.RecordAttempt(ctx, d.ID, store.AttemptRecord{Log: l, Status: herald.StatusFailed, StatusCode: intp(400), Generation: &old})
	if !errors.Is(err, store.ErrStaleGeneration) {
		t.Fatalf("stale attempt: %v, want ErrStaleGeneration", err)
	}
	if got, err := s.GetLog(ctx, l.ID); err != nil || got.Attempt != 2 || got.EventID != d.EventID {
		t.Errorf("stale attempt's log entry: %+v, %v; want it stored", got, err)
	}
	err = s.RecordAttempt(ctx, d.ID, store.AttemptRecord{Status: herald.StatusFailed, Error: strp("HTTP 400"), Generation: &old})
	if !errors.Is(err, store.ErrStaleGeneration) {
		t.Fatalf("stale finish: %v, want ErrStaleGeneration", err)
	}
	got, err := s.GetDelivery(ctx, d.ID)
	must(t, err)
	if got.Status != herald.StatusPending || got.Attempts != reopened.Attempts || got.Generation != current {
		t.Errorf("delivery after stale writes: %+v, want it as reopened (pending, %d attempts)", got, reopened.Attempts)
	}
	must(t, s.RecordAttempt(ctx, d.ID, store.AttemptRecord{Status: herald.StatusSucceeded, Generation: &current}))
	if got, _ := s.GetDelivery(ctx, d.ID); got.Status != herald.StatusSucceeded {
		t.Errorf("current generation's write: %s, want succeeded", got.Status)
	}
	_, err = s.ReopenDelivery(ctx, d.ID)
	must(t, err)
	must(t, s.RecordAttempt(ctx, d.ID, store.AttemptRecord{Status: herald.StatusFailed, Error: strp("any")}))
	if got, _ := s.GetDelivery(ctx, d.ID); got.Status != herald.StatusFailed {
		t.Errorf("write without a generation: %s, want failed", got.Status)
	}
	err = s.RecordAttempt(ctx, "dlv_missing", store.AttemptRecord{Status: herald.StatusFailed, Generation: &old})
	wantCode(t, "stale-checked write to an unknown delivery", err, herald.ENotFound)
}

// A delivery's final failure counts against its target once per
// generation, however often the finish step runs; a stale generation or an
// unknown delivery counts nothing, and the count disables at the threshold
// as RecordWebhookResult's does. Connector deliveries count against the
// connector.
func testCountDeliveryFailure(t *testing.T, s store.Store) {
	ctx := t.Context()
	w := createWebhook(t, s, newWebhook())
	c := newConnector("ops")
	must(t, s.CreateConnector(ctx, c))
	_, ds := createEvent(t, s, newEvent("user.created", t0, w.ID, c.ID))
	_, more := createEvent(t, s, newEvent("user.created", t0, w.ID))
	hook, conn := ds[0], ds[1]
	if hook.TargetType != herald.TargetWebhook || conn.TargetType != herald.TargetConnector {
		t.Fatalf("deliveries to %s and %s, want a webhook's and a connector's", hook.TargetType, conn.TargetType)
	}
	failures := func() (int, int) {
		t.Helper()
		gw, err := s.GetWebhook(ctx, w.ID)
		must(t, err)
		gc, err := s.GetConnector(ctx, c.ID)
		must(t, err)
		return gw.ConsecutiveFailures, gc.ConsecutiveFailures
	}
	count := func(id string, generation, disableAfter int, want bool) {
		t.Helper()
		disabled, err := s.CountDeliveryFailure(ctx, id, generation, disableAfter)
		must(t, err)
		if disabled != want {
			t.Fatalf("CountDeliveryFailure(%s, %d, %d) disabled = %v, want %v", id, generation, disableAfter, disabled, want)
		}
	}
	fail := func(id string) {
		t.Helper()
		must(t, s.RecordAttempt(ctx, id, store.AttemptRecord{Status: herald.StatusFailed, Error: strp("HTTP 500")}))
	}

	count(hook.ID, 0, 0, false) // still pending: nothing failed
	fail(hook.ID)
	count(hook.ID, 0, 0, false)
	count(hook.ID, 0, 0, false) // the finish step again
	count(hook.ID, 3, 0, false) // not the delivery's generation
	count("dlv_missing", 0, 0, false)
	if gw, gc := failures(); gw != 1 || gc != 0 {
		t.Fatalf("after one failure counted three times: webhook %d, connector %d; want 1, 0", gw, gc)
	}
	// A redelivery reopens it (generation 1) and fails again: a new
	// failure, counted once.
	_, err := s.ReopenDelivery(ctx, hook.ID)
	must(t, err)
	count(hook.ID, 0, 0, false) // the old workflow's finish, late
	fail(hook.ID)
	count(hook.ID, 1, 0, false)
	count(hook.ID, 1, 0, false)
	if gw, _ := failures(); gw != 2 {
		t.Fatalf("after the redelivery failed: webhook %d failures, want 2", gw)
	}
	fail(conn.ID)
	count(conn.ID, 0, 0, false)
	count(conn.ID, 0, 0, false)
	if gw, gc := failures(); gw != 2 || gc != 1 {
		t.Fatalf("after the connector's delivery failed: webhook %d, connector %d; want 2, 1", gw, gc)
	}
	// A delivery whose last attempt succeeded, though its workflow took
	// the attempt for timed out, is no failure.
	_, won := createEvent(t, s, newEvent("user.created", t0, w.ID))
	must(t, s.RecordAttempt(ctx, won[0].ID, store.AttemptRecord{Status: herald.StatusSucceeded}))
	must(t, s.RecordAttempt(ctx, won[0].ID, store.AttemptRecord{Status: herald.StatusFailed, Error: strp("attempt timed out")}))
	count(won[0].ID, 0, 3, false)
	if gw, _ := failures(); gw != 2 {
		t.Fatalf("after a succeeded delivery's finish: webhook %d failures, want 2", gw)
	}
	// The third failure reaches a threshold of 3: the webhook is disabled,
	// once.
	fail(more[0].ID)
	count(more[0].ID, 0, 3, true)
	count(more[0].ID, 0, 3, false)
	gw, err := s.GetWebhook(ctx, w.ID)
	must(t, err)
	if gw.Enabled || gw.ConsecutiveFailures != 3 || gw.DisabledReason == nil {
		t.Fatalf("webhook after the threshold: enabled %v, %d failures, reason %v; want disabled after 3", gw.Enabled, gw.ConsecutiveFailures, gw.DisabledReason)
	}
}
