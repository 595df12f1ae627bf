package storetest

import (
	"testing"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

// testWebhookStaleEdit checks UpdateWebhook's condition: an edit made from
// a copy read before another write is refused and changes nothing, and an
// edit never carries a stale failure count.
func testWebhookStaleEdit(t *testing.T, s store.Store) {
	ctx := t.Context()
	w := createWebhook(t, s, newWebhook())
	stale, err := s.GetWebhook(ctx, w.ID)
	must(t, err)

	// A delivery worker disables it between the admin's read and write.
	must(t, s.DisableWebhook(ctx, w.ID, "receiver answered 410 Gone"))
	stale.Description = "edited from a stale copy"
	wantCode(t, "UpdateWebhook after DisableWebhook", s.UpdateWebhook(ctx, stale), herald.EConflict)
	got, err := s.GetWebhook(ctx, w.ID)
	must(t, err)
	if got.Enabled || got.Description == stale.Description {
		t.Fatalf("refused edit wrote: enabled=%v description=%q", got.Enabled, got.Description)
	}

	// Edits from fresh copies succeed, each moving UpdatedAt on, so the
	// copy read before the first is refused by the second.
	got.Enabled, got.DisabledReason = true, nil
	first := *got
	must(t, s.UpdateWebhook(ctx, got))
	if !got.UpdatedAt.After(first.UpdatedAt) {
		t.Errorf("UpdatedAt %v did not move past %v", got.UpdatedAt, first.UpdatedAt)
	}
	before := got.UpdatedAt
	must(t, s.UpdateWebhook(ctx, got))
	if !got.UpdatedAt.After(before) {
		t.Errorf("second edit: UpdatedAt %v did not move past %v", got.UpdatedAt, before)
	}
	wantCode(t, "UpdateWebhook of the copy read before two edits", s.UpdateWebhook(ctx, &first), herald.EConflict)

	// Failures counted after the read survive an edit that does not
	// enable the webhook; the stored count is written back.
	for range 2 {
		if _, err := s.RecordWebhookResult(ctx, w.ID, false, 0); err != nil {
			t.Fatal(err)
		}
	}
	got.Description, got.ConsecutiveFailures = "edited", 0
	must(t, s.UpdateWebhook(ctx, got))
	if got.ConsecutiveFailures != 2 {
		t.Errorf("count written back = %d, want 2", got.ConsecutiveFailures)
	}
	again, err := s.GetWebhook(ctx, w.ID)
	must(t, err)
	if again.ConsecutiveFailures != 2 || again.Description != "edited" {
		t.Errorf("after edit: failures=%d description=%q, want 2 and the edit", again.ConsecutiveFailures, again.Description)
	}
}

// testConnectorStaleEdit is testWebhookStaleEdit for connectors.
func testConnectorStaleEdit(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newConnector("ops")
	must(t, s.CreateConnector(ctx, c))
	stale, err := s.GetConnector(ctx, c.ID)
	must(t, err)

	must(t, s.DisableConnector(ctx, c.ID, "channel was archived"))
	stale.Name = "renamed from a stale copy"
	wantCode(t, "UpdateConnector after DisableConnector", s.UpdateConnector(ctx, stale), herald.EConflict)
	got, err := s.GetConnector(ctx, c.ID)
	must(t, err)
	if got.Enabled || got.Name == stale.Name {
		t.Fatalf("refused edit wrote: enabled=%v name=%q", got.Enabled, got.Name)
	}

	for range 3 {
		if _, err := s.RecordConnectorResult(ctx, c.ID, false, 0); err != nil {
			t.Fatal(err)
		}
	}
	got.Name = "renamed"
	must(t, s.UpdateConnector(ctx, got))
	if got.ConsecutiveFailures != 3 {
		t.Errorf("edit of a disabled connector: count = %d, want the stored 3", got.ConsecutiveFailures)
	}
	got.Enabled, got.DisabledReason = true, nil
	must(t, s.UpdateConnector(ctx, got))
	again, err := s.GetConnector(ctx, c.ID)
	must(t, err)
	if !again.Enabled || again.ConsecutiveFailures != 0 || got.ConsecutiveFailures != 0 || again.Name != "renamed" {
		t.Errorf("after enabling: enabled=%v failures=%d (written back %d) name=%q, want enabled, 0, renamed",
			again.Enabled, again.ConsecutiveFailures, got.ConsecutiveFailures, again.Name)
	}
}
