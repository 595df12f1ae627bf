package slack_test

import (
	"encoding/json"
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
