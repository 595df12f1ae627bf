package discord

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"

	"github.com/heraldhub/herald/connectors"
)

// config is a Discord connector's configuration: the webhook URL the user
// pasted, and the ID and token parsed from it.
type config struct {
	WebhookURL string
	ID, Token  string
}

// webhookPath matches /api/webhooks/{id}/{token}, with an optional API
// version (/api/v10/webhooks/...).
var webhookPath = regexp.MustCompile(`^/api(?:/v[0-9]+)?/webhooks/([0-9]{1,20})/([A-Za-z0-9._-]{1,200})/?$`)

// parseConfig decodes and checks raw, returning one error per bad field.
func parseConfig(raw json.RawMessage) (config, []connectors.ConfigError) {
	obj := connectors.ParseConfig(raw, "webhook_url")
	c := config{WebhookURL: obj.String("webhook_url", true)}
	if c.WebhookURL != "" {
		id, token, ok := parseWebhookURL(c.WebhookURL)
		switch {
		case strings.Contains(c.WebhookURL, connectors.Masked):
			obj.Fail("webhook_url", connectors.MaskedSent)
		case !ok:
			obj.Fail("webhook_url", "must be a Discord webhook URL (https://discord.com/api/webhooks/{id}/{token})")
		}
		c.ID, c.Token = id, token
	}
	return c, obj.Errors()
}

// parseWebhookURL returns the webhook ID and token of a webhook URL. Only
// the path counts: requests go to HERALD_DISCORD_API_URL whatever host
// the pasted URL names.
func parseWebhookURL(s string) (id, token string, ok bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "", "", false
	}
	m := webhookPath.FindStringSubmatch(u.Path)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// Validate implements connectors.Kind.
func (k *Kind) Validate(raw json.RawMessage) []connectors.ConfigError {
	_, errs := parseConfig(raw)
	return errs
}

// Mask implements connectors.Kind: the webhook URL keeps its ID and loses
// its token ("https://discord.com/api/webhooks/123/****").
func (k *Kind) Mask(raw json.RawMessage) json.RawMessage {
	return connectors.MaskFields(raw, map[string]func(string) string{"webhook_url": maskWebhookURL})
}

func maskWebhookURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return connectors.Masked
	}
	if _, _, ok := parseWebhookURL(s); !ok {
		// Not a webhook URL: show where it points, nothing of its path.
		if u.Host == "" {
			return connectors.Masked
		}
		return u.Scheme + "://" + u.Host + "/" + connectors.Masked
	}
	// The token is the path's last segment (webhookPath); the text before
	// it, ID included, stays.
	p := strings.TrimSuffix(u.Path, "/")
	return u.Scheme + "://" + u.Host + p[:strings.LastIndexByte(p, '/')+1] + connectors.Masked
}
