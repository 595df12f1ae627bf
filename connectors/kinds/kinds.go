// Package kinds builds every chat connector kind Herald knows, in one place.
package kinds

import (
	"net/http"

	"github.com/heraldhub/herald/connectors"
	"github.com/heraldhub/herald/connectors/discord"
	"github.com/heraldhub/herald/connectors/slack"
	"github.com/heraldhub/herald/connectors/telegram"
)

// Default API base URLs (SPEC §8).
const (
	DefaultSlackAPIURL    = "https://slack.com/api/"
	DefaultDiscordAPIURL  = "https://discord.com/api/v9/"
	DefaultTelegramAPIURL = "https://api.telegram.org"
)

// Options configures the connector kinds. Empty fields take the defaults.
type Options struct {
	// HTTPClient is the base client: its transport dials (for Herald, the
	// one that refuses private addresses unless allowed) and its redirect
	// policy applies. nil means a zero http.Client.
	HTTPClient *http.Client
	// API base URLs, for self-hosted gateways and tests
	// (HERALD_SLACK_API_URL, HERALD_DISCORD_API_URL, HERALD_TELEGRAM_API_URL).
	SlackAPIURL    string
	DiscordAPIURL  string
	TelegramAPIURL string
}

// New returns the kinds by name (connectors.KindSlack, ...). They share one
// client that records each exchange (connectors.RecordingClient around
// opts.HTTPClient). The kinds are safe for concurrent use.
func New(opts Options) map[string]connectors.Kind {
	client := connectors.RecordingClient(opts.HTTPClient)
	return map[string]connectors.Kind{
		connectors.KindSlack:    slack.New(client, orDefault(opts.SlackAPIURL, DefaultSlackAPIURL)),
		connectors.KindDiscord:  discord.New(client, orDefault(opts.DiscordAPIURL, DefaultDiscordAPIURL)),
		connectors.KindTelegram: telegram.New(client, orDefault(opts.TelegramAPIURL, DefaultTelegramAPIURL)),
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
