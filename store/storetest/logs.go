package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

// newLog builds a log entry for one attempt of d. status 0 means no
// response; errMsg "" means no error.
func newLog(d *herald.Delivery, event string, status int, errMsg string, created time.Time) *herald.LogEntry {
	l := &herald.LogEntry{
		ID: herald.NewID(herald.PrefixLog), DeliveryID: d.ID, EventID: d.EventID, Event: event,
		TargetType: d.TargetType, TargetID: d.TargetID, Attempt: 1,
		Request: herald.LogRequest{Method: "POST", URL: "https://receiver.example/hooks?token=****",
			Headers: map[string]string{"Content-Type": "application/json", "Signature": "****"},
			Body:    `{"event":"` + event + `","data":{"name":"<Jane>"}}`},
		DurationMS: 42,
		CreatedAt:  created,
	}
	if status != 0 {
		l.Response = &herald.LogResponse{Status: status,
			Headers: map[string]string{"Content-Type": "text/plain"}, Body: fmt.Sprintf("status %d", status)}
	}
	if errMsg != "" {
		l.Error = &errMsg
	}
	return l
}

func checkLog(t *testing.T, got, want *herald.LogEntry) {
	t.Helper()
	sameTime(t, "log CreatedAt", got.CreatedAt, want.CreatedAt)
	g, w := *got, *want
	g.CreatedAt, w.CreatedAt = time.Time{}, time.Time{}
	equal(t, "log entry", g, w)
}

// logFixture records attempts for an event and returns their entries.
type logFixture struct {
	t  *testing.T
	s  store.Store
	ds map[string]*herald.Delivery // by target ID
	ev map[string]*herald.Event    // by name
}

func newLogFixture(t *testing.T, s store.Store, targets ...string) *logFixture {
	f := &logFixture{t: t, s: s, ds: map[string]*herald.Delivery{}, ev: map[string]*herald.Event{}}
	for _, name := range []string{"user.created", "rankrecord.created"} {
		ev, ds := createEvent(t, s, newEvent(name, t0, targets...))
		f.ev[name] = ev
		for _, d := range ds {
			f.ds[name+"/"+d.TargetID] = d
		}
	}
	return f
}

// record stores one attempt to target for the event name and returns its ID.
func (f *logFixture) record(name, target string, status int, errMsg string, created time.Time) string {
	f.t.Helper()
	d := f.ds[name+"/"+target]
	l := newLog(d, name, status, errMsg, created)
	rec := store.AttemptRecord{Log: l, Status: herald.StatusPending}
	if l.Succeeded() {
		rec.Status = herald.StatusSucceeded
	}
	must(f.t, f.s.RecordAttempt(f.t.Context(), d.ID, rec))
	return l.ID
}

// recordID stores one successful attempt to target for the event name with
// the log entry ID id, made by the caller.
func (f *logFixture) recordID(name, target, id string) {
	f.t.Helper()
	d := f.ds[name+"/"+target]
	l := newLog(d, name, 200, "", t0)
	l.ID = id
	must(f.t, f.s.RecordAttempt(f.t.Context(), d.ID, store.AttemptRecord{Log: l, Status: herald.StatusSucceeded}))
}

func testLogRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, ds := createEvent(t, s, newEvent("user.created", t0, herald.NewID(herald.PrefixConnector)))
	for _, l := range []*herald.LogEntry{
		newLog(ds[0], "user.created", 200, "", t0),
		newLog(ds[0], "user.created", 302, "redirect to https://elsewhere.example not followed", t0),
		newLog(ds[0], "user.created", 0, "dial tcp: connection refused", t0),
	} {
		must(t, s.RecordAttempt(ctx, ds[0].ID, store.AttemptRecord{Log: l, Status: herald.StatusPending}))
		got, err := s.GetLog(ctx, l.ID)
		must(t, err)
		checkLog(t, got, l)
	}
	_, err := s.GetLog(ctx, herald.NewID(herald.PrefixLog))
	wantCode(t, "GetLog", err, herald.ENotFound)

	// A receiver's answer is kept byte for byte, NUL bytes included
	// (binary bodies); an error quoting one is stored, its NULs possibly
	// replaced, rather than refused.
	binary := newLog(ds[0], "user.created", 200, "", t0)
	binary.Response.Body = "ok\x00\x01binary\x00"
	must(t, s.RecordAttempt(ctx, ds[0].ID, store.AttemptRecord{Log: binary, Status: herald.StatusSucceeded}))
	got, err := s.GetLog(ctx, binary.ID)
	must(t, err)
	checkLog(t, got, binary)
	quoted := newLog(ds[0], "user.created", 0, "service said \x00", t0)
	must(t, s.RecordAttempt(ctx, ds[0].ID, store.AttemptRecord{Log: quoted, Status: herald.StatusPending, Error: quoted.Error}))
	if got, err = s.GetLog(ctx, quoted.ID); err != nil || got.Error == nil || !strings.HasPrefix(*got.Error, "service said ") {
		t.Errorf("log with a NUL in its error: %v, %v", got, err)
	}
	// So is an error quoting bytes that are not UTF-8 (a Location header
	// of a redirect, say), on the log entry and on the delivery.
	latin1 := newLog(ds[0], "user.created", 302, "redirected to /caf\xe9", t0)
	must(t, s.RecordAttempt(ctx, ds[0].ID, store.AttemptRecord{Log: latin1, Status: herald.StatusFailed, Error: latin1.Error}))
	if got, err = s.GetLog(ctx, latin1.ID); err != nil || got.Error == nil || !strings.HasPrefix(*got.Error, "redirected to /caf") {
		t.Errorf("log with invalid UTF-8 in its error: %v, %v", got, err)
	}
}

func testLogFilters(t *testing.T, s store.Store) {
	ctx := t.Context()
	wh, con := herald.NewID(herald.PrefixWebhook), herald.NewID(herald.PrefixConnector)
	f := newLogFixture(t, s, wh, con)
	ok := f.record("user.created", wh, 200, "", t0)
	failed := f.record("user.created", wh, 500, "", t0.Add(time.Hour))
	timeout := f.record("rankrecord.created", wh, 0, "timeout", t0.Add(2*time.Hour))
	badBody := f.record("rankrecord.created", wh, 200, "reading body: unexpected EOF", t0.Add(3*time.Hour))
	chat := f.record("user.created", con, 200, "", t0.Add(4*time.Hour))

	webhook := store.LogFilter{TargetType: herald.TargetWebhook, TargetID: wh}
	with := func(mod func(*store.LogFilter)) store.LogFilter {
		lf := webhook
		mod(&lf)
		return lf
	}
	for _, tc := range []struct {
		name string
		f    store.LogFilter
		want []string
	}{
		{"everything", store.LogFilter{}, []string{ok, failed, timeout, badBody, chat}},
		{"webhook", webhook, []string{ok, failed, timeout, badBody}},
		{"connector", store.LogFilter{TargetType: herald.TargetConnector, TargetID: con}, []string{chat}},
		{"target id only", store.LogFilter{TargetID: con}, []string{chat}},
		{"success", with(func(f *store.LogFilter) { f.Status = "success" }), []string{ok}},
		{"failure", with(func(f *store.LogFilter) { f.Status = "failure" }), []string{failed, timeout, badBody}},
		{"event", with(func(f *store.LogFilter) { f.Event = "rankrecord.created" }), []string{timeout, badBody}},
		{"since", with(func(f *store.LogFilter) { f.Since = t0.Add(time.Hour) }), []string{failed, timeout, badBody}},
		{"all filters", with(func(f *store.LogFilter) {
			f.Status, f.Event, f.Since = "failure", "user.created", t0.Add(time.Hour)
		}), []string{failed}},
		{"no match", with(func(f *store.LogFilter) { f.Event = "calendar.deleted" }), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.f.Page = store.Page{Limit: 50}
			ls, next, err := s.ListLogs(ctx, tc.f)
			must(t, err)
			var ids []string
			for _, l := range ls {
				ids = append(ids, l.ID)
			}
			equal(t, "IDs newest first", ids, sortedDesc(tc.want))
			equal(t, "next cursor", next, "")
		})
	}
	_, _, err := s.ListLogs(ctx, with(func(f *store.LogFilter) { f.Status = "maybe" }))
	wantCode(t, "ListLogs with an unknown status", err, herald.EInvalid)
}

func testLogPages(t *testing.T, s store.Store) {
	wh := herald.NewID(herald.PrefixWebhook)
	f := newLogFixture(t, s, wh)
	var ids []string
	for i := range 7 {
		ids = append(ids, f.record("user.created", wh, 200+i, "", t0))
	}
	f.record("rankrecord.created", wh, 200, "", t0) // filtered out below
	pages := allPages(t, 3, func(p store.Page) ([]*herald.LogEntry, string, error) {
		return s.ListLogs(t.Context(), store.LogFilter{TargetID: wh, Event: "user.created", Page: p})
	})
	got, sizes := pageIDs(pages, func(l *herald.LogEntry) string { return l.ID })
	equal(t, "page sizes", sizes, []int{3, 3, 1})
	equal(t, "IDs newest first", got, sortedDesc(ids))
	_, _, err := s.ListLogs(t.Context(), store.LogFilter{Page: store.Page{Limit: 3, Cursor: "***"}})
	wantCode(t, "ListLogs with a malformed cursor", err, herald.EInvalid)
}
