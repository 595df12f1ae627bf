package connectortest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald/connectors"
)

// fast is how long a send that must not sleep may take at most.
const fast = time.Second

// Run checks the connector contract against h's fake.
func Run(t *testing.T, h Harness) {
	t.Run("success", func(t *testing.T) { testSuccess(t, h) })
	t.Run("rate limited, without sleeping", func(t *testing.T) { testRateLimited(t, h) })
	t.Run("auth failure is permanent", func(t *testing.T) { testAuthFailure(t, h) })
	t.Run("server error is retryable", func(t *testing.T) { testServerError(t, h) })
	t.Run("network failure is retryable", func(t *testing.T) { testDisconnect(t, h) })
	t.Run("limits", func(t *testing.T) { testLimits(t, h) })
	t.Run("mentions never ping", func(t *testing.T) { testMentions(t, h) })
	t.Run("markup stays literal", func(t *testing.T) { testMarkup(t, h) })
	t.Run("context cancellation", func(t *testing.T) { testCancel(t, h) })
	t.Run("invalid config", func(t *testing.T) { testInvalidConfig(t, h) })
}

// setup starts a fake and builds its connector on a recording client.
type setup struct {
	fake Fake
	kind connectors.Kind
}

func start(t *testing.T, h Harness) setup {
	t.Helper()
	f := h.Start(t)
	return setup{fake: f, kind: f.Kind(connectors.RecordingClient(&http.Client{}))}
}

// send sends msg with the fake's config and checks what every send must
// hold: no secret in the error or the records, and an *connectors.Error
// for every failure.
func (s setup) send(t *testing.T, ctx context.Context, msg connectors.Message) ([]connectors.Exchange, *connectors.Error) {
	t.Helper()
	exchanges, err := s.kind.Send(ctx, s.fake.Config(), msg)
	dump, _ := json.Marshal(exchanges)
	if leaks(string(dump), s.fake.Secrets()) {
		t.Errorf("a secret appears in the recorded exchanges: %s", dump)
	}
	if err != nil && leaks(err.Error(), s.fake.Secrets()) {
		t.Errorf("a secret appears in the error %q", err)
	}
	if err == nil {
		return exchanges, nil
	}
	var e *connectors.Error
	if !errors.As(err, &e) {
		t.Fatalf("Send error is %T (%v), want *connectors.Error", err, err)
	}
	return exchanges, e
}

func sample() connectors.Message {
	return connectors.Message{
		Title:  "Promotion",
		Text:   "SSG Jordan Reyes was promoted to Sergeant First Class.",
		Fields: []connectors.Field{{Name: "Rank", Value: "Sergeant First Class"}, {Name: "Unit", Value: "1st Platoon"}},
		Event:  "rankrecord.created",
		Action: connectors.ActionCreated,
		Time:   time.Date(2026, 5, 17, 21, 4, 5, 0, time.UTC),
	}
}

func testSuccess(t *testing.T, h Harness) {
	s := start(t, h)
	msg := sample()
	exchanges, err := s.send(t, context.Background(), msg)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := only(t, s.fake)
	if !strings.Contains(got.Title, msg.Title) {
		t.Errorf("title = %q, want it to contain %q", got.Title, msg.Title)
	}
	if !strings.Contains(got.Text, msg.Text) {
		t.Errorf("text = %q, want it to contain %q", got.Text, msg.Text)
	}
	if len(got.Fields) != len(msg.Fields) {
		t.Fatalf("fields = %q, want %q", got.Fields, msg.Fields)
	}
	for i, f := range msg.Fields {
		if got.Fields[i] != f {
			t.Errorf("field %d = %q, want %q", i, got.Fields[i], f)
		}
	}
	if len(exchanges) != 1 || exchanges[0].Response == nil || exchanges[0].Response.Status/100 != 2 {
		t.Fatalf("exchanges = %+v, want one 2xx", exchanges)
	}
	x := exchanges[0]
	if x.Request.Method != http.MethodPost || x.Request.Body == "" || x.Response.Body == "" {
		t.Errorf("exchange misses method or bodies: %+v", x)
	}
	if dump, _ := json.Marshal(x); !strings.Contains(string(dump), connectors.Masked) {
		t.Errorf("exchange shows no masked credential: %s", dump)
	}
}

func testRateLimited(t *testing.T, h Harness) {
	s := start(t, h)
	s.fake.Script(RateLimited, RateLimited)
	for i := range 2 {
		began := time.Now()
		_, err := s.send(t, context.Background(), sample())
		if took := time.Since(began); took > fast {
			t.Errorf("send %d took %v; a 429 must return at once", i, took)
		}
		if err == nil || !err.Retryable || err.RetryAfter != h.RetryAfter || err.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("send %d: error = %+v, want retryable 429 after %v", i, err, h.RetryAfter)
		}
	}
	began := time.Now()
	if _, err := s.send(t, context.Background(), sample()); err != nil {
		t.Fatalf("send after the rate limit: %v", err)
	}
	if took := time.Since(began); took > fast {
		t.Errorf("send after a 429 took %v; the connector must not wait on its own", took)
	}
	if n := s.fake.Requests(); n != 3 {
		t.Errorf("fake got %d requests, want 3 (no retries inside the connector)", n)
	}
}

func testAuthFailure(t *testing.T, h Harness) {
	s := start(t, h)
	s.fake.Script(AuthFailure)
	exchanges, err := s.send(t, context.Background(), sample())
	if err == nil || err.Retryable {
		t.Fatalf("error = %+v, want a permanent error", err)
	}
	if err.Reason == "" || len(exchanges) != 1 || exchanges[0].Response == nil {
		t.Errorf("want a reason and the recorded answer; got %+v, %+v", err, exchanges)
	}
}

func testServerError(t *testing.T, h Harness) {
	s := start(t, h)
	s.fake.Script(ServerError)
	_, err := s.send(t, context.Background(), sample())
	if err == nil || !err.Retryable || err.StatusCode < 500 {
		t.Fatalf("error = %+v, want retryable 5xx", err)
	}
	if n := s.fake.Requests(); n != 1 {
		t.Fatalf("fake got %d requests, want 1 (no retries inside the connector)", n)
	}
	if _, err := s.send(t, context.Background(), sample()); err != nil {
		t.Fatalf("next send: %v", err)
	}
}

func testDisconnect(t *testing.T, h Harness) {
	s := start(t, h)
	s.fake.Script(Disconnect)
	exchanges, err := s.send(t, context.Background(), sample())
	if err == nil || !err.Retryable || err.StatusCode != 0 {
		t.Fatalf("error = %+v, want retryable without status", err)
	}
	if len(exchanges) != 1 || exchanges[0].Response != nil {
		t.Errorf("want the request recorded without an answer; got %+v", exchanges)
	}
}

// leaks reports whether s contains any of the non-empty secrets.
func leaks(s string, secrets []string) bool {
	for _, secret := range secrets {
		if secret != "" && strings.Contains(s, secret) {
			return true
		}
	}
	return false
}

// only returns the one message the fake received.
func only(t *testing.T, f Fake) Received {
	t.Helper()
	got := f.Received()
	if len(got) != 1 {
		t.Fatalf("fake received %d messages, want 1", len(got))
	}
	if len(got[0].Problems) > 0 {
		t.Errorf("message breaks the service's rules: %q", got[0].Problems)
	}
	return got[0]
}
