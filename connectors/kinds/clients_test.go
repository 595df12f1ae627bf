package kinds_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/heraldhub/herald/connectors"
	"github.com/heraldhub/herald/connectors/kinds"
	"github.com/heraldhub/herald/netguard"
)

// guarded is a client that, like Herald's webhook client, refuses to dial
// anything but public addresses.
func guarded() *http.Client {
	d := &net.Dialer{Control: netguard.Control}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// gateway is a self-hosted stand-in for all three chat APIs on loopback:
// a private address, as an operator's own gateway would be.
type gateway struct {
	mu    sync.Mutex
	paths []string
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	g.mu.Lock()
	g.paths = append(g.paths, r.URL.Path)
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasPrefix(r.URL.Path, "/telegram/"):
		_, _ = io.WriteString(w, `{"ok":true,"result":{"message_id":1}}`)
	case strings.HasPrefix(r.URL.Path, "/slack/"):
		_, _ = io.WriteString(w, `{"ok":true,"channel":"C1","ts":"1.2"}`)
	case strings.HasPrefix(r.URL.Path, "/discord/"):
		_, _ = io.WriteString(w, `{"id":"1","channel_id":"2"}`)
	default: // a Slack incoming webhook
		_, _ = io.WriteString(w, "ok")
	}
}

// The API base URLs are the operator's, so a gateway on a private address
// is reached even though admin-given webhook URLs there are refused, and
// that refusal is permanent: no retry can change it.
func TestAPIClientReachesPrivateGateway(t *testing.T) {
	g := &gateway{}
	srv := httptest.NewServer(g)
	defer srv.Close()
	ks := kinds.New(kinds.Options{
		HTTPClient:     guarded(),
		APIClient:      srv.Client(),
		SlackAPIURL:    srv.URL + "/slack/",
		DiscordAPIURL:  srv.URL + "/discord/",
		TelegramAPIURL: srv.URL + "/telegram",
	})
	msg := connectors.Message{Title: "Promotion", Text: "promoted", Event: "rankrecord.created", Action: "created"}
	for _, tc := range []struct {
		kind   string
		config map[string]any
	}{
		{connectors.KindTelegram, map[string]any{"token": "123456:ABCdef", "chat_id": "42"}},
		{connectors.KindSlack, map[string]any{"token": "xoxb-1-2-abc", "channel": "C1"}},
		{connectors.KindDiscord, map[string]any{"webhook_url": "https://discord.com/api/webhooks/1/tok"}},
	} {
		raw, _ := json.Marshal(tc.config)
		if _, err := ks[tc.kind].Send(t.Context(), raw, msg); err != nil {
			t.Errorf("%s through the operator's gateway: %v", tc.kind, err)
		}
	}
	if len(g.paths) != 3 {
		t.Errorf("gateway got %d requests (%q), want 3", len(g.paths), g.paths)
	}

	raw, _ := json.Marshal(map[string]any{"webhook_url": srv.URL + "/hook"})
	_, err := ks[connectors.KindSlack].Send(t.Context(), raw, msg)
	var ce *connectors.Error
	if !errors.As(err, &ce) || ce.Retryable || !strings.Contains(ce.Reason, "not a public address") {
		t.Fatalf("Slack webhook_url on loopback: %v, want a permanent refusal", err)
	}
	if len(g.paths) != 3 {
		t.Errorf("the refused webhook reached the server: %q", g.paths)
	}
}
