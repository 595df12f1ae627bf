package slack

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"unicode"

	"github.com/heraldhub/herald/connectors"
)

// config is a Slack connector's configuration: an incoming webhook URL, or
// a bot token and a channel (SPEC §8).
type config struct {
	WebhookURL string
	Token      string
	Channel    string
}

// parseConfig decodes and checks raw, returning one error per bad field.
func parseConfig(raw json.RawMessage) (config, []connectors.ConfigError) {
	obj := connectors.ParseConfig(raw, "webhook_url", "token", "channel")
	c := config{
		WebhookURL: obj.String("webhook_url", false),
		Token:      obj.String("token", false),
		Channel:    obj.String("channel", false),
	}
	hook, token, channel := obj.Has("webhook_url"), obj.Has("token"), obj.Has("channel")
	switch {
	case hook && (token || channel):
		for name, set := range map[string]bool{"token": token, "channel": channel} {
			if set {
				obj.Fail(name, "not allowed together with webhook_url")
			}
		}
	case !hook && !token && !channel:
		obj.Fail("webhook_url", "is required unless token and channel are given")
	case token && !channel:
		obj.Fail("channel", "is required with token")
	case channel && !token:
		obj.Fail("token", "is required with channel")
	}
	// A read shows credentials masked; a config sent back as read must not
	// replace the real ones with the mask.
	switch {
	case strings.Contains(c.WebhookURL, connectors.Masked):
		obj.Fail("webhook_url", connectors.MaskedSent)
	case c.WebhookURL != "":
		if reason := checkWebhookURL(c.WebhookURL); reason != "" {
			obj.Fail("webhook_url", reason)
		}
	}
	switch {
	case strings.Contains(c.Token, connectors.Masked):
		obj.Fail("token", connectors.MaskedSent)
	case c.Token != "" && !tokenShape.MatchString(c.Token):
		obj.Fail("token", "must be a Slack token (xoxb-…)")
	}
	if c.Channel != "" && strings.ContainsFunc(c.Channel, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		obj.Fail("channel", "must be a channel ID or name without spaces or control characters")
	}
	return c, obj.Errors()
}

// tokenShape is a Slack token: "xox", its type ("b-", "p-", or a
// rotating "e.xoxb-") and printable ASCII, nothing else.
var tokenShape = regexp.MustCompile(`^xox[!-~]+$`)

// checkWebhookURL returns why s is no webhook URL, or "".
func checkWebhookURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || len(s) > 2048 || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return "must be an absolute http(s) URL of at most 2048 characters"
	case u.User != nil:
		return "must not contain credentials (user:password@)"
	}
	return ""
}

// secrets are the parts of c that must never be logged: the token, or the
// webhook URL's path (below Slack's "/services/") and its query.
func (c config) secrets() []string {
	if c.Token != "" {
		return []string{c.Token}
	}
	u, err := url.Parse(c.WebhookURL)
	if err != nil {
		return []string{c.WebhookURL}
	}
	return []string{webhookSecret(u), u.RawQuery}
}

// webhookSecret is the part of a webhook path that authorises posting:
// "T000/B000/XXXX" of Slack's "/services/T000/B000/XXXX", and the whole
// path of any other URL (a Slack-compatible gateway may put its token in
// any segment).
func webhookSecret(u *url.URL) string {
	p := strings.Trim(u.EscapedPath(), "/")
	if rest, ok := strings.CutPrefix(p, "services/"); ok && rest != "" {
		return rest
	}
	return p
}

// Validate implements connectors.Kind.
func (k *Kind) Validate(raw json.RawMessage) []connectors.ConfigError {
	_, errs := parseConfig(raw)
	return errs
}

// AdminURLs returns the URLs of a config that its admin chose, by field:
// the incoming webhook URL, which the API checks against private addresses
// as it does a webhook's URL.
func (k *Kind) AdminURLs(raw json.RawMessage) map[string]string {
	c, _ := parseConfig(raw)
	if c.WebhookURL == "" {
		return nil
	}
	return map[string]string{"webhook_url": c.WebhookURL}
}

// Mask implements connectors.Kind: "xoxb-****" for a token and
// "https://hooks.slack.com/services/****" for a webhook URL.
func (k *Kind) Mask(raw json.RawMessage) json.RawMessage {
	return connectors.MaskFields(raw, map[string]func(string) string{
		"token":       maskToken,
		"webhook_url": maskWebhookURL,
	})
}

func maskToken(t string) string {
	if prefix, _, ok := strings.Cut(t, "-"); ok && len(prefix) <= 5 {
		return prefix + "-" + connectors.Masked
	}
	return connectors.Masked
}

func maskWebhookURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return connectors.Masked
	}
	out := u.Scheme + "://" + u.Host + "/"
	if strings.HasPrefix(strings.Trim(u.EscapedPath(), "/"), "services/") {
		out += "services/"
	}
	return out + connectors.Masked
}
