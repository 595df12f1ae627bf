package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

// testUnstartedEvents: ListUnstartedEvents finds the events (test sends
// included) with a delivery no attempt has reached, once each, by ID, a
// page at a time.
func testUnstartedEvents(t *testing.T, s store.Store) {
	ctx := t.Context()
	old := t0
	// Two deliveries, neither tried: listed once.
	both, _ := createEvent(t, s, newEvent("user.created", old, "wh_a", "wh_b"))
	// One tried, one not: listed.
	half, halfDs := createEvent(t, s, newEvent("user.created", old, "wh_a", "wh_b"))
	log := newLog(halfDs[0], "user.created", 503, "", old)
	must(t, s.RecordAttempt(ctx, halfDs[0].ID, store.AttemptRecord{Log: log, Status: herald.StatusPending, StatusCode: intp(503)}))

	// A test send's, cut off: listed too.
	test := newEvent("webhook.test", old, "wh_a")
	test.Event.WorkflowID = ""
	createEvent(t, s, test)

	// Not listed: a delivery with an attempt, one ended without any, one
	// reopened by a redelivery, one stored after before, and one published
	// before since.
	_, tried := createEvent(t, s, newEvent("user.created", old, "wh_a"))
	must(t, s.RecordAttempt(ctx, tried[0].ID, store.AttemptRecord{Log: newLog(tried[0], "user.created", 503, "", old), Status: herald.StatusPending, StatusCode: intp(503)}))
	_, ended := createEvent(t, s, newEvent("user.created", old, "wh_a"))
	must(t, s.RecordAttempt(ctx, ended[0].ID, store.AttemptRecord{Status: herald.StatusFailed, Error: strp("webhook was disabled")}))
	_, reopened := createEvent(t, s, newEvent("user.created", old, "wh_a"))
	must(t, s.RecordAttempt(ctx, reopened[0].ID, store.AttemptRecord{Status: herald.StatusFailed, Error: strp("webhook was disabled")}))
	if _, err := s.ReopenDelivery(ctx, reopened[0].ID); err != nil {
		t.Fatal(err)
	}
	createEvent(t, s, newEvent("user.created", time.Now().Add(time.Hour), "wh_a"))
	createEvent(t, s, newEvent("user.created", old.Add(-time.Hour), "wh_a"))

	// After every write above, so that only the conditions on each
	// delivery keep it out, except for the one stored after before.
	before := time.Now().Add(time.Minute)
	since := old.Add(-time.Minute)
	want := []string{both.ID, half.ID, test.Event.ID}
	slices.Sort(want)
	got, err := s.ListUnstartedEvents(ctx, since, before, "", 10)
	must(t, err)
	equal(t, "unstarted events", got, want)

	first, err := s.ListUnstartedEvents(ctx, since, before, "", 1)
	must(t, err)
	equal(t, "first page", first, want[:1])
	rest, err := s.ListUnstartedEvents(ctx, since, before, first[0], 10)
	must(t, err)
	equal(t, "after the first", rest, want[1:])
}
