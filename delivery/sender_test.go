package delivery_test

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/delivery"
)

const (
	deliveryID = "dlv_01J0TESTDELIVERY"
	rawSecret  = "a-raw-secret-that-is-long-enough"
)

// whsecSecret carries a 32-byte key base64-encoded after the prefix.
var whsecSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// wantBody is the envelope of testEvent exactly as SPEC §4 has a receiver
// see it: keys in PERSCOM's order, compact, "<" not HTML-escaped.
const wantBody = `{"event":"user.created","created":"2026-05-17T21:04:05.401118Z",` +
	`"request_id":"evt_01J0TESTEVENT","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736",` +
	`"data":{"user":{"name":"Ada Lovelace","bio":"<b>first</b> programmer"},"id":42,"admin":true},` +
	`"changes":{"name":["Ada","Ada Lovelace"]}}`

func testEvent() *herald.Event {
	return &herald.Event{
		ID:      "evt_01J0TESTEVENT",
		Name:    "user.created",
		Created: time.Date(2026, 5, 17, 21, 4, 5, 401118000, time.UTC),
		TraceID: "4bf92f3577b34da6a3ce929d0e0e4736",
		Data: json.RawMessage(`{"user": {"name": "Ada Lovelace", "bio": "<b>first</b> programmer"},
			"id": 42, "admin": true}`),
		Changes: json.RawMessage(`{"name": ["Ada", "Ada Lovelace"]}`),
	}
}

func testWebhook(url, method, secret string) *herald.Webhook {
	return &herald.Webhook{
		ID:             "whk_01J0TESTWEBHOOK",
		URL:            url,
		Method:         method,
		Secret:         secret,
		Enabled:        true,
		Headers:        map[string]string{"X-Team": "ops"},
		TimeoutSeconds: 5,
	}
}

// received is one request as the receiver saw it.
type received struct {
	Method   string
	RawQuery string
	Query    url.Values // r.URL.Query(), as a PHP-style receiver reads it
	Path     string
	Header   http.Header
	Body     []byte
}

// receiver is an httptest server that records every request and answers
// with respond (200 when nil).
type receiver struct {
	*httptest.Server
	respond func(w http.ResponseWriter, r *http.Request)

	mu   sync.Mutex
	reqs []received
}

func newReceiver(t *testing.T, respond func(w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{respond: respond}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, received{Method: r.Method, RawQuery: r.URL.RawQuery, Query: r.URL.Query(), Path: r.URL.Path,
			Header: r.Header.Clone(), Body: body})
		rc.mu.Unlock()
		if rc.respond != nil {
			rc.respond(w, r)
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.reqs...)
}

// only returns the one request the receiver got, failing otherwise.
func (rc *receiver) only(t *testing.T) received {
	t.Helper()
	reqs := rc.requests()
	if len(reqs) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// localSender may reach httptest servers on 127.0.0.1.
func localSender() *delivery.Sender { return delivery.NewSender(delivery.NewHTTPClient(true), nil) }

func send(t *testing.T, s *delivery.Sender, wh *herald.Webhook, number int) (*herald.LogEntry, delivery.Outcome) {
	t.Helper()
	entry, out, err := s.Send(context.Background(), delivery.Attempt{
		Event: testEvent(), Webhook: wh, DeliveryID: deliveryID, Number: number})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if entry == nil {
		t.Fatal("Send returned a nil log entry")
	}
	return entry, out
}

// hexHMAC is PERSCOM's Signature, computed independently of package signature.
func hexHMAC(secret string, msg []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(msg)
	return hex.EncodeToString(m.Sum(nil))
}

func TestSendPOST(t *testing.T) {
	rawHook, err := standardwebhooks.NewWebhookRaw([]byte(rawSecret))
	if err != nil {
		t.Fatal(err)
	}
	whsecHook, err := standardwebhooks.NewWebhook(whsecSecret)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		secret string
		hook   *standardwebhooks.Webhook // the receiver's verifier
		other  *standardwebhooks.Webhook // a verifier holding another key
	}{
		{"whsec secret", whsecSecret, whsecHook, rawHook},
		{"raw secret", rawSecret, rawHook, whsecHook},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, nil)
			before := time.Now().Unix()
			_, out := send(t, localSender(), testWebhook(rc.URL+"/hook", "POST", tt.secret), 1)
			after := time.Now().Unix()
			if !out.Success || out.StatusCode != 200 {
				t.Fatalf("outcome = %+v, want success with 200", out)
			}
			r := rc.only(t)

			if r.Method != http.MethodPost || r.Path != "/hook" {
				t.Errorf("request = %s %s, want POST /hook", r.Method, r.Path)
			}
			if string(r.Body) != wantBody {
				t.Errorf("body =\n%s\nwant\n%s", r.Body, wantBody)
			}
			wantHeaders := map[string]string{
				"Content-Type": "application/json",
				"User-Agent":   "Herald/" + herald.Version,
				"Signature":    hexHMAC(tt.secret, []byte(wantBody)),
				"webhook-id":   deliveryID,
				"X-Team":       "ops",
			}
			for k, want := range wantHeaders {
				if got := r.Header.Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			ts, err := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
			if err != nil || ts < before || ts > after {
				t.Errorf("webhook-timestamp = %q, want Unix seconds in [%d, %d]", r.Header.Get("webhook-timestamp"), before, after)
			}
			if !strings.HasPrefix(r.Header.Get("webhook-signature"), "v1,") {
				t.Errorf("webhook-signature = %q, want a v1, entry", r.Header.Get("webhook-signature"))
			}
			if err := tt.hook.Verify(r.Body, r.Header); err != nil {
				t.Errorf("reference library rejected webhook-signature: %v", err)
			}
			if err := tt.hook.Verify([]byte(strings.Replace(wantBody, "42", "43", 1)), r.Header); err == nil {
				t.Error("reference library accepted a tampered body")
			}
			if err := tt.other.Verify(r.Body, r.Header); err == nil {
				t.Error("reference library accepted the signature under another key")
			}
		})
	}
}

func TestSendCustomHeadersCannotOverrideHerald(t *testing.T) {
	rc := newReceiver(t, nil)
	wh := testWebhook(rc.URL, "POST", rawSecret)
	wh.Headers = map[string]string{
		"X-Team":            "ops",
		"Authorization":     "Bearer receiver-token",
		"Signature":         "forged",
		"webhook-id":        "forged",
		"webhook-signature": "v1,forged",
		"User-Agent":        "forged",
		"Content-Type":      "text/plain",
	}
	send(t, localSender(), wh, 1)
	r := rc.only(t)
	if got := r.Header.Get("X-Team"); got != "ops" {
		t.Errorf("X-Team = %q, want ops", got)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer receiver-token" {
		t.Errorf("Authorization = %q, want the custom value", got)
	}
	for _, k := range []string{"Signature", "webhook-id", "webhook-signature", "User-Agent", "Content-Type"} {
		if vs := r.Header.Values(k); len(vs) != 1 || strings.Contains(vs[0], "forged") || vs[0] == "text/plain" {
			t.Errorf("header %s = %q, want Herald's single value", k, vs)
		}
	}
}

func TestSendGET(t *testing.T) {
	rc := newReceiver(t, nil)
	hook, err := standardwebhooks.NewWebhookRaw([]byte(rawSecret))
	if err != nil {
		t.Fatal(err)
	}
	entry, out := send(t, localSender(), testWebhook(rc.URL+"/hook?stale=1&token=abc", "get", rawSecret), 1)
	if !out.Success {
		t.Fatalf("outcome = %+v, want success", out)
	}
	r := rc.only(t)
	if r.Method != http.MethodGet || r.Path != "/hook" {
		t.Errorf("request = %s %s, want GET /hook", r.Method, r.Path)
	}
	if len(r.Body) != 0 {
		t.Errorf("GET carried a body: %q", r.Body)
	}

	q := r.Query
	wantQuery := map[string]string{
		"event":            "user.created",
		"created":          "2026-05-17T21:04:05.401118Z",
		"request_id":       "evt_01J0TESTEVENT",
		"trace_id":         "4bf92f3577b34da6a3ce929d0e0e4736",
		"data[user][name]": "Ada Lovelace",
		"data[user][bio]":  "<b>first</b> programmer",
		"data[id]":         "42",
		"data[admin]":      "1",
		"changes[name][0]": "Ada",
		"changes[name][1]": "Ada Lovelace",
	}
	for k, want := range wantQuery {
		if got := q.Get(k); got != want {
			t.Errorf("query %s = %q, want %q", k, got, want)
		}
	}
	if len(q) != len(wantQuery) {
		t.Errorf("query has %d keys, want %d (the URL's own query is replaced): %q", len(q), len(wantQuery), r.RawQuery)
	}
	if !strings.Contains(r.RawQuery, "data%5Buser%5D%5Bname%5D=Ada%20Lovelace") {
		t.Errorf("query %q is not RFC 3986 escaped bracket notation", r.RawQuery)
	}

	if got, want := r.Header.Get("Signature"), hexHMAC(rawSecret, []byte(wantBody)); got != want {
		t.Errorf("Signature = %q, want the HMAC of the JSON envelope %q", got, want)
	}
	if got := r.Header.Get("webhook-id"); got != deliveryID {
		t.Errorf("webhook-id = %q, want %q", got, deliveryID)
	}
	if err := hook.Verify([]byte(r.RawQuery), r.Header); err != nil {
		t.Errorf("reference library rejected webhook-signature over the raw query: %v", err)
	}
	if err := hook.Verify([]byte(wantBody), r.Header); err == nil {
		t.Error("webhook-signature of a GET verifies over the JSON body, want the raw query")
	}
	if entry.Request.Body != "" || entry.Request.Method != http.MethodGet {
		t.Errorf("logged request = %s with body %q, want GET without a body", entry.Request.Method, entry.Request.Body)
	}
}

func TestSendLogEntry(t *testing.T) {
	big := strings.Repeat("x", 100<<10)
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
		w.Header().Set("X-Receiver", "yes")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, big)
	})
	wh := testWebhook(rc.URL+"/hook", "POST", whsecSecret)
	wh.Headers["Authorization"] = "Bearer sk_live_hunter2"

	entry, out := send(t, localSender(), wh, 3)
	if !out.Success || out.StatusCode != http.StatusAccepted {
		t.Fatalf("outcome = %+v, want success with 202", out)
	}
	r := rc.only(t)

	if entry.DeliveryID != deliveryID || entry.EventID != "evt_01J0TESTEVENT" || entry.Event != "user.created" ||
		entry.TargetType != herald.TargetWebhook || entry.TargetID != wh.ID {
		t.Errorf("entry identifies %s/%s/%s/%s/%s, want the delivery, event and webhook",
			entry.DeliveryID, entry.EventID, entry.Event, entry.TargetType, entry.TargetID)
	}
	if entry.Attempt != 3 {
		t.Errorf("Attempt = %d, want 3", entry.Attempt)
	}
	if entry.Request.Method != http.MethodPost || entry.Request.URL != rc.URL+"/hook" {
		t.Errorf("logged request = %s %s, want POST %s/hook", entry.Request.Method, entry.Request.URL, rc.URL)
	}
	if entry.Request.Body != wantBody {
		t.Errorf("logged request body = %q, want the envelope", entry.Request.Body)
	}
	for k, want := range map[string]string{
		"X-Team":            "********", // the webhook's own headers: names only
		"Content-Type":      "application/json",
		"User-Agent":        "Herald/" + herald.Version,
		"Webhook-Id":        deliveryID,
		"Webhook-Timestamp": r.Header.Get("webhook-timestamp"),
	} {
		if got := entry.Request.Headers[k]; got != want {
			t.Errorf("logged request header %s = %q, want %q", k, got, want)
		}
	}
	for _, k := range []string{"Signature", "Webhook-Signature", "Authorization"} {
		got, ok := entry.Request.Headers[k]
		if !ok || got == "" || got == r.Header.Get(k) {
			t.Errorf("logged request header %s = %q, want it present and masked", k, got)
		}
	}

	js, err := json.Marshal(entry)
	if err != nil {
		t.Fatal(err)
	}
	for name, secret := range map[string]string{
		"Signature":            r.Header.Get("Signature"),
		"webhook-signature":    strings.TrimPrefix(r.Header.Get("webhook-signature"), "v1,"),
		"Authorization token":  "sk_live_hunter2",
		"webhook secret":       whsecSecret,
		"webhook secret's key": strings.TrimPrefix(whsecSecret, "whsec_"),
	} {
		if secret == "" {
			t.Fatalf("premise: %s is empty", name)
		}
		if strings.Contains(string(js), secret) {
			t.Errorf("the marshalled log entry contains the %s", name)
		}
	}

	if entry.Response == nil {
		t.Fatal("Response is nil")
	}
	if entry.Response.Status != http.StatusAccepted {
		t.Errorf("logged status = %d, want 202", entry.Response.Status)
	}
	if got := entry.Response.Headers["X-Receiver"]; got != "yes" {
		t.Errorf("logged response header X-Receiver = %q, want yes", got)
	}
	if len(entry.Response.Body) != delivery.MaxLoggedBody || entry.Response.Body != big[:delivery.MaxLoggedBody] {
		t.Errorf("logged response body has %d bytes, want the first %d", len(entry.Response.Body), delivery.MaxLoggedBody)
	}
	if delivery.MaxLoggedBody != 64<<10 {
		t.Errorf("MaxLoggedBody = %d, want 64 KiB", delivery.MaxLoggedBody)
	}
	if entry.DurationMS < 50 || entry.DurationMS > 10_000 {
		t.Errorf("DurationMS = %d, want at least the receiver's 50 ms", entry.DurationMS)
	}
	if entry.CreatedAt.IsZero() || entry.CreatedAt.Location() != time.UTC || entry.CreatedAt.Nanosecond()%1000 != 0 {
		t.Errorf("CreatedAt = %v, want a UTC time to the microsecond (as PostgreSQL keeps it)", entry.CreatedAt)
	}
	if entry.Error != nil {
		t.Errorf("Error = %q, want nil for a 2xx", *entry.Error)
	}
}

// A GET's query is the envelope: its log entry shows it as sent, event
// data included, even where a key looks like a credential's name.
func TestSendGETLogsTheQueryAsSent(t *testing.T) {
	rc := newReceiver(t, nil)
	ev := testEvent()
	ev.Data = json.RawMessage(`{"author_id": 7, "keywords": "ops", "zeta": 1, "alpha": 2}`)
	entry, out, err := localSender().Send(context.Background(), delivery.Attempt{
		Event: ev, Webhook: testWebhook(rc.URL+"/hook", "GET", rawSecret), DeliveryID: deliveryID, Number: 1})
	if err != nil || !out.Success {
		t.Fatalf("Send: %v, %+v", err, out)
	}
	if want := rc.URL + "/hook?" + rc.only(t).RawQuery; entry.Request.URL != want {
		t.Errorf("logged URL = %q, want the URL as sent %q", entry.Request.URL, want)
	}
}

// A GET's query carries the whole envelope, so its logged URL is cut at
// the same size as a logged body: a 256 KiB event would otherwise put
// three quarters of a megabyte into every attempt's log entry.
func TestSendGETLogsALongQueryCut(t *testing.T) {
	rc := newReceiver(t, nil)
	ev := testEvent()
	ev.Data = json.RawMessage(`{"notes": "` + strings.Repeat("é", 100<<10) + `"}`)
	entry, out, err := localSender().Send(context.Background(), delivery.Attempt{
		Event: ev, Webhook: testWebhook(rc.URL+"/hook", "GET", rawSecret), DeliveryID: deliveryID, Number: 1})
	if err != nil || !out.Success {
		t.Fatalf("Send: %v, %+v", err, out)
	}
	sent := rc.URL + "/hook?" + rc.only(t).RawQuery
	if len(sent) <= delivery.MaxLoggedBody {
		t.Fatalf("premise: the URL sent is only %d bytes", len(sent))
	}
	if len(entry.Request.URL) != delivery.MaxLoggedBody || !strings.HasPrefix(sent, entry.Request.URL) {
		t.Errorf("logged URL is %d bytes, want the first %d of the %d sent", len(entry.Request.URL), delivery.MaxLoggedBody, len(sent))
	}
}

// Keys in a URL's path (Slack's, Discord's and IFTTT's webhook URLs carry
// them there) are masked in the logged URL and wherever the receiver
// echoes them; the segments that name things stay readable.
func TestSendLogEntryMasksKeysInThePath(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo-Url", r.URL.String())
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"path":"` + r.URL.Path + `","raw":"` + r.URL.EscapedPath() + `"}`))
	})
	for _, tc := range []struct{ path, key, logged string }{
		{"/services/T0123ABCD/B0456EFGH/kX9eR2vQ7pLm4Ws8Yt3Zb6Nc", "kX9eR2vQ7pLm4Ws8Yt3Zb6Nc", "/services/T0123ABCD/B0456EFGH/********"},
		{"/api/webhooks/1234567890123456789/aB3-dE6_gH9iJ2kL5mN8oP1qR4sT7uV0wX3yZ6", "aB3-dE6_gH9iJ2kL5mN8oP1qR4sT7uV0wX3yZ6", "/api/webhooks/1234567890123456789/********"},
		{"/hooks/550e8400-e29b-41d4-a716-446655440000/notify", "550e8400-e29b-41d4-a716-446655440000", "/hooks/********/notify"},
		// Lower-case keys and UUIDs, which seldom change case or class.
		{"/hooks/riirauzkefgkbfxpejdjw6yo95", "riirauzkefgkbfxpejdjw6yo95", "/hooks/********"},
		{"/29qlkpclfqclj8rvklapya64vxmtfqdu", "29qlkpclfqclj8rvklapya64vxmtfqdu", "/********"},
		{"/token/5351011b-ccbc-4727-a645-0c6399486548", "5351011b-ccbc-4727-a645-0c6399486548", "/token/********"},
		// A key without digits changes case often enough.
		{"/services/T0123ABCD/B0456EFGH/kXeRvQpLmWsYtZbNcAaBbCcD", "kXeRvQpLmWsYtZbNcAaBbCcD", "/services/T0123ABCD/B0456EFGH/********"},
		// Escaped in the URL: masked as sent and as decoded, whole.
		{"/trigger/x/with/key/aZ9q%2FR7xW2mN4pL8tK3v", "aZ9q/R7xW2mN4pL8tK3v", "/trigger/x/with/key/********"},
		// Names, versions and years stay readable.
		{"/notifications/webhook-receiver", "", "/notifications/webhook-receiver"},
		{"/api/notifications-v2", "", "/api/notifications-v2"},
		{"/hooks/github-webhook-2024/receive", "", "/hooks/github-webhook-2024/receive"},
		{"/webhooks/perscom_handler_v1.php", "", "/webhooks/perscom_handler_v1.php"},
		{"/in/CamelCaseEndpointName", "", "/in/CamelCaseEndpointName"},
	} {
		entry, _ := send(t, localSender(), testWebhook(rc.URL+tc.path, "POST", rawSecret), 1)
		reqs := rc.requests()
		if got := reqs[len(reqs)-1].Path; tc.key != "" && !strings.Contains(got, tc.key) {
			t.Errorf("receiver got path %q, want the real one with %q", got, tc.key)
		}
		if want := rc.URL + tc.logged; entry.Request.URL != want {
			t.Errorf("logged URL = %q, want %q", entry.Request.URL, want)
		}
		if entry.Response == nil {
			t.Fatal("no response logged")
		}
		js, err := json.Marshal(entry)
		if err != nil {
			t.Fatal(err)
		}
		if tc.key != "" && (strings.Contains(string(js), tc.key) || strings.Contains(string(js), url.PathEscape(tc.key))) {
			t.Errorf("the log entry contains the path key %q: %s", tc.key, js)
		}
		if tc.key == "" && !strings.Contains(entry.Response.Body, tc.path) {
			t.Errorf("a path without keys was redacted in the echo: %s", entry.Response.Body)
		}
	}
}

// A receiver that echoes the request it got (a debug endpoint, an error
// page) does not bring its credentials into the log, which view:log alone
// can read: the signatures, the webhook's header values and the URL's
// credentials are redacted from the response's body and headers, in JSON
// and URL escaping too. Query parameters named like keys are masked in the
// logged URL.
func TestSendLogEntryRedactsEchoedSecrets(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		echo, _ := json.Marshal(map[string]any{"headers": r.Header, "query": r.URL.RawQuery})
		w.Header().Set("X-Echo-Pass", r.Header.Get("X-Hook-Pass"))
		w.Header().Set("X-Echo-Url", r.URL.String())
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write(echo)
	})
	wh := testWebhook(rc.URL+"/hook?code=azure-function-key&sig=sas/signature+value&team=ops", "POST", whsecSecret)
	wh.Headers["Authorization"] = "Bearer sk_live_hunter2"
	wh.Headers["X-Hook-Pass"] = "p4ss/w0rd+x"
	wh.Headers["X-Tenant"] = "tenant-7f3a9c2e" // no credential by name, but by look
	wh.Headers["X-Environment"] = "production" // a word
	wh.Headers["Accept"] = "application/json"  // a word the response repeats
	wh.Headers["X-Api-Version"] = "2024-01-01" // a date
	entry, _ := send(t, localSender(), wh, 1)
	r := rc.only(t)
	if entry.Response == nil {
		t.Fatal("no response logged")
	}
	for _, plain := range []string{`"X-Team":["ops"]`, `"X-Environment":["production"]`, `"Accept":["application/json"]`, `"X-Api-Version":["2024-01-01"]`} {
		if !strings.Contains(entry.Response.Body, plain) {
			t.Errorf("redaction hid %s: body %s", plain, entry.Response.Body)
		}
	}
	if !strings.Contains(entry.Request.URL, "team=ops") {
		t.Errorf("redaction hid more than secrets: URL %s", entry.Request.URL)
	}
	js, err := json.Marshal(entry)
	if err != nil {
		t.Fatal(err)
	}
	for name, secret := range map[string]string{
		"Signature":             r.Header.Get("Signature"),
		"webhook-signature":     strings.TrimPrefix(r.Header.Get("webhook-signature"), "v1,"),
		"Authorization token":   "sk_live_hunter2",
		"custom header value":   "p4ss/w0rd",
		"credential-like value": "tenant-7f3a9c2e",
		"code= key":             "azure-function-key",
		"sig= signature":        "signature",
	} {
		if secret == "" {
			t.Fatalf("premise: %s is empty", name)
		}
		if strings.Contains(string(js), secret) {
			t.Errorf("the log entry contains the %s: %s", name, js)
		}
	}
}

// A secret the receiver echoes right at the 64 KiB cut is redacted, not
// cut in two with its first part left in the log.
func TestSendLogEntryRedactsASecretAtTheCut(t *testing.T) {
	const token = "sk_live_0123456789abcdefghijklmnopqrstuv"
	for _, at := range []int{delivery.MaxLoggedBody - 30, delivery.MaxLoggedBody - 10} {
		rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(strings.Repeat("x", at) + r.Header.Get("X-Api-Key")))
		})
		wh := testWebhook(rc.URL, "POST", rawSecret)
		wh.Headers["X-Api-Key"] = token
		entry, _ := send(t, localSender(), wh, 1)
		if entry.Response == nil {
			t.Fatal("no response logged")
		}
		if body := entry.Response.Body; strings.Contains(body, token[:8]) {
			t.Errorf("token at byte %d: the log keeps its first part: ...%s", at, body[max(0, len(body)-40):])
		}
	}

	// Echoed thousands of times, the token is cut at the read limit, and
	// redaction shortens everything before that part so much that it
	// would fall within the cut.
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("xx" + strings.Repeat(r.Header.Get("X-Api-Key"), 3000)))
	})
	wh := testWebhook(rc.URL, "POST", rawSecret)
	wh.Headers["X-Api-Key"] = token
	entry, _ := send(t, localSender(), wh, 1)
	if body := entry.Response.Body; strings.Contains(body, token[:8]) || !strings.HasPrefix(body, "xx****") {
		t.Errorf("token echoed 3,000 times: logged body ...%s; want only masks after xx", body[max(0, len(body)-40):])
	}
}

// A receiver that answers with more headers than a log entry keeps of a
// body fails the attempt as a network error (retried) instead of putting
// megabytes of headers into every retry's log entry.
func TestSendRefusesHugeResponseHeaders(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		for i := range 8 {
			w.Header().Set(fmt.Sprintf("X-Junk-%d", i), strings.Repeat("j", 16<<10))
		}
	})
	entry, out := send(t, localSender(), testWebhook(rc.URL, "POST", rawSecret), 1)
	if out.Success || !out.Retryable {
		t.Errorf("outcome %+v, want a retryable failure", out)
	}
	if entry.Response != nil || entry.Error == nil || !strings.Contains(*entry.Error, "header") {
		t.Errorf("log entry response %+v, error %v; want no response and an error about its headers", entry.Response, entry.Error)
	}
}

// A body that breaks off (here at the webhook's timeout) may end in part
// of an echoed secret too: that part is left out.
func TestSendLogEntryRedactsASecretInABodyThatBreaksOff(t *testing.T) {
	const token = "sk_live_0123456789abcdefghijklmnopqrstuv"
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("debug echo: " + r.Header.Get("X-Api-Key")[:30]))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	wh := testWebhook(rc.URL, "POST", rawSecret)
	wh.Headers["X-Api-Key"] = token
	wh.TimeoutSeconds = 1
	entry, _ := send(t, localSender(), wh, 1)
	if entry.Response == nil {
		t.Fatal("no response logged")
	}
	if strings.Contains(entry.Response.Body, token[:8]) {
		t.Errorf("logged body %q keeps part of the token", entry.Response.Body)
	}
}

// Leaving out a possible partial secret never splits a character.
func TestLoggedBodyCutsOnACharacter(t *testing.T) {
	secret := strings.Repeat("s", 8)
	for n := range 4 {
		head := []byte(strings.Repeat("é", 100) + strings.Repeat("x", n))
		if got := delivery.LoggedBody(head, false, "****", secret); !utf8.ValidString(got) || len(got) < 180 {
			t.Errorf("LoggedBody of %d bytes: %q, want valid UTF-8 without the last 7 bytes", len(head), got)
		}
	}
}

// A redirect's Location, in the response headers and in the error that
// quotes it, has the request's secrets redacted too.
func TestSendLogEntryRedactsSecretsInARedirect(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "https://login.example/expired/"+r.Header.Get("X-Api-Token"))
		w.WriteHeader(http.StatusFound)
	})
	wh := testWebhook(rc.URL+"/hook", "POST", whsecSecret)
	wh.Headers["X-Api-Token"] = "tok_live_abcdef123"
	entry, _ := send(t, localSender(), wh, 1)
	if entry.Error == nil || !strings.Contains(*entry.Error, "login.example/expired/") {
		t.Fatalf("error = %v, want the redirect quoted", entry.Error)
	}
	js, err := json.Marshal(entry)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(js), "tok_live_abcdef123") {
		t.Errorf("the log entry shows the token: %s", js)
	}
}

// TestSendLogEntryMasksURLSecrets: SPEC §7 says secrets and tokens are masked
// in URLs as well as headers.
func TestSendLogEntryMasksURLSecrets(t *testing.T) {
	rc := newReceiver(t, nil)
	u := strings.Replace(rc.URL, "http://", "http://user:hunter2@", 1) + "/hook?token=secret123&team=ops"
	entry, _ := send(t, localSender(), testWebhook(u, "POST", rawSecret), 1)
	if rc.only(t).RawQuery != "token=secret123&team=ops" {
		t.Error("the receiver must still get the real URL")
	}
	for _, secret := range []string{"secret123", "hunter2"} {
		if strings.Contains(entry.Request.URL, secret) {
			t.Errorf("logged URL %q contains %q", entry.Request.URL, secret)
		}
	}

	// The mask replaces the value in place: the rest of the query reads
	// as sent, in its order and encoding, and the fragment (never sent)
	// is not shown.
	u = rc.URL + "/hook?z=1&api_key=k%2Fey&a=b%20c&flag#section"
	entry, _ = send(t, localSender(), testWebhook(u, "POST", rawSecret), 1)
	if want := rc.URL + "/hook?z=1&api_key=********&a=b%20c&flag"; entry.Request.URL != want {
		t.Errorf("logged URL = %q, want %q", entry.Request.URL, want)
	}

	// A token given as the user name alone is masked, and no password
	// that was never sent appears.
	u = strings.Replace(rc.URL, "http://", "http://sk_live_abc123@", 1) + "/hook"
	entry, _ = send(t, localSender(), testWebhook(u, "POST", rawSecret), 1)
	if want := strings.Replace(rc.URL, "http://", "http://********@", 1) + "/hook"; entry.Request.URL != want {
		t.Errorf("logged URL = %q, want %q", entry.Request.URL, want)
	}
}

func TestSendDoesNotFollowRedirects(t *testing.T) {
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			target := newReceiver(t, nil)
			redirector := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target.URL+"/elsewhere", status)
			})
			entry, out := send(t, localSender(), testWebhook(redirector.URL, "POST", rawSecret), 1)
			if out.Success || out.Retryable || out.StatusCode != status {
				t.Errorf("outcome = %+v, want a permanent failure with %d", out, status)
			}
			if n := len(target.requests()); n != 0 {
				t.Errorf("redirect target got %d requests, want 0", n)
			}
			if entry.Response == nil || entry.Response.Status != status {
				t.Errorf("logged response = %+v, want status %d", entry.Response, status)
			}
			if entry.Error == nil || !strings.Contains(*entry.Error, target.URL+"/elsewhere") {
				t.Errorf("log error = %v, want it to name the Location %s/elsewhere", deref(entry.Error), target.URL)
			}
		})
	}
}

// A redirect to a login page may carry a token in its Location: the log
// shows where it pointed, with the token masked, in the response headers
// and in the error alike.
func TestSendMasksCredentialsInLocation(t *testing.T) {
	redirector := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "https://login.example/cb?session_token=s3cr3t&next=%2Fhome")
		w.WriteHeader(http.StatusFound)
	})
	entry, _ := send(t, localSender(), testWebhook(redirector.URL, "POST", rawSecret), 1)
	want := "https://login.example/cb?session_token=********&next=%2Fhome"
	if entry.Response == nil || entry.Response.Headers["Location"] != want {
		t.Errorf("logged Location = %v, want %q", entry.Response, want)
	}
	if entry.Error == nil || !strings.Contains(*entry.Error, want) || strings.Contains(*entry.Error, "s3cr3t") {
		t.Errorf("log error = %q, want the masked Location", deref(entry.Error))
	}
}

func TestSendTimeout(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	})
	wh := testWebhook(rc.URL, "POST", rawSecret)
	wh.TimeoutSeconds = 1

	start := time.Now()
	entry, out := send(t, localSender(), wh, 1)
	if elapsed := time.Since(start); elapsed >= 2*time.Second {
		t.Errorf("Send took %v, want it cut off after about 1s", elapsed)
	}
	if out.Success || !out.Retryable || out.StatusCode != 0 {
		t.Errorf("outcome = %+v, want retryable with no status", out)
	}
	if !strings.Contains(out.Reason, "timeout") {
		t.Errorf("Reason = %q, want a timeout", out.Reason)
	}
	if entry.Error == nil || *entry.Error == "" {
		t.Error("log entry has no error")
	}
	if entry.Response != nil {
		t.Errorf("Response = %+v, want nil", entry.Response)
	}
	if entry.DurationMS < 900 {
		t.Errorf("DurationMS = %d, want about 1000", entry.DurationMS)
	}
}

func TestSendRefusesPrivateTargets(t *testing.T) {
	rc := newReceiver(t, nil)
	guarded := delivery.NewSender(delivery.NewHTTPClient(false), nil)

	entry, out := send(t, guarded, testWebhook(rc.URL+"/hook?token=secret123", "POST", rawSecret), 1)
	if out.Success || out.Retryable {
		t.Errorf("outcome = %+v, want a permanent failure", out)
	}
	if !strings.Contains(out.Reason, "unsafe target") || strings.Contains(out.Reason, "secret123") {
		t.Errorf("Reason = %q, want an unsafe target without the URL", out.Reason)
	}
	if entry.Response != nil || entry.Error == nil {
		t.Errorf("log entry response %+v, error %v; want no response and an error", entry.Response, deref(entry.Error))
	}
	if n := len(rc.requests()); n != 0 {
		t.Fatalf("receiver got %d requests through the guarded client", n)
	}

	_, out = send(t, localSender(), testWebhook(rc.URL+"/hook", "POST", rawSecret), 1)
	if !out.Success {
		t.Errorf("allowPrivate client: outcome = %+v, want success", out)
	}
	if n := len(rc.requests()); n != 1 {
		t.Errorf("receiver got %d requests through the allowPrivate client, want 1", n)
	}
}

func TestSendRequestThatCannotBeBuilt(t *testing.T) {
	rc := newReceiver(t, nil)
	tests := map[string]func(*delivery.Attempt){
		"whsec secret that is not base64": func(a *delivery.Attempt) { a.Webhook.Secret = "whsec_!!!" },
		"empty secret":                    func(a *delivery.Attempt) { a.Webhook.Secret = "" },
		"event without data":              func(a *delivery.Attempt) { a.Event.Data = nil },
		"unparsable URL":                  func(a *delivery.Attempt) { a.Webhook.URL = "http://[::1" },
		"unparsable URL with a token":     func(a *delivery.Attempt) { a.Webhook.URL = "http://h/%zz?token=!!!" },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			a := delivery.Attempt{Event: testEvent(), Webhook: testWebhook(rc.URL, "POST", rawSecret), DeliveryID: deliveryID, Number: 1}
			mutate(&a)
			entry, _, err := localSender().Send(context.Background(), a)
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if entry != nil {
				t.Errorf("entry = %+v, want nil", entry)
			}
			if strings.Contains(err.Error(), "!!!") {
				t.Errorf("error %q quotes the secret or token", err)
			}
		})
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("receiver got %d requests, want 0", n)
	}
}

// TestSendSignsWithInjectedClock: webhook-timestamp comes from the Sender's
// clock, so retries of one delivery carry the same webhook-id and fresh
// timestamps.
func TestSendSignsWithInjectedClock(t *testing.T) {
	rc := newReceiver(t, nil)
	clock := time.Unix(1_800_000_000, 0)
	s := delivery.NewSender(delivery.NewHTTPClient(true), func() time.Time { return clock })
	wh := testWebhook(rc.URL, "POST", rawSecret)
	send(t, s, wh, 1)
	clock = clock.Add(time.Minute)
	send(t, s, wh, 2)

	reqs := rc.requests()
	if len(reqs) != 2 {
		t.Fatalf("receiver got %d requests, want 2", len(reqs))
	}
	for i, want := range []string{"1800000000", "1800000060"} {
		if got := reqs[i].Header.Get("webhook-timestamp"); got != want {
			t.Errorf("attempt %d: webhook-timestamp = %q, want %q", i+1, got, want)
		}
		if got := reqs[i].Header.Get("webhook-id"); got != deliveryID {
			t.Errorf("attempt %d: webhook-id = %q, want %q", i+1, got, deliveryID)
		}
	}
	if reqs[0].Header.Get("webhook-signature") == reqs[1].Header.Get("webhook-signature") {
		t.Error("two attempts at different times carry the same webhook-signature")
	}
	if reqs[0].Header.Get("Signature") != reqs[1].Header.Get("Signature") {
		t.Error("the PERSCOM Signature covers the body only and must not change between attempts")
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// SPEC §5 lets a webhook wait up to 60 s. Connecting and the TLS handshake
// are part of that time, not capped shorter by the transport (Go's default
// handshake timeout is 10 s): only the request's own timeout ends them.
func TestSendConnectAndHandshakeGetTheWebhookTimeout(t *testing.T) {
	for _, allowPrivate := range []bool{false, true} {
		tr := delivery.NewHTTPClient(allowPrivate).Transport.(*http.Transport)
		if tr.TLSHandshakeTimeout < 60*time.Second {
			t.Errorf("TLS handshake timeout %v, want at least 60s", tr.TLSHandshakeTimeout)
		}
	}
	// A TLS server that never answers the handshake: the attempt ends at
	// the webhook's timeout, whatever it is.
	addr := tcpServer(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	wh := testWebhook("https://"+addr+"/", "POST", rawSecret)
	wh.TimeoutSeconds = 2
	start := time.Now()
	_, out := send(t, localSender(), wh, 1)
	if elapsed := time.Since(start); elapsed < 1900*time.Millisecond || elapsed > 3*time.Second || !out.Retryable {
		t.Errorf("silent TLS server: %+v after %v, want a retryable timeout after about 2s", out, elapsed)
	}
}

// A receiver that answers with something other than HTTP (here it echoes
// the request line back) makes Go's client quote that answer in its
// error. The outcome's reason, which becomes the log entry's error and
// the activity failure in workflow history, has the URL's token redacted.
func TestSendRedactsSecretsEchoedInATransportError(t *testing.T) {
	addr := tcpServer(t, func(c net.Conn) {
		line, _ := bufio.NewReader(c).ReadString('\n')
		_, _ = io.WriteString(c, line+"\r\n")
	})
	const token = "tok-3c9e1f77aa"
	wh := testWebhook("http://"+addr+"/hook?api_token="+token, "POST", rawSecret)
	entry, out := send(t, localSender(), wh, 1)
	if !out.Retryable || entry.Error == nil {
		t.Fatalf("echoed request line: %+v, want a retryable network error", out)
	}
	if !strings.Contains(out.Reason, "/hook?api_token=") {
		t.Fatalf("premise: the reason does not quote the echoed request line: %q", out.Reason)
	}
	if strings.Contains(out.Reason, token) || strings.Contains(*entry.Error, token) {
		t.Errorf("the token is in the reason %q / log error %q", out.Reason, *entry.Error)
	}
}

// tcpServer accepts connections on 127.0.0.1 until the test ends and
// hands each to serve, closing it when serve returns or the test ends.
func tcpServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				served := make(chan struct{})
				go func() { serve(c); close(served) }()
				select {
				case <-served:
				case <-done:
				}
			}()
		}
	}()
	return ln.Addr().String()
}
