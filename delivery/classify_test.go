package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhub/herald/delivery"
	"github.com/heraldhub/herald/netguard"
)

// hookURL is where the transport errors below pretend to have gone: its
// query holds a credential that must never reach a Reason.
const hookURL = "https://hooks.example.com/in?token=secret123"

// now is the fixed clock Retry-After dates are read against.
var now = time.Date(2026, 5, 17, 21, 4, 5, 0, time.UTC)

func retryAfter(v string) http.Header { return http.Header{"Retry-After": {v}} }

func urlError(err error) error { return &url.Error{Op: "Post", URL: hookURL, Err: err} }

var (
	errRefused = urlError(&net.OpError{Op: "dial", Net: "tcp",
		Addr: &net.TCPAddr{IP: net.IPv4(203, 0, 113, 7), Port: 443},
		Err:  os.NewSyscallError("connect", syscall.ECONNREFUSED)})
	errUnsafe = urlError(&net.OpError{Op: "dial", Net: "tcp",
		Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 443},
		Err:  &netguard.UnsafeTargetError{Addr: "127.0.0.1"}})
	errReadTimeout = urlError(&net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded})
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name   string
		status int
		err    error
		header http.Header
		want   delivery.Outcome // Reason is checked with reason below
		reason string           // a substring the Reason must contain
	}{
		// 2xx succeeds.
		{name: "200", status: 200, want: delivery.Outcome{Success: true, StatusCode: 200}, reason: "HTTP 200"},
		{name: "201", status: 201, want: delivery.Outcome{Success: true, StatusCode: 201}},
		{name: "204", status: 204, want: delivery.Outcome{Success: true, StatusCode: 204}},
		{name: "299", status: 299, want: delivery.Outcome{Success: true, StatusCode: 299}},

		// Redirects are not followed and not retried.
		{name: "301", status: 301, want: delivery.Outcome{StatusCode: 301}, reason: "redirects are not followed"},
		{name: "302", status: 302, want: delivery.Outcome{StatusCode: 302}, reason: "redirects are not followed"},
		{name: "307", status: 307, want: delivery.Outcome{StatusCode: 307}, reason: "redirects are not followed"},
		{name: "308", status: 308, want: delivery.Outcome{StatusCode: 308}},

		// Other 4xx fail at once.
		{name: "400", status: 400, want: delivery.Outcome{StatusCode: 400}, reason: "HTTP 400"},
		{name: "401", status: 401, want: delivery.Outcome{StatusCode: 401}},
		{name: "403", status: 403, want: delivery.Outcome{StatusCode: 403}},
		{name: "404", status: 404, want: delivery.Outcome{StatusCode: 404}},
		{name: "422", status: 422, want: delivery.Outcome{StatusCode: 422}},
		{name: "418 with Retry-After", status: 418, header: retryAfter("120"), want: delivery.Outcome{StatusCode: 418}},
		{name: "410 Gone", status: 410, want: delivery.Outcome{Gone: true, StatusCode: 410}, reason: "gone"},

		// 408, 425, 429 and 5xx are retried.
		{name: "408", status: 408, want: delivery.Outcome{Retryable: true, StatusCode: 408}},
		{name: "425", status: 425, want: delivery.Outcome{Retryable: true, StatusCode: 425}},
		{name: "429", status: 429, want: delivery.Outcome{Retryable: true, StatusCode: 429}},
		{name: "500", status: 500, want: delivery.Outcome{Retryable: true, StatusCode: 500}, reason: "HTTP 500"},
		{name: "502", status: 502, want: delivery.Outcome{Retryable: true, StatusCode: 502}},
		{name: "503", status: 503, want: delivery.Outcome{Retryable: true, StatusCode: 503}},
		{name: "504", status: 504, want: delivery.Outcome{Retryable: true, StatusCode: 504}},
		{name: "599", status: 599, want: delivery.Outcome{Retryable: true, StatusCode: 599}},

		// Retry-After on 429 and 503 sets the delay.
		{name: "429 Retry-After seconds", status: 429, header: retryAfter("120"),
			want: delivery.Outcome{Retryable: true, StatusCode: 429, Delay: 120 * time.Second}, reason: "Retry-After 2m0s"},
		{name: "503 Retry-After seconds", status: 503, header: retryAfter("120"),
			want: delivery.Outcome{Retryable: true, StatusCode: 503, Delay: 120 * time.Second}},
		{name: "429 Retry-After date in the future", status: 429,
			header: retryAfter(now.Add(90 * time.Second).Format(http.TimeFormat)),
			want:   delivery.Outcome{Retryable: true, StatusCode: 429, Delay: 90 * time.Second}},
		{name: "503 Retry-After date in the future", status: 503,
			header: retryAfter(now.Add(time.Hour).Format(http.TimeFormat)),
			want:   delivery.Outcome{Retryable: true, StatusCode: 503, Delay: time.Hour}},
		{name: "503 Retry-After date in the past", status: 503,
			header: retryAfter(now.Add(-time.Hour).Format(http.TimeFormat)),
			want:   delivery.Outcome{Retryable: true, StatusCode: 503}, reason: "Retry-After 0s"},
		{name: "429 Retry-After garbage", status: 429, header: retryAfter("soon, please"),
			want: delivery.Outcome{Retryable: true, StatusCode: 429}},
		{name: "429 without header map", status: 429, header: nil,
			want: delivery.Outcome{Retryable: true, StatusCode: 429}},

		// Retry-After is ignored on every other status.
		{name: "500 Retry-After ignored", status: 500, header: retryAfter("120"),
			want: delivery.Outcome{Retryable: true, StatusCode: 500}},
		{name: "502 Retry-After ignored", status: 502, header: retryAfter("120"),
			want: delivery.Outcome{Retryable: true, StatusCode: 502}},
		{name: "408 Retry-After ignored", status: 408, header: retryAfter("120"),
			want: delivery.Outcome{Retryable: true, StatusCode: 408}},

		// Transport errors: no status, retried unless the target is unsafe.
		{name: "connection refused", err: errRefused,
			want: delivery.Outcome{Retryable: true}, reason: "connection refused"},
		{name: "context deadline", err: context.DeadlineExceeded,
			want: delivery.Outcome{Retryable: true}, reason: "timeout"},
		{name: "url.Error wrapping a deadline", err: urlError(context.DeadlineExceeded),
			want: delivery.Outcome{Retryable: true}, reason: "timeout"},
		{name: "read deadline (net.Error timeout)", err: errReadTimeout,
			want: delivery.Outcome{Retryable: true}, reason: "timeout"},
		{name: "cancelled", err: urlError(context.Canceled),
			want: delivery.Outcome{Retryable: true}, reason: "cancelled"},
		{name: "unsafe target", err: errUnsafe,
			want: delivery.Outcome{}, reason: "unsafe target: 127.0.0.1"},
		{name: "unsafe target wrapped again", err: fmt.Errorf("send: %w", errUnsafe),
			want: delivery.Outcome{}, reason: "unsafe target"},
		{name: "bare unsafe target", err: &netguard.UnsafeTargetError{Addr: "::1"},
			want: delivery.Outcome{}, reason: "unsafe target: ::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := delivery.Classify(tt.status, tt.err, tt.header, now)
			if got.Reason == "" {
				t.Error("Reason is empty")
			}
			if !strings.Contains(got.Reason, tt.reason) {
				t.Errorf("Reason = %q, want it to contain %q", got.Reason, tt.reason)
			}
			reason := got.Reason
			got.Reason = ""
			if got != tt.want {
				t.Errorf("Classify(%d, %v) = %+v (reason %q), want %+v", tt.status, tt.err, got, reason, tt.want)
			}
		})
	}
}

// TestClassifyReasonHidesURL: a Reason ends up in workflow history and the
// request log, so a transport error must not carry the URL (whose query may
// hold a token) into it.
func TestClassifyReasonHidesURL(t *testing.T) {
	errs := map[string]error{
		"connection refused": errRefused,
		"deadline":           urlError(context.DeadlineExceeded),
		"read timeout":       errReadTimeout,
		"cancelled":          urlError(context.Canceled),
		"unsafe target":      errUnsafe,
		"dns":                urlError(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "hooks.example.com", IsNotFound: true}}),
		"wrapped":            fmt.Errorf("deliver: %w", errRefused),
		"eof":                urlError(errors.New("EOF")),
	}
	for name, err := range errs {
		t.Run(name, func(t *testing.T) {
			o := delivery.Classify(0, err, nil, now)
			for _, leak := range []string{"secret123", "token=", "/in?"} {
				if strings.Contains(o.Reason, leak) {
					t.Errorf("Reason %q contains %q from the request URL", o.Reason, leak)
				}
			}
		})
	}

	// The same with a real failed round trip: a port nobody listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Post("http://"+addr+"/hook?token=secret123", "application/json", strings.NewReader("{}"))
	if err == nil {
		_ = resp.Body.Close()
		t.Fatalf("POST to closed port %s succeeded", addr)
	}
	if !strings.Contains(err.Error(), "secret123") {
		t.Fatalf("premise: the client's error %q should quote the URL", err)
	}
	o := delivery.Classify(0, err, nil, now)
	if !o.Retryable || o.Success || o.StatusCode != 0 {
		t.Errorf("connection refused: got %+v, want retryable with no status", o)
	}
	if strings.Contains(o.Reason, "secret123") {
		t.Errorf("Reason %q leaks the token from the URL", o.Reason)
	}
}

func TestParseRetryAfter(t *testing.T) {
	const year = 365 * 24 * time.Hour
	tests := []struct {
		name   string
		value  string
		want   time.Duration
		wantOK bool
	}{
		{name: "empty", value: "", want: 0, wantOK: false},
		{name: "blank", value: "   ", want: 0, wantOK: false},
		{name: "zero seconds", value: "0", want: 0, wantOK: true},
		{name: "seconds", value: "120", want: 120 * time.Second, wantOK: true},
		{name: "surrounding whitespace", value: " \t120 \r\n", want: 120 * time.Second, wantOK: true},
		{name: "negative", value: "-5", want: 0, wantOK: false},
		{name: "fraction", value: "1.5", want: 0, wantOK: false},
		{name: "exponent", value: "1e3", want: 0, wantOK: false},
		{name: "trailing unit", value: "120s", want: 0, wantOK: false},
		{name: "garbage", value: "soon", want: 0, wantOK: false},
		{name: "one year", value: "31536000", want: year, wantOK: true},
		{name: "more than a year is capped", value: "31536001", want: year, wantOK: true},
		{name: "huge is capped", value: "99999999999", want: year, wantOK: true},
		{name: "max int64 is capped", value: "9223372036854775807", want: year, wantOK: true},
		{name: "beyond int64 is capped", value: "99999999999999999999", want: year, wantOK: true},
		{name: "IMF-fixdate in the future", value: now.Add(90 * time.Second).Format(http.TimeFormat), want: 90 * time.Second, wantOK: true},
		{name: "IMF-fixdate with whitespace", value: "  " + now.Add(time.Minute).Format(http.TimeFormat) + " ", want: time.Minute, wantOK: true},
		{name: "RFC 850 date", value: now.Add(2 * time.Minute).Format(time.RFC850), want: 2 * time.Minute, wantOK: true},
		{name: "ANSI C date", value: now.Add(3 * time.Minute).Format(time.ANSIC), want: 3 * time.Minute, wantOK: true},
		{name: "date now", value: now.Format(http.TimeFormat), want: 0, wantOK: true},
		{name: "date in the past", value: now.Add(-time.Hour).Format(http.TimeFormat), want: 0, wantOK: true},
		{name: "date without zone", value: "2026-05-17 21:06:05", want: 0, wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := delivery.ParseRetryAfter(tt.value, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.value, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
