package main

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// tlsConfig is a serve config for a Temporal frontend behind TLS.
func tlsConfig(t *testing.T, addr string, tt TemporalTLS) Config {
	t.Helper()
	cfg := testConfig(t.TempDir())
	cfg.Command = "serve"
	cfg.TemporalAddress = addr
	cfg.TaskQueue = "herald-tls"
	cfg.DatabaseURL = "sqlite://" + filepath.Join(t.TempDir(), "herald.db")
	cfg.EncryptionKey = newEncryptionKey(t)
	cfg.TemporalTLS = tt
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Herald serve against a Temporal frontend that needs TLS, a client
// certificate and an API key, as Temporal Cloud does: it presents the
// certificate, sends the key on every call (worker polls too), delivers
// an event through it, and never prints or logs the key.
func TestServeOverTLSWithAClientCertificateAndAnAPIKey(t *testing.T) {
	pki := newTestPKI(t)
	front := newTLSFrontend(t, pki, shared.cfg.TemporalAddress)
	apiKey := "tmprl-" + base64.RawURLEncoding.EncodeToString([]byte(t.Name()+time.Now().String()))
	rememberSecret(apiKey)
	cfg := tlsConfig(t, front.addr, TemporalTLS{CAFile: pki.caFile, CertFile: pki.certFile, KeyFile: pki.keyFile, APIKey: apiKey})

	var out strings.Builder
	log := slog.New(slog.NewTextHandler(io.MultiWriter(&logs, filteredStderr{}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := NewMain(cfg, log, &out)
	defer m.Close()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "TLS with a client certificate and an API key") || strings.Contains(out.String(), apiKey) {
		t.Errorf("banner:\n%s\nwant it to say how Temporal is reached, without the key", out.String())
	}

	rcv := newReceiver(t, 200)
	createWebhook(t, m, map[string]any{"url": rcv.URL, "events": []string{"user.created"}})
	if status, ev := publishEvent(t, m, map[string]any{"event": "user.created", "data": map[string]any{"id": 9}}); status != http.StatusAccepted {
		t.Fatalf("publish: %d %v", status, ev)
	}
	rcv.wait(t, 1, 20*time.Second)

	front.mu.Lock()
	defer front.mu.Unlock()
	if len(front.bad) > 0 {
		t.Errorf("failed connections: %v", front.bad)
	}
	if len(front.clients) == 0 || front.clients[0] != "herald-test-client" {
		t.Errorf("client certificates presented: %q, want herald-test-client", front.clients)
	}
	for _, method := range []string{"StartWorkflowExecution", "PollWorkflowTaskQueue", "DescribeNamespace"} {
		if front.calls["/temporal.api.workflowservice.v1.WorkflowService/"+method] == 0 {
			t.Errorf("no %s call went through the TLS frontend; calls: %v", method, front.calls)
		}
	}
	total := 0
	for _, n := range front.calls {
		total += n
	}
	if want := "Bearer " + apiKey; front.auths[want] != total || len(front.auths) != 1 {
		t.Errorf("of %d calls, %d carried the API key; all authorization headers seen: %d distinct", total, front.auths[want], len(front.auths))
	}
}

// A frontend whose certificate the system's roots do not sign, or one
// that wants a client certificate Herald was not given, fails the start,
// rather than a Herald that starts and never delivers. Without a client
// certificate, TLS 1.3 tells the client only once it uses the connection:
// what it says then depends on timing ("certificate required" or a broken
// pipe), so the frontend's side is checked instead.
func TestServeOverTLSRefusesWhatItCannotTrust(t *testing.T) {
	pki := newTestPKI(t)
	front := newTLSFrontend(t, pki, shared.cfg.TemporalAddress)
	for _, tc := range []struct {
		name string
		tls  TemporalTLS
		want string
	}{
		{"system roots", TemporalTLS{Enabled: true, CertFile: pki.certFile, KeyFile: pki.keyFile}, "certificate"},
		{"no client certificate", TemporalTLS{CAFile: pki.caFile}, "set --temporal-tls-cert"},
		{"wrong server name", TemporalTLS{CAFile: pki.caFile, CertFile: pki.certFile, KeyFile: pki.keyFile, ServerName: "temporal.example"}, "temporal.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMain(tlsConfig(t, front.addr, tc.tls), slog.New(slog.DiscardHandler), io.Discard)
			defer m.Close()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			err := m.Start(ctx)
			if err == nil || !strings.Contains(err.Error(), "connect to Temporal") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("start: %v, want a failed connection mentioning %q", err, tc.want)
			}
			if testing.Verbose() {
				t.Log(err)
			}
			if tc.name != "no client certificate" {
				return
			}
			// The frontend records the failure after it sent its alert.
			eventually(t, 5*time.Second, "the frontend to refuse the handshake without a client certificate", func() bool {
				front.mu.Lock()
				defer front.mu.Unlock()
				return slices.ContainsFunc(front.bad, func(err error) bool {
					return strings.Contains(err.Error(), "client didn't provide a certificate")
				})
			})
		})
	}
}

// Certificate files that cannot be used are reported by flag before any
// connection is tried.
func TestServeNamesTheBadTLSFile(t *testing.T) {
	pki := newTestPKI(t)
	missing := filepath.Join(t.TempDir(), "missing.pem")
	for _, tc := range []struct {
		tls  TemporalTLS
		want string
	}{
		{TemporalTLS{CAFile: missing}, "--temporal-tls-ca"},
		{TemporalTLS{CAFile: pki.keyFile}, "--temporal-tls-ca: no PEM certificate"},
		{TemporalTLS{CertFile: pki.certFile, KeyFile: pki.caFile}, "--temporal-tls-key " + pki.caFile},
	} {
		m := NewMain(tlsConfig(t, "127.0.0.1:9", tc.tls), slog.New(slog.DiscardHandler), io.Discard)
		err := m.Start(t.Context())
		m.Close()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("start with %+v: %v, want an error with %q", tc.tls, err, tc.want)
		}
	}
}

// An API process starts without a Temporal it cannot reach (see
// TestAPIStartsWhileTemporalIsDown), but one whose certificate it refuses
// is a setting to fix: it fails the start, as serve does.
func TestAPIRefusesAServerCertificateItCannotTrust(t *testing.T) {
	pki := newTestPKI(t)
	front := newTLSFrontend(t, pki, shared.cfg.TemporalAddress)
	for _, tt := range []TemporalTLS{
		{Enabled: true, CertFile: pki.certFile, KeyFile: pki.keyFile},
		{CAFile: pki.caFile, CertFile: pki.certFile, KeyFile: pki.keyFile, ServerName: "temporal.example"},
	} {
		cfg := tlsConfig(t, front.addr, tt)
		cfg.Command = "api"
		m := NewMain(cfg, slog.New(slog.DiscardHandler), io.Discard)
		err := m.Start(t.Context())
		m.Close()
		if err == nil || !strings.Contains(err.Error(), "connect to Temporal") {
			t.Errorf("api start with %+v: %v, want it refused", tt, err)
		}
	}
}
