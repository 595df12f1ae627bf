package storetest

import (
	"testing"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

func newWebhook() *herald.Webhook {
	return &herald.Webhook{
		ID:                 herald.NewID(herald.PrefixWebhook),
		URL:                "https://receiver.example/hooks?team=ops",
		Method:             "POST",
		Events:             []string{"user.created", "rankrecord.*"},
		Secret:             "whsec_c3RvcmV0ZXN0",
		Description:        "ops receiver",
		Enabled:            true,
		Headers:            map[string]string{"X-Team": "ops"},
		TimeoutSeconds:     10,
		Retry:              herald.DefaultRetry,
		RateLimitPerSecond: 5,
		CreatedAt:          t0,
		UpdatedAt:          t0,
	}
}

func createWebhook(t *testing.T, s store.Store, w *herald.Webhook) *herald.Webhook {
	t.Helper()
	must(t, s.CreateWebhook(t.Context(), w))
	return w
}

func checkWebhook(t *testing.T, got, want *herald.Webhook) {
	t.Helper()
	sameTime(t, "webhook CreatedAt", got.CreatedAt, want.CreatedAt)
	sameTime(t, "webhook UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	g, w := *got, *want
	g.CreatedAt, g.UpdatedAt, w.CreatedAt, w.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	equal(t, "webhook", g, w)
}

func testWebhookCreateGet(t *testing.T, s store.Store) {
	reason := "410 Gone from receiver"
	disabled := newWebhook()
	disabled.Method, disabled.Enabled, disabled.DisabledReason = "GET", false, &reason
	disabled.ConsecutiveFailures = 20
	disabled.Retry = herald.RetrySettings{InitialIntervalSeconds: 1, BackoffCoefficient: 1.5,
		MaxIntervalSeconds: 60, MaxAgeSeconds: 600, MaxAttempts: 7}
	for _, w := range []*herald.Webhook{newWebhook(), disabled} {
		createWebhook(t, s, w)
		got, err := s.GetWebhook(t.Context(), w.ID)
		must(t, err)
		checkWebhook(t, got, w)
	}
}

func testWebhookFills(t *testing.T, s store.Store) {
	w := newWebhook()
	w.ID, w.CreatedAt, w.UpdatedAt = "", time.Time{}, time.Time{}
	createWebhook(t, s, w)
	hasPrefix(t, "ID", w.ID, herald.PrefixWebhook)
	recent(t, "CreatedAt", w.CreatedAt)
	recent(t, "UpdatedAt", w.UpdatedAt)
	got, err := s.GetWebhook(t.Context(), w.ID)
	must(t, err)
	checkWebhook(t, got, w)
}

func testWebhookDuplicate(t *testing.T, s store.Store) {
	w := createWebhook(t, s, newWebhook())
	again := newWebhook()
	again.ID = w.ID
	wantCode(t, "CreateWebhook with a taken ID", s.CreateWebhook(t.Context(), again), herald.EConflict)
}

func testWebhookNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	createWebhook(t, s, newWebhook())
	missing := newWebhook()
	_, err := s.GetWebhook(ctx, missing.ID)
	wantCode(t, "GetWebhook", err, herald.ENotFound)
	wantCode(t, "UpdateWebhook", s.UpdateWebhook(ctx, missing), herald.ENotFound)
	wantCode(t, "DeleteWebhook", s.DeleteWebhook(ctx, missing.ID), herald.ENotFound)
	_, err = s.GetWebhook(ctx, missing.ID)
	wantCode(t, "GetWebhook after failed update", err, herald.ENotFound)
}

func testWebhookUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	w := createWebhook(t, s, newWebhook())
	other := createWebhook(t, s, newWebhook())
	reason := "disabled after 20 consecutive failures"
	u := &herald.Webhook{
		ID: w.ID, URL: "http://other.example/x", Method: "GET", Events: []string{"*"},
		Secret: "a-new-secret-of-enough-length", Description: "changed", Enabled: false,
		Headers: map[string]string{"Authorization": "Bearer x", "X-A": "b"}, TimeoutSeconds: 60,
		Retry:              herald.RetrySettings{InitialIntervalSeconds: 2, BackoffCoefficient: 3, MaxIntervalSeconds: 10},
		RateLimitPerSecond: 0, DisabledReason: &reason, ConsecutiveFailures: 20,
		CreatedAt: t0.Add(time.Hour), // must be ignored
		UpdatedAt: w.UpdatedAt,       // as read: the update's condition
	}
	must(t, s.UpdateWebhook(ctx, u))
	if u.ConsecutiveFailures != 0 {
		t.Errorf("ConsecutiveFailures written back = %d, want the stored 0 (an edit does not set it)", u.ConsecutiveFailures)
	}
	sameTime(t, "CreatedAt written back", u.CreatedAt, w.CreatedAt)
	recent(t, "UpdatedAt written back", u.UpdatedAt)
	got, err := s.GetWebhook(ctx, w.ID)
	must(t, err)
	checkWebhook(t, got, u)

	got, err = s.GetWebhook(ctx, other.ID)
	must(t, err)
	checkWebhook(t, got, other)
}

func testWebhookDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	w := createWebhook(t, s, newWebhook())
	keep := createWebhook(t, s, newWebhook())
	must(t, s.DeleteWebhook(ctx, w.ID))
	_, err := s.GetWebhook(ctx, w.ID)
	wantCode(t, "GetWebhook after delete", err, herald.ENotFound)
	wantCode(t, "second DeleteWebhook", s.DeleteWebhook(ctx, w.ID), herald.ENotFound)
	_, err = s.GetWebhook(ctx, keep.ID)
	must(t, err)
}

func testWebhookDeleteKeepsHistory(t *testing.T, s store.Store) {
	ctx := t.Context()
	w := createWebhook(t, s, newWebhook())
	ev, ds := createEvent(t, s, newEvent("user.created", t0, w.ID))
	l := newLog(ds[0], ev.Name, 200, "", t0)
	must(t, s.RecordAttempt(ctx, ds[0].ID, store.AttemptRecord{Log: l, Status: herald.StatusSucceeded, StatusCode: intp(200)}))
	must(t, s.DeleteWebhook(ctx, w.ID))

	_, err := s.GetDelivery(ctx, ds[0].ID)
	must(t, err)
	_, err = s.GetLog(ctx, l.ID)
	must(t, err)
	logs, _, err := s.ListLogs(ctx, store.LogFilter{TargetType: herald.TargetWebhook, TargetID: w.ID, Page: store.Page{Limit: 10}})
	must(t, err)
	if len(logs) != 1 || logs[0].ID != l.ID {
		t.Errorf("logs of deleted webhook = %d entries, want %s", len(logs), l.ID)
	}
}

func testWebhookListPages(t *testing.T, s store.Store) {
	ctx := t.Context()
	list := func(p store.Page) ([]*herald.Webhook, string, error) { return s.ListWebhooks(ctx, p) }
	id := func(w *herald.Webhook) string { return w.ID }

	_, sizes := pageIDs(allPages(t, 3, list), id)
	equal(t, "empty store page sizes", sizes, []int{0})

	want := map[string]*herald.Webhook{}
	var created []string
	for range 7 {
		w := createWebhook(t, s, newWebhook())
		want[w.ID] = w
		created = append(created, w.ID)
	}
	for _, tc := range []struct {
		limit int
		sizes []int
	}{{3, []int{3, 3, 1}}, {7, []int{7}}, {1, []int{1, 1, 1, 1, 1, 1, 1}}, {200, []int{7}}} {
		pages := allPages(t, tc.limit, list)
		ids, sizes := pageIDs(pages, id)
		equal(t, "page sizes", sizes, tc.sizes)
		equal(t, "IDs in order", ids, sortedAsc(created))
		for _, p := range pages {
			for _, w := range p {
				checkWebhook(t, w, want[w.ID])
			}
		}
	}
	_, _, err := s.ListWebhooks(ctx, store.Page{Limit: 3, Cursor: "not a cursor!"})
	wantCode(t, "ListWebhooks with a malformed cursor", err, herald.EInvalid)
}

func testWebhookListEnabled(t *testing.T, s store.Store) {
	var enabled []string
	for i := range 5 {
		w := newWebhook()
		w.Enabled = i%2 == 0
		createWebhook(t, s, w)
		if w.Enabled {
			enabled = append(enabled, w.ID)
		}
	}
	ws, err := s.ListEnabledWebhooks(t.Context())
	must(t, err)
	var ids []string
	for _, w := range ws {
		ids = append(ids, w.ID)
	}
	equal(t, "enabled webhook IDs", ids, sortedAsc(enabled))
}

func intp(n int) *int       { return &n }
func strp(s string) *string { return &s }
