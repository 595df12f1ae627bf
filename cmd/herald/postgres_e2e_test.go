package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/heraldhub/herald/store/postgres/pgtest"
)

// Herald with PostgreSQL as its database (--database-url postgres://...):
// the same publish, deliver and log path as on SQLite.
func TestHeraldOnPostgres(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.DatabaseURL = pgtest.URL(t)
	h, err := start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	rcv := newReceiver(t, 500, 200)
	id, _ := createWebhook(t, h, map[string]any{
		"url": rcv.URL, "events": []string{"user.updated"},
		"retry": map[string]any{"initial_interval_seconds": 1, "max_interval_seconds": 1},
	})
	status, ev := publishEvent(t, h, map[string]any{"id": "pg-1", "event": "user.updated", "data": map[string]any{"id": 1}})
	if status != http.StatusAccepted {
		t.Fatalf("publish: %d %v", status, ev)
	}
	if status, _ := publishEvent(t, h, map[string]any{"id": "pg-1", "event": "user.updated", "data": map[string]any{"id": 1}}); status != http.StatusOK {
		t.Errorf("duplicate publish: %d, want 200", status)
	}
	rcv.wait(t, 2, 20*time.Second)
	eventually(t, 10*time.Second, "delivery succeeded", func() bool {
		return deliveryOf(t, h, ev["id"].(string), id)["status"] == "succeeded"
	})
	if _, logs := call(t, h, "GET", "/v1/webhooks/"+id+"/logs", nil); len(logs["data"].([]any)) != 2 {
		t.Errorf("logs %v, want 2 entries", logs)
	}
}
