package connectors_test

import (
	"testing"
	"time"

	"github.com/heraldhub/herald/connectors"
)

// The client libraries turn a service's retry delay into a Duration
// unchecked; a delay that came out negative or absurd is kept between 0
// and a year.
func TestRetryableKeepsTheDelayInRange(t *testing.T) {
	for _, tc := range []struct {
		after, want time.Duration
	}{
		{12 * time.Second, 12 * time.Second},
		{-5 * time.Second, 0},
		{-2346317 * time.Hour, 0},
		{100 * 365 * 24 * time.Hour, 365 * 24 * time.Hour},
	} {
		if got := connectors.Retryable(429, tc.after, "rate limited").RetryAfter; got != tc.want {
			t.Errorf("Retryable(after %v).RetryAfter = %v, want %v", tc.after, got, tc.want)
		}
	}
}
