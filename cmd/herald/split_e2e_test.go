package main

import (
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A split deployment: `herald api` and `herald worker` as two Herald
// instances (here in one test process) on one database and task queue.
// The worker-only instance delivers, and counts the attempt on its own
// /metrics.
func TestSplitAPIAndWorker(t *testing.T) {
	base := testConfig(t.TempDir())
	base.TemporalAddress = shared.cfg.TemporalAddress
	base.TaskQueue = "herald-split"
	base.DatabaseURL = "sqlite://" + filepath.Join(t.TempDir(), "herald.db")
	base.EncryptionKey = newEncryptionKey(t)

	workerCfg, apiCfg := base, base
	workerCfg.Command, apiCfg.Command = "worker", "api"
	worker, err := start(workerCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer worker.Close()
	apiProc, err := start(apiCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer apiProc.Close()

	rcv := newReceiver(t, 200)
	createWebhook(t, apiProc, map[string]any{"url": rcv.URL, "events": []string{"user.created"}})
	if status, ev := publishEvent(t, apiProc, map[string]any{"event": "user.created", "data": map[string]any{"id": 7}}); status != http.StatusAccepted {
		t.Fatalf("publish: %d %v", status, ev)
	}
	rcv.wait(t, 1, 20*time.Second)

	get := func(path string) (int, string) {
		resp, err := http.Get(worker.HTTPURL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	const attempt = `herald_delivery_attempts_total{outcome="success",target_type="webhook"} 1`
	eventually(t, 5*time.Second, "the worker's /metrics counts the attempt", func() bool {
		status, body := get("/metrics")
		return status == http.StatusOK && strings.Contains(body, attempt)
	})
	if status, body := get("/healthz"); status != http.StatusOK || !strings.Contains(body, "ok") {
		t.Errorf("GET /healthz on the worker = %d %s", status, body)
	}
	if status, body := get("/readyz"); status != http.StatusOK ||
		!strings.Contains(body, `"database":"ok"`) || !strings.Contains(body, `"temporal":"ok"`) {
		t.Errorf("GET /readyz on the worker = %d %s, want 200 with database and temporal ok", status, body)
	}
	if status, _ := get("/v1/webhooks"); status != http.StatusNotFound {
		t.Errorf("the worker serves the API: GET /v1/webhooks = %d, want 404", status)
	}
}

// An API on a fresh database without HERALD_ADMIN_KEY has no key it would
// accept (only dev creates one): its start-up says so, and how to fix it.
func TestAPIWithoutAnyKeySaysSo(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Command, cfg.AdminKey = "api", ""
	cfg.TemporalAddress = shared.cfg.TemporalAddress
	cfg.DatabaseURL = "sqlite://" + filepath.Join(t.TempDir(), "herald.db")
	cfg.EncryptionKey = newEncryptionKey(t)
	var out strings.Builder
	m := NewMain(cfg, slog.New(slog.DiscardHandler), &out)
	defer m.Close()
	if err := m.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "set HERALD_ADMIN_KEY") {
		t.Errorf("banner of an API with no key:\n%s\nwant it to say how to get one", out.String())
	}
}

// Restarting with another HERALD_ENCRYPTION_KEY than the database was
// written with fails with what to do, not only secretbox's words.
func TestStartWithTheWrongEncryptionKeySaysWhich(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Command = "api"
	cfg.TemporalAddress = shared.cfg.TemporalAddress
	cfg.DatabaseURL = "sqlite://" + filepath.Join(t.TempDir(), "herald.db")
	cfg.EncryptionKey = newEncryptionKey(t)
	first, err := start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	createWebhook(t, first, map[string]any{"url": "http://127.0.0.1:9/", "events": []string{"user.created"}})
	first.Close()

	cfg.EncryptionKey = newEncryptionKey(t)
	second := NewMain(cfg, slog.New(slog.DiscardHandler), io.Discard)
	defer second.Close()
	err = second.Start(t.Context())
	if err == nil || !strings.Contains(err.Error(), "HERALD_ENCRYPTION_KEY") {
		t.Errorf("start with another key: %v, want an error naming HERALD_ENCRYPTION_KEY", err)
	}
}

// An API pointed at a Temporal namespace that does not exist refuses to
// start, as a worker does, instead of reporting ready and answering every
// publish with 503.
func TestAPIOnAMissingNamespaceRefusesToStart(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.Command = "api"
	cfg.TemporalAddress = shared.cfg.TemporalAddress
	cfg.TemporalNamespace = "no-such-namespace"
	cfg.DatabaseURL = "sqlite://" + filepath.Join(t.TempDir(), "herald.db")
	cfg.EncryptionKey = newEncryptionKey(t)
	m := NewMain(cfg, slog.New(slog.DiscardHandler), io.Discard)
	defer m.Close()
	err := m.Start(t.Context())
	if err == nil || !strings.Contains(err.Error(), `namespace "no-such-namespace" does not exist`) {
		t.Errorf("start on a missing namespace: %v, want an error saying it does not exist", err)
	}
}
