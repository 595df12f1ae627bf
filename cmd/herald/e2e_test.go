package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/publish"
	"github.com/heraldhub/herald/store"
	"github.com/heraldhub/herald/store/sqlite"
)

func perscomHMAC(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func TestPostDeliveryIsSigned(t *testing.T) {
	rcv := newReceiver(t)
	const secret = "a-raw-secret-of-some-length"
	id, _ := createWebhook(t, shared, map[string]any{
		"url": rcv.URL + "/hook", "events": []string{"rankrecord.created"}, "secret": secret,
		"headers": map[string]string{"X-Team": "ops"},
	})
	// Raw JSON: Go's encoder would turn < into \u003c before Herald sees it.
	status, ev := call(t, shared, "POST", "/v1/events",
		`{"event": "rankrecord.created", "data": {"id": 7, "text": "<b>promoted</b> & more"}}`)
	if status != http.StatusAccepted {
		t.Fatalf("publish: %d %v", status, ev)
	}
	got := rcv.wait(t, 1, 10*time.Second)[0]
	if got.Method != http.MethodPost || got.Header.Get("X-Team") != "ops" {
		t.Errorf("method %s, X-Team %q", got.Method, got.Header.Get("X-Team"))
	}
	if want := perscomHMAC(secret, got.Body); got.Header.Get("Signature") != want {
		t.Errorf("Signature %q, want %q", got.Header.Get("Signature"), want)
	}
	wh, err := standardwebhooks.NewWebhookRaw([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(got.Body, got.Header); err != nil {
		t.Errorf("standard webhooks verify: %v", err)
	}
	var env map[string]any
	if err := json.Unmarshal(got.Body, &env); err != nil {
		t.Fatal(err)
	}
	if env["event"] != "rankrecord.created" || env["request_id"] != ev["id"] {
		t.Errorf("envelope %v", env)
	}
	if !bytes.Contains(got.Body, []byte("<b>promoted</b> & more")) {
		t.Errorf("HTML characters were escaped: %s", got.Body)
	}
	d := deliveryOf(t, shared, ev["id"].(string), id)
	if got.Header.Get("webhook-id") != d["id"] {
		t.Errorf("webhook-id %q, want delivery id %v", got.Header.Get("webhook-id"), d["id"])
	}
	eventually(t, 5*time.Second, "delivery succeeded", func() bool {
		return deliveryOf(t, shared, ev["id"].(string), id)["status"] == "succeeded"
	})
}

func TestGetDeliveryIsSignedOverQuery(t *testing.T) {
	rcv := newReceiver(t)
	id, secret := createWebhook(t, shared, map[string]any{
		"url": rcv.URL + "/hook?old=1", "method": "get", "events": []string{"awardrecord.*"},
	})
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("generated secret %q lacks whsec_", secret)
	}
	status, ev := publishEvent(t, shared, map[string]any{
		"event": "awardrecord.created",
		"data":  map[string]any{"id": 9, "user": map[string]any{"name": "Jordan Reyes"}, "note": nil, "active": true},
	})
	if status != http.StatusAccepted {
		t.Fatalf("publish: %d %v", status, ev)
	}
	got := rcv.wait(t, 1, 10*time.Second)[0]
	q, err := url.ParseQuery(got.RawQuery)
	if err != nil {
		t.Fatal(err)
	}
	if got.Method != http.MethodGet || len(got.Body) != 0 {
		t.Errorf("method %s body %q", got.Method, got.Body)
	}
	if q.Get("old") != "" || q.Get("event") != "awardrecord.created" || q.Get("data[user][name]") != "Jordan Reyes" ||
		q.Get("data[active]") != "1" || q.Has("data[note]") {
		t.Errorf("query %v", q)
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify([]byte(got.RawQuery), got.Header); err != nil {
		t.Errorf("standard webhooks verify over query: %v", err)
	}
	if got.Header.Get("Signature") == "" {
		t.Error("no Signature header")
	}
	eventually(t, 5*time.Second, "delivery succeeded", func() bool {
		return deliveryOf(t, shared, ev["id"].(string), id)["status"] == "succeeded"
	})
}

func TestRetriesUntilSuccessWithOneLogEntryPerAttempt(t *testing.T) {
	rcv := newReceiver(t, 500, 500, 200)
	id, _ := createWebhook(t, shared, map[string]any{
		"url": rcv.URL, "events": []string{"combatrecord.created"},
		"retry": map[string]any{"initial_interval_seconds": 1, "backoff_coefficient": 1, "max_interval_seconds": 1},
	})
	_, ev := publishEvent(t, shared, map[string]any{"event": "combatrecord.created", "data": map[string]any{"id": 1}})
	got := rcv.wait(t, 3, 30*time.Second)
	ids := map[string]bool{}
	for _, r := range got {
		ids[r.Header.Get("webhook-id")] = true
	}
	if len(ids) != 1 {
		t.Errorf("webhook-id changed across attempts: %v", ids)
	}
	eventually(t, 10*time.Second, "delivery succeeded", func() bool {
		return deliveryOf(t, shared, ev["id"].(string), id)["status"] == "succeeded"
	})
	d := deliveryOf(t, shared, ev["id"].(string), id)
	if d["attempts"] != float64(3) || d["last_status_code"] != float64(200) {
		t.Errorf("delivery %v, want 3 attempts ending in 200", d)
	}
	status, logs := call(t, shared, "GET", "/v1/webhooks/"+id+"/logs", nil)
	if status != http.StatusOK {
		t.Fatalf("logs: %d %v", status, logs)
	}
	entries := logs["data"].([]any)
	if len(entries) != 3 {
		t.Fatalf("%d log entries, want 3", len(entries))
	}
	// Newest first: attempts 3, 2, 1 with statuses 200, 500, 500.
	for i, want := range []struct{ attempt, status float64 }{{3, 200}, {2, 500}, {1, 500}} {
		e := entries[i].(map[string]any)
		resp := e["response"].(map[string]any)
		if e["attempt"] != want.attempt || resp["status"] != want.status {
			t.Errorf("entry %d: attempt %v status %v, want %v %v", i, e["attempt"], resp["status"], want.attempt, want.status)
		}
	}
	_, failures := call(t, shared, "GET", "/v1/webhooks/"+id+"/logs?status=failure", nil)
	if n := len(failures["data"].([]any)); n != 2 {
		t.Errorf("%d failure entries, want 2", n)
	}
	// Temporal UI says what the retries' activity is for. Its 1 s wait
	// is kept by the activity (a short first wait), so no timer waited.
	if got, want := summaries(t, ev["workflow_id"].(string), enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED), []string{"webhook " + id + ", attempts from 2"}; !slices.Equal(got, want) {
		t.Errorf("activity summaries %q, want %q", got, want)
	}
	if got := summaries(t, ev["workflow_id"].(string), enumspb.EVENT_TYPE_TIMER_STARTED); len(got) != 0 {
		t.Errorf("timers %q, want none: a 1 s first wait is kept by the retry's activity", got)
	}
}

func TestClientErrorFailsAfterOneAttempt(t *testing.T) {
	rcv := newReceiver(t, 400)
	id, _ := createWebhook(t, shared, map[string]any{
		"url": rcv.URL, "events": []string{"qualificationrecord.created"},
		"retry": map[string]any{"initial_interval_seconds": 1},
	})
	_, ev := publishEvent(t, shared, map[string]any{"event": "qualificationrecord.created", "data": map[string]any{"id": 1}})
	eventually(t, 10*time.Second, "delivery failed", func() bool {
		return deliveryOf(t, shared, ev["id"].(string), id)["status"] == "failed"
	})
	time.Sleep(2 * time.Second) // a wrong retry would arrive after the 1 s interval
	if n := len(rcv.requests()); n != 1 {
		t.Errorf("receiver got %d requests, want 1", n)
	}
	d := deliveryOf(t, shared, ev["id"].(string), id)
	if d["attempts"] != float64(1) || d["last_status_code"] != float64(400) {
		t.Errorf("delivery %v", d)
	}
	// The version marker of a workflow that ends failed has no summary.
	want := []string{"webhook " + id + ", attempt 1", "record the failure of webhook " + id, ""}
	if got := summaries(t, ev["workflow_id"].(string), enumspb.EVENT_TYPE_MARKER_RECORDED); !slices.Equal(got, want) {
		t.Errorf("marker summaries %q, want %q", got, want)
	}
	// Temporal UI shows the event as failed, and why.
	c, err := client.Dial(client.Options{HostPort: shared.cfg.TemporalAddress})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.GetWorkflow(context.Background(), ev["workflow_id"].(string), "").Get(context.Background(), nil)
	if want := "1 of 1 deliveries failed: " + id + " (HTTP 400)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("workflow ended with %v, want a failure saying %q", err, want)
	}
}

func TestDuplicateEventIDDeliversOnce(t *testing.T) {
	rcv := newReceiver(t)
	createWebhook(t, shared, map[string]any{"url": rcv.URL, "events": []string{"servicerecord.created"}})
	body := map[string]any{"id": "perscom-42", "event": "servicerecord.created", "data": map[string]any{"id": 42}}
	s1, first := publishEvent(t, shared, body)
	s2, second := publishEvent(t, shared, body)
	if s1 != http.StatusAccepted || s2 != http.StatusOK {
		t.Fatalf("statuses %d then %d, want 202 then 200", s1, s2)
	}
	if first["id"] != second["id"] || first["workflow_id"] != second["workflow_id"] {
		t.Errorf("second answer %v differs from first %v", second, first)
	}
	rcv.wait(t, 1, 10*time.Second)
	time.Sleep(time.Second)
	if n := len(rcv.requests()); n != 1 {
		t.Errorf("receiver got %d requests, want 1", n)
	}
}

func TestWorkflowHistoryHoldsNoSecret(t *testing.T) {
	rcv := newReceiver(t)
	const secret = "history-must-not-see-this-secret"
	id, _ := createWebhook(t, shared, map[string]any{"url": rcv.URL, "events": []string{"submission.created"}, "secret": secret})
	_, ev := publishEvent(t, shared, map[string]any{"event": "submission.created", "data": map[string]any{"id": 3}})
	got := rcv.wait(t, 1, 10*time.Second)[0]
	c, err := client.Dial(client.Options{HostPort: shared.cfg.TemporalAddress})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	run := c.GetWorkflow(context.Background(), ev["workflow_id"].(string), "")
	if err := run.Get(context.Background(), nil); err != nil {
		t.Fatalf("workflow: %v", err)
	}
	history := historyBytes(t, c, ev["workflow_id"].(string))
	for _, s := range []string{secret, got.Header.Get("Signature"), got.Header.Get("webhook-signature")} {
		if s != "" && bytes.Contains(history, []byte(s)) {
			t.Errorf("history contains %q", s)
		}
	}
	if !bytes.Contains(history, []byte(id)) {
		t.Error("history does not even name the webhook: the search above proves nothing")
	}
	desc, err := c.DescribeWorkflowExecution(context.Background(), ev["workflow_id"].(string), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := desc.WorkflowExecutionInfo.GetSearchAttributes().GetIndexedFields()["HeraldEvent"]; !ok {
		t.Error("search attribute HeraldEvent not set")
	}
	// What an operator types into Temporal UI's search box, on the separate
	// (index-trimmed) visibility database.
	for _, query := range []string{
		fmt.Sprintf(`HeraldEvent = "submission.created" AND WorkflowId = %q`, ev["workflow_id"]),
		fmt.Sprintf(`HeraldTarget = %q`, id),
	} {
		eventually(t, 10*time.Second, "visibility lists "+query, func() bool {
			resp, err := c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
			return err == nil && len(resp.Executions) == 1 && resp.Executions[0].Execution.WorkflowId == ev["workflow_id"]
		})
	}
}

func TestRestartKeepsPendingRetry(t *testing.T) {
	dir := t.TempDir()
	h, err := startHerald(dir)
	if err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t, 503, 200)
	id, _ := createWebhook(t, h, map[string]any{
		"url": rcv.URL, "events": []string{"calendar.created"},
		"retry": map[string]any{"initial_interval_seconds": 3, "backoff_coefficient": 1, "max_interval_seconds": 3},
	})
	_, ev := publishEvent(t, h, map[string]any{"event": "calendar.created", "data": map[string]any{"id": 5}})
	rcv.wait(t, 1, 10*time.Second)
	h.Close() // the retry is now only in Temporal's SQLite file

	h2, err := startHerald(dir)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer h2.Close()
	rcv.wait(t, 2, 30*time.Second)
	eventually(t, 10*time.Second, "delivery succeeded after restart", func() bool {
		return deliveryOf(t, h2, ev["id"].(string), id)["status"] == "succeeded"
	})
	if status, _ := call(t, h2, "GET", "/v1/webhooks/"+id, nil); status != http.StatusOK {
		t.Errorf("webhook lost across restart: %d", status)
	}
	if _, err := os.Stat(dir + "/temporal.db"); err != nil {
		t.Error(err)
	}
}

func TestTestEndpointReturnsLogEntry(t *testing.T) {
	rcv := newReceiver(t, 204)
	id, _ := createWebhook(t, shared, map[string]any{"url": rcv.URL, "events": []string{"message.created"}})
	status, entry := call(t, shared, "POST", "/v1/webhooks/"+id+"/test", map[string]any{"event": "webhook.test"})
	if status != http.StatusOK {
		t.Fatalf("test: %d %v", status, entry)
	}
	resp, _ := entry["response"].(map[string]any)
	if resp["status"] != float64(204) || entry["event"] != "webhook.test" || !strings.HasPrefix(entry["id"].(string), "log_") {
		t.Errorf("entry %v", entry)
	}
	if len(rcv.requests()) != 1 {
		t.Errorf("receiver got %d requests", len(rcv.requests()))
	}
	if status, got := call(t, shared, "GET", "/v1/logs/"+entry["id"].(string), nil); status != http.StatusOK || got["id"] != entry["id"] {
		t.Errorf("GET log: %d %v", status, got)
	}
}

func TestRateLimitSpacesDeliveries(t *testing.T) {
	rcv := newReceiver(t)
	id, _ := createWebhook(t, shared, map[string]any{
		"url": rcv.URL, "events": []string{"event.created"}, "rate_limit_per_second": 4,
		"retry": map[string]any{"initial_interval_seconds": 1, "max_interval_seconds": 2, "max_attempts": 1},
	})
	// 24 requests at 4/s: most slots are more than a second away, so most
	// deliveries come back later, and each must still get the slot it
	// booked rather than a new one behind the others (which never came).
	// Coming back is not an attempt: with max_attempts 1, every delivery
	// still gets its one request, numbered 1.
	const n = 24
	for i := range n {
		if status, out := publishEvent(t, shared, map[string]any{"event": "event.created", "data": map[string]any{"id": i}}); status != http.StatusAccepted {
			t.Fatalf("publish: %d %v", status, out)
		}
	}
	got := rcv.wait(t, n, 40*time.Second)
	// At most 4 requests in any second: request i+4 comes at least a
	// second after request i, less a little jitter between a request's
	// slot and its arrival.
	const rate = 4
	for i := 0; i+rate < len(got); i++ {
		if span := got[i+rate].At.Sub(got[i].At); span < time.Second-50*time.Millisecond {
			t.Errorf("requests %d to %d arrived within %s, want %d requests at most per second", i, i+rate, span, rate)
		}
	}
	eventually(t, 10*time.Second, "every delivery logged", func() bool {
		_, logs := call(t, shared, "GET", "/v1/webhooks/"+id+"/logs?limit=100", nil)
		return len(logs["data"].([]any)) == n
	})
	_, logs := call(t, shared, "GET", "/v1/webhooks/"+id+"/logs?limit=100", nil)
	for _, e := range logs["data"].([]any) {
		if entry := e.(map[string]any); entry["attempt"] != float64(1) {
			t.Errorf("log entry %v is attempt %v, want 1", entry["id"], entry["attempt"])
		}
	}
}

// SPEC §6: consecutive failed deliveries disable the webhook with a reason;
// enabling it again resets the count.
func TestConsecutiveFailuresDisableWebhook(t *testing.T) {
	rcv := newReceiver(t, 400)
	id, _ := createWebhook(t, shared, map[string]any{"url": rcv.URL, "events": []string{"message.deleted"}})
	limit := shared.cfg.DisableAfterFailures
	var first string
	for i := range limit {
		_, ev := publishEvent(t, shared, map[string]any{"event": "message.deleted", "data": map[string]any{"id": i}})
		if i == 0 {
			first = ev["id"].(string)
		}
	}
	eventually(t, 20*time.Second, "webhook disabled", func() bool {
		_, w := call(t, shared, "GET", "/v1/webhooks/"+id, nil)
		return w["enabled"] == false
	})
	_, w := call(t, shared, "GET", "/v1/webhooks/"+id, nil)
	if reason, _ := w["disabled_reason"].(string); !strings.Contains(reason, fmt.Sprint(limit)) {
		t.Errorf("disabled_reason %q does not name the %d failures", reason, limit)
	}
	// Disabled: a new event is not delivered to it.
	before := len(rcv.requests())
	publishEvent(t, shared, map[string]any{"event": "message.deleted", "data": map[string]any{"id": "late"}})
	time.Sleep(time.Second)
	if n := len(rcv.requests()); n != before {
		t.Errorf("disabled webhook got %d more requests", n-before)
	}
	// Disabled: retry and recover are refused rather than failing quietly.
	failed := deliveryOf(t, shared, first, id)
	if status, out := call(t, shared, "POST", "/v1/deliveries/"+failed["id"].(string)+"/retry", nil); status != http.StatusConflict {
		t.Errorf("retry while disabled: %d %v, want 409", status, out)
	}
	if status, out := call(t, shared, "POST", "/v1/webhooks/"+id+"/recover", map[string]any{"since": "2020-01-01T00:00:00Z"}); status != http.StatusConflict {
		t.Errorf("recover while disabled: %d %v, want 409", status, out)
	}
	// Enabled again: the count starts over, so one failure does not disable it.
	if status, out := call(t, shared, "PATCH", "/v1/webhooks/"+id, map[string]any{"enabled": true}); status != http.StatusOK || out["disabled_reason"] != nil {
		t.Fatalf("re-enable: %d %v", status, out)
	}
	publishEvent(t, shared, map[string]any{"event": "message.deleted", "data": map[string]any{"id": "again"}})
	rcv.wait(t, before+1, 10*time.Second)
	time.Sleep(500 * time.Millisecond)
	if _, w := call(t, shared, "GET", "/v1/webhooks/"+id, nil); w["enabled"] != true {
		t.Errorf("one failure after re-enabling disabled the webhook again: %v", w)
	}
}

// SPEC §5: after a rotation both the new and the old secret sign
// webhook-signature, so receivers verify with either during the overlap;
// Signature (PERSCOM's) uses the new one.
func TestRotatedSecretSignsWithBothKeys(t *testing.T) {
	rcv := newReceiver(t)
	id, oldSecret := createWebhook(t, shared, map[string]any{"url": rcv.URL, "events": []string{"submission.deleted"}})
	status, out := call(t, shared, "POST", "/v1/webhooks/"+id+"/rotate-secret", nil)
	if status != http.StatusOK {
		t.Fatalf("rotate: %d %v", status, out)
	}
	newSecret := out["secret"].(string)
	rememberSecret(newSecret)
	if newSecret == oldSecret {
		t.Fatal("rotation kept the secret")
	}
	if _, got := call(t, shared, "GET", "/v1/webhooks/"+id+"/secret", nil); got["secret"] != newSecret {
		t.Errorf("revealed secret %v, want the new one", got["secret"])
	}
	publishEvent(t, shared, map[string]any{"event": "submission.deleted", "data": map[string]any{"id": 1}})
	got := rcv.wait(t, 1, 10*time.Second)[0]
	if n := len(strings.Fields(got.Header.Get("webhook-signature"))); n != 2 {
		t.Errorf("webhook-signature has %d entries, want 2", n)
	}
	for _, secret := range []string{oldSecret, newSecret} {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(got.Body, got.Header); err != nil {
			t.Errorf("verify with %s secret: %v", map[bool]string{true: "old", false: "new"}[secret == oldSecret], err)
		}
	}
	if want := perscomHMAC(newSecret, got.Body); got.Header.Get("Signature") != want {
		t.Error("Signature is not the HMAC under the new secret")
	}
}

// SPEC §6: a failed delivery can be sent again by hand, with the same
// webhook-id, and recover sends every failed delivery since a time.
func TestRetryAndRecoverFailedDeliveries(t *testing.T) {
	rcv := newReceiver(t, 400, 400, 200)
	id, _ := createWebhook(t, shared, map[string]any{"url": rcv.URL, "events": []string{"assignmentrecord.deleted"}})
	since := time.Now().UTC().Add(-time.Second).Format(time.RFC3339Nano)
	var events []string
	for i := range 2 {
		_, ev := publishEvent(t, shared, map[string]any{"event": "assignmentrecord.deleted", "data": map[string]any{"id": i}})
		events = append(events, ev["id"].(string))
	}
	for _, ev := range events {
		eventually(t, 10*time.Second, "delivery failed", func() bool { return deliveryOf(t, shared, ev, id)["status"] == "failed" })
	}
	first := deliveryOf(t, shared, events[0], id)

	status, out := call(t, shared, "POST", "/v1/deliveries/"+first["id"].(string)+"/retry", nil)
	if status != http.StatusAccepted {
		t.Fatalf("retry: %d %v", status, out)
	}
	eventually(t, 10*time.Second, "retried delivery succeeded", func() bool { return deliveryOf(t, shared, events[0], id)["status"] == "succeeded" })
	got := rcv.requests()
	if len(got) != 3 || got[2].Header.Get("webhook-id") != first["id"] {
		t.Fatalf("after retry the receiver has %d requests; last webhook-id %q, want %v", len(got), got[len(got)-1].Header.Get("webhook-id"), first["id"])
	}
	if d := deliveryOf(t, shared, events[0], id); d["attempts"] != float64(2) {
		t.Errorf("attempts %v, want 2 (numbering continues)", d["attempts"])
	}

	status, out = call(t, shared, "POST", "/v1/webhooks/"+id+"/recover", map[string]any{"since": since})
	if status != http.StatusAccepted || len(out["data"].([]any)) != 1 {
		t.Fatalf("recover: %d %v, want the one remaining failed delivery", status, out)
	}
	eventually(t, 10*time.Second, "recovered delivery succeeded", func() bool { return deliveryOf(t, shared, events[1], id)["status"] == "succeeded" })
	if status, out := call(t, shared, "POST", "/v1/webhooks/"+id+"/recover", map[string]any{"since": "yesterday"}); status != http.StatusUnprocessableEntity {
		t.Errorf("recover with a bad since: %d %v", status, out)
	}
}

// SPEC §3: PERSCOM posts its own webhook to /ingest/{source}; Herald checks
// the HMAC, publishes once per distinct body, and fans the event out.
func TestIngestFromPerscom(t *testing.T) {
	rcv := newReceiver(t)
	createWebhook(t, shared, map[string]any{"url": rcv.URL, "events": []string{"awardrecord.deleted"}})
	status, src := call(t, shared, "POST", "/v1/sources", map[string]any{"name": "perscom"})
	if status != http.StatusCreated || !strings.HasSuffix(src["ingest_url"].(string), "/ingest/"+src["id"].(string)) {
		t.Fatalf("create source: %d %v", status, src)
	}
	secret := src["secret"].(string)
	rememberSecret(secret)
	body := []byte(`{"event":"awardrecord.deleted","created":"2026-05-17T21:04:05.401118Z","request_id":"perscom-req-1",` +
		`"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","data":{"id":12,"award":{"name":"Medal of Honor"}},"changes":[]}`)
	post := func(signature string, url string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Signature", signature)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	url := src["ingest_url"].(string)
	s1, first := post(perscomHMAC(secret, body), url)
	s2, second := post(perscomHMAC(secret, body), url)
	if s1 != http.StatusAccepted || s2 != http.StatusOK || first["id"] != second["id"] {
		t.Fatalf("ingest twice: %d %v then %d %v", s1, first, s2, second)
	}
	if s, _ := post(perscomHMAC("wrong-secret-0123456789", body), url); s != http.StatusUnauthorized {
		t.Errorf("wrong signature: %d, want 401", s)
	}
	if s, _ := post(perscomHMAC(secret, body), shared.HTTPURL+"/ingest/src_unknown"); s != http.StatusUnauthorized {
		t.Errorf("unknown source: %d, want 401", s)
	}
	got := rcv.wait(t, 1, 10*time.Second)[0]
	var env map[string]any
	if err := json.Unmarshal(got.Body, &env); err != nil {
		t.Fatal(err)
	}
	if env["request_id"] != first["id"] || env["trace_id"] != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("delivered envelope %v: request_id should be Herald's event id, trace_id kept", env)
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(rcv.requests()); n != 1 {
		t.Errorf("receiver got %d requests for one ingested event", n)
	}
}

// README: on Ctrl-C in-flight deliveries get the worker stop timeout,
// once. The SDK waits it out per internal worker, one after another, so
// without an overall bound a hung receiver held shutdown for two to three
// times as long.
func TestShutdownWaitsTheStopTimeoutOnce(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hung.Close()
	defer close(release)

	cfg := testConfig(t.TempDir())
	cfg.WorkerStopTimeout = 6 * time.Second
	h, err := start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := createWebhook(t, h, map[string]any{"url": hung.URL, "events": []string{"calendar.deleted"}, "timeout_seconds": 30})
	publishEvent(t, h, map[string]any{"event": "calendar.deleted", "data": map[string]any{"id": 1}})
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the delivery never reached the receiver")
	}
	// The rest of Close (client, Temporal server, database) takes a second
	// or two; the SDK alone would wait 12 to 18 s.
	began := time.Now()
	h.Close()
	if took := time.Since(began); took < cfg.WorkerStopTimeout-500*time.Millisecond || took > cfg.WorkerStopTimeout+stopGrace+4*time.Second {
		t.Errorf("shutdown with a delivery in flight took %v; want about the stop timeout, %v", took, cfg.WorkerStopTimeout)
	}

	// The request the stop cut short went out: it is in the log (SPEC §7),
	// written before the store closed.
	db, err := sqlite.Open(context.Background(), filepath.Join(cfg.DataDir, "herald.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	entries, _, err := db.ListLogs(context.Background(), store.LogFilter{TargetType: herald.TargetWebhook, TargetID: id})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Attempt != 1 || entries[0].Error == nil || entries[0].Response != nil {
		t.Errorf("log after the shutdown: %+v; want attempt 1, with an error and no response", entries)
	}
}

// SPEC §6: disabling a webhook stops its pending deliveries. One stopped
// while its event workflow sleeps in backoff and then retried by hand
// belongs to the redelivery alone: the event workflow, waking, must not
// send it too (two workflows, repeated attempt numbers).
func TestRedeliveryOwnsAStoppedDelivery(t *testing.T) {
	rcv := newReceiver(t, 500)
	id, _ := createWebhook(t, shared, map[string]any{
		"url": rcv.URL, "events": []string{"awardrecord.updated"},
		"retry": map[string]any{"initial_interval_seconds": 2, "backoff_coefficient": 1, "max_interval_seconds": 2, "max_attempts": 4},
	})
	_, ev := publishEvent(t, shared, map[string]any{"event": "awardrecord.updated", "data": map[string]any{"id": 9}})
	rcv.wait(t, 1, 10*time.Second) // attempt 1; the event workflow now sleeps 2 s
	for _, enabled := range []bool{false, true} {
		if status, out := call(t, shared, "PATCH", "/v1/webhooks/"+id, map[string]any{"enabled": enabled}); status != http.StatusOK {
			t.Fatalf("PATCH enabled=%v: %d %v", enabled, status, out)
		}
	}
	d := deliveryOf(t, shared, ev["id"].(string), id)
	if d["status"] != "failed" {
		t.Fatalf("delivery after disabling: %v, want failed", d)
	}
	if status, out := call(t, shared, "POST", "/v1/deliveries/"+d["id"].(string)+"/retry", nil); status != http.StatusAccepted {
		t.Fatalf("retry: %d %v", status, out)
	}
	eventually(t, 20*time.Second, "redelivery failed after its attempts", func() bool {
		return deliveryOf(t, shared, ev["id"].(string), id)["status"] == "failed" && len(rcv.requests()) >= 5
	})
	time.Sleep(3 * time.Second) // the event workflow's next attempt was due long ago
	_, logs := call(t, shared, "GET", "/v1/webhooks/"+id+"/logs?limit=100", nil)
	seen := map[float64]bool{}
	for _, e := range logs["data"].([]any) {
		n := e.(map[string]any)["attempt"].(float64)
		if seen[n] {
			t.Errorf("attempt %v logged twice: two workflows delivered the same delivery", n)
		}
		seen[n] = true
	}
	// Attempt 1, then the redelivery's own max_attempts.
	if n := len(rcv.requests()); n != 5 || len(seen) != 5 {
		t.Errorf("receiver got %d requests, log numbers %v; want 5: attempt 1, then the redelivery's 4", n, seen)
	}
}

// An event that matches more targets than Temporal lets one search
// attribute value name (about 50 webhook IDs in 2 KiB) still starts its
// workflow and reaches every target; HeraldTarget names the first ones.
func TestEventWithManyTargets(t *testing.T) {
	rcv := newReceiver(t)
	const n = 60
	var ids []string
	for i := range n {
		id, _ := createWebhook(t, shared, map[string]any{"url": fmt.Sprintf("%s/%d", rcv.URL, i), "events": []string{"combatrecord.deleted"}})
		ids = append(ids, id)
	}
	t.Cleanup(func() {
		for _, id := range ids {
			call(t, shared, "DELETE", "/v1/webhooks/"+id, nil)
		}
	})
	status, ev := publishEvent(t, shared, map[string]any{"event": "combatrecord.deleted", "data": map[string]any{"id": 9}})
	if status != http.StatusAccepted {
		t.Fatalf("publish to %d webhooks: %d %v", n, status, ev)
	}
	rcv.wait(t, n, 30*time.Second)
	c, err := client.Dial(client.Options{HostPort: shared.cfg.TemporalAddress})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	desc, err := c.DescribeWorkflowExecution(context.Background(), ev["workflow_id"].(string), "")
	if err != nil {
		t.Fatal(err)
	}
	raw := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()["HeraldTarget"].GetData()
	var listed []string
	if err := json.Unmarshal(raw, &listed); err != nil {
		t.Fatalf("HeraldTarget %q: %v", raw, err)
	}
	sorted := slices.Sorted(slices.Values(ids))
	if len(listed) < 40 || len(listed) >= n || !slices.Equal(listed, sorted[:len(listed)]) {
		t.Errorf("HeraldTarget lists %d IDs %v, want the first of the %d in ID order", len(listed), listed, n)
	}
}

// SPEC §6: each delivery retries on its own webhook's backoff. A slow
// receiver's first attempt, running in the same workflow task as the
// others' (local activities), must not hold back another target's first
// retry until it ends: the workflow task completes early at 80% of its
// timeout and starts the retry's timer.
func TestSlowTargetDoesNotHoldBackAnotherRetry(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	flaky := newReceiver(t, 500, 200)
	createWebhook(t, shared, map[string]any{"url": slow.URL, "events": []string{"qualificationrecord.updated"}, "timeout_seconds": 30})
	createWebhook(t, shared, map[string]any{"url": flaky.URL, "events": []string{"qualificationrecord.updated"},
		"retry": map[string]any{"initial_interval_seconds": 1, "backoff_coefficient": 1, "max_interval_seconds": 1}})
	publishEvent(t, shared, map[string]any{"event": "qualificationrecord.updated", "data": map[string]any{"id": 1}})
	got := flaky.wait(t, 2, 30*time.Second)
	// The first task completion at 4 s starts the 1 s timer; the next one,
	// at 8 s, brings its firing, and the one after, at 12 s, the retry's
	// activity. Temporal's default task timeout would make that 8, 16 and
	// 24 s.
	gap := got[1].At.Sub(got[0].At)
	if gap > 18*time.Second {
		t.Errorf("retry came %v after the first attempt, held back by the slow receiver", gap)
	}
	t.Logf("retry %v after the first attempt", gap)
}

// An event stored by a process that died before it started the event's
// workflow leaves its deliveries pending with no workflow at them; a retry
// by hand sends them (the publisher got no 202, and without an id it
// cannot publish the event again).
func TestRetryOfAStrandedDelivery(t *testing.T) {
	rcv := newReceiver(t, 200)
	id, _ := createWebhook(t, shared, map[string]any{"url": rcv.URL, "events": []string{"calendar.updated"}})
	long := herald.Now().Add(-time.Hour)
	ev := &herald.Event{ID: herald.NewID(herald.PrefixEvent), Name: "calendar.updated", Created: long, Data: []byte(`{"id": 5}`)}
	ev.WorkflowID = "event/" + ev.ID // never started
	d := &herald.Delivery{ID: herald.NewID(herald.PrefixDelivery), EventID: ev.ID, TargetType: herald.TargetWebhook, TargetID: id,
		Status: herald.StatusPending, CreatedAt: long, UpdatedAt: long}
	if _, _, err := shared.db.CreateEvent(t.Context(), store.CreateEventRequest{Event: ev, Deliveries: []*herald.Delivery{d}}); err != nil {
		t.Fatal(err)
	}
	if status, out := call(t, shared, "POST", "/v1/deliveries/"+d.ID+"/retry", nil); status != http.StatusAccepted {
		t.Fatalf("retry of a stranded delivery: %d %v", status, out)
	}
	got := rcv.wait(t, 1, 20*time.Second)
	if got[0].Header.Get("webhook-id") != d.ID {
		t.Errorf("webhook-id %q, want the delivery's %s", got[0].Header.Get("webhook-id"), d.ID)
	}
	eventually(t, 10*time.Second, "delivery succeeded", func() bool {
		return deliveryOf(t, shared, ev.ID, id)["status"] == "succeeded"
	})
}

// A process that dies between storing an event and starting its workflow
// leaves the event's deliveries pending with nothing at them. The next
// API process's sweep finds them: an event with a client id is delivered
// (its publisher's retry would have been), one without ends failed, since
// its publisher got no 202 and may have published it again.
func TestSweepFindsEventsStoredWithoutAWorkflow(t *testing.T) {
	dir := t.TempDir()
	h, err := startHerald(dir)
	if err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t, 200)
	id, _ := createWebhook(t, h, map[string]any{"url": rcv.URL, "events": []string{"awardrecord.created"}})
	h.Close()
	// Stored while no Herald runs, so that only the next one's sweep can
	// see them.
	db, err := sqlite.Open(t.Context(), h.cfg.sqlitePath())
	if err != nil {
		t.Fatal(err)
	}
	long := herald.Now().Add(-time.Hour)
	stranded := func(clientID string) (*herald.Event, *herald.Delivery) {
		ev := &herald.Event{ID: herald.NewID(herald.PrefixEvent), ClientID: clientID, Name: "awardrecord.created", Created: long, Data: []byte(`{"id": 7}`)}
		ev.WorkflowID = "event/" + ev.ID
		d := &herald.Delivery{ID: herald.NewID(herald.PrefixDelivery), EventID: ev.ID, TargetType: herald.TargetWebhook, TargetID: id,
			Status: herald.StatusPending, CreatedAt: long, UpdatedAt: long}
		if _, _, err := db.CreateEvent(t.Context(), store.CreateEventRequest{Event: ev, Deliveries: []*herald.Delivery{d}}); err != nil {
			t.Fatal(err)
		}
		return ev, d
	}
	withID, withIDDelivery := stranded("perscom-sweep-1")
	_, withoutIDDelivery := stranded("")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	h2, err := startHerald(dir)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer h2.Close()
	got := rcv.wait(t, 1, 30*time.Second)
	if got[0].Header.Get("webhook-id") != withIDDelivery.ID {
		t.Errorf("webhook-id %q, want the delivery with a client id, %s", got[0].Header.Get("webhook-id"), withIDDelivery.ID)
	}
	eventually(t, 10*time.Second, "delivery succeeded", func() bool {
		return deliveryOf(t, h2, withID.ID, id)["status"] == "succeeded"
	})
	eventually(t, 10*time.Second, "the delivery without a client id failed", func() bool {
		d, err := h2.db.GetDelivery(t.Context(), withoutIDDelivery.ID)
		return err == nil && d.Status == herald.StatusFailed && d.LastError != nil && *d.LastError == publish.NotStartedReason
	})
	// The publisher's own retry now delivers nothing twice.
	status, out := call(t, h2, "POST", "/v1/events", map[string]any{"id": "perscom-sweep-1", "event": "awardrecord.created", "data": map[string]any{"id": 7}})
	if status != http.StatusOK || out["id"] != withID.ID {
		t.Fatalf("publish of the same id: %d %v", status, out)
	}
	time.Sleep(time.Second)
	if n := len(rcv.requests()); n != 1 {
		t.Errorf("receiver got %d requests, want 1", n)
	}
}
