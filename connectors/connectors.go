// Package connectors turns Herald events into chat messages. Each service
// (slack/, discord/, telegram/) implements Sender with the service's real
// client library or API, pointed at a configurable base URL; message/
// renders the service-neutral Message from an event.
package connectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/delivery"
	"github.com/heraldhub/herald/netguard"
)

// Connector kinds.
const (
	KindSlack    = "slack"
	KindDiscord  = "discord"
	KindTelegram = "telegram"
)

// Field is one key fact of a message ("Rank": "Sergeant").
type Field struct {
	Name  string
	Value string
}

// Action colours and words come from the event's action.
const (
	ActionCreated = "created"
	ActionUpdated = "updated"
	ActionDeleted = "deleted"
)

// Message is a service-neutral chat message for one event.
type Message struct {
	// Title is a short headline ("Promotion").
	Title string
	// Text is the summary line ("SSG Jordan Reyes was promoted to Sergeant
	// First Class."). A connector template replaces it.
	Text string
	// Fields are the key facts, in display order.
	Fields []Field
	// Event is the event name ("rankrecord.created"); Action its action.
	Event  string
	Action string
	// Time is when the event happened (the envelope's created).
	Time time.Time
	// Note is set when the connector's template failed at render time and
	// the default text was used instead; it goes into the log entry.
	Note string
}

// Exchange is what one HTTP request to a chat service looked like, for the
// request log. Credentials are already masked.
type Exchange struct {
	Request  herald.LogRequest
	Response *herald.LogResponse
	Duration time.Duration
}

// Error is a failed send, classified for retries. Reason never contains a
// token, webhook URL secret or message body.
type Error struct {
	Reason     string
	Retryable  bool
	RetryAfter time.Duration // the delay the service asked for, if any
	StatusCode int
}

func (e *Error) Error() string { return e.Reason }

// Sender sends one message with one connector's configuration. It returns
// the exchanges it made (normally one) and nil, or an *Error. It must not
// sleep or retry on its own: Temporal owns waiting.
type Sender interface {
	Send(ctx context.Context, config json.RawMessage, msg Message) ([]Exchange, error)
}

// ConfigError is returned by a kind's config validation.
type ConfigError struct {
	Field   string // path below "config", e.g. "webhook_url"
	Message string
}

func (e *ConfigError) Error() string { return fmt.Sprintf("config.%s: %s", e.Field, e.Message) }

// Kind is one chat service: how to validate and mask its configuration,
// and how to send to it.
type Kind interface {
	Sender
	// Validate checks a connector's config object and returns one error
	// per bad field (nil when valid).
	Validate(config json.RawMessage) []ConfigError
	// Mask returns the config as API reads show it: tokens and webhook
	// URLs masked, other fields as they are.
	Mask(config json.RawMessage) json.RawMessage
}

// Masked stands in for a secret wherever Herald shows or logs it.
const Masked = "****"

// MaskedSent is the config error of a field sent back with the mask a
// read shows in place of the credential.
const MaskedSent = "is the masked value a read shows; send the real one"

// Permanent returns a send error that retrying will not fix.
func Permanent(status int, reason string) *Error {
	return &Error{Reason: reason, StatusCode: status}
}

// Retryable returns a send error worth retrying; after is the delay the
// service asked for (0 when it named none), kept between 0 and a year: the
// client libraries turn a service's number into a Duration unchecked, so a
// huge or negative one arrives negative.
func Retryable(status int, after time.Duration, reason string) *Error {
	after = min(max(after, 0), maxRetryAfterSeconds*time.Second)
	return &Error{Reason: reason, Retryable: true, RetryAfter: after, StatusCode: status}
}

// StatusError classifies a failed HTTP answer the way SPEC §6 classifies a
// receiver's: 408, 425, 429 and 5xx are retryable, any other status is not.
func StatusError(status int, after time.Duration, reason string) *Error {
	if status == http.StatusRequestTimeout || status == http.StatusTooEarly ||
		status == http.StatusTooManyRequests || status >= 500 {
		return Retryable(status, after, reason)
	}
	return Permanent(status, reason)
}

// RetryAfter reads the Retry-After header among recorded response
// headers: delay seconds (gateways sometimes send fractions) or an HTTP
// date, as SPEC §6 allows for receivers. Absent or unreadable means 0.
func RetryAfter(headers map[string]string, now time.Time) time.Duration {
	for name, v := range headers {
		if !strings.EqualFold(name, "Retry-After") {
			continue
		}
		if n, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && n > 0 {
			return time.Duration(min(n, maxRetryAfterSeconds) * float64(time.Second))
		}
		if d, ok := delivery.ParseRetryAfter(v, now); ok {
			return d
		}
	}
	return 0
}

// maxRetryAfterSeconds bounds a fractional Retry-After (a year), so the
// conversion to a Duration cannot overflow.
const maxRetryAfterSeconds = 365 * 24 * 3600

// MaxRetryAfterSeconds is the longest retry delay a service may ask for,
// in whole seconds: a kind bounds a service's number by it before making
// it a Duration, which could overflow.
const MaxRetryAfterSeconds = maxRetryAfterSeconds

// TransportError classifies an error from a request that got no answer
// (refused connection, reset, timeout, cancelled context). Such errors are
// retryable, except a dial Herald refused because the address is not
// public (netguard), which no retry changes. The reason names the kind of
// failure; it never repeats the *url.Error's text, which holds the full
// request URL and so the token.
func TransportError(ctx context.Context, err error) *Error {
	var netErr net.Error
	var unsafe *netguard.UnsafeTargetError
	switch {
	case errors.As(err, &unsafe):
		return Permanent(0, unsafe.Error())
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return Retryable(0, 0, "request timed out")
	case ctx.Err() != nil, errors.Is(err, context.Canceled):
		return Retryable(0, 0, "request cancelled")
	case errors.As(err, &netErr) && netErr.Timeout():
		return Retryable(0, 0, "request timed out")
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return Retryable(0, 0, "network error: "+opErr.Error())
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return Retryable(0, 0, "network error: connection closed without an answer")
	}
	return Retryable(0, 0, "network error")
}

// Truncate shortens s to at most max characters (runes), ending a cut
// text with "…".
func Truncate(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// ConfigObject is a connector config split into its top-level fields, for
// a kind's validation. It collects one ConfigError per bad field.
type ConfigObject struct {
	fields map[string]json.RawMessage
	errs   []ConfigError
}

// ParseConfig splits raw into its fields, reporting every field not in
// known. A config that is not a JSON object gets one error with an empty
// Field (the config itself).
func ParseConfig(raw json.RawMessage, known ...string) *ConfigObject {
	c := &ConfigObject{}
	if err := json.Unmarshal(raw, &c.fields); err != nil || c.fields == nil {
		c.Fail("", "must be a JSON object")
		return c
	}
	for name := range c.fields {
		if !slices.Contains(known, name) {
			c.Fail(name, "unknown field")
		}
	}
	return c
}

// Has reports whether the field is present and not null.
func (c *ConfigObject) Has(name string) bool {
	v, ok := c.fields[name]
	return ok && string(v) != "null"
}

// String returns a string field, recording an error when it is required
// and absent, not a string, or blank.
func (c *ConfigObject) String(name string, required bool) string {
	if !c.Has(name) {
		if required {
			c.Fail(name, "is required")
		}
		return ""
	}
	var s string
	if err := json.Unmarshal(c.fields[name], &s); err != nil {
		c.Fail(name, "must be a string")
		return ""
	}
	if strings.TrimSpace(s) == "" {
		c.Fail(name, "must not be empty")
	}
	return s
}

// Raw returns a field as it was written (nil when absent or null).
func (c *ConfigObject) Raw(name string) json.RawMessage {
	if !c.Has(name) {
		return nil
	}
	return c.fields[name]
}

// Fail records an error for field.
func (c *ConfigObject) Fail(field, message string) {
	c.errs = append(c.errs, ConfigError{Field: field, Message: message})
}

// Errors returns the recorded errors ordered by field, nil when there are
// none. A config that is not an object gets that one error only.
func (c *ConfigObject) Errors() []ConfigError {
	if len(c.errs) == 0 {
		return nil
	}
	if c.fields == nil {
		return c.errs[:1]
	}
	slices.SortStableFunc(c.errs, func(a, b ConfigError) int { return strings.Compare(a.Field, b.Field) })
	return c.errs
}

// MaskFields returns raw with each named field's string value replaced by
// its mask function's result (a non-string value becomes Masked) and all
// other fields as they are. A config that is not a JSON object becomes {}.
func MaskFields(raw json.RawMessage, masks map[string]func(string) string) json.RawMessage {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return json.RawMessage(`{}`)
	}
	for name, mask := range masks {
		v, ok := fields[name]
		if !ok || string(v) == "null" {
			continue
		}
		var s string
		if json.Unmarshal(v, &s) == nil {
			s = mask(s)
		} else {
			s = Masked
		}
		fields[name], _ = json.Marshal(s)
	}
	out, err := json.Marshal(fields)
	if err != nil {
		return json.RawMessage(`{}`)
	}
	return out
}
