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
	// HTTPClient sends to URLs an admin gave (a Slack connector's
	// webhook_url): for Herald, the client that refuses private addresses
	// unless they are allowed. Its redirect policy applies. nil means a
	// zero http.Client.
	HTTPClient *http.Client
	// APIClient sends to the API base URLs below. The operator chose
	// those, so this client may reach private addresses, such as a
	// self-hosted gateway on the local network. nil means HTTPClient.
	APIClient *http.Client
	// API base URLs, for self-hosted gateways and tests
	// (HERALD_SLACK_API_URL, HERALD_DISCORD_API_URL, HERALD_TELEGRAM_API_URL).
	SlackAPIURL    string
	DiscordAPIURL  string
	TelegramAPIURL string
}

// New returns the kinds by name (connectors.KindSlack, ...). Every request
// is recorded (connectors.RecordingClient). Slack posts to webhook URLs
// with opts.HTTPClient; everything sent to an API base URL (Slack's Web
// API, every Discord and Telegram request) goes with opts.APIClient. The
// kinds are safe for concurrent use.
func New(opts Options) map[string]connectors.Kind {
	api := opts.APIClient
	if api == nil {
		api = opts.HTTPClient
	}
	return map[string]connectors.Kind{
		connectors.KindSlack:    slack.New(opts.HTTPClient, api, orDefault(opts.SlackAPIURL, DefaultSlackAPIURL)),
		connectors.KindDiscord:  discord.New(api, orDefault(opts.DiscordAPIURL, DefaultDiscordAPIURL)),
		connectors.KindTelegram: telegram.New(api, orDefault(opts.TelegramAPIURL, DefaultTelegramAPIURL)),
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
