package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
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
	if gap := got[1].At.Sub(got[0].At); gap < time.Second || gap > 7*time.Second {
		t.Errorf("the retry came %v after the first attempt, want 1 s to about 4 s, however slow the other target", gap)
	} else {
		t.Logf("retry after %v", gap)
	}
}
