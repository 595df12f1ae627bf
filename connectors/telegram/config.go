package telegram

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"github.com/heraldhub/herald/connectors"
)

// config is a Telegram connector's configuration (SPEC §8).
type config struct {
	Token    string // "123456:ABC..."
	ChatID   string // "-100123" or "@channelname"
	ThreadID int64  // forum topic; 0 for none
}

var (
	tokenShape  = regexp.MustCompile(`^[0-9]{1,20}:[A-Za-z0-9_-]{1,200}$`)
	chatIDShape = regexp.MustCompile(`^(-?[1-9][0-9]{0,19}|@[A-Za-z][A-Za-z0-9_]{3,63})$`) // no chat has ID 0
)

// parseConfig decodes and checks raw, returning one error per bad field.
// chat_id may be a string or an integer.
func parseConfig(raw json.RawMessage) (config, []connectors.ConfigError) {
	obj := connectors.ParseConfig(raw, "token", "chat_id", "message_thread_id")
	c := config{Token: obj.String("token", true)}
	switch {
	case strings.Contains(c.Token, connectors.Masked):
		obj.Fail("token", connectors.MaskedSent)
	case c.Token != "" && !tokenShape.MatchString(c.Token):
		obj.Fail("token", "must be a bot token of the form 123456:ABC…")
	}
	switch v := obj.Raw("chat_id"); {
	case v == nil:
		obj.Fail("chat_id", "is required")
	case json.Unmarshal(v, &c.ChatID) == nil:
		if !chatIDShape.MatchString(c.ChatID) {
			obj.Fail("chat_id", "must be a numeric chat ID or an @channel username")
		}
	default:
		var n int64
		if err := json.Unmarshal(v, &n); err != nil {
			obj.Fail("chat_id", "must be a string or an integer")
		} else if n == 0 {
			obj.Fail("chat_id", "must be a numeric chat ID or an @channel username")
		}
		c.ChatID = strconv.FormatInt(n, 10)
	}
	if v := obj.Raw("message_thread_id"); v != nil {
		if err := json.Unmarshal(v, &c.ThreadID); err != nil || c.ThreadID <= 0 {
			obj.Fail("message_thread_id", "must be a positive integer")
		}
	}
	return c, obj.Errors()
}

// secret is the part of the token after the bot ID: the bot ID alone
// authorises nothing, and the log keeps it to tell bots apart.
func (c config) secret() string {
	if _, s, ok := strings.Cut(c.Token, ":"); ok {
		return s
	}
	return c.Token
}

// Validate implements connectors.Kind.
func (k *Kind) Validate(raw json.RawMessage) []connectors.ConfigError {
	_, errs := parseConfig(raw)
	return errs
}

// Mask implements connectors.Kind: "123456:****" for the token.
func (k *Kind) Mask(raw json.RawMessage) json.RawMessage {
	return connectors.MaskFields(raw, map[string]func(string) string{"token": maskToken})
}

func maskToken(t string) string {
	if id, _, ok := strings.Cut(t, ":"); ok && id != "" && strings.Trim(id, "0123456789") == "" {
		return id + ":" + connectors.Masked
	}
	return connectors.Masked
}
