// Package slack sends Herald messages to Slack with github.com/slack-go/slack,
// either through an incoming webhook or with a bot token (chat.postMessage).
package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/connectors"
)

// Kind is the Slack connector kind. It is safe for concurrent use.
type Kind struct {
	hooks   *http.Client // to incoming-webhook URLs, which admins supply
	api     *http.Client // to baseURL, which the operator chose
	baseURL string
}

var _ connectors.Kind = (*Kind)(nil)

// New returns the Slack kind. Webhook connectors post to their own URL
// through hooks; token connectors call the Web API at baseURL
// (HERALD_SLACK_API_URL, e.g. "https://slack.com/api/") through api. Both
// clients are wrapped so that requests are recorded (see
// connectors.RecordingClient).
func New(hooks, api *http.Client, baseURL string) *Kind {
	if !strings.HasSuffix(baseURL, "/") {
		baseURL += "/"
	}
	return &Kind{hooks: connectors.RecordingClient(hooks), api: connectors.RecordingClient(api), baseURL: baseURL}
}

// Send posts msg as Block Kit blocks. It makes one request and never
// sleeps or retries: a rate limit comes back as a retryable *connectors.Error
// with the Retry-After delay. Cancelling ctx aborts the request.
func (k *Kind) Send(ctx context.Context, raw json.RawMessage, msg connectors.Message) ([]connectors.Exchange, error) {
	cfg, errs := parseConfig(raw)
	if errs != nil {
		return nil, connectors.Permanent(0, "invalid slack config: "+errs[0].Error())
	}
	ctx, rec := connectors.Record(ctx)
	var err error
	if cfg.WebhookURL != "" {
		err = slack.PostWebhookCustomHTTPContext(ctx, cfg.WebhookURL, k.hooks, &slack.WebhookMessage{
			Text:        fallback(msg),
			Blocks:      &slack.Blocks{BlockSet: blocks(msg)},
			Parse:       "none",
			UnfurlLinks: new(false),
			UnfurlMedia: new(false),
		})
	} else {
		// A client per send: slack.Client holds only the token and the
		// endpoint. Its retries stay off (no OptionRetry), so Temporal
		// owns waiting.
		api := slack.New(cfg.Token, slack.OptionAPIURL(k.baseURL), slack.OptionHTTPClient(k.api))
		_, _, err = api.PostMessageContext(ctx, cfg.Channel,
			slack.MsgOptionText(fallback(msg), false), // already escaped
			slack.MsgOptionBlocks(blocks(msg)...),
			slack.MsgOptionParse(false),
			slack.MsgOptionDisableLinkUnfurl(),
			slack.MsgOptionDisableMediaUnfurl(),
		)
	}
	secrets := cfg.secrets()
	exchanges := rec.Exchanges(secrets...)
	var status slack.StatusCodeError
	if errors.As(err, &status) && status.Code/100 == 2 &&
		(cfg.WebhookURL != "" || isOK(lastAnswer(exchanges))) {
		// slack-go takes only 200; a Slack-compatible gateway answering
		// 201 or 204 to a webhook, or 201 with "ok": true to the Web API,
		// took the message too, and a retry would post it again.
		err = nil
	}
	if err == nil && cfg.WebhookURL == "" {
		if last := lastAnswer(exchanges); last != nil && notOK(last.Body) {
			// slack-go reads {"ok":false} without an "error" code as
			// success; Slack always names one, a gateway may not.
			return exchanges, connectors.Permanent(last.Status, "slack: ok false without an error code")
		}
	}
	if err == nil {
		return exchanges, nil
	}
	e := classify(ctx, err, exchanges)
	e.Reason = connectors.Redact(e.Reason, secrets...)
	return exchanges, e
}

// transientCodes are Web API error codes that a later attempt may not get.
var transientCodes = map[string]bool{
	"ratelimited": true, "rate_limited": true, "internal_error": true,
	"fatal_error": true, "service_unavailable": true, "request_timeout": true,
}

// errorCode matches the short error codes Slack answers with
// ("invalid_auth", "no_service"); anything else in a body is not repeated.
var errorCode = regexp.MustCompile(`^[a-z][a-z0-9_]{1,63}$`)

// classify turns a slack-go error into a *connectors.Error, using the
// recorded answer where the library drops it (webhook bodies, a
// Retry-After it could not parse).
func classify(ctx context.Context, err error, exchanges []connectors.Exchange) *connectors.Error {
	var last *connectors.Exchange
	if n := len(exchanges); n > 0 {
		last = &exchanges[n-1]
	}
	if last == nil || last.Response == nil {
		return connectors.TransportError(ctx, err)
	}
	status := last.Response.Status
	var limited *slack.RateLimitedError
	if errors.As(err, &limited) {
		return connectors.Retryable(status, limited.RetryAfter, "slack: rate limited")
	}
	var apiErr slack.SlackErrorResponse
	if errors.As(err, &apiErr) {
		reason := "slack: " + codeOr(apiErr.Err, "error")
		if transientCodes[apiErr.Err] {
			return connectors.Retryable(status, connectors.RetryAfter(last.Response.Headers, time.Now()), reason)
		}
		return connectors.Permanent(status, reason)
	}
	reason := "slack answered " + strconv.Itoa(status)
	if code := strings.TrimSpace(last.Response.Body); errorCode.MatchString(code) {
		reason += ": " + code
	}
	if status >= 200 && status < 300 {
		// A 2xx the library could not read: the message may well have
		// gone out. A retry would get the same answer, and post again
		// each time, so it fails at once.
		return connectors.Permanent(status, reason+" (unreadable answer; not retried, the message may have been posted)")
	}
	return connectors.StatusError(status, connectors.RetryAfter(last.Response.Headers, time.Now()), reason)
}

func codeOr(code, def string) string {
	if errorCode.MatchString(code) {
		return code
	}
	return def
}

// lastAnswer is the response to the last request made, if it got one.
func lastAnswer(exchanges []connectors.Exchange) *herald.LogResponse {
	if n := len(exchanges); n > 0 {
		return exchanges[n-1].Response
	}
	return nil
}

// isOK reports whether a Web API answer says "ok": true.
func isOK(r *herald.LogResponse) bool {
	var a struct {
		OK bool `json:"ok"`
	}
	return r != nil && json.Unmarshal([]byte(r.Body), &a) == nil && a.OK
}

// notOK reports whether a Web API answer says "ok": false.
func notOK(body string) bool {
	var a struct {
		OK *bool `json:"ok"`
	}
	return json.Unmarshal([]byte(body), &a) == nil && a.OK != nil && !*a.OK
}
