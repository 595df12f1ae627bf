package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/http/httpguts"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/catalog"
	"github.com/heraldhub/herald/signature"
)

// Limits on webhook settings.
const (
	maxURLLength     = 2048
	maxEvents        = 100
	maxHeaders       = 20
	maxHeaderValue   = 1024
	maxDescription   = 1024
	minSecret        = 16
	maxSecret        = 255
	maxAgeLimit      = 30 * 24 * 3600
	maxIntervalLimit = 7 * 24 * 3600
)

// webhookInput is the body of POST and PATCH /v1/webhooks. Pointers tell a
// missing field from a zero one, so PATCH changes only what it names.
type webhookInput struct {
	URL                *string            `json:"url"`
	Method             *string            `json:"method"`
	Events             *[]json.RawMessage `json:"events"`
	Secret             *string            `json:"secret"`
	Description        *string            `json:"description"`
	Enabled            *bool              `json:"enabled"`
	Headers            *map[string]string `json:"headers"`
	TimeoutSeconds     *int               `json:"timeout_seconds"`
	Retry              *retryInput        `json:"retry"`
	RateLimitPerSecond *int               `json:"rate_limit_per_second"`
}

type retryInput struct {
	InitialIntervalSeconds *int     `json:"initial_interval_seconds"`
	BackoffCoefficient     *float64 `json:"backoff_coefficient"`
	MaxIntervalSeconds     *int     `json:"max_interval_seconds"`
	MaxAgeSeconds          *int     `json:"max_age_seconds"`
	MaxAttempts            *int     `json:"max_attempts"`
}

// reservedHeaders may not be set as custom headers: Herald owns them, or
// they are hop-by-hop headers of the connection itself, which an HTTP/2
// request must not carry (Go refuses to send one with Upgrade).
var reservedHeaders = map[string]bool{
	"Signature": true, "Host": true, "Content-Length": true, "Content-Type": true,
	"User-Agent": true, "Transfer-Encoding": true, "Connection": true,
	"Upgrade": true, "Keep-Alive": true, "Proxy-Connection": true, "Te": true, "Trailer": true,
}

// apply validates in and copies it onto w. create demands the required
// fields. Every bad field gets its own entry; on error w may be partly
// changed and must be thrown away.
func (s *Server) apply(ctx context.Context, w *herald.Webhook, in *webhookInput, create bool) error {
	var errs []herald.FieldError
	add := func(f, format string, args ...any) { errs = append(errs, field(f, fmt.Sprintf(format, args...))) }

	if in.URL == nil && create {
		add("url", "is required")
	}
	var lookupErr error // a 503, for a body without field errors
	if in.URL != nil {
		msg, err := s.checkURL(ctx, *in.URL)
		if err != nil {
			lookupErr = err
		}
		if msg != "" {
			add("url", "%s", msg)
		}
		w.URL = *in.URL
	}
	if in.Method != nil {
		m := strings.ToUpper(*in.Method)
		if m != http.MethodGet && m != http.MethodPost {
			add("method", "must be GET or POST")
		}
		w.Method = m
	}
	if in.Events == nil && create {
		add("events", "is required")
	}
	if in.Events != nil {
		events, bad := parseEvents(*in.Events)
		errs = append(errs, bad...)
		w.Events = events
	}
	if in.Secret != nil {
		if msg := checkSecret(*in.Secret); msg != "" {
			add("secret", "%s", msg)
		}
		if *in.Secret != w.Secret {
			// Replaced at once: a secret a rotation replaced stops
			// signing too (it may be why the secret is replaced). The
			// current one sent back as it is ends nothing.
			w.Secret, w.PreviousSecret, w.PreviousSecretExpiresAt = *in.Secret, "", nil
		}
	}
	if in.Description != nil {
		if utf8.RuneCountInString(*in.Description) > maxDescription {
			add("description", "must be at most %d characters", maxDescription)
		}
		w.Description = *in.Description
	}
	if in.Enabled != nil {
		w.Enabled = *in.Enabled
	}
	if in.Headers != nil {
		errs = append(errs, checkHeaders(*in.Headers)...)
		w.Headers = canonicalHeaders(*in.Headers)
	}
	if in.TimeoutSeconds != nil {
		if v := *in.TimeoutSeconds; v < 1 || v > 60 {
			add("timeout_seconds", "must be between 1 and 60")
		}
		w.TimeoutSeconds = *in.TimeoutSeconds
	}
	if in.Retry != nil {
		errs = append(errs, applyRetry(&w.Retry, in.Retry)...)
	}
	if in.RateLimitPerSecond != nil {
		if v := *in.RateLimitPerSecond; v < 0 || v > 10000 {
			add("rate_limit_per_second", "must be between 0 (no limit) and 10000")
		}
		w.RateLimitPerSecond = *in.RateLimitPerSecond
	}
	if len(errs) > 0 {
		return invalid(errs...)
	}
	return lookupErr
}

func parseEvents(raw []json.RawMessage) ([]string, []herald.FieldError) {
	var errs []herald.FieldError
	if len(raw) == 0 {
		errs = append(errs, field("events", "must name at least one event"))
	}
	if len(raw) > maxEvents {
		errs = append(errs, field("events", fmt.Sprintf("must name at most %d events", maxEvents)))
	}
	seen := map[string]bool{}
	var out []string
	for i, r := range raw {
		name, ok := jsonString(r)
		if !ok {
			errs = append(errs, field(fmt.Sprintf("events[%d]", i), "must be a string"))
			continue
		}
		if !catalog.ValidPattern(name) {
			errs = append(errs, field(fmt.Sprintf("events[%d]", i),
				fmt.Sprintf("%q is not a catalog event, <resource>.*, *.<action> or *", name)))
			continue
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out, errs
}

func checkHeaders(h map[string]string) []herald.FieldError {
	var errs []herald.FieldError
	if len(h) > maxHeaders {
		errs = append(errs, field("headers", fmt.Sprintf("must have at most %d entries", maxHeaders)))
	}
	seen := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(h)) {
		value := h[name]
		f := memberPath("headers", name)
		canon := textproto.CanonicalMIMEHeaderKey(name)
		switch {
		case seen[canon]:
			errs = append(errs, field(f, "repeats another header name (names are case-insensitive)"))
		case !validHeaderName(name):
			errs = append(errs, field(f, "is not a valid header name"))
		case reservedHeaders[canon] || strings.HasPrefix(canon, "Webhook-"):
			errs = append(errs, field(f, "is set by Herald and cannot be overridden"))
		case utf8.RuneCountInString(value) > maxHeaderValue || !httpguts.ValidHeaderFieldValue(value):
			// Go's transport refuses to send a value with control
			// characters other than tab; every delivery would fail.
			errs = append(errs, field(f, fmt.Sprintf("value must be one line of at most %d characters, without control characters", maxHeaderValue)))
		}
		seen[canon] = true
	}
	return errs
}

func validHeaderName(name string) bool {
	if name == "" || len(name) > 128 {
		return false
	}
	for _, r := range name {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func canonicalHeaders(h map[string]string) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[textproto.CanonicalMIMEHeaderKey(k)] = v
	}
	return out
}

func applyRetry(r *herald.RetrySettings, in *retryInput) []herald.FieldError {
	var errs []herald.FieldError
	check := func(name string, v *int, lo, hi int, dst *int) {
		if v == nil {
			return
		}
		if *v < lo || *v > hi {
			errs = append(errs, field("retry."+name, fmt.Sprintf("must be between %d and %d", lo, hi)))
		}
		*dst = *v
	}
	check("initial_interval_seconds", in.InitialIntervalSeconds, 1, maxIntervalLimit, &r.InitialIntervalSeconds)
	check("max_interval_seconds", in.MaxIntervalSeconds, 1, maxIntervalLimit, &r.MaxIntervalSeconds)
	check("max_age_seconds", in.MaxAgeSeconds, 1, maxAgeLimit, &r.MaxAgeSeconds)
	check("max_attempts", in.MaxAttempts, 0, 1000, &r.MaxAttempts)
	if in.BackoffCoefficient != nil {
		if v := *in.BackoffCoefficient; v < 1 || v > 10 {
			errs = append(errs, field("retry.backoff_coefficient", "must be between 1 and 10"))
		}
		r.BackoffCoefficient = *in.BackoffCoefficient
	}
	if len(errs) == 0 && r.MaxIntervalSeconds < r.InitialIntervalSeconds {
		errs = append(errs, field("retry.max_interval_seconds", "must not be less than initial_interval_seconds"))
	}
	return errs
}

// checkURL returns why raw is not an acceptable target URL, or "". Its
// error is a 503 when the host's name could not be looked up for now.
func (s *Server) checkURL(ctx context.Context, raw string) (string, error) {
	if utf8.RuneCountInString(raw) > maxURLLength {
		return fmt.Sprintf("must be at most %d characters", maxURLLength), nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return "must be an absolute http or https URL", nil
	}
	if u.User != nil {
		return "must not contain credentials; use headers instead", nil
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "has a port outside 1 to 65535", nil
		}
	}
	if !s.AllowPrivateTargets && s.Guard != nil {
		return s.checkHost(ctx, u.Hostname())
	}
	return "", nil
}

// checkHost asks the guard about host: why it is refused (a field error),
// or a 503 when its name could not be looked up for now (a DNS outage
// must not read as a bad URL).
func (s *Server) checkHost(ctx context.Context, host string) (string, error) {
	err := s.Guard.CheckHost(ctx, host)
	var lookup interface{ Temporary() bool }
	switch {
	case err == nil:
		return "", nil
	case errors.As(err, &lookup) && lookup.Temporary():
		return "", herald.Errorf(herald.EUnavailable, "%s; try again", err)
	}
	return err.Error(), nil
}

// checkSecret returns why s is not an acceptable webhook secret, or "". A
// secret that starts with whsec_ is the base64 of its key (SPEC §4), so
// the rest must decode: else no request could ever be signed.
func checkSecret(s string) string {
	if msg := checkSecretLength(s); msg != "" {
		return msg
	}
	if strings.HasPrefix(s, signature.SecretPrefix) {
		if _, err := signature.Key(s); err != nil {
			return "starts with " + signature.SecretPrefix + ", so the rest must be the base64 of a non-empty key"
		}
	}
	return ""
}

// checkSecretLength returns why s is too short or too long, or "". The
// limits count characters, as SPEC §5 does, not bytes.
func checkSecretLength(s string) string {
	if n := utf8.RuneCountInString(s); n < minSecret || n > maxSecret {
		return fmt.Sprintf("must be %d to %d characters", minSecret, maxSecret)
	}
	return ""
}

// newSecret returns a generated Standard Webhooks secret.
func newSecret() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return "whsec_" + base64.StdEncoding.EncodeToString(b[:])
}
