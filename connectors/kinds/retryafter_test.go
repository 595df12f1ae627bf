package kinds_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/heraldhub/herald/connectors"
	"github.com/heraldhub/herald/connectors/kinds"
)

// A rate limit from a gateway that names its wait only in the Retry-After
// header, in either form SPEC §6 allows, is waited out by every kind: the
// services' own answers carry seconds, gateways and proxies may not.
func TestRetryAfterHeaderInBothForms(t *testing.T) {
	var header string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Retry-After", header)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, "slow down")
	}))
	defer srv.Close()
	ks := kinds.New(kinds.Options{
		HTTPClient: srv.Client(), APIClient: srv.Client(),
		SlackAPIURL: srv.URL + "/slack/", DiscordAPIURL: srv.URL + "/discord/", TelegramAPIURL: srv.URL + "/telegram",
	})
	msg := connectors.Message{Title: "Promotion", Text: "promoted", Event: "rankrecord.created", Action: "created"}
	configs := []struct {
		kind   string
		config map[string]any
	}{
		{connectors.KindTelegram, map[string]any{"token": "123456:ABCdef", "chat_id": "42"}},
		{connectors.KindSlack, map[string]any{"token": "xoxb-1-2-abc", "channel": "C1"}},
		{connectors.KindSlack, map[string]any{"webhook_url": srv.URL + "/services/T0/B0/xyz"}},
		{connectors.KindDiscord, map[string]any{"webhook_url": "https://discord.com/api/webhooks/1/tok"}},
	}
	for _, form := range []struct {
		value      func() string
		lo, hi     time.Duration
		descriptor string
	}{
		{func() string { return "7" }, 7 * time.Second, 7 * time.Second, "seconds"},
		{func() string { return time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat) }, 88 * time.Second, 91 * time.Second, "HTTP date"},
	} {
		for _, c := range configs {
			header = form.value()
			raw, _ := json.Marshal(c.config)
			_, err := ks[c.kind].Send(t.Context(), raw, msg)
			var e *connectors.Error
			if !errors.As(err, &e) || !e.Retryable || e.RetryAfter < form.lo || e.RetryAfter > form.hi {
				t.Errorf("%s %v, Retry-After as %s (%q): %+v, want retryable after %v..%v", c.kind, c.config, form.descriptor, header, err, form.lo, form.hi)
			}
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		headers map[string]string
		want    time.Duration
	}{
		{map[string]string{"Retry-After": "3"}, 3 * time.Second},
		{map[string]string{"retry-after": "1.5"}, 1500 * time.Millisecond},
		{map[string]string{"Retry-After": now.Add(time.Minute).Format(http.TimeFormat)}, time.Minute},
		{map[string]string{"Retry-After": now.Add(-time.Minute).Format(http.TimeFormat)}, 0},
		{map[string]string{"Retry-After": "soon"}, 0},
		{map[string]string{"Retry-After": "-4"}, 0},
		{map[string]string{"Retry-After": "1e300"}, 365 * 24 * time.Hour},
		{map[string]string{"X-Other": "9"}, 0},
		{nil, 0},
	} {
		if got := connectors.RetryAfter(tc.headers, now); got != tc.want {
			t.Errorf("RetryAfter(%v) = %v, want %v", tc.headers, got, tc.want)
		}
	}
}
