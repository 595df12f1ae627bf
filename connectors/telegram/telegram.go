// Package telegram sends Herald messages to Telegram chats through the Bot
// API's sendMessage method, as HTML.
//
// It uses a small net/http client of its own (client.go) rather than a
// Telegram library: the one Herald needs is a single method, and the
// common Go library (go-telegram-bot-api) is unmaintained, calls getMe over
// the network in its constructor and takes no context per request.
package telegram

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhub/herald/connectors"
)

// Kind is the Telegram connector kind. It is safe for concurrent use.
type Kind struct {
	bot botClient
}

var _ connectors.Kind = (*Kind)(nil)

// New returns the Telegram kind. Requests go through client, wrapped so
// that they are recorded (see connectors.RecordingClient), to baseURL
// (HERALD_TELEGRAM_API_URL, e.g. "https://api.telegram.org").
func New(client *http.Client, baseURL string) *Kind {
	return &Kind{bot: botClient{http: connectors.RecordingClient(client), baseURL: strings.TrimRight(baseURL, "/")}}
}

// Send posts msg to the configured chat (and topic). It makes one request
// and never sleeps or retries: a rate limit comes back as a retryable
// *connectors.Error with Telegram's parameters.retry_after. Cancelling ctx
// aborts the request.
func (k *Kind) Send(ctx context.Context, raw json.RawMessage, msg connectors.Message) ([]connectors.Exchange, error) {
	cfg, errs := parseConfig(raw)
	if errs != nil {
		return nil, connectors.Permanent(0, "invalid telegram config: "+errs[0].Error())
	}
	ctx, rec := connectors.Record(ctx)
	status, a, err := k.bot.call(ctx, cfg.Token, "sendMessage", sendMessageRequest{
		ChatID:             cfg.ChatID,
		MessageThreadID:    cfg.ThreadID,
		Text:               render(msg),
		ParseMode:          "HTML",
		LinkPreviewOptions: linkPreviewOptions{IsDisabled: true},
	})
	exchanges := rec.Exchanges(cfg.secret())
	var e *connectors.Error
	switch {
	case status == 0:
		e = connectors.TransportError(ctx, err)
	case err != nil:
		e = connectors.TransportError(ctx, err)
		e.StatusCode = status
	default:
		e = classify(status, a)
	}
	if e == nil {
		return exchanges, nil
	}
	if n := len(exchanges); e.Retryable && e.RetryAfter == 0 && n > 0 && exchanges[n-1].Response != nil {
		// No parameters.retry_after (a gateway's plain-text 429, say):
		// the header, when there is one, still names the wait.
		e.RetryAfter = connectors.RetryAfter(exchanges[n-1].Response.Headers, time.Now())
	}
	e.Reason = connectors.Redact(e.Reason, cfg.Token, cfg.secret())
	return exchanges, e
}

// classify reads a Bot API answer: nil for success; 429 is retried after
// parameters.retry_after; 400 (bad request, chat not found), 401 (invalid
// token), 403 (bot blocked or kicked) and 404 fail at once; 5xx are retried.
func classify(status int, a answer) *connectors.Error {
	if status >= 200 && status < 300 && a.OK {
		return nil
	}
	code := a.ErrorCode
	if code == 0 {
		code = status
	}
	reason := "telegram answered " + strconv.Itoa(code)
	if a.Description != "" {
		reason += ": " + connectors.Truncate(a.Description, 200)
	}
	if id := a.Parameters.MigrateToChatID; id != 0 {
		return connectors.Permanent(status, reason+"; the group is now a supergroup, set chat_id to "+strconv.FormatInt(id, 10))
	}
	if code == http.StatusTooManyRequests {
		// Bounded before the multiplication, which could overflow.
		return connectors.Retryable(status, time.Duration(min(max(a.Parameters.RetryAfter, 0), connectors.MaxRetryAfterSeconds))*time.Second, reason)
	}
	if status >= 200 && status < 300 {
		// 2xx without ok: not an answer the Bot API gives (a gateway's,
		// say). The message may have gone out, and a retry would get the
		// same answer and post again each time, so it fails at once.
		return connectors.Permanent(status, reason+" (unexpected answer; not retried, the message may have been posted)")
	}
	return connectors.StatusError(status, 0, reason)
}
