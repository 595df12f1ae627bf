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
// the same event: both first attempts run in the event's first workflow
// task, which the slow one keeps open for 11 s, and the failed target's
// retry (due after 1 s) comes at the SDK's first early completion of that
// task, about 4 s, not after the timer and then the activity each waited
// for one (about 12 s).
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
	const event = "qualificationrecord.deleted" // no other test's webhooks get it
	createWebhook(t, shared, map[string]any{"url": slow.URL, "events": []string{event}, "timeout_seconds": 30})
	createWebhook(t, shared, map[string]any{"url": flaky.URL, "events": []string{event},
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
}

// A first wait longer than the retry's activity keeps itself (here a
// Retry-After of 6 s) is a timer, which Temporal UI shows with what it
// waits for.
func TestLongFirstWaitIsATimerTemporalUINames(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var at []time.Time
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		at = append(at, time.Now())
		n := len(at)
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "6")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	t.Cleanup(rcv.Close)
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
	mu.Lock()
	gap := at[1].Sub(at[0])
	mu.Unlock()
	if gap < 6*time.Second {
		t.Errorf("the retry came %v after the 429, want Retry-After's 6 s", gap)
	}
	if got, want := summaries(t, ev["workflow_id"].(string), enumspb.EVENT_TYPE_TIMER_STARTED), []string{"webhook " + id + ", wait for attempt 2"}; !slices.Equal(got, want) {
		t.Errorf("timer summaries %q, want %q", got, want)
	}
}
