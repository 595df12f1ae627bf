package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/api"
	"github.com/heraldhub/herald/store"
)

// addLog stores an event named event with one delivery to webhook whID and
// one attempt answered with status (0 for a network error) and, if given,
// respBody instead of "ok". It returns the log entry's ID.
func (e *testEnv) addLog(t *testing.T, whID, event string, status int, respBody ...string) string {
	t.Helper()
	return e.addLogID(t, whID, "", event, status, respBody...)
}

// addLogID is addLog with the entry's ID made by the caller ("" makes one
// when it is recorded).
func (e *testEnv) addLogID(t *testing.T, whID, id, event string, status int, respBody ...string) string {
	t.Helper()
	ctx := context.Background()
	d := &herald.Delivery{TargetType: herald.TargetWebhook, TargetID: whID}
	_, _, err := e.db.CreateEvent(ctx, store.CreateEventRequest{
		Event:      &herald.Event{Name: event, Data: json.RawMessage(`{"id": 1}`)},
		Deliveries: []*herald.Delivery{d},
	})
	if err != nil {
		t.Fatalf("create event: %v", err)
	}
	entry := &herald.LogEntry{
		ID:         id,
		Request:    herald.LogRequest{Method: "POST", URL: "https://hooks.example.com/in", Body: `{"id": 1}`},
		DurationMS: 12,
	}
	rec := store.AttemptRecord{Log: entry, Status: herald.StatusSucceeded}
	if status == 0 {
		msg := "connection refused"
		entry.Error, rec.Error, rec.Status = &msg, &msg, herald.StatusFailed
	} else {
		entry.Response = &herald.LogResponse{Status: status, Body: "ok"}
		for _, b := range respBody {
			entry.Response.Body = b
		}
		rec.StatusCode = &status
		if status >= 300 {
			rec.Status = herald.StatusFailed
		}
	}
	if err := e.db.RecordAttempt(ctx, d.ID, rec); err != nil {
		t.Fatalf("record attempt: %v", err)
	}
	return entry.ID
}

func TestWebhookLogs(t *testing.T) {
	e := newEnv(t)
	w := e.createWebhook(t, hookBody(nil))
	other := e.createWebhook(t, hookBody(nil))
	ok1 := e.addLog(t, w.ID, "user.created", 200)
	bad1 := e.addLog(t, w.ID, "user.created", 500)
	bad2 := e.addLog(t, w.ID, "rankrecord.created", 0)
	ok2 := e.addLog(t, w.ID, "rankrecord.created", 204)
	e.addLog(t, other.ID, "user.created", 200)

	future := url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	past := url.QueryEscape(time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{ok1, bad1, bad2, ok2}},
		{"status=success", []string{ok1, ok2}},
		{"status=failure", []string{bad1, bad2}},
		{"event=user.created", []string{ok1, bad1}},
		{"event=rankrecord.created&status=failure", []string{bad2}},
		{"event=calendar.created", nil},
		{"since=" + past, []string{ok1, bad1, bad2, ok2}},
		{"since=" + future, nil},
		{"since=" + strings.ToLower(past), []string{ok1, bad1, bad2, ok2}}, // "t" and "z" (RFC 3339 §5.6)
		{"since=" + strings.ToLower(future), nil},
		// An offset's "+" as curl sends it, unescaped: a space once decoded.
		{"since=" + time.Now().Add(-time.Hour).In(time.FixedZone("", 2*3600)).Format(time.RFC3339), []string{ok1, bad1, bad2, ok2}},
		{"since=" + time.Now().Add(time.Hour).In(time.FixedZone("", 2*3600)).Format(time.RFC3339), nil},
	}
	for _, tc := range tests {
		t.Run("filter "+tc.query, func(t *testing.T) {
			r := e.do(t, "GET", "/v1/webhooks/"+w.ID+"/logs?"+tc.query, adminKey, "")
			wantStatus(t, r, http.StatusOK)
			var got []string
			for _, l := range decodeAs[listPage[herald.LogEntry]](t, r).Data {
				got = append(got, l.ID)
				if l.TargetID != w.ID {
					t.Errorf("entry %s belongs to %s", l.ID, l.TargetID)
				}
			}
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("logs = %v, want %v", got, want)
			}
		})
	}

	bad := []struct {
		query string
		field string
	}{
		{"status=bogus", "status"},
		{"status=succeeded", "status"},
		{"since=not-a-time", "since"},
		{"since=2026-05-17", "since"},
		// Year 10000 in UTC, which the store's text times would sort
		// before every real one.
		{"since=9999-12-31T23:30:00-02:00", "since"},
		{"limit=0", "limit"},
		{"limit=201", "limit"},
	}
	for _, tc := range bad {
		t.Run("bad "+tc.query, func(t *testing.T) {
			wantProblem(t, e.do(t, "GET", "/v1/webhooks/"+w.ID+"/logs?"+tc.query, adminKey, ""), http.StatusUnprocessableEntity, tc.field)
		})
	}

	t.Run("pages", func(t *testing.T) {
		r := e.do(t, "GET", "/v1/webhooks/"+w.ID+"/logs?limit=3", adminKey, "")
		wantStatus(t, r, http.StatusOK)
		first := decodeAs[listPage[herald.LogEntry]](t, r)
		if len(first.Data) != 3 || first.NextCursor == nil {
			t.Fatalf("first page = %s, want 3 entries and a cursor", r.body)
		}
		r = e.do(t, "GET", "/v1/webhooks/"+w.ID+"/logs?limit=3&cursor="+url.QueryEscape(*first.NextCursor), adminKey, "")
		wantStatus(t, r, http.StatusOK)
		if second := decodeAs[listPage[herald.LogEntry]](t, r); len(second.Data) != 1 || second.NextCursor != nil {
			t.Errorf("second page = %s, want 1 entry and no cursor", r.body)
		}
	})

	t.Run("get one", func(t *testing.T) {
		r := e.do(t, "GET", "/v1/logs/"+bad1, adminKey, "")
		wantStatus(t, r, http.StatusOK)
		l := decodeAs[herald.LogEntry](t, r)
		if l.ID != bad1 || l.Event != "user.created" || l.Response == nil || l.Response.Status != 500 ||
			l.TargetType != herald.TargetWebhook || l.Attempt != 1 || !strings.HasPrefix(l.DeliveryID, "del_") {
			t.Errorf("log = %s", r.body)
		}
		wantProblem(t, e.do(t, "GET", "/v1/logs/log_missing", adminKey, ""), http.StatusNotFound)
		wantProblem(t, e.do(t, "GET", "/v1/webhooks/wh_missing/logs", adminKey, ""), http.StatusNotFound)
	})
}

func TestLogStream(t *testing.T) {
	for _, tc := range []struct {
		name    string
		earlier bool // the webhook has a log entry before the stream opens
	}{{"after earlier entries", true}, {"webhook without entries", false}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(d *api.Deps) { d.StreamPoll = 10 * time.Millisecond })
			w := e.createWebhook(t, hookBody(nil))
			var old string
			if tc.earlier {
				old = e.addLog(t, w.ID, "user.created", 200)
			}
			ids := openStream(t, e, w.ID)

			start := time.Now()
			var fresh []string
			for range 3 {
				fresh = append(fresh, e.addLog(t, w.ID, "user.updated", 200))
			}
			var got []string
			timeout := time.After(2 * time.Second)
			for len(got) < len(fresh) {
				select {
				case id, ok := <-ids:
					if !ok {
						t.Fatalf("stream ended after %v, want %v", got, fresh)
					}
					got = append(got, id)
				case <-timeout:
					t.Fatalf("streamed %v, want %v", got, fresh)
				}
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("entries streamed after %v, want within 1 s", d)
			}
			// Twenty more polls must bring nothing new.
			got = append(got, collect(ids, 200*time.Millisecond)...)
			if !slices.Equal(got, fresh) {
				t.Errorf("streamed %v, want each new entry once, in order: %v", got, fresh)
			}
			if old != "" && slices.Contains(got, old) {
				t.Errorf("stream replayed an entry older than the connection")
			}
		})
	}
}

// openStream opens a webhook's live log stream and returns the IDs of the
// entries it sends, as they arrive; the channel is closed when the stream
// ends.
func openStream(t *testing.T, e *testEnv, webhookID string, lastEventID ...string) <-chan string {
	t.Helper()
	return openStreamAs(t, e, adminKey, webhookID, lastEventID...)
}

// openStreamAs is openStream with the API key key.
func openStreamAs(t *testing.T, e *testEnv, key, webhookID string, lastEventID ...string) <-chan string {
	t.Helper()
	var start string
	return openStreamFrom(t, e, key, webhookID, &start, lastEventID...)
}

// openStreamFrom is openStreamAs that also sets *startOut to the position
// the stream named first (the ID after which it lists entries).
func openStreamFrom(t *testing.T, e *testEnv, key, webhookID string, startOut *string, lastEventID ...string) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/v1/webhooks/"+webhookID+"/logs/stream", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	for _, id := range lastEventID {
		req.Header.Set("Last-Event-ID", id)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("open stream: %v", err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(nil, 1<<20)
	if !lines.Scan() || !strings.HasPrefix(lines.Text(), ":") {
		t.Fatalf("stream did not open with a comment: %q", lines.Text())
	}
	start, ok := "", lines.Scan()
	if ok {
		start, ok = strings.CutPrefix(lines.Text(), "id: ")
	}
	if !ok || !lines.Scan() || lines.Text() != "" {
		t.Fatalf("stream's first message does not name its starting point: %q", lines.Text())
	}
	*startOut = start
	ids := make(chan string, 100)
	go func() {
		defer close(ids)
		for lines.Scan() {
			if id, ok := strings.CutPrefix(lines.Text(), "id: "); ok {
				ids <- id
			}
		}
	}()
	return ids
}

func TestLogStreamEndsWhenStopping(t *testing.T) {
	stopping := make(chan struct{})
	e := newEnv(t, func(d *api.Deps) { d.StreamPoll = 10 * time.Millisecond; d.Stopping = stopping })
	w := e.createWebhook(t, hookBody(nil))
	ids := openStream(t, e, w.ID)
	close(stopping)
	select {
	case _, open := <-ids:
		if open {
			t.Fatal("stream sent an entry, want it to end")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("stream still open 2 s after the server began to stop")
	}
}

// collect reads IDs from a stream until none arrives for quiet.
func collect(ids <-chan string, quiet time.Duration) []string {
	var got []string
	for {
		select {
		case id, ok := <-ids:
			if !ok {
				return got
			}
			got = append(got, id)
		case <-time.After(quiet):
			return got
		}
	}
}

func TestLogStreamResume(t *testing.T) {
	e := newEnv(t, func(d *api.Deps) { d.StreamPoll = 10 * time.Millisecond })
	w := e.createWebhook(t, hookBody(nil))
	var old []string
	for range 3 {
		old = append(old, e.addLog(t, w.ID, "user.created", 200))
	}
	t.Run("after a known entry", func(t *testing.T) {
		got := collect(openStream(t, e, w.ID, old[0]), 300*time.Millisecond)
		if !slices.Equal(got, old[1:]) {
			t.Errorf("resumed after %s: streamed %v, want %v", old[0], got, old[1:])
		}
	})
	// A malformed ID could sort before every entry (replaying all) or
	// after every one (hiding new entries); it is ignored instead.
	for _, bad := range []string{"a", "zzz", "log_", "log_zz", old[1] + "0"} {
		t.Run("malformed "+bad, func(t *testing.T) {
			ids := openStream(t, e, w.ID, bad)
			if got := collect(ids, 200*time.Millisecond); len(got) != 0 {
				t.Fatalf("streamed older entries %v", got)
			}
			fresh := e.addLog(t, w.ID, "user.updated", 200)
			if got := collect(ids, 500*time.Millisecond); !slices.Equal(got, []string{fresh}) {
				t.Errorf("streamed %v, want the new entry %s", got, fresh)
			}
		})
	}
}

// A stream opened without Last-Event-ID starts after the entry recorded
// last, which need not be the largest ID (IDs are made before their entry
// commits), and says so first. A client that reconnects from that position
// misses nothing recorded in between, even on a webhook that had no entry
// when it first connected.
func TestLogStreamStartsAfterLastRecorded(t *testing.T) {
	e := newEnv(t, func(d *api.Deps) { d.StreamPoll = 10 * time.Millisecond })
	w := e.createWebhook(t, hookBody(nil))

	var start string
	ids := openStreamFrom(t, e, adminKey, w.ID, &start)
	first := e.addLog(t, w.ID, "user.created", 200)
	if got := collect(ids, 300*time.Millisecond); !slices.Equal(got, []string{first}) {
		t.Fatalf("stream of a webhook without entries: streamed %v, want %s", got, first)
	}
	// The client was gone while these were recorded; it comes back from
	// the position the stream first named.
	gap := []string{e.addLog(t, w.ID, "user.updated", 200), e.addLog(t, w.ID, "user.updated", 200)}
	got := collect(openStream(t, e, w.ID, start), 300*time.Millisecond)
	if want := append([]string{first}, gap...); !slices.Equal(got, want) {
		t.Errorf("reconnected from %s: streamed %v, want %v", start, got, want)
	}

	// Two IDs made in one order, recorded in the other.
	a, b := herald.NewID(herald.PrefixLog), herald.NewID(herald.PrefixLog)
	e.addLogID(t, w.ID, b, "user.created", 200)
	e.addLogID(t, w.ID, a, "user.created", 200)
	ids = openStreamFrom(t, e, adminKey, w.ID, &start)
	if start != a {
		t.Errorf("stream starts after %s, want %s (recorded last)", start, a)
	}
	if got := collect(ids, 300*time.Millisecond); len(got) != 0 {
		t.Errorf("stream replayed entries that existed before it opened: %v", got)
	}
}

// Deleting the API key that opened a stream ends the stream.
func TestLogStreamEndsWithItsKey(t *testing.T) {
	e := newEnv(t, func(d *api.Deps) { d.StreamPoll = 10 * time.Millisecond })
	w := e.createWebhook(t, hookBody(nil))
	key := e.newKey(t, herald.ScopeViewLog)
	ids := openStreamAs(t, e, key, w.ID)
	e.addLog(t, w.ID, "user.created", 200)
	if got := collect(ids, 300*time.Millisecond); len(got) != 1 {
		t.Fatalf("streamed %v before the key was deleted, want one entry", got)
	}
	stored, err := e.db.GetAPIKeyByHash(context.Background(), api.HashKey(key))
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.do(t, "DELETE", "/v1/api-keys/"+stored.ID, adminKey, ""), http.StatusNoContent)
	e.addLog(t, w.ID, "user.created", 200)
	select {
	case id, open := <-ids:
		if open {
			t.Fatalf("stream sent %s after its key was deleted", id)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("stream still open 3 s after its key was deleted")
	}
}

// Deleting a webhook ends its live stream: its log can no longer be
// listed, and the stream would otherwise send keep-alives for ever.
func TestLogStreamEndsWithItsWebhook(t *testing.T) {
	e := newEnv(t, func(d *api.Deps) { d.StreamPoll = 10 * time.Millisecond })
	w := e.createWebhook(t, hookBody(nil))
	ids := openStream(t, e, w.ID)
	e.addLog(t, w.ID, "user.created", 200)
	if got := collect(ids, 300*time.Millisecond); len(got) != 1 {
		t.Fatalf("streamed %v before the webhook was deleted, want one entry", got)
	}
	wantStatus(t, e.do(t, "DELETE", "/v1/webhooks/"+w.ID, adminKey, ""), http.StatusNoContent)
	last := e.addLog(t, w.ID, "user.created", 200) // an attempt that was in flight
	// The entry the last poll read is sent, then the stream ends.
	got := collect(ids, 3*time.Second)
	if len(got) > 1 || len(got) == 1 && got[0] != last {
		t.Errorf("stream sent %v after its webhook was deleted, want at most %s", got, last)
	}
	select {
	case id, open := <-ids:
		if open {
			t.Fatalf("stream sent %s after its webhook was deleted", id)
		}
	default:
		t.Fatal("stream still open 3 s after its webhook was deleted")
	}
}

// A client that stops reading loses its stream after StreamWriteTimeout
// instead of holding the handler (and a graceful shutdown) forever.
func TestLogStreamDropsStalledClient(t *testing.T) {
	e := newEnv(t, func(d *api.Deps) {
		d.StreamPoll = 10 * time.Millisecond
		d.StreamWriteTimeout = 200 * time.Millisecond
	})
	w := e.createWebhook(t, hookBody(nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/v1/webhooks/"+w.ID+"/logs/stream", nil)
	req.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("open stream: %v", err)
	}
	defer resp.Body.Close()
	// Far more than the socket buffers hold: 200 entries of 64 KiB.
	big := strings.Repeat("x", 64<<10)
	for range 200 {
		e.addLog(t, w.ID, "user.created", 200, big)
	}
	time.Sleep(time.Second) // the client reads nothing meanwhile

	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, resp.Body)
		done <- err
	}()
	select {
	case <-done: // the server gave up on the client and closed the stream
	case <-time.After(5 * time.Second):
		t.Fatal("stream still open: the server waited for a client that stopped reading")
	}
}

// A deleted webhook's log entries are kept (openapi.json says so), and its
// log can still be listed; an ID that never had entries is not found.
func TestDeletedWebhookLogIsListed(t *testing.T) {
	e := newEnv(t)
	w := e.createWebhook(t, hookBody(nil))
	entry := e.addLog(t, w.ID, "user.created", 200)
	wantStatus(t, e.do(t, "DELETE", "/v1/webhooks/"+w.ID, adminKey, ""), http.StatusNoContent)
	r := e.do(t, "GET", "/v1/webhooks/"+w.ID+"/logs", adminKey, "")
	wantStatus(t, r, http.StatusOK)
	if list := decodeAs[listPage[herald.LogEntry]](t, r); len(list.Data) != 1 || list.Data[0].ID != entry {
		t.Errorf("log of the deleted webhook = %s, want its entry %s", r.body, entry)
	}
	wantProblem(t, e.do(t, "GET", "/v1/webhooks/wh_never/logs", adminKey, ""), http.StatusNotFound)
}
