// Package discord sends Herald messages to Discord webhooks with
// github.com/bwmarrin/discordgo, as one embed that pings nobody.
package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/connectors"
)

// userAgent follows Discord's required "DiscordBot (url, version)" form.
const userAgent = "DiscordBot (https://github.com/heraldhub/herald, " + herald.Version + ")"

// Kind is the Discord connector kind. It is safe for concurrent use.
type Kind struct {
	client *http.Client
}

var _ connectors.Kind = (*Kind)(nil)

// New returns the Discord kind. Requests go through client, wrapped so
// that they are recorded (see connectors.RecordingClient), to baseURL, the
// API root (HERALD_DISCORD_API_URL, e.g. "https://discord.com/api/v9/").
//
// Messages are sent with discordgo's Session.WebhookExecute, which builds
// its URL from the package's endpoint variables (discordgo.EndpointAPI).
// Changing those would redirect every discordgo user in the process and
// race with concurrent sends, so the client's transport moves requests
// from discordgo.EndpointAPI to baseURL instead (a no-op for Discord's own
// API root). The request log records the URL actually called.
func New(client *http.Client, baseURL string) *Kind {
	if !strings.HasSuffix(baseURL, "/") {
		baseURL += "/"
	}
	c := *connectors.RecordingClient(client)
	if baseURL != discordgo.EndpointAPI {
		c.Transport = rebase{from: discordgo.EndpointAPI, to: baseURL, next: c.Transport}
	}
	return &Kind{client: &c}
}

// rebase sends requests for URLs under from to the same path under to.
type rebase struct {
	from, to string
	next     http.RoundTripper
}

func (r rebase) RoundTrip(req *http.Request) (*http.Response, error) {
	u := req.URL.String()
	if !strings.HasPrefix(u, r.from) {
		return r.next.RoundTrip(req)
	}
	moved, err := url.Parse(r.to + strings.TrimPrefix(u, r.from))
	if err != nil {
		return nil, fmt.Errorf("discord: rebase request URL: %w", err)
	}
	req = req.Clone(req.Context())
	req.URL, req.Host = moved, moved.Host
	return r.next.RoundTrip(req)
}

// session returns a discordgo session that makes exactly one request per
// call and never sleeps. It is new for every send, so its rate limiter has
// no buckets: discordgo's RateLimiter sleeps before a request only when an
// earlier answer in the same session exhausted the bucket.
func (k *Kind) session() *discordgo.Session {
	s, _ := discordgo.New("") // cannot fail; no token, webhooks carry their own
	s.Client = k.client
	s.UserAgent = userAgent
	s.ShouldRetryOnRateLimit = false // a 429 returns *RateLimitError instead of time.Sleep and a retry
	s.MaxRestRetries = 0             // a 502 is returned, not sent again
	// Below LogError: discordgo logs through the standard logger, some
	// lines with the request URL and so the webhook token. Herald logs
	// the classified error instead.
	s.LogLevel = discordgo.LogError - 1
	return s
}

// Send executes the connector's webhook with msg as an embed. It makes one
// request and never sleeps or retries: a rate limit comes back as a
// retryable *connectors.Error with Discord's retry_after. Cancelling ctx
// aborts the request.
func (k *Kind) Send(ctx context.Context, raw json.RawMessage, msg connectors.Message) ([]connectors.Exchange, error) {
	cfg, errs := parseConfig(raw)
	if errs != nil {
		return nil, connectors.Permanent(0, "invalid discord config: "+errs[0].Error())
	}
	ctx, rec := connectors.Record(ctx)
	_, err := k.session().WebhookThreadExecute(cfg.ID, cfg.Token, true, cfg.ThreadID, params(msg),
		discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false), discordgo.WithRestRetries(0))
	exchanges := rec.Exchanges(cfg.Token)
	if err == nil {
		return exchanges, nil
	}
	e := classify(ctx, err, exchanges)
	if e == nil {
		return exchanges, nil
	}
	e.Reason = connectors.Redact(e.Reason, cfg.Token)
	return exchanges, e
}

// classify turns a discordgo error into a *connectors.Error, falling back
// on the recorded answer where discordgo returns a plain error (a 502, a
// 429 whose body is not Discord's JSON). It returns nil when the answer
// was a 2xx and only discordgo's reading of rate-limit headers failed: the
// message was posted.
func classify(ctx context.Context, err error, exchanges []connectors.Exchange) *connectors.Error {
	if len(exchanges) == 0 || exchanges[len(exchanges)-1].Response == nil {
		return connectors.TransportError(ctx, err)
	}
	resp := exchanges[len(exchanges)-1].Response
	var limited *discordgo.RateLimitError
	if errors.As(err, &limited) && limited.RateLimit != nil && limited.TooManyRequests != nil {
		// A gateway in front of Discord may give the wait in the
		// Retry-After header alone.
		wait := limited.RetryAfter
		if wait <= 0 {
			wait = connectors.RetryAfter(resp.Headers, time.Now())
		}
		return connectors.Retryable(resp.Status, wait, "discord: rate limited")
	}
	if resp.Status >= 200 && resp.Status < 300 {
		return nil
	}
	reason := "discord answered " + strconv.Itoa(resp.Status)
	var rest *discordgo.RESTError
	if errors.As(err, &rest) && rest.Message != nil && rest.Message.Message != "" {
		reason += fmt.Sprintf(": %s (code %d)", connectors.Truncate(rest.Message.Message, 200), rest.Message.Code)
	}
	return connectors.StatusError(resp.Status, connectors.RetryAfter(resp.Headers, time.Now()), reason)
}
