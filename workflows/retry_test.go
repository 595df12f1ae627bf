package workflows_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/heraldhub/herald/workflows"
)

func TestRetryPolicy(t *testing.T) {
	nonRetryable := []string{workflows.ErrPermanent, workflows.ErrStopped, workflows.ErrRateLimited, workflows.ErrNotSent}
	defaults := workflows.RetrySettings{ // SPEC §5 defaults
		InitialInterval:    5 * time.Second,
		BackoffCoefficient: 2,
		MaxInterval:        time.Hour,
		MaxAge:             24 * time.Hour,
		MaxAttempts:        0,
	}
	with := func(f func(*workflows.RetrySettings)) workflows.RetrySettings {
		s := defaults
		f(&s)
		return s
	}
	tests := []struct {
		name string
		in   workflows.RetrySettings
		made int // attempts already made; the local attempt is the first
		want temporal.RetryPolicy
	}{
		{
			name: "defaults: no attempt limit",
			in:   defaults,
			made: 1,
			want: temporal.RetryPolicy{InitialInterval: 10 * time.Second, BackoffCoefficient: 2,
				MaximumInterval: time.Hour, MaximumAttempts: 0, NonRetryableErrorTypes: nonRetryable},
		},
		{
			// The workflow never asks once the limit is reached; if it did,
			// the policy must not read as Temporal's 0, "no limit".
			name: "limit reached: one attempt, never unlimited",
			in:   with(func(s *workflows.RetrySettings) { s.MaxAttempts = 1 }),
			made: 1,
			want: temporal.RetryPolicy{InitialInterval: 10 * time.Second, BackoffCoefficient: 2,
				MaximumInterval: time.Hour, MaximumAttempts: 1, NonRetryableErrorTypes: nonRetryable},
		},
		{
			name: "max attempts 1, local attempt held back by the rate limit: the one attempt is left",
			in:   with(func(s *workflows.RetrySettings) { s.MaxAttempts = 1 }),
			made: 0,
			want: temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2,
				MaximumInterval: time.Hour, MaximumAttempts: 1, NonRetryableErrorTypes: nonRetryable},
		},
		{
			name: "max attempts 5, three made: two left",
			in:   with(func(s *workflows.RetrySettings) { s.MaxAttempts = 5 }),
			made: 3,
			want: temporal.RetryPolicy{InitialInterval: 40 * time.Second, BackoffCoefficient: 2,
				MaximumInterval: time.Hour, MaximumAttempts: 2, NonRetryableErrorTypes: nonRetryable},
		},
		{
			name: "max attempts 2: one regular attempt after the local one",
			in:   with(func(s *workflows.RetrySettings) { s.MaxAttempts = 2 }),
			made: 1,
			want: temporal.RetryPolicy{InitialInterval: 10 * time.Second, BackoffCoefficient: 2,
				MaximumInterval: time.Hour, MaximumAttempts: 1, NonRetryableErrorTypes: nonRetryable},
		},
		{
			name: "max attempts 5: the local attempt used one",
			in:   with(func(s *workflows.RetrySettings) { s.MaxAttempts = 5 }),
			made: 1,
			want: temporal.RetryPolicy{InitialInterval: 10 * time.Second, BackoffCoefficient: 2,
				MaximumInterval: time.Hour, MaximumAttempts: 4, NonRetryableErrorTypes: nonRetryable},
		},
		{
			name: "negative max attempts: no limit",
			in:   with(func(s *workflows.RetrySettings) { s.MaxAttempts = -3 }),
			made: 1,
			want: temporal.RetryPolicy{InitialInterval: 10 * time.Second, BackoffCoefficient: 2,
				MaximumInterval: time.Hour, MaximumAttempts: 0, NonRetryableErrorTypes: nonRetryable},
		},
		{
			name: "coefficient below 1 is clamped to 1",
			in:   with(func(s *workflows.RetrySettings) { s.BackoffCoefficient = 0.5 }),
			made: 1,
			want: temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 1,
				MaximumInterval: time.Hour, NonRetryableErrorTypes: nonRetryable},
		},
		{
			name: "zero coefficient is clamped to 1",
			in:   with(func(s *workflows.RetrySettings) { s.BackoffCoefficient = 0 }),
			made: 1,
			want: temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 1,
				MaximumInterval: time.Hour, NonRetryableErrorTypes: nonRetryable},
		},
		{
			name: "coefficient above 1 is kept",
			in:   with(func(s *workflows.RetrySettings) { s.BackoffCoefficient = 1.5 }),
			made: 1,
			want: temporal.RetryPolicy{InitialInterval: 7500 * time.Millisecond, BackoffCoefficient: 1.5,
				MaximumInterval: time.Hour, NonRetryableErrorTypes: nonRetryable},
		},
		{
			name: "max interval below initial is raised to initial",
			in:   with(func(s *workflows.RetrySettings) { s.MaxInterval = time.Second }),
			made: 1,
			want: temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2,
				MaximumInterval: 5 * time.Second, NonRetryableErrorTypes: nonRetryable},
		},
		{
			name: "max interval equal to initial is kept",
			in:   with(func(s *workflows.RetrySettings) { s.MaxInterval = 5 * time.Second }),
			made: 1,
			want: temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2,
				MaximumInterval: 5 * time.Second, NonRetryableErrorTypes: nonRetryable},
		},
		{
			name: "zero settings",
			in:   workflows.RetrySettings{},
			made: 1,
			want: temporal.RetryPolicy{BackoffCoefficient: 1, NonRetryableErrorTypes: nonRetryable},
		},
		{
			// After the local attempt and two regular ones, the next
			// activity's first backoff is 5 s × 2³, capped at max interval.
			name: "backoff goes on from the attempts made, up to max interval",
			in:   with(func(s *workflows.RetrySettings) { s.MaxInterval = 30 * time.Second }),
			made: 3,
			want: temporal.RetryPolicy{InitialInterval: 30 * time.Second, BackoffCoefficient: 2,
				MaximumInterval: 30 * time.Second, NonRetryableErrorTypes: nonRetryable},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := workflows.RetryPolicy(tt.in, tt.made)
			if got == nil {
				t.Fatal("RetryPolicy returned nil")
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("RetryPolicy(%+v) =\n  %+v\nwant\n  %+v", tt.in, *got, tt.want)
			}
		})
	}
}

// TestRetryPolicyNeverRetriesPermanent: the one error type activities use
// for "stop now" must be in every policy, and the retryable one must not.
func TestRetryPolicyNeverRetriesPermanent(t *testing.T) {
	for _, s := range []workflows.RetrySettings{{}, {MaxAttempts: 1}, {MaxAttempts: 10, InitialInterval: time.Second}} {
		p := workflows.RetryPolicy(s, 1)
		if !slices.Contains(p.NonRetryableErrorTypes, workflows.ErrPermanent) {
			t.Errorf("RetryPolicy(%+v).NonRetryableErrorTypes = %v, want %q in it", s, p.NonRetryableErrorTypes, workflows.ErrPermanent)
		}
		if slices.Contains(p.NonRetryableErrorTypes, workflows.ErrRetryable) {
			t.Errorf("RetryPolicy(%+v) never retries %q", s, workflows.ErrRetryable)
		}
	}
	// The policy must not alias a shared slice a caller could modify.
	a, b := workflows.RetryPolicy(workflows.RetrySettings{}, 1), workflows.RetryPolicy(workflows.RetrySettings{}, 1)
	a.NonRetryableErrorTypes[0] = "changed"
	if b.NonRetryableErrorTypes[0] != workflows.ErrPermanent {
		t.Error("RetryPolicy results share their NonRetryableErrorTypes slice")
	}
}

func TestWorkflowID(t *testing.T) {
	if got := workflows.WorkflowID("evt_123"); got != "event/evt_123" {
		t.Errorf("WorkflowID = %q, want event/evt_123", got)
	}
}
