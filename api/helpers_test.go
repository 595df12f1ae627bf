package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/api"
	"github.com/heraldhub/herald/connectors/kinds"
	"github.com/heraldhub/herald/connectors/message"
	"github.com/heraldhub/herald/netguard"
	"github.com/heraldhub/herald/publish"
	"github.com/heraldhub/herald/store"
	"github.com/heraldhub/herald/store/sqlite"
)

const adminKey = "admin-test-key"

// testEnv is the real router on a real SQLite store, served over HTTP.
type testEnv struct {
	srv     *httptest.Server
	handler http.Handler
	db      *sqlite.DB
	pub     *fakePublisher
	conTest *fakeConnectorTester
}

// newEnv builds the API; opts may change its dependencies before New.
func newEnv(t *testing.T, opts ...func(*api.Deps)) *testEnv {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	pub := &fakePublisher{store: db}
	conTest := &fakeConnectorTester{}
	d := api.Deps{
		Webhooks:        db,
		Events:          db,
		Logs:            db,
		Keys:            db,
		Publisher:       pub,
		Tester:          fakeTester{},
		Connectors:      db,
		Sources:         db,
		Kinds:           apiKinds(),
		ConnectorTester: conTest,
		CheckTemplates:  checkTemplates,
		AdminKey:        adminKey,
		Ready:           map[string]api.Checker{"database": api.CheckFunc(db.Ping)},
		Guard:           fakeGuard{},
	}
	for _, o := range opts {
		o(&d)
	}
	h := api.New(d)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &testEnv{srv: srv, handler: h, db: db, pub: pub, conTest: conTest}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends body (none when empty) as application/json with the bearer key
// (none when empty).
func (e *testEnv) do(t *testing.T, method, path, key, body string) response {
	t.Helper()
	return e.send(t, method, path, key, "application/json", body)
}

// send is do with an explicit Content-Type (none when empty).
func (e *testEnv) send(t *testing.T, method, path, key, contentType, body string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if body != "" && contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return e.request(t, req)
}

func (e *testEnv) request(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// decodeAs decodes the response body into a T.
func decodeAs[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return v
}

// wantStatus fails unless r has status.
func wantStatus(t *testing.T, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
}

type problemDoc struct {
	Type   string              `json:"type"`
	Title  string              `json:"title"`
	Status int                 `json:"status"`
	Detail string              `json:"detail"`
	Errors []herald.FieldError `json:"errors"`
}

// wantProblem checks that r is an RFC 9457 problem with status whose
// errors name exactly fields (in any order), each with a message.
func wantProblem(t *testing.T, r response, status int, fields ...string) problemDoc {
	t.Helper()
	wantStatus(t, r, status)
	if mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type")); mt != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", r.header.Get("Content-Type"))
	}
	p := decodeAs[problemDoc](t, r)
	if p.Status != status || p.Title == "" || p.Type == "" || p.Detail == "" {
		t.Errorf("problem = %+v, want status %d with type, title and detail", p, status)
	}
	var got []string
	for _, fe := range p.Errors {
		got = append(got, fe.Field)
		if fe.Message == "" {
			t.Errorf("errors entry %q has no message", fe.Field)
		}
	}
	slices.Sort(got)
	want := slices.Clone(fields)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("error fields = %q, want %q; body %s", got, want, r.body)
	}
	return p
}

// listPage is the shape of every list response.
type listPage[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

// webhookJSON is a webhook as the API shows it; Secret only on create.
type webhookJSON struct {
	ID             string               `json:"id"`
	URL            string               `json:"url"`
	Method         string               `json:"method"`
	Events         []string             `json:"events"`
	Secret         string               `json:"secret"`
	Description    string               `json:"description"`
	Enabled        bool                 `json:"enabled"`
	Headers        map[string]string    `json:"headers"`
	TimeoutSeconds int                  `json:"timeout_seconds"`
	Retry          herald.RetrySettings `json:"retry"`
	CreatedAt      time.Time            `json:"created_at"`
}

// createWebhook creates a webhook with the admin key and returns it.
func (e *testEnv) createWebhook(t *testing.T, body string) webhookJSON {
	t.Helper()
	r := e.do(t, "POST", "/v1/webhooks", adminKey, body)
	wantStatus(t, r, http.StatusCreated)
	return decodeAs[webhookJSON](t, r)
}

// newKey creates an API key with scopes through the API and returns it.
func (e *testEnv) newKey(t *testing.T, scopes ...string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"name": "test " + strings.Join(scopes, ","), "scopes": scopes})
	r := e.do(t, "POST", "/v1/api-keys", adminKey, string(b))
	wantStatus(t, r, http.StatusCreated)
	k := decodeAs[struct {
		Key string `json:"key"`
	}](t, r)
	if k.Key == "" {
		t.Fatalf("created key has no key: %s", r.body)
	}
	return k.Key
}

// fakeGuard refuses the host blocked.example, cannot look up
// dns-down.example (as during a DNS outage), and allows every other.
type fakeGuard struct{}

func (fakeGuard) CheckHost(_ context.Context, host string) error {
	switch host {
	case "blocked.example":
		return errors.New("host resolves to a private address")
	case "dns-down.example":
		return &netguard.LookupError{Host: host}
	}
	return nil
}

// fakePublisher stores the event (no workflow) and records each request.
// The store's idempotency on ClientID decides existed.
type fakePublisher struct {
	store *sqlite.DB
	mu    sync.Mutex
	calls []publish.Request
}

func (p *fakePublisher) Publish(ctx context.Context, r publish.Request) (*herald.Event, bool, error) {
	p.mu.Lock()
	p.calls = append(p.calls, r)
	p.mu.Unlock()
	ev := &herald.Event{
		ID: herald.NewID(herald.PrefixEvent), ClientID: r.ClientID, Name: r.Event,
		TraceID: r.TraceID, Data: r.Data, Changes: r.Changes,
	}
	ev.WorkflowID = "event/" + ev.ID
	return p.store.CreateEvent(ctx, store.CreateEventRequest{Event: ev})
}

func (p *fakePublisher) requests() []publish.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

// fakeTester answers every test send with a 204 log entry, sending nothing.
type fakeTester struct{}

func (fakeTester) Test(_ context.Context, w *herald.Webhook, event string, data []byte) (*herald.LogEntry, error) {
	return &herald.LogEntry{
		ID: herald.NewID(herald.PrefixLog), Event: event, TargetType: herald.TargetWebhook,
		TargetID: w.ID, Attempt: 1,
		Request:   herald.LogRequest{Method: w.Method, URL: w.URL, Body: string(data)},
		Response:  &herald.LogResponse{Status: http.StatusNoContent},
		CreatedAt: time.Now().UTC(),
	}, nil
}

// apiKinds are the real connector kinds as the API sees them, built as
// cmd/herald builds them.
func apiKinds() map[string]api.ConnectorKind {
	out := map[string]api.ConnectorKind{}
	for name, k := range kinds.New(kinds.Options{}) {
		out[name] = k
	}
	return out
}

// checkTemplates is cmd/herald's template check: message.ParseTemplates.
func checkTemplates(t map[string]string) map[string]string {
	_, bad := message.ParseTemplates(t)
	return bad
}

// connectorTest is one call of fakeConnectorTester.
type connectorTest struct {
	connector *herald.Connector
	event     string
	data      []byte
}

// fakeConnectorTester records each test send and answers with a 200 log
// entry, sending nothing.
type fakeConnectorTester struct {
	mu    sync.Mutex
	calls []connectorTest
}

func (f *fakeConnectorTester) TestConnector(_ context.Context, c *herald.Connector, event string, data []byte) (*herald.LogEntry, error) {
	f.mu.Lock()
	f.calls = append(f.calls, connectorTest{connector: c, event: event, data: data})
	f.mu.Unlock()
	return &herald.LogEntry{
		ID: herald.NewID(herald.PrefixLog), Event: event, TargetType: herald.TargetConnector,
		TargetID: c.ID, Attempt: 1,
		Request:   herald.LogRequest{Method: "POST", URL: "https://chat.example/send", Body: string(data)},
		Response:  &herald.LogResponse{Status: http.StatusOK, Body: `{"ok":true}`},
		CreatedAt: time.Now().UTC(),
	}, nil
}

func (f *fakeConnectorTester) tests() []connectorTest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}
