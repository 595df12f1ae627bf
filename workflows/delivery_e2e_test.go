package workflows_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/activities"
	"github.com/heraldhub/herald/delivery"
	"github.com/heraldhub/herald/store"
	"github.com/heraldhub/herald/worker"
	"github.com/heraldhub/herald/workflows"
)

// These tests run EventWorkflow over the real activities and the real
// Sender against an httptest receiver, with an in-memory store. They check
// what §6 promises end to end: attempt numbering across the local and the
// regular activity, a stable webhook-id, Retry-After handling and 410.

const e2eSecret = "a-raw-secret-that-is-long-enough"

// memStore is the part of the store the activities use, in memory.
type memStore struct {
	mu       sync.Mutex
	event    *herald.Event
	webhook  *herald.Webhook
	records  []store.AttemptRecord
	disabled []herald.Webhook
	counted  map[string]bool // deliveryID/generation counted against the webhook
}

func (s *memStore) GetEvent(_ context.Context, id string) (*herald.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.event == nil || s.event.ID != id {
		return nil, herald.Errorf(herald.ENotFound, "event not found")
	}
	ev := *s.event
	return &ev, nil
}

func (s *memStore) GetWebhook(_ context.Context, id string) (*herald.Webhook, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.webhook == nil || s.webhook.ID != id {
		return nil, herald.Errorf(herald.ENotFound, "webhook not found")
	}
	wh := *s.webhook
	return &wh, nil
}

func (s *memStore) DisableWebhook(_ context.Context, id, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.webhook == nil || s.webhook.ID != id {
		return herald.Errorf(herald.ENotFound, "webhook not found")
	}
	s.webhook.Enabled = false
	s.webhook.DisabledReason = &reason
	s.disabled = append(s.disabled, *s.webhook)
	return nil
}

// CountDeliveryFailure counts against the one webhook, once per delivery
// and generation.
func (s *memStore) CountDeliveryFailure(_ context.Context, deliveryID string, generation, disableAfter int) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := fmt.Sprintf("%s/%d", deliveryID, generation)
	if s.webhook == nil || s.counted[key] {
		return false, nil
	}
	if s.counted == nil {
		s.counted = map[string]bool{}
	}
	s.counted[key] = true
	s.webhook.ConsecutiveFailures++
	if disableAfter > 0 && s.webhook.ConsecutiveFailures >= disableAfter && s.webhook.Enabled {
		reason := "too many failures"
		s.webhook.Enabled = false
		s.webhook.DisabledReason = &reason
		return true, nil
	}
	return false, nil
}

func (s *memStore) GetConnector(context.Context, string) (*herald.Connector, error) {
	return nil, herald.Errorf(herald.ENotFound, "connector not found")
}

func (s *memStore) DisableConnector(context.Context, string, string) error {
	return herald.Errorf(herald.ENotFound, "connector not found")
}

func (s *memStore) ReserveSlot(context.Context, string, string, int, time.Duration) (time.Duration, error) {
	return 0, nil
}

func (s *memStore) RecordAttempt(_ context.Context, _ string, rec store.AttemptRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = append(s.records, rec)
	return nil
}

// GetDelivery reports the status the last record gave the delivery
// (pending before any).
func (s *memStore) GetDelivery(_ context.Context, id string) (*herald.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := &herald.Delivery{ID: id, Status: herald.StatusPending}
	if n := len(s.records); n > 0 {
		d.Status = s.records[n-1].Status
	}
	return d, nil
}

func (s *memStore) snapshot() ([]store.AttemptRecord, *herald.Webhook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	wh := *s.webhook
	return append([]store.AttemptRecord(nil), s.records...), &wh
}

// reply is one scripted answer of the e2e receiver.
type reply struct {
	status     int
	retryAfter string
}

// hit is one request as the receiver saw it.
type hit struct {
	At        time.Time // test clock
	WebhookID string
	VerifyErr error
}

type e2eReceiver struct {
	mu      sync.Mutex
	replies []reply // the last one repeats
	hits    []hit
}

func (rc *e2eReceiver) all() []hit {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hit(nil), rc.hits...)
}

// runE2E delivers one event to one webhook answering with replies.
func runE2E(t *testing.T, retry workflows.RetrySettings, replies ...reply) (*e2eReceiver, *memStore, workflows.EventResult) {
	t.Helper()
	return runE2EWith(t, e2eOptions{}, retry, replies...)
}

// e2eOptions change runE2E's setup.
type e2eOptions struct {
	wrap    func(*memStore) activities.Store // the activities' store (default the memStore)
	timeout time.Duration                    // the target's request timeout (default 5s)
}

func runE2EWith(t *testing.T, o e2eOptions, retry workflows.RetrySettings, replies ...reply) (*e2eReceiver, *memStore, workflows.EventResult) {
	t.Helper()
	if o.timeout == 0 {
		o.timeout = 5 * time.Second
	}
	if o.wrap == nil {
		o.wrap = func(s *memStore) activities.Store { return s }
	}
	var suite testsuite.WorkflowTestSuite
	logger := slog.New(slog.DiscardHandler)
	suite.SetLogger(log.NewStructuredLogger(logger))
	env := suite.NewTestWorkflowEnvironment()
	env.SetTestTimeout(30 * time.Second) // real time: requests and slow stores

	verifier, err := standardwebhooks.NewWebhookRaw([]byte(e2eSecret))
	if err != nil {
		t.Fatal(err)
	}
	rc := &e2eReceiver{replies: replies}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		next := rc.replies[min(len(rc.hits), len(rc.replies)-1)]
		rc.hits = append(rc.hits, hit{At: env.Now(), WebhookID: r.Header.Get("webhook-id"), VerifyErr: verifier.Verify(body, r.Header)})
		rc.mu.Unlock()
		if next.retryAfter != "" {
			w.Header().Set("Retry-After", next.retryAfter)
		}
		w.WriteHeader(next.status)
	}))
	t.Cleanup(srv.Close)

	st := &memStore{
		event: &herald.Event{ID: "evt_1", Name: "user.created", Created: time.Date(2026, 5, 17, 21, 4, 5, 0, time.UTC),
			TraceID: "trace", Data: json.RawMessage(`{"id":42}`)},
		webhook: &herald.Webhook{ID: "whk_a", URL: srv.URL + "/hook", Method: "POST", Secret: e2eSecret, Enabled: true,
			TimeoutSeconds: int(o.timeout / time.Second), Retry: herald.RetrySettings{
				InitialIntervalSeconds: int(retry.InitialInterval / time.Second),
				BackoffCoefficient:     retry.BackoffCoefficient,
				MaxIntervalSeconds:     int(retry.MaxInterval / time.Second),
				MaxAgeSeconds:          int(retry.MaxAge / time.Second),
				MaxAttempts:            retry.MaxAttempts,
			}},
	}
	acts := activities.New(activities.Config{Store: o.wrap(st), Sender: delivery.NewSender(delivery.NewHTTPClient(true), nil), Logger: logger, DisableAfter: 20})
	worker.Register(env, acts)

	tg := target("whk_a", retry)
	tg.Timeout = o.timeout
	env.ExecuteWorkflow(workflows.EventWorkflowName, oneTarget(tg))
	res := eventResult(t, env)
	for i, h := range rc.all() {
		if h.VerifyErr != nil {
			t.Errorf("request %d: receiver rejected the signature: %v", i+1, h.VerifyErr)
		}
		if h.WebhookID != "dlv_whk_a" {
			t.Errorf("request %d: webhook-id = %q, want the delivery ID on every attempt", i+1, h.WebhookID)
		}
	}
	return rc, st, res
}

// attempts returns the log entries' attempt numbers and statuses.
func attempts(recs []store.AttemptRecord) (numbers []int, statuses []string) {
	for _, r := range recs {
		statuses = append(statuses, r.Status)
		if r.Log != nil {
			numbers = append(numbers, r.Log.Attempt)
		}
	}
	return numbers, statuses
}

func TestE2ESuccessOnFirstAttempt(t *testing.T) {
	rc, st, res := runE2E(t, fastRetry, reply{status: 204})
	if n := len(rc.all()); n != 1 {
		t.Fatalf("receiver got %d requests, want 1", n)
	}
	recs, _ := st.snapshot()
	nums, statuses := attempts(recs)
	if !slices.Equal(nums, []int{1}) || !slices.Equal(statuses, []string{herald.StatusSucceeded}) {
		t.Errorf("recorded attempts %v with statuses %v, want [1] [succeeded]", nums, statuses)
	}
	if !res.Deliveries[0].Succeeded {
		t.Errorf("result = %+v", res.Deliveries)
	}
}

func TestE2ERetriesNumberAttemptsAcrossLocalAndRegular(t *testing.T) {
	rc, st, res := runE2E(t, fastRetry, reply{status: 500}, reply{status: 503}, reply{status: 200})
	hits := rc.all()
	if len(hits) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(hits))
	}
	recs, _ := st.snapshot()
	nums, statuses := attempts(recs)
	if !slices.Equal(nums, []int{1, 2, 3}) {
		t.Errorf("logged attempt numbers %v, want [1 2 3]", nums)
	}
	want := []string{herald.StatusPending, herald.StatusPending, herald.StatusSucceeded}
	if !slices.Equal(statuses, want) {
		t.Errorf("recorded statuses %v, want %v", statuses, want)
	}
	if !res.Deliveries[0].Succeeded {
		t.Errorf("result = %+v", res.Deliveries)
	}
}

func TestE2EGoneDisablesWebhook(t *testing.T) {
	rc, st, res := runE2E(t, fastRetry, reply{status: 410}, reply{status: 200})
	if n := len(rc.all()); n != 1 {
		t.Errorf("receiver got %d requests, want 1", n)
	}
	recs, wh := st.snapshot()
	if wh.Enabled || wh.DisabledReason == nil || *wh.DisabledReason == "" {
		t.Errorf("webhook enabled=%v disabled_reason=%v, want disabled with a reason", wh.Enabled, wh.DisabledReason)
	}
	_, statuses := attempts(recs)
	if len(statuses) == 0 || statuses[len(statuses)-1] != herald.StatusFailed {
		t.Errorf("recorded statuses %v, want the delivery failed", statuses)
	}
	if d := res.Deliveries[0]; d.Succeeded || d.Error == "" {
		t.Errorf("result = %+v, want a failure", d)
	}
}

func TestE2EPermanentStatusFailsAtOnce(t *testing.T) {
	for _, status := range []int{302, 400, 404, 422} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			rc, _, res := runE2E(t, fastRetry, reply{status: status}, reply{status: 200})
			if n := len(rc.all()); n != 1 {
				t.Errorf("receiver got %d requests, want 1", n)
			}
			if d := res.Deliveries[0]; d.Succeeded || d.Error != fmt.Sprintf("HTTP %d", status) &&
				d.Error != fmt.Sprintf("HTTP %d: redirects are not followed", status) {
				t.Errorf("result = %+v", d)
			}
		})
	}
}

// TestE2ERetryAfterIsCappedOnEveryAttempt: SPEC §6, "A Retry-After header
// on 429/503 sets the next delay, capped by max_interval_seconds".
func TestE2ERetryAfterIsCappedOnEveryAttempt(t *testing.T) {
	t.Run("first retry", func(t *testing.T) {
		rc, _, _ := runE2E(t, fastRetry, reply{status: 429, retryAfter: "3600"}, reply{status: 200})
		checkHitGaps(t, rc.all(), []time.Duration{fastRetry.MaxInterval})
	})
	t.Run("later retries", func(t *testing.T) {
		rc, _, _ := runE2E(t, fastRetry, reply{status: 429, retryAfter: "3600"}, reply{status: 503, retryAfter: "3600"}, reply{status: 200})
		checkHitGaps(t, rc.all(), []time.Duration{fastRetry.MaxInterval, fastRetry.MaxInterval})
	})
	t.Run("long Retry-After does not end the delivery before max age", func(t *testing.T) {
		retry := fastRetry
		retry.MaxAge = 10 * time.Minute
		rc, _, res := runE2E(t, retry, reply{status: 429, retryAfter: "3600"}, reply{status: 429, retryAfter: "3600"}, reply{status: 200})
		if n := len(rc.all()); n != 3 {
			t.Errorf("receiver got %d requests, want 3", n)
		}
		if !res.Deliveries[0].Succeeded {
			t.Errorf("result = %+v, want success on the third attempt", res.Deliveries[0])
		}
	})
	t.Run("short Retry-After is honoured on later retries", func(t *testing.T) {
		rc, _, _ := runE2E(t, fastRetry, reply{status: 503, retryAfter: "7"}, reply{status: 429, retryAfter: "3"}, reply{status: 200})
		checkHitGaps(t, rc.all(), []time.Duration{7 * time.Second, 3 * time.Second})
	})
}

// busyStore is a memStore whose first attempt waits the longest inline
// time for its rate-limit slot and whose first log write is slow.
type busyStore struct {
	*memStore
	reserved, written atomic.Bool
}

func (s *busyStore) ReserveSlot(context.Context, string, string, int, time.Duration) (time.Duration, error) {
	if s.reserved.CompareAndSwap(false, true) {
		return 3 * time.Second, nil
	}
	return 0, nil
}

func (s *busyStore) RecordAttempt(ctx context.Context, id string, rec store.AttemptRecord) error {
	if rec.Log != nil && s.written.CompareAndSwap(false, true) {
		time.Sleep(3500 * time.Millisecond)
	}
	return s.memStore.RecordAttempt(ctx, id, rec)
}

// downStore is a memStore that cannot be read for its first failures
// event loads.
type downStore struct {
	*memStore
	failures atomic.Int32
}

func (s *downStore) GetEvent(ctx context.Context, id string) (*herald.Event, error) {
	if s.failures.Add(-1) >= 0 {
		return nil, errors.New("connection refused")
	}
	return s.memStore.GetEvent(ctx, id)
}

// A store outage before the request uses up no attempt: with max_attempts
// 3, three requests still go out, numbered 1 to 3.
func TestE2EStoreOutageKeepsAttempts(t *testing.T) {
	retry := fastRetry
	retry.MaxAttempts = 3
	rc, st, res := runE2EWith(t, e2eOptions{wrap: func(s *memStore) activities.Store {
		d := &downStore{memStore: s}
		d.failures.Store(2)
		return d
	}}, retry, reply{status: 500})
	if n := len(rc.all()); n != 3 {
		t.Errorf("receiver got %d requests, want 3", n)
	}
	recs, _ := st.snapshot()
	if nums, _ := attempts(recs); !slices.Equal(nums, []int{1, 2, 3}) || res.Deliveries[0].Succeeded {
		t.Errorf("attempts %v, outcome %+v: want attempts 1, 2, 3 and a failure", nums, res.Deliveries)
	}
}

// The first attempt's budget covers its rate-limit wait and its store
// writes besides the request: an attempt that got a 2xx but ran out of
// time would be sent again.
func TestE2EBudgetCoversWaitAndWrites(t *testing.T) {
	rc, st, res := runE2EWith(t, e2eOptions{
		wrap:    func(s *memStore) activities.Store { return &busyStore{memStore: s} },
		timeout: time.Second,
	}, fastRetry, reply{status: 200})
	if n := len(rc.all()); n != 1 {
		t.Errorf("receiver got %d requests, want 1", n)
	}
	recs, _ := st.snapshot()
	if nums, _ := attempts(recs); len(nums) != 1 || !res.Deliveries[0].Succeeded {
		t.Errorf("attempts %v, outcome %+v: want one successful attempt", nums, res.Deliveries)
	}
}

func checkHitGaps(t *testing.T, hits []hit, want []time.Duration) {
	t.Helper()
	if len(hits) != len(want)+1 {
		t.Fatalf("receiver got %d requests, want %d", len(hits), len(want)+1)
	}
	// A deferred retry (DeliverInput.Deferred) is timed by the activity
	// against the wall clock, while the test environment's clock skips
	// ahead: allow what the two drift apart in a test.
	const drift = 250 * time.Millisecond
	for i, w := range want {
		if got := hits[i+1].At.Sub(hits[i].At); got < w-drift || got > w+drift {
			t.Errorf("wait before attempt %d = %v, want %v", i+2, got, w)
		}
	}
}
