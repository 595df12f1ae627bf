package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/envelope"
	"github.com/heraldhub/herald/netguard"
	"github.com/heraldhub/herald/signature"
)

// MaxLoggedBody is how much of a request or response body a log entry keeps.
const MaxLoggedBody = 64 << 10

// redactSlack is read past MaxLoggedBody so that a secret the receiver
// echoes across the cut is still whole, and so redacted, before the cut.
// It covers the longest secret (a 1,024-character header value) in its
// longest escaped form.
const redactSlack = 32 << 10

// maxDrain bounds how much of a large response is read (and thrown away) so
// the connection can be reused.
const maxDrain = 1 << 20

// Attempt is everything needed to send one request of one delivery.
type Attempt struct {
	Event      *herald.Event
	Webhook    *herald.Webhook
	DeliveryID string // also the webhook-id header, stable across attempts
	Number     int    // 1 for the first attempt
}

// Sender sends webhook requests. It is safe for concurrent use.
type Sender struct {
	client *http.Client
	now    func() time.Time
}

// NewSender returns a Sender using client, which should not follow redirects
// (see NewHTTPClient). now is the clock; nil means time.Now.
func NewSender(client *http.Client, now func() time.Time) *Sender {
	if now == nil {
		now = time.Now
	}
	return &Sender{client: client, now: now}
}

// maxRequestTimeout is the longest timeout a webhook may set.
const maxRequestTimeout = 60 * time.Second

// NewHTTPClient returns the client Herald delivers with: no redirects
// followed, generous connection reuse, no overall timeout (each request gets
// its webhook's timeout through its context). Unless allowPrivate is set, it
// refuses to connect to non-public addresses (checked on the address
// actually dialled).
func NewHTTPClient(allowPrivate bool) *http.Client {
	// Connecting and the TLS handshake get as long as the longest webhook
	// timeout (SPEC §5: 1..60 s); each request's own timeout, through its
	// context, is what ends them.
	dialer := &net.Dialer{Timeout: maxRequestTimeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = netguard.Control
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = dialer.DialContext
	t.Proxy = nil
	t.MaxIdleConns = 512
	t.MaxIdleConnsPerHost = 128
	t.TLSHandshakeTimeout = maxRequestTimeout
	// The log keeps response headers whole; Go's default would take 10 MiB
	// of them, on every retry. More than a body's worth fails the attempt
	// as a network error.
	t.MaxResponseHeaderBytes = MaxLoggedBody
	return &http.Client{
		Transport:     t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Send makes one request and returns its log entry (without an ID) and the
// classified outcome. It returns an error only when the request could not be
// built at all (a stored webhook or event that is no longer valid); such an
// error is permanent.
func (s *Sender) Send(ctx context.Context, a Attempt) (*herald.LogEntry, Outcome, error) {
	req, sent, err := s.build(ctx, a)
	if err != nil {
		return nil, Outcome{}, err
	}
	// The log is readable with view:log alone, which does not show the
	// webhook: the values of its own headers are masked like credentials
	// (the log keeps their names), and all of these are redacted wherever
	// the receiver echoes them.
	secrets := requestSecrets(req, a.Webhook.Headers)
	reqHeaders := maskHeaders(req.Header, nil)
	for name := range a.Webhook.Headers {
		reqHeaders[http.CanonicalHeaderKey(name)] = masked
	}
	entry := &herald.LogEntry{
		DeliveryID: a.DeliveryID,
		EventID:    a.Event.ID,
		Event:      a.Event.Name,
		TargetType: herald.TargetWebhook,
		TargetID:   a.Webhook.ID,
		Attempt:    a.Number,
		Request: herald.LogRequest{
			Method: req.Method,
			// A GET's query is the envelope, so the URL is cut like a body.
			URL:     cut(maskURL(req.URL, req.Method != http.MethodGet), MaxLoggedBody),
			Headers: reqHeaders,
			Body:    truncate(sent),
		},
	}
	timeout := time.Duration(a.Webhook.TimeoutSeconds) * time.Second
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	start := s.now()
	resp, err := s.client.Do(req.WithContext(ctx))
	var out Outcome
	if err != nil {
		out = Classify(0, err, nil, start)
		// A transport error may quote what the receiver sent back: a
		// malformed status line from an echo service repeats the request
		// line, query and all. The reason goes to the log and to workflow
		// history, so the request's secrets are redacted from it too.
		out.Reason = Redact(out.Reason, masked, secrets...)
		msg := out.Reason
		entry.Error = &msg
	} else {
		body, readErr := io.ReadAll(io.LimitReader(resp.Body, ReadForLog))
		complete := readErr == nil && len(body) < ReadForLog
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
		_ = resp.Body.Close()
		entry.Response = &herald.LogResponse{
			Status:  resp.StatusCode,
			Headers: maskHeaders(resp.Header, secrets),
			Body:    LoggedBody(body, complete, masked, secrets...),
		}
		out = Classify(resp.StatusCode, nil, resp.Header, s.now())
		if !out.Success {
			msg := out.Reason
			if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode < 400 {
				msg += " (Location: " + maskLocation(Redact(loc, masked, secrets...)) + ")"
			}
			entry.Error = &msg
		}
	}
	entry.DurationMS = s.now().Sub(start).Milliseconds()
	entry.CreatedAt = start.UTC().Truncate(time.Microsecond) // as herald.Now
	return entry, out, nil
}

// build assembles the signed request exactly as SPEC §4 describes and
// returns it with its body (nil for GET).
func (s *Sender) build(ctx context.Context, a Attempt) (*http.Request, []byte, error) {
	env := envelope.Envelope{
		Event:     a.Event.Name,
		Created:   a.Event.Created,
		RequestID: a.Event.ID,
		TraceID:   a.Event.TraceID,
		Data:      a.Event.Data,
		Changes:   a.Event.Changes,
	}
	body, err := env.JSON()
	if err != nil {
		return nil, nil, fmt.Errorf("build envelope: %w", err)
	}
	u, err := url.Parse(a.Webhook.URL)
	if err != nil {
		return nil, nil, fmt.Errorf("parse webhook url: %w", withoutURL(err))
	}
	method := strings.ToUpper(a.Webhook.Method)
	signed, sent := body, body
	if method == http.MethodGet {
		q, err := env.Query()
		if err != nil {
			return nil, nil, fmt.Errorf("build query: %w", err)
		}
		u.RawQuery = q
		signed, sent = []byte(q), nil
	}
	sig, err := signature.Sign(signature.Input{
		Secrets:       a.Webhook.SigningSecrets(s.now()),
		MsgID:         a.DeliveryID,
		Timestamp:     s.now(),
		Body:          body,
		SignedPayload: signed,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("sign: %w", err)
	}
	var rd io.Reader
	if sent != nil {
		rd = bytes.NewReader(sent)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, nil, fmt.Errorf("new request: %w", withoutURL(err))
	}
	for k, v := range a.Webhook.Headers {
		req.Header.Set(k, v)
	}
	if sent != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "Herald/"+herald.Version)
	req.Header.Set("Signature", sig.Signature)
	req.Header.Set("webhook-id", sig.WebhookID)
	req.Header.Set("webhook-timestamp", sig.WebhookTimestamp)
	req.Header.Set("webhook-signature", sig.WebhookSignature)
	return req, sent, nil
}

// withoutURL is err without the URL a *url.Error quotes, which may carry
// credentials in its query: such errors go to the process log.
func withoutURL(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}
