// Package delivery sends one signed webhook request and decides what its
// outcome means for retries. It knows nothing about Temporal: activities turn
// an Outcome into the error type Temporal's retry policy acts on.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhub/herald/netguard"
)

// Outcome classifies one attempt.
type Outcome struct {
	// Success is true for any 2xx answer.
	Success bool
	// Retryable is true when a later attempt may succeed: network errors,
	// timeouts, 408, 425, 429 and 5xx.
	Retryable bool
	// Delay is the wait the receiver asked for with Retry-After (429 and
	// 503 only); zero when it asked for none.
	Delay time.Duration
	// Gone is true for 410: the receiver asks never to be called again.
	Gone bool
	// StatusCode is the HTTP status, 0 when no response arrived.
	StatusCode int
	// Reason is a short description that is safe to log and to store in
	// workflow history: it never holds the request URL, headers or body.
	Reason string
}

// Classify turns a response status (or a transport error) into an Outcome.
// header is the response header (nil when err is set); now is used to read
// Retry-After given as an HTTP date.
func Classify(status int, err error, header http.Header, now time.Time) Outcome {
	if err != nil {
		var unsafe *netguard.UnsafeTargetError
		if errors.As(err, &unsafe) {
			return Outcome{Reason: unsafe.Error()}
		}
		return Outcome{Retryable: true, Reason: transportReason(err)}
	}
	o := Outcome{StatusCode: status}
	switch {
	case status >= 200 && status < 300:
		o.Success = true
		o.Reason = fmt.Sprintf("HTTP %d", status)
	case status >= 300 && status < 400:
		o.Reason = fmt.Sprintf("HTTP %d: redirects are not followed", status)
	case status == http.StatusGone:
		o.Gone = true
		o.Reason = "HTTP 410: receiver is gone"
	case status == http.StatusRequestTimeout, status == http.StatusTooEarly,
		status == http.StatusTooManyRequests, status >= 500 && status < 600:
		o.Retryable = true
		o.Reason = fmt.Sprintf("HTTP %d", status)
		if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
			if d, ok := ParseRetryAfter(header.Get("Retry-After"), now); ok {
				o.Delay = d
				o.Reason += fmt.Sprintf(" (Retry-After %s)", d)
			}
		}
	default:
		o.Reason = fmt.Sprintf("HTTP %d", status)
	}
	return o
}

// ParseRetryAfter reads a Retry-After value: delay seconds or an HTTP date.
// A date in the past means no delay (ok with zero). Garbage is not ok.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	const maxSecs = int64(365 * 24 * 3600)
	secs, err := strconv.ParseInt(v, 10, 64)
	switch {
	case err == nil && secs < 0:
		return 0, false
	case err == nil:
		return time.Duration(min(secs, maxSecs)) * time.Second, true
	case errors.Is(err, strconv.ErrRange) && v[0] != '-':
		return time.Duration(maxSecs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d.Round(time.Second), true
	}
	return 0, true
}

// transportReason describes a failed round trip without the request URL,
// which may carry credentials in its query.
func transportReason(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	var nerr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &nerr) && nerr.Timeout():
		return "timeout: no response in time"
	case errors.Is(err, context.Canceled):
		return "request cancelled"
	}
	return "network error: " + err.Error()
}
