package storetest

import (
	"testing"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

// listAfter is ListLogs for one webhook with AfterID, as the live stream
// polls it; it checks that the next cursor is "" and returns the IDs.
func listAfter(t *testing.T, s store.Store, target, after string, limit int) []string {
	t.Helper()
	ls, next, err := s.ListLogs(t.Context(), store.LogFilter{TargetType: herald.TargetWebhook, TargetID: target,
		AfterID: after, Page: store.Page{Limit: limit}})
	must(t, err)
	equal(t, "next cursor with AfterID", next, "")
	var ids []string
	for _, l := range ls {
		ids = append(ids, l.ID)
	}
	return ids
}

// testLogAfterID records entries with store-made IDs; two made in the same
// millisecond are not ordered, so only recording order is expected.
func testLogAfterID(t *testing.T, s store.Store) {
	wh, other := herald.NewID(herald.PrefixWebhook), herald.NewID(herald.PrefixWebhook)
	f := newLogFixture(t, s, wh, other)
	var ids []string
	for i := range 6 {
		ids = append(ids, f.record("user.created", wh, 200, "", t0.Add(time.Duration(i)*time.Second)))
		f.record("user.created", other, 200, "", t0)
	}
	equal(t, "after the 2nd", listAfter(t, s, wh, ids[1], 50), ids[2:])
	equal(t, "after the 2nd, limit 2", listAfter(t, s, wh, ids[1], 2), ids[2:4])
	equal(t, "after the last", listAfter(t, s, wh, ids[5], 50), []string(nil))
	equal(t, "after an unknown, smaller ID", listAfter(t, s, wh, herald.PrefixLog+"0", 3), ids[:3])
}

// testLogAfterIDRecordingOrder records entries whose IDs are out of order
// with their recording, as when an ID is made before a slow insert commits:
// AfterID must follow recording order and skip none.
func testLogAfterIDRecordingOrder(t *testing.T, s store.Store) {
	wh, other := herald.NewID(herald.PrefixWebhook), herald.NewID(herald.PrefixWebhook)
	f := newLogFixture(t, s, wh, other)
	var made []string
	for range 6 {
		made = append(made, herald.NewID(herald.PrefixLog))
	}
	made = sortedAsc(made)
	ids := []string{made[3], made[0], made[5], made[1], made[4], made[2]} // recording order
	var otherIDs []string
	for i, id := range ids {
		f.recordID("user.created", wh, id)
		if i == 2 {
			otherIDs = append(otherIDs, f.record("user.created", other, 200, "", t0))
		}
	}

	equal(t, "after the 1st", listAfter(t, s, wh, ids[0], 50), ids[1:])
	equal(t, "after the 3rd (largest ID)", listAfter(t, s, wh, ids[2], 50), ids[3:])
	equal(t, "after the 3rd, limit 2", listAfter(t, s, wh, ids[2], 2), ids[3:5])
	equal(t, "after the last", listAfter(t, s, wh, ids[5], 50), []string(nil))
	equal(t, "after another target's entry", listAfter(t, s, wh, otherIDs[0], 50), ids[3:])

	// The stream polls from the first entry, a page of 2 at a time.
	streamed, after := []string{ids[0]}, ids[0]
	for range 10 {
		page := listAfter(t, s, wh, after, 2)
		if len(page) == 0 {
			break
		}
		streamed = append(streamed, page...)
		after = page[len(page)-1]
	}
	equal(t, "streamed entries", streamed, ids)

	// An AfterID that names no entry falls back to the entries with a
	// larger ID, still in recording order.
	var want []string
	for _, id := range ids {
		if id > made[2] {
			want = append(want, id)
		}
	}
	equal(t, "after an unknown ID between others", listAfter(t, s, wh, made[2]+"0", 50), want)
	equal(t, "after an unknown, smaller ID", listAfter(t, s, wh, herald.PrefixLog+"0", 50), ids)
	equal(t, "after an unknown, larger ID", listAfter(t, s, wh, herald.PrefixLog+"g", 50), []string(nil))

	// A stream opened now starts after the entry recorded last, not after
	// the largest ID (which would show ids[3:] again as new).
	last, err := s.LastLogID(t.Context(), herald.TargetWebhook, wh)
	must(t, err)
	equal(t, "last recorded", []string{last}, ids[5:])
	equal(t, "after the last recorded", listAfter(t, s, wh, last, 50), []string(nil))
	none, err := s.LastLogID(t.Context(), herald.TargetWebhook, herald.NewID(herald.PrefixWebhook))
	must(t, err)
	equal(t, "last of a target without entries", []string{none}, []string{""})

	// Without AfterID the list is still newest (largest ID) first.
	ls, _, err := s.ListLogs(t.Context(), store.LogFilter{TargetID: wh, Page: store.Page{Limit: 50}})
	must(t, err)
	var all []string
	for _, l := range ls {
		all = append(all, l.ID)
	}
	equal(t, "IDs newest first", all, sortedDesc(ids))
}
