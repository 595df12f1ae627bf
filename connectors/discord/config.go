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
	ThreadID   string // from ?thread_id=: post into that thread (or forum post)
}

// webhookPath matches /api/webhooks/{id}/{token}, with an optional API
// version (/api/v10/webhooks/...).
var webhookPath = regexp.MustCompile(`^/api(?:/v[0-9]+)?/webhooks/([0-9]{1,20})/([A-Za-z0-9._-]{1,200})/?$`)

// parseConfig decodes and checks raw, returning one error per bad field.
func parseConfig(raw json.RawMessage) (config, []connectors.ConfigError) {
	obj := connectors.ParseConfig(raw, "webhook_url")
	c := config{WebhookURL: obj.String("webhook_url", true)}
	if c.WebhookURL != "" {
		hook, ok := parseWebhookURL(c.WebhookURL)
		switch {
		case strings.Contains(c.WebhookURL, connectors.Masked):
			obj.Fail("webhook_url", connectors.MaskedSent)
		case !ok:
			obj.Fail("webhook_url", "must be a Discord webhook URL (https://discord.com/api/webhooks/{id}/{token})")
		case hook.badQuery:
			obj.Fail("webhook_url", "may have only a thread_id (a numeric ID) in its query")
		}
		c.ID, c.Token, c.ThreadID = hook.id, hook.token, hook.threadID
	}
	return c, obj.Errors()
}

// webhook is what a pasted webhook URL names.
type webhook struct {
	id, token, threadID string
	// badQuery is set when the query holds more than a numeric thread_id
	// (and Discord's own wait, which Herald sets anyway).
	badQuery bool
}

// snowflake matches a Discord ID.
var snowflake = regexp.MustCompile(`^[0-9]{1,20}$`)

// parseWebhookURL reads a webhook URL; ok is false when it is not one.
// Only the path and query count: requests go to HERALD_DISCORD_API_URL
// whatever host the pasted URL names.
func parseWebhookURL(s string) (h webhook, ok bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return h, false
	}
	m := webhookPath.FindStringSubmatch(u.Path)
	if m == nil {
		return h, false
	}
	h.id, h.token = m[1], m[2]
	q, err := url.ParseQuery(u.RawQuery)
	for name, values := range q {
		switch {
		case name == "thread_id" && len(values) == 1 && snowflake.MatchString(values[0]):
			h.threadID = values[0]
		case name != "wait":
			h.badQuery = true
		}
	}
	h.badQuery = h.badQuery || err != nil
	return h, true
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
	hook, ok := parseWebhookURL(s)
	if !ok {
		// Not a webhook URL: show where it points, nothing of its path.
		if u.Host == "" {
			return connectors.Masked
		}
		return u.Scheme + "://" + u.Host + "/" + connectors.Masked
	}
	// The token is the path's last segment (webhookPath); the text before
	// it, ID included, stays.
	p := strings.TrimSuffix(u.Path, "/")
	masked := u.Scheme + "://" + u.Host + p[:strings.LastIndexByte(p, '/')+1] + connectors.Masked
	if hook.threadID != "" {
		masked += "?thread_id=" + hook.threadID
	}
	return masked
}
