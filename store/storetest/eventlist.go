package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

func testEventRace(t *testing.T, s store.Store) {
	const n = 8
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		ids     [n]string
		existed [n]bool
		errs    [n]error
	)
	for i := range n {
		r := newEvent("user.created", t0, herald.NewID(herald.PrefixWebhook))
		r.Event.ClientID = "raced-key"
		wg.Go(func() {
			<-start
			ev, ex, err := s.CreateEvent(t.Context(), r)
			if err == nil {
				ids[i], existed[i] = ev.ID, ex
			}
			errs[i] = err
		})
	}
	close(start)
	wg.Wait()
	created := 0
	for i := range n {
		must(t, errs[i])
		if !existed[i] {
			created++
		}
		if ids[i] != ids[0] {
			t.Errorf("racer %d got event %s, racer 0 got %s", i, ids[i], ids[0])
		}
	}
	if created != 1 {
		t.Errorf("%d racers created the event, want exactly 1", created)
	}
	evs, _, err := s.ListEvents(t.Context(), store.EventFilter{Page: store.Page{Limit: 50}})
	must(t, err)
	ds, err := s.ListDeliveries(t.Context(), ids[0])
	must(t, err)
	if len(evs) != 1 || len(ds) != 1 {
		t.Errorf("after the race: %d events, %d deliveries; want 1 and 1", len(evs), len(ds))
	}
}

func testEventList(t *testing.T, s store.Store) {
	ctx := t.Context()
	byName := map[string][]string{}
	var all, late []string
	for i := range 7 {
		name := []string{"user.created", "rankrecord.created"}[i%2]
		ev, _ := createEvent(t, s, newEvent(name, t0.Add(time.Duration(i)*time.Hour)))
		byName[name] = append(byName[name], ev.ID)
		all = append(all, ev.ID)
		if i >= 3 {
			late = append(late, ev.ID)
		}
	}
	// A test send's event (no workflow) is not listed, whatever the filter.
	test := newEvent("user.created", t0.Add(4*time.Hour))
	test.Event.WorkflowID = ""
	createEvent(t, s, test)
	id := func(e *herald.Event) string { return e.ID }
	for _, tc := range []struct {
		name  string
		f     store.EventFilter
		limit int
		want  []string
		sizes []int
	}{
		{"all", store.EventFilter{}, 3, all, []int{3, 3, 1}},
		{"all one page", store.EventFilter{}, 7, all, []int{7}},
		{"by name", store.EventFilter{Name: "user.created"}, 3, byName["user.created"], []int{3, 1}},
		{"since", store.EventFilter{Since: t0.Add(3 * time.Hour)}, 2, late, []int{2, 2}},
		{"name and since", store.EventFilter{Name: "rankrecord.created", Since: t0.Add(3 * time.Hour)}, 5, byName["rankrecord.created"][1:], []int{2}},
		{"no match", store.EventFilter{Name: "calendar.deleted"}, 5, nil, []int{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids, sizes := pageIDs(allPages(t, tc.limit, func(p store.Page) ([]*herald.Event, string, error) {
				f := tc.f
				f.Page = p
				return s.ListEvents(ctx, f)
			}), id)
			equal(t, "page sizes", sizes, tc.sizes)
			if tc.want != nil {
				equal(t, "IDs newest first", ids, sortedDesc(tc.want))
			}
		})
	}
	_, _, err := s.ListEvents(ctx, store.EventFilter{Page: store.Page{Limit: 3, Cursor: "%%%"}})
	wantCode(t, "ListEvents with a malformed cursor", err, herald.EInvalid)
}
