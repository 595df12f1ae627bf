package slack_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/heraldhub/herald/connectors"
	"github.com/heraldhub/herald/connectors/slack"
)

// A Slack-compatible gateway may accept a webhook post with 201 or 204
// rather than Slack's 200: that is a success, not an answer to retry
// (which would post the message again).
func TestWebhookAcceptedWithAny2xx(t *testing.T) {
	for _, status := range []int{http.StatusCreated, http.StatusAccepted, http.StatusNoContent} {
		var posts atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			posts.Add(1)
			w.WriteHeader(status)
		}))
		k := slack.New(srv.Client(), srv.Client(), srv.URL+"/api/")
		raw, _ := json.Marshal(map[string]string{"webhook_url": srv.URL + "/services/T0/B0/xyz"})
		_, err := k.Send(t.Context(), raw, connectors.Message{Title: "Promotion", Text: "promoted", Event: "rankrecord.created"})
		srv.Close()
		if err != nil {
			t.Errorf("%d: Send = %v, want success", status, err)
		}
		if n := posts.Load(); n != 1 {
			t.Errorf("%d: %d posts, want 1", status, n)
		}
	}
}

// A Web API answer that is a 2xx but not slack-go's 200 JSON: "ok": true
// with 201 is a success; an answer Herald cannot read fails at once rather
// than being retried, since every retry would get it again and post the
// message again.
func TestWebAPIUnreadable2xxIsNotRetried(t *testing.T) {
	for _, tc := range []struct {
		status  int
		body    string
		wantErr bool
	}{
		{http.StatusCreated, `{"ok":true,"channel":"C1","ts":"1"}`, false},
		{http.StatusCreated, `{"ok":false}`, true},
		{http.StatusOK, `<html>accepted</html>`, true},
		{http.StatusNoContent, ``, true},
	} {
		var posts atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			posts.Add(1)
			w.WriteHeader(tc.status)
			_, _ = w.Write([]byte(tc.body))
		}))
		k := slack.New(srv.Client(), srv.Client(), srv.URL+"/api/")
		raw, _ := json.Marshal(map[string]string{"token": "xoxb-1-2-abc", "channel": "C1"})
		_, err := k.Send(t.Context(), raw, connectors.Message{Title: "Promotion", Text: "promoted", Event: "rankrecord.created"})
		srv.Close()
		var e *connectors.Error
		if got := errors.As(err, &e); got != tc.wantErr || (got && e.Retryable) {
			t.Errorf("%d %s: Send = %v, want error %v (not retryable)", tc.status, tc.body, err, tc.wantErr)
		}
		if n := posts.Load(); n != 1 {
			t.Errorf("%d %s: %d posts, want 1", tc.status, tc.body, n)
		}
	}
}

// A Web API answer of "ok": false is a failure even without an "error"
// code, which slack-go alone would read as success; "ok": true, or an
// answer that says nothing of ok, is not.
func TestWebAPINotOKWithoutErrorCode(t *testing.T) {
	for body, wantErr := range map[string]bool{
		`{"ok":false}`:                        true,
		`{"ok":false,"warning":"odd"}`:        true,
		`{"ok":true,"channel":"C1","ts":"1"}`: false,
		`{"channel":"C1","ts":"1"}`:           false,
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(body))
		}))
		k := slack.New(srv.Client(), srv.Client(), srv.URL+"/api/")
		raw, _ := json.Marshal(map[string]string{"token": "xoxb-1-2-abc", "channel": "C1"})
		_, err := k.Send(t.Context(), raw, connectors.Message{Title: "Promotion", Text: "promoted", Event: "rankrecord.created"})
		srv.Close()
		var e *connectors.Error
		if got := errors.As(err, &e); got != wantErr || (got && e.Retryable) {
			t.Errorf("answer %s: Send = %v, want error %v (permanent)", body, err, wantErr)
		}
	}
}
