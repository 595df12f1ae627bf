package discord_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/heraldhub/herald/connectors"
	"github.com/heraldhub/herald/connectors/discord"
)

// A webhook URL copied for a thread (Discord's "?thread_id=") posts into
// that thread; without it, into the webhook's channel.
func TestThreadFromWebhookURL(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got = append(got, r.URL.Path+"?"+r.URL.RawQuery)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"1","channel_id":"2"}`)
	}))
	defer srv.Close()
	k := discord.New(srv.Client(), srv.URL+"/api/v9/")
	msg := connectors.Message{Title: "Promotion", Text: "promoted", Event: "rankrecord.created"}
	for _, hook := range []string{
		"https://discord.com/api/webhooks/123/tok?thread_id=456",
		"https://discord.com/api/webhooks/123/tok",
	} {
		raw, _ := json.Marshal(map[string]string{"webhook_url": hook})
		if _, err := k.Send(t.Context(), raw, msg); err != nil {
			t.Fatalf("%s: %v", hook, err)
		}
	}
	want := []string{"/api/v9/webhooks/123/tok?thread_id=456&wait=true", "/api/v9/webhooks/123/tok?wait=true"}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("requests %q, want %q", got, want)
	}
}
