package storetest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

// newEvent builds a request for an event with one pending delivery per
// target; targets starting with con_ are connectors, others webhooks.
func newEvent(name string, created time.Time, targets ...string) store.CreateEventRequest {
	ev := &herald.Event{
		ID:      herald.NewID(herald.PrefixEvent),
		Name:    name,
		Created: created,
		TraceID: "4bf92f3577b34da6a3ce929d0e0e4736",
		Data:    json.RawMessage(`{"id":42,"name":"Jane <Doe>","rank":{"abbreviation":"SGT"}}`),
		Changes: json.RawMessage(`{"rank_id":[3,4]}`),
	}
	ev.WorkflowID = "event/" + ev.ID
	r := store.CreateEventRequest{Event: ev}
	for _, target := range targets {
		typ := herald.TargetWebhook
		if strings.HasPrefix(target, herald.PrefixConnector) {
			typ = herald.TargetConnector
		}
		r.Deliveries = append(r.Deliveries, &herald.Delivery{
			ID: herald.NewID(herald.PrefixDelivery), EventID: ev.ID, TargetType: typ, TargetID: target,
			Status: herald.StatusPending, CreatedAt: created, UpdatedAt: created,
		})
	}
	return r
}

// createEvent stores r, which must be new, and returns its event and deliveries.
func createEvent(t *testing.T, s store.Store, r store.CreateEventRequest) (*herald.Event, []*herald.Delivery) {
	t.Helper()
	ev, existed, err := s.CreateEvent(t.Context(), r)
	must(t, err)
	if existed || ev.ID != r.Event.ID {
		t.Fatalf("CreateEvent = %s, existed=%v; want new event %s", ev.ID, existed, r.Event.ID)
	}
	return r.Event, r.Deliveries
}

func checkEvent(t *testing.T, got, want *herald.Event) {
	t.Helper()
	sameTime(t, "event Created", got.Created, want.Created)
	sameJSON(t, "event Data", got.Data, want.Data)
	sameJSON(t, "event Changes", got.Changes, want.Changes)
	g, w := *got, *want
	g.Created, g.Data, g.Changes, w.Created, w.Data, w.Changes = time.Time{}, nil, nil, time.Time{}, nil, nil
	equal(t, "event", g, w)
}

func checkDelivery(t *testing.T, got, want *herald.Delivery) {
	t.Helper()
	sameTime(t, "delivery CreatedAt", got.CreatedAt, want.CreatedAt)
	sameTime(t, "delivery UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	g, w := *got, *want
	g.CreatedAt, g.UpdatedAt, w.CreatedAt, w.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	equal(t, "delivery", g, w)
}

func testEventCreateGet(t *testing.T, s store.Store) {
	ctx := t.Context()
	r := newEvent("rankrecord.created", t0, herald.NewID(herald.PrefixWebhook), herald.NewID(herald.PrefixConnector))
	r.Event.ClientID = "perscom-42"
	ev, ds := createEvent(t, s, r)
	got, err := s.GetEvent(ctx, ev.ID)
	must(t, err)
	checkEvent(t, got, ev)

	noChanges := newEvent("user.deleted", t0)
	noChanges.Event.Changes = nil
	createEvent(t, s, noChanges)
	got, err = s.GetEvent(ctx, noChanges.Event.ID)
	must(t, err)
	checkEvent(t, got, noChanges.Event)

	for _, d := range ds {
		got, err := s.GetDelivery(ctx, d.ID)
		must(t, err)
		checkDelivery(t, got, d)
	}
}

func testEventFills(t *testing.T, s store.Store) {
	r := newEvent("user.created", time.Time{}, herald.NewID(herald.PrefixWebhook))
	r.Event.ID = ""
	d := r.Deliveries[0]
	d.ID, d.EventID, d.Status, d.CreatedAt, d.UpdatedAt = "", "", "", time.Time{}, time.Time{}
	ev, _ := createEvent(t, s, r)
	hasPrefix(t, "event ID", ev.ID, herald.PrefixEvent)
	recent(t, "event Created", ev.Created)
	hasPrefix(t, "delivery ID", d.ID, herald.PrefixDelivery)
	equal(t, "delivery EventID", d.EventID, ev.ID)
	equal(t, "delivery Status", d.Status, herald.StatusPending)
	recent(t, "delivery CreatedAt", d.CreatedAt)
	got, err := s.GetDelivery(t.Context(), d.ID)
	must(t, err)
	checkDelivery(t, got, d)
}

func testEventIdempotent(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := newEvent("user.created", t0, herald.NewID(herald.PrefixWebhook))
	first.Event.ClientID = "client-key-1"
	ev, _ := createEvent(t, s, first)

	second := newEvent("user.updated", t0.Add(time.Minute), herald.NewID(herald.PrefixWebhook))
	second.Event.ClientID = "client-key-1"
	got, existed, err := s.CreateEvent(ctx, second)
	must(t, err)
	if !existed {
		t.Fatal("second CreateEvent with the same ClientID: existed=false")
	}
	checkEvent(t, got, ev)
	_, err = s.GetEvent(ctx, second.Event.ID)
	wantCode(t, "GetEvent of the duplicate", err, herald.ENotFound)
	_, err = s.GetDelivery(ctx, second.Deliveries[0].ID)
	wantCode(t, "GetDelivery of the duplicate's delivery", err, herald.ENotFound)
	ds, err := s.ListDeliveries(ctx, ev.ID)
	must(t, err)
	if len(ds) != 1 || ds[0].ID != first.Deliveries[0].ID {
		t.Errorf("deliveries of the first event = %d, want its one delivery", len(ds))
	}
}

func testEventEmptyClientIDs(t *testing.T, s store.Store) {
	createEvent(t, s, newEvent("user.created", t0))
	createEvent(t, s, newEvent("user.created", t0))
}

func testEventConflicts(t *testing.T, s store.Store) {
	ev, _ := createEvent(t, s, newEvent("user.created", t0))
	again := newEvent("user.created", t0)
	again.Event.ID = ev.ID
	_, _, err := s.CreateEvent(t.Context(), again)
	wantCode(t, "CreateEvent with a taken ID", err, herald.EConflict)

	wh := herald.NewID(herald.PrefixWebhook)
	twice := newEvent("user.created", t0, wh, wh)
	_, _, err = s.CreateEvent(t.Context(), twice)
	wantCode(t, "CreateEvent with two deliveries to one target", err, herald.EConflict)
	_, err = s.GetEvent(t.Context(), twice.Event.ID)
	wantCode(t, "GetEvent after a failed CreateEvent", err, herald.ENotFound)
}

func testEventNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	createEvent(t, s, newEvent("user.created", t0, herald.NewID(herald.PrefixWebhook)))
	_, err := s.GetEvent(ctx, herald.NewID(herald.PrefixEvent))
	wantCode(t, "GetEvent", err, herald.ENotFound)
	wantCode(t, "DeleteEvent", s.DeleteEvent(ctx, herald.NewID(herald.PrefixEvent)), herald.ENotFound)
	_, err = s.GetDelivery(ctx, herald.NewID(herald.PrefixDelivery))
	wantCode(t, "GetDelivery", err, herald.ENotFound)
	ds, err := s.ListDeliveries(ctx, herald.NewID(herald.PrefixEvent))
	must(t, err)
	if len(ds) != 0 {
		t.Errorf("ListDeliveries of an unknown event = %d, want 0", len(ds))
	}
}

func testEventDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	ev, ds := createEvent(t, s, newEvent("user.created", t0, herald.NewID(herald.PrefixWebhook)))
	keep, keepDs := createEvent(t, s, newEvent("user.created", t0, herald.NewID(herald.PrefixWebhook)))
	must(t, s.DeleteEvent(ctx, ev.ID))
	_, err := s.GetEvent(ctx, ev.ID)
	wantCode(t, "GetEvent after delete", err, herald.ENotFound)
	_, err = s.GetDelivery(ctx, ds[0].ID)
	wantCode(t, "GetDelivery after DeleteEvent", err, herald.ENotFound)
	_, err = s.GetEvent(ctx, keep.ID)
	must(t, err)
	_, err = s.GetDelivery(ctx, keepDs[0].ID)
	must(t, err)
}
