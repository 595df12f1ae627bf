package main

import (
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// An API process started while Temporal cannot be reached starts anyway:
// it serves settings and reads, says on /readyz that Temporal is down,
// answers a publish 503, and publishes once Temporal can be reached.
// Here Temporal's address refuses connections until a forwarder to the
// shared embedded server starts listening on it.
func TestAPIStartsWhileTemporalIsDown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // refused until the forwarder below listens

	cfg := testConfig(t.TempDir())
	cfg.Command = "api"
	cfg.TaskQueue = "herald-outage"
	cfg.TemporalAddress = addr
	cfg.DatabaseURL = "sqlite://" + filepath.Join(t.TempDir(), "herald.db")
	cfg.EncryptionKey = newEncryptionKey(t)
	m, err := start(cfg)
	defer m.Close()
	if err != nil {
		t.Fatalf("start while Temporal is down: %v", err)
	}

	get := func(path string) (int, string) {
		resp, err := http.Get(m.HTTPURL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := get("/readyz"); status != http.StatusServiceUnavailable || !strings.Contains(body, `"database":"ok"`) {
		t.Errorf("GET /readyz = %d %s, want 503 with the database ok", status, body)
	}
	rcv := newReceiver(t, 200)
	createWebhook(t, m, map[string]any{"url": rcv.URL, "events": []string{"submission.created"}})
	if status, out := publishEvent(t, m, map[string]any{"event": "submission.created", "id": "outage-1", "data": map[string]any{"id": 1}}); status != http.StatusServiceUnavailable {
		t.Errorf("publish while Temporal is down: %d %v, want 503", status, out)
	}

	// Temporal comes up at the address.
	fwd, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	serveConns(t, fwd, func(c net.Conn) {
		defer c.Close()
		up, err := net.Dial("tcp", shared.cfg.TemporalAddress)
		if err != nil {
			return
		}
		defer up.Close()
		go func() { _, _ = io.Copy(up, c); up.Close() }()
		_, _ = io.Copy(c, up)
	})
	eventually(t, 30*time.Second, "/readyz to say ready", func() bool {
		status, _ := get("/readyz")
		return status == http.StatusOK
	})
	// The publisher's retry of the same id: the event was kept, and its
	// workflow starts now (200, the same event, as for any resent id).
	if status, out := publishEvent(t, m, map[string]any{"event": "submission.created", "id": "outage-1", "data": map[string]any{"id": 1}}); status != http.StatusOK && status != http.StatusAccepted {
		t.Fatalf("publish once Temporal is up: %d %v, want it accepted", status, out)
	}
	// A worker on the same database and task queue delivers it.
	wcfg := cfg
	wcfg.Command, wcfg.TemporalAddress, wcfg.HTTPAddr = "worker", shared.cfg.TemporalAddress, "127.0.0.1:0"
	w, err := start(wcfg)
	defer w.Close()
	if err != nil {
		t.Fatal(err)
	}
	rcv.wait(t, 1, 30*time.Second)
}
