package main

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
)

// A slow receiver no longer holds back another target's first retry of
// the same event: all first attempts run in the event's first workflow
// task, which the slow one keeps open for 11 s. A failed target's retry
// due after 1 s comes at the SDK's first early completion of that task,
// about 4 s, and one due after 7 s (Retry-After) on time, not after a
// timer and then the activity each waited for one (11 s or more).
func TestSlowReceiverDoesNotHoldBackAnotherTargetsRetry(t *testing.T) {
	t.Parallel()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(11 * time.Second):
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	flaky := newReceiver(t, 500, 200)
	// Another answers 429 with a Retry-After of 7 s, then 200.
	rateLimited, limited := rateLimitedOnce(t, "7")
	const event = "qualificationrecord.deleted" // no other test's webhooks get it
	createWebhook(t, shared, map[string]any{"url": slow.URL, "events": []string{event}, "timeout_seconds": 30})
	createWebhook(t, shared, map[string]any{"url": flaky.URL, "events": []string{event},
		"retry": map[string]any{"initial_interval_seconds": 1}})
	createWebhook(t, shared, map[string]any{"url": rateLimited.URL, "events": []string{event},
		"retry": map[string]any{"initial_interval_seconds": 1}})
	if status, out := publishEvent(t, shared, map[string]any{"event": event, "data": map[string]any{"id": 1}}); status != http.StatusAccepted {
		t.Fatalf("publish: %d %v", status, out)
	}
	got := flaky.wait(t, 2, 30*time.Second)
	if gap := got[1].At.Sub(got[0].At); gap < time.Second || gap > 8*time.Second {
		t.Errorf("the retry came %v after the first attempt, want 1 s to about 4 s, however slow the other target", gap)
	} else {
		t.Logf("retry after %v", gap)
	}
	eventually(t, 20*time.Second, "the rate-limited target's retry", func() bool { return len(limited()) == 2 })
	if got := limited(); len(got) != 2 {
		t.Fatalf("%d requests to the rate-limited target, want 2", len(got))
	} else if gap := got[1].Sub(got[0]); gap < 7*time.Second-100*time.Millisecond || gap > 9*time.Second {
		t.Errorf("the Retry-After 7 s retry came %v after the 429, want about 7 s, however slow the other target", gap)
	} else {
		t.Logf("Retry-After 7 s retry after %v", gap)
	}
}

// A first wait longer than an activity keeps in a worker slot (here a
// Retry-After of 6 s) is handed to Temporal: the retry's activity is
// scheduled at once, its first try makes no request and asks Temporal to
// try again when the retry is due. No timer waits, and the log numbers
// the attempts 1 and 2.
func TestLongFirstWaitIsKeptByTemporal(t *testing.T) {
	t.Parallel()
	rcv, arrivals := rateLimitedOnce(t, "6")
	const event = "servicerecord.deleted" // no other test's webhooks get it
	id, _ := createWebhook(t, shared, map[string]any{"url": rcv.URL, "events": []string{event},
		"retry": map[string]any{"initial_interval_seconds": 1}})
	status, ev := publishEvent(t, shared, map[string]any{"event": event, "data": map[string]any{"id": 1}})
	if status != http.StatusAccepted {
		t.Fatalf("publish: %d %v", status, ev)
	}
	eventually(t, 20*time.Second, "delivery succeeded", func() bool {
		return deliveryOf(t, shared, ev["id"].(string), id)["status"] == "succeeded"
	})
	at := arrivals()
	requests, gap := len(at), time.Duration(0)
	if requests == 2 {
		gap = at[1].Sub(at[0])
	}
	if requests != 2 || gap < 6*time.Second-100*time.Millisecond || gap > 8*time.Second {
		t.Errorf("%d requests, the retry %v after the 429; want 2, the retry after Retry-After's 6 s", requests, gap)
	}
	if d := deliveryOf(t, shared, ev["id"].(string), id); d["attempts"] != float64(2) {
		t.Errorf("delivery %v, want 2 attempts", d)
	}
	_, logs := call(t, shared, "GET", "/v1/webhooks/"+id+"/logs", nil)
	var attempts []float64
	for _, e := range logs["data"].([]any) {
		attempts = append(attempts, e.(map[string]any)["attempt"].(float64))
	}
	if !slices.Equal(attempts, []float64{2, 1}) {
		t.Errorf("log attempts %v, want [2 1]", attempts)
	}
	wid := ev["workflow_id"].(string)
	if got := summaries(t, wid, enumspb.EVENT_TYPE_TIMER_STARTED); len(got) != 0 {
		t.Errorf("timers %q, want none", got)
	}
	if got, want := summaries(t, wid, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED), []string{"webhook " + id + ", attempts from 2"}; !slices.Equal(got, want) {
		t.Errorf("activity summaries %q, want %q", got, want)
	}
}

// rateLimitedOnce is a receiver that answers its first request 429 with
// the given Retry-After, and 200 after; arrivals lists when requests came.
func rateLimitedOnce(t *testing.T, retryAfter string) (srv *httptest.Server, arrivals func() []time.Time) {
	var mu sync.Mutex
	var at []time.Time
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		at = append(at, time.Now())
		n := len(at)
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", retryAfter)
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() []time.Time {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(at)
	}
}
