package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServeRefusesToStartWithoutEncryptionKey(t *testing.T) {
	for _, cmd := range []string{"serve", "api", "worker"} {
		cfg := testConfig(t.TempDir())
		cfg.Command, cfg.EncryptionKey = cmd, ""
		m := NewMain(cfg, slog.New(slog.DiscardHandler), io.Discard)
		err := m.Start(context.Background())
		m.Close()
		if err == nil || !strings.Contains(err.Error(), "HERALD_ENCRYPTION_KEY") {
			t.Errorf("%s started without a key: %v", cmd, err)
		}
	}
}

func TestDevCreatesPrivateKeyFiles(t *testing.T) {
	dir := shared.cfg.DataDir
	for _, name := range []string{"encryption.key", "herald.db", "herald.db-wal", "temporal.db", "temporal-visibility.db"} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, info.Mode().Perm())
		}
	}
}

func TestConfigFromFlagsAndEnvironment(t *testing.T) {
	env := map[string]string{"HERALD_HTTP_ADDR": "127.0.0.1:9999", "HERALD_TASK_QUEUE": "from-env"}
	cfg, err := parseConfig([]string{"serve", "--task-queue", "from-flag"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAddr != "127.0.0.1:9999" || cfg.TaskQueue != "from-flag" || cfg.AllowPrivateTargets {
		t.Errorf("config %+v: env fills unset flags, flags win, serve keeps private targets off", cfg)
	}
	dev, err := parseConfig([]string{"dev"}, func(string) string { return "" })
	if err != nil || !dev.AllowPrivateTargets {
		t.Errorf("dev: %v, allow private %v", err, dev.AllowPrivateTargets)
	}
	for _, bad := range [][]string{
		{}, {"nope"}, {"serve", "--database-url", "mysql://x"}, {"dev", "extra"},
		{"dev", "--log-level", "loud"}, {"dev", "--http-addr", "8080"}, {"dev", "--http-addr", "localhost:"},
		{"bench", "--rate", "0"}, {"bench", "--events", "-1"}, {"bench", "--concurrency", "0"},
		{"bench", "--paced-for", "0s"}, {"bench", "--only", "fanout2"},
		{"dev", "--http-addr", "127.0.0.1:99999"}, {"dev", "--http-addr", "127.0.0.1:http"},
		{"dev", "--worker-stop-timeout", "-5s"}, {"worker", "--worker-stop-timeout", "0s"},
	} {
		if _, err := parseConfig(bad, func(string) string { return "" }); err == nil {
			t.Errorf("parseConfig(%q) accepted", bad)
		}
	}
}

func TestEachCommandTakesOnlyTheFlagsItReads(t *testing.T) {
	none := func(string) string { return "" }
	for _, tc := range []struct {
		args    []string
		refused bool
	}{
		{[]string{"bench", "--data-dir", "/tmp/x"}, true}, // bench makes its own
		{[]string{"bench", "--http-addr", "127.0.0.1:1"}, true},
		{[]string{"temporal", "--database-url", "sqlite:///tmp/x.db"}, true},
		{[]string{"worker", "--admin-key", "hk_x"}, true},
		{[]string{"api", "--worker-stop-timeout", "1s"}, true},
		{[]string{"dev", "--temporal-address", "127.0.0.1:1"}, true}, // dev embeds its own
		{[]string{"serve", "--ui-port", "1"}, true},
		{[]string{"dev", "--temporal-api-key", "k"}, true},
		{[]string{"temporal", "--temporal-tls"}, true},
		{[]string{"worker", "--temporal-tls-cert", "c.pem"}, true}, // without its key
		{[]string{"api", "--temporal-tls-key", "k.pem"}, true},
		{[]string{"worker", "--temporal-tls-cert", "c.pem", "--temporal-tls-key", "k.pem", "--temporal-tls-ca", "ca.pem"}, false},
		{[]string{"api", "--temporal-tls", "--temporal-tls-server-name", "temporal.internal"}, false},
		{[]string{"bench", "--rate", "50"}, false},
		{[]string{"temporal", "--data-dir", "/tmp/x", "--ui-port", "-1"}, false},
		{[]string{"worker", "--disable-after-failures", "3", "--http-addr", "127.0.0.1:1"}, false},
		{[]string{"serve", "--temporal-address", "10.0.0.1:7233", "--admin-key", "hk_x"}, false},
	} {
		_, err := parseConfig(tc.args, none)
		if refused := err != nil; refused != tc.refused {
			t.Errorf("parseConfig(%q): error %v, want refused=%v", tc.args, err, tc.refused)
		}
	}
	// Defaults hold whether or not a command takes the flag.
	b, err := parseConfig([]string{"bench"}, func(k string) string {
		return map[string]string{"HERALD_DATA_DIR": "/elsewhere"}[k]
	})
	if err != nil || b.TaskQueue != "herald" || b.TemporalNamespace != "default" || !b.AllowPrivateTargets || b.DataDir != "./herald-data" {
		t.Errorf("bench config %+v, %v: want defaults and no HERALD_DATA_DIR", b, err)
	}
}

func TestKeysFromEnvironmentAreTrimmed(t *testing.T) {
	env := map[string]string{"HERALD_ADMIN_KEY": " hk_admin\n", "HERALD_ENCRYPTION_KEY": "c2VjcmV0\n", "HERALD_TEMPORAL_API_KEY": "tmprl_key\n"}
	cfg, err := parseConfig([]string{"serve"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AdminKey != "hk_admin" || cfg.EncryptionKey != "c2VjcmV0" || cfg.TemporalTLS.APIKey != "tmprl_key" {
		t.Errorf("admin key %q, encryption key %q, Temporal API key %q: want them without surrounding space", cfg.AdminKey, cfg.EncryptionKey, cfg.TemporalTLS.APIKey)
	}
}

func TestRedactURL(t *testing.T) {
	for _, u := range []string{
		"postgres://herald:hunter2@db.internal/herald",
		"postgres://db.internal/herald?user=herald&password=hunter2",
		"postgres://herald:hunter2@db.internal/herald?sslpassword=hunter2",
		"postgres://herald:hunter2@[::1/herald",
		"mysql://root:hunter2@db",
	} {
		got := redactURL(u)
		if strings.Contains(got, "hunter2") {
			t.Errorf("redactURL(%q) = %q, shows the password", u, got)
		}
		if !strings.Contains(got, "://") {
			t.Errorf("redactURL(%q) = %q, want the scheme kept", u, got)
		}
	}
	for _, dsn := range []string{"host=db user=u password=hunter2 dbname=x", "u:hunter2@tcp(db:3306)/x"} {
		if got := redactURL(dsn); strings.Contains(got, "hunter2") {
			t.Errorf("redactURL(%q) = %q, shows the password", dsn, got)
		}
	}
	if got := redactURL("postgres://db.internal:5432/herald"); got != "postgres://db.internal:5432/herald" {
		t.Errorf("redactURL changed a URL without secrets: %q", got)
	}
}

func TestDashboardIsServed(t *testing.T) {
	for _, path := range []string{"/", "/dashboard", "/dashboard/"} {
		resp, err := http.Get(shared.HTTPURL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Request.URL.Path != "/dashboard/" || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(string(body), "app.js") || resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("GET %s ended at %s with %s, CSP %q", path, resp.Request.URL.Path, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Security-Policy"))
		}
	}
}

// A taken HTTP port fails the start before Temporal or the worker come up,
// so no worker runs deliveries for a process that is about to exit.
func TestBusyHTTPAddressFailsFirst(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg := testConfig(t.TempDir())
	cfg.HTTPAddr = busy.Addr().String()
	m := NewMain(cfg, slog.New(slog.DiscardHandler), io.Discard)
	err = m.Start(context.Background())
	m.Close()
	if err == nil || !strings.Contains(err.Error(), "listen on") {
		t.Fatalf("Start on a taken port: %v, want a listen error", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "temporal.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporal.db exists (%v): Temporal started before the port was checked", err)
	}
}

// A key file is replaced whole and private, whatever mode the old one had,
// and nothing of the write is left beside it.
func TestWritePrivateReplacesAKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "admin.key")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writePrivate(path, "new\n"); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if info.Mode().Perm() != 0o600 || string(b) != "new\n" {
		t.Errorf("after writePrivate: mode %v, content %q; want 0600, %q", info.Mode().Perm(), b, "new\n")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the dir, want only the key", len(entries))
	}
}

// An empty encryption key file (a crash while an older Herald wrote it)
// is refused with what to do, never replaced by a new key: the database
// may hold secrets sealed with the lost one.
func TestDevKeyRefusesAnEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "encryption.key")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := devKey(path); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("devKey of an empty file: %v, want an error saying so", err)
	}
	if b, _ := os.ReadFile(path); len(b) != 0 {
		t.Errorf("devKey wrote %q over the empty file", b)
	}
}

// The flag package prints a bad flag's error with the usage itself: main
// must not print it a second time. Errors found after parsing are main's
// to print.
func TestFlagErrorsArePrintedOnce(t *testing.T) {
	_, err := parseConfig([]string{"dev", "--bogus"}, func(string) string { return "" })
	if !errors.As(err, new(reportedError)) {
		t.Errorf("unknown flag: %v, want an error the flag package reported", err)
	}
	_, err = parseConfig([]string{"dev", "--http-addr", "8080"}, func(string) string { return "" })
	if err == nil || errors.As(err, new(reportedError)) {
		t.Errorf("bad --http-addr: %v, want an error main reports", err)
	}
}

// The embedded namespace's retention is the operator's to set (dev
// applies it on every start, so a change made elsewhere would not last).
func TestTemporalRetentionFlag(t *testing.T) {
	none := func(string) string { return "" }
	cfg, err := parseConfig([]string{"dev"}, none)
	if err != nil || cfg.TemporalRetention != 7*24*time.Hour {
		t.Errorf("default retention %v (%v), want 168h", cfg.TemporalRetention, err)
	}
	cfg, err = parseConfig([]string{"dev", "--temporal-retention", "720h"}, none)
	if err != nil || cfg.TemporalRetention != 720*time.Hour {
		t.Errorf("--temporal-retention 720h: %v (%v)", cfg.TemporalRetention, err)
	}
	cfg, err = parseConfig([]string{"temporal"}, func(k string) string { return map[string]string{"HERALD_TEMPORAL_RETENTION": "48h"}[k] })
	if err != nil || cfg.TemporalRetention != 48*time.Hour {
		t.Errorf("HERALD_TEMPORAL_RETENTION=48h: %v (%v)", cfg.TemporalRetention, err)
	}
	if _, err := parseConfig([]string{"dev", "--temporal-retention", "30m"}, none); err == nil || !strings.Contains(err.Error(), "at least 1h") {
		t.Errorf("--temporal-retention 30m: %v, want refused", err)
	}
	if _, err := parseConfig([]string{"serve", "--temporal-retention", "72h"}, none); err == nil {
		t.Error("serve took --temporal-retention, which only the embedded server reads")
	} // dev sets it on the namespace, as the shared Herald's start did.
	if shared.retention != 5*24*time.Hour {
		t.Errorf("the namespace's retention is %v, want the configured 120h", shared.retention)
	}
}
