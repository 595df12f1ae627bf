package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

func newConnector(name string) *herald.Connector {
	return &herald.Connector{
		Kind: "slack", Name: name, Events: []string{"rankrecord.*"}, Enabled: true,
		Config:    json.RawMessage(`{"webhook_url":"https://hooks.slack.example/services/T/B/secret"}`),
		Templates: map[string]string{"rankrecord.created": "{{.Event}}"},
	}
}

func testConnectorCRUD(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newConnector("ops")
	if err := s.CreateConnector(ctx, c); err != nil {
		t.Fatal(err)
	}
	if c.ID == "" || c.CreatedAt.IsZero() {
		t.Fatalf("create did not fill ID and times: %+v", c)
	}
	got, err := s.GetConnector(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != "slack" || got.Name != "ops" || string(got.Config) != string(c.Config) ||
		got.Templates["rankrecord.created"] != "{{.Event}}" || len(got.Events) != 1 || !got.Enabled {
		t.Errorf("got %+v", got)
	}
	got.Name, got.Enabled = "renamed", false
	if err := s.UpdateConnector(ctx, got); err != nil {
		t.Fatal(err)
	}
	again, _ := s.GetConnector(ctx, c.ID)
	if again.Name != "renamed" || again.Enabled || !again.CreatedAt.Equal(got.CreatedAt) {
		t.Errorf("after update %+v", again)
	}
	enabled, err := s.ListEnabledConnectors(ctx)
	if err != nil || len(enabled) != 0 {
		t.Errorf("enabled list %v %v, want empty", enabled, err)
	}
	if err := s.DeleteConnector(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetConnector(ctx, c.ID); herald.ErrorCode(err) != herald.ENotFound {
		t.Errorf("get after delete: %v", err)
	}
	if err := s.DeleteConnector(ctx, c.ID); herald.ErrorCode(err) != herald.ENotFound {
		t.Errorf("second delete: %v", err)
	}
	if err := s.UpdateConnector(ctx, c); herald.ErrorCode(err) != herald.ENotFound {
		t.Errorf("update of missing: %v", err)
	}
}

func testConnectorListPages(t *testing.T, s store.Store) {
	ctx := context.Background()
	want := map[string]bool{}
	for range 5 {
		c := newConnector("c")
		if err := s.CreateConnector(ctx, c); err != nil {
			t.Fatal(err)
		}
		want[c.ID] = true
	}
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		list, next, err := s.ListConnectors(ctx, store.Page{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range list {
			if seen[c.ID] {
				t.Fatalf("%s listed twice", c.ID)
			}
			seen[c.ID] = true
		}
		if next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("too many pages")
		}
		cursor = next
	}
	if len(seen) != len(want) {
		t.Errorf("listed %d connectors, want %d", len(seen), len(want))
	}
}

func testConnectorResult(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newConnector("flaky")
	if err := s.CreateConnector(ctx, c); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		disabled, err := s.RecordConnectorResult(ctx, c.ID, false, 3)
		if err != nil {
			t.Fatal(err)
		}
		if disabled != (i == 3) {
			t.Errorf("failure %d: disabled=%v", i, disabled)
		}
	}
	got, _ := s.GetConnector(ctx, c.ID)
	if got.Enabled || got.DisabledReason == nil || got.ConsecutiveFailures != 3 {
		t.Errorf("after 3 failures: %+v", got)
	}
	if err := s.DisableConnector(ctx, "con_missing", "x"); herald.ErrorCode(err) != herald.ENotFound {
		t.Errorf("disable missing: %v", err)
	}
}

func testWebhookPreviousSecret(t *testing.T, s store.Store) {
	ctx := context.Background()
	w := &herald.Webhook{URL: "https://a.example", Method: "POST", Events: []string{"*"}, Secret: "current-secret-0123", Enabled: true}
	if err := s.CreateWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetWebhook(ctx, w.ID)
	if got.PreviousSecret != "" || got.PreviousSecretExpiresAt != nil {
		t.Fatalf("new webhook has a previous secret: %+v", got)
	}
	expires := w.CreatedAt.Add(24 * time.Hour)
	got.Secret, got.PreviousSecret, got.PreviousSecretExpiresAt = "rotated-secret-4567", "current-secret-0123", &expires
	if err := s.UpdateWebhook(ctx, got); err != nil {
		t.Fatal(err)
	}
	again, _ := s.GetWebhook(ctx, w.ID)
	if again.Secret != "rotated-secret-4567" || again.PreviousSecret != "current-secret-0123" ||
		again.PreviousSecretExpiresAt == nil || !again.PreviousSecretExpiresAt.Equal(expires) {
		t.Errorf("after rotation: %+v", again)
	}
}

func testFailedDeliveries(t *testing.T, s store.Store) {
	ctx := context.Background()
	ev := &herald.Event{Name: "user.created", Data: []byte(`{}`), WorkflowID: "event/failed-deliveries"}
	var ds []*herald.Delivery
	for _, target := range []string{"wh_a", "wh_b", "wh_c"} {
		ds = append(ds, &herald.Delivery{TargetType: herald.TargetWebhook, TargetID: target, Status: herald.StatusPending})
	}
	if _, _, err := s.CreateEvent(ctx, store.CreateEventRequest{Event: ev, Deliveries: ds}); err != nil {
		t.Fatal(err)
	}
	// A test send (no workflow) that failed to wh_a is not listed.
	test := &herald.Delivery{TargetType: herald.TargetWebhook, TargetID: "wh_a", Status: herald.StatusPending}
	if _, _, err := s.CreateEvent(ctx, store.CreateEventRequest{Event: &herald.Event{Name: "webhook.test", Data: []byte(`{}`)}, Deliveries: []*herald.Delivery{test}}); err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-time.Minute)
	for _, d := range append(ds[:2:2], test) {
		reason := "HTTP 500"
		if err := s.RecordAttempt(ctx, d.ID, store.AttemptRecord{Status: herald.StatusFailed, Error: &reason}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ListFailedDeliveries(ctx, herald.TargetWebhook, "wh_a", before, 10)
	if err != nil || len(got) != 1 || got[0].ID != ds[0].ID {
		t.Fatalf("failed deliveries of wh_a: %v, %v", got, err)
	}
	if got, _ := s.ListFailedDeliveries(ctx, herald.TargetWebhook, "wh_c", before, 10); len(got) != 0 {
		t.Errorf("pending delivery listed as failed: %v", got)
	}
	if got, _ := s.ListFailedDeliveries(ctx, herald.TargetWebhook, "wh_a", time.Now().Add(time.Minute), 10); len(got) != 0 {
		t.Errorf("since in the future still lists %v", got)
	}
}

func testSourceCreateGet(t *testing.T, s store.Store) {
	ctx := context.Background()
	src := &herald.Source{Name: "perscom", Secret: "source-secret-0123456789"}
	if err := s.CreateSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetSource(ctx, src.ID)
	if err != nil || got.Name != "perscom" || got.Secret != src.Secret || got.CreatedAt.IsZero() {
		t.Fatalf("GetSource = %+v, %v", got, err)
	}
	if _, err := s.GetSource(ctx, "src_missing"); herald.ErrorCode(err) != herald.ENotFound {
		t.Errorf("missing source: %v", err)
	}
	if err := s.CreateSource(ctx, src); herald.ErrorCode(err) != herald.EConflict {
		t.Errorf("duplicate source: %v", err)
	}

	// Listed by ID, a page at a time, without secrets; deleted once.
	more := []*herald.Source{src}
	for range 2 {
		o := &herald.Source{Name: "other", Secret: "other-secret-0123456789"}
		if err := s.CreateSource(ctx, o); err != nil {
			t.Fatal(err)
		}
		more = append(more, o)
	}
	page1, next, err := s.ListSources(ctx, store.Page{Limit: 2})
	if err != nil || len(page1) != 2 || next == "" {
		t.Fatalf("ListSources page 1 = %d sources, next %q, %v", len(page1), next, err)
	}
	page2, last, err := s.ListSources(ctx, store.Page{Limit: 2, Cursor: next})
	if err != nil || len(page2) != 1 || last != "" {
		t.Fatalf("ListSources page 2 = %d sources, next %q, %v", len(page2), last, err)
	}
	for i, got := range append(page1, page2...) {
		if got.ID != more[i].ID || got.Name != more[i].Name || got.Secret != "" || got.CreatedAt.IsZero() {
			t.Errorf("listed source %d = %+v, want %s without its secret", i, got, more[i].ID)
		}
	}
	if err := s.DeleteSource(ctx, src.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSource(ctx, src.ID); herald.ErrorCode(err) != herald.ENotFound {
		t.Errorf("deleted source: %v", err)
	}
	if err := s.DeleteSource(ctx, src.ID); herald.ErrorCode(err) != herald.ENotFound {
		t.Errorf("deleting it again: %v", err)
	}
}
