package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

const testAdminKey = "test-admin-key-0123456789"

// shared is the one Herald (with its embedded Temporal) that the tests of
// this package share; starting one costs a few seconds.
var shared *Main

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "herald-e2e-")
	if err != nil {
		panic(err)
	}
	chat = newChatFake()
	defer chat.Close()
	h, err := startHerald(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "start herald:", err)
		os.Exit(1)
	}
	shared = h
	code := m.Run()
	h.Close()
	_ = os.RemoveAll(dir)
	rememberSecret(testAdminKey)
	fullRun := flag.Lookup("test.run").Value.String() == ""
	if n := len(secrets.list); code == 0 && fullRun && n < 10 {
		fmt.Fprintf(os.Stderr, "leak check saw only %d secrets: the tests no longer feed it\n", n)
		code = 1
	}
	if leaks := leakedSecrets(); len(leaks) > 0 {
		fmt.Fprintf(os.Stderr, "secrets found in Herald's log output: %q\n", leaks)
		code = 1
	}
	os.Exit(code)
}

// logs collects everything Herald logged during the tests, for the leak
// check in TestMain.
var logs syncBuffer

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) contains(s string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Contains(b.buf.Bytes(), []byte(s))
}

// secrets are the secret values tests handed to Herald or saw on the wire
// (webhook secrets, tokens, signatures, keys).
var secrets struct {
	mu   sync.Mutex
	list []string
}

func rememberSecret(s ...string) {
	secrets.mu.Lock()
	defer secrets.mu.Unlock()
	for _, v := range s {
		if len(v) >= 8 {
			secrets.list = append(secrets.list, v)
		}
	}
}

func leakedSecrets() []string {
	secrets.mu.Lock()
	defer secrets.mu.Unlock()
	var leaks []string
	for _, s := range secrets.list {
		if logs.contains(s) {
			leaks = append(leaks, s)
		}
	}
	return leaks
}

func testConfig(dir string) Config {
	cfg := Config{
		Command: "dev", DataDir: dir, HTTPAddr: "127.0.0.1:0", TemporalPort: 0, UIPort: -1,
		TemporalNamespace: "default", TaskQueue: "herald", AdminKey: testAdminKey,
		AllowPrivateTargets: true, DisableAfterFailures: 20, WorkerStopTimeout: 5 * time.Second,
		TemporalRetention: 5 * 24 * time.Hour,
		// Only the sweep at start-up, so that a test storing an event
		// without a workflow decides when a sweep sees it (as
		// TestSweepFindsEventsStoredWithoutAWorkflow does by restarting).
		SweepInterval: time.Hour,
	}
	if chat != nil {
		cfg.SlackAPIURL = chat.URL + "/slack/api/"
		cfg.DiscordAPIURL = chat.URL + "/discord/api/v9/"
		cfg.TelegramAPIURL = chat.URL + "/telegram"
	}
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	return cfg
}

// newEncryptionKey is a fresh HERALD_ENCRYPTION_KEY.
func newEncryptionKey(t *testing.T) string {
	t.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(key)
}

func startHerald(dir string) (*Main, error) { return start(testConfig(dir)) }

// start runs a Herald with cfg until the test closes it.
func start(cfg Config) (*Main, error) {
	// Debug level: the leak check should see everything Herald can log.
	log := slog.New(slog.NewTextHandler(io.MultiWriter(&logs, filteredStderr{}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := NewMain(cfg, log, io.Discard)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return m, m.Start(ctx)
}

// filteredStderr shows warnings and errors only, to keep test output short.
type filteredStderr struct{}

func (filteredStderr) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("level=WARN")) || bytes.Contains(p, []byte("level=ERROR")) {
		return os.Stderr.Write(p)
	}
	return len(p), nil
}

// call makes an API request with the admin key and decodes the JSON answer.
func call(t *testing.T, h *Main, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string: // raw JSON, sent as written
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, h.HTTPURL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testAdminKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, out
}

// received is one request that reached a receiver.
type received struct {
	Method   string
	Header   http.Header
	Body     []byte
	RawQuery string
	At       time.Time
}

// receiver is a real HTTP receiver answering a scripted list of statuses
// (the last one repeats) and recording every request.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	got      []received
	arrived  chan struct{}
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses, arrived: make(chan struct{}, 1000)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		rememberSecret(req.Header.Get("Signature"), req.Header.Get("webhook-signature"))
		r.mu.Lock()
		n := len(r.got)
		r.got = append(r.got, received{req.Method, req.Header.Clone(), body, req.URL.RawQuery, time.Now()})
		status := http.StatusOK
		if len(r.statuses) > 0 {
			status = r.statuses[min(n, len(r.statuses)-1)]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, `{"attempt":%d}`, n+1)
		r.arrived <- struct{}{}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// wait blocks until n requests arrived or the timeout passes.
func (r *receiver) wait(t *testing.T, n int, timeout time.Duration) []received {
	t.Helper()
	deadline := time.After(timeout)
	for len(r.requests()) < n {
		select {
		case <-r.arrived:
		case <-deadline:
			t.Fatalf("receiver got %d requests, want %d", len(r.requests()), n)
		}
	}
	return r.requests()
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// createWebhook registers a webhook and returns its id and secret.
func createWebhook(t *testing.T, h *Main, body map[string]any) (string, string) {
	t.Helper()
	status, out := call(t, h, "POST", "/v1/webhooks", body)
	if status != http.StatusCreated {
		t.Fatalf("create webhook: %d %v", status, out)
	}
	rememberSecret(out["secret"].(string))
	return out["id"].(string), out["secret"].(string)
}

// publishEvent sends an event and returns the response.
func publishEvent(t *testing.T, h *Main, body map[string]any) (int, map[string]any) {
	t.Helper()
	return call(t, h, "POST", "/v1/events", body)
}

// deliveryOf returns the delivery of eventID to target from GET /v1/events/{id}.
func deliveryOf(t *testing.T, h *Main, eventID, target string) map[string]any {
	t.Helper()
	status, ev := call(t, h, "GET", "/v1/events/"+eventID, nil)
	if status != http.StatusOK {
		t.Fatalf("get event: %d %v", status, ev)
	}
	ds, _ := ev["deliveries"].([]any)
	for _, d := range ds {
		m := d.(map[string]any)
		if m["target_id"] == target {
			return m
		}
	}
	t.Fatalf("event %s has no delivery to %s: %v", eventID, target, ev)
	return nil
}

// history returns a workflow's events, in order.
func history(t *testing.T, c client.Client, workflowID string) []*historypb.HistoryEvent {
	t.Helper()
	var events []*historypb.HistoryEvent
	iter := c.GetWorkflowHistory(context.Background(), workflowID, "", false, 0)
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	return events
}

// historyBytes returns a workflow's whole history in protobuf wire form,
// where payloads appear as the bytes they hold (JSON would base64 them and
// hide what a search should find).
func historyBytes(t *testing.T, c client.Client, workflowID string) []byte {
	t.Helper()
	var out []byte
	for _, e := range history(t, c, workflowID) {
		b, err := proto.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b...)
	}
	return out
}

// summaries returns the summaries Temporal UI shows for a workflow's
// events of type typ, in order, once the workflow has ended.
func summaries(t *testing.T, workflowID string, typ enumspb.EventType) []string {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: shared.cfg.TemporalAddress})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Wait for the end: a failed delivery fails the workflow.
	_ = c.GetWorkflow(context.Background(), workflowID, "").Get(context.Background(), nil)
	var out []string
	for _, e := range history(t, c, workflowID) {
		if e.GetEventType() != typ {
			continue
		}
		var s string
		if p := e.GetUserMetadata().GetSummary(); p != nil {
			if err := converter.GetDefaultDataConverter().FromPayload(p, &s); err != nil {
				t.Fatalf("summary of event %d: %v", e.GetEventId(), err)
			}
		}
		out = append(out, s)
	}
	return out
}
