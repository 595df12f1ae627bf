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
	nonRetryable := []string{workflows.ErrPermanent, workflows.ErrStopped}
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
		want temporal.RetryPolicy
	}{
		{
			name: "defaults: no attempt limit",
			in:   defaults,
			want: temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2,
				MaximumInterval: time.Hour, MaximumAttempts: 0, NonRetryableErrorTypes: nonRetryable},
		},
		{
			// MaxAttempts 1 means only the local attempt: the workflow never
			// schedules the regular activity, so the policy is never used.
			// It still shrinks by one, to 0, which Temporal reads as "no limit".
			name: "max attempts 1: regular activity never runs",
			in:   with(func(s *workflows.RetrySettings) { s.MaxAttempts = 1 }),
			want: temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2,
				MaximumInterval: time.Hour, MaximumAttempts: 0, NonRetryableErrorTypes: nonRetryable},
		},
		{
			name: "max attempts 2: one regular attempt after the local one",
			in:   with(func(s *workflows.RetrySettings) { s.MaxAttempts = 2 }),
			want: temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2,
				MaximumInterval: time.Hour, MaximumAttempts: 1, NonRetryableErrorTypes: nonRetryable},
		},
		{
			name: "max attempts 5: the local attempt used one",
			in:   with(func(s *workflows.RetrySettings) { s.MaxAttempts = 5 }),
			want: temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2,
				MaximumInterval: time.Hour, MaximumAttempts: 4, NonRetryableErrorTypes: nonRetryable},
		},
		{
			name: "negative max attempts: no limit",
			in:   with(func(s *workflows.RetrySettings) { s.MaxAttempts = -3 }),
			want: temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2,
				MaximumInterval: time.Hour, MaximumAttempts: 0, NonRetryableErrorTypes: nonRetryable},
		},
		{
			name: "coefficient below 1 is clamped to 1",
			in:   with(func(s *workflows.RetrySettings) { s.BackoffCoefficient = 0.5 }),
			want: temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 1,
				MaximumInterval: time.Hour, NonRetryableErrorTypes: nonRetryable},
		},
		{
			name: "zero coefficient is clamped to 1",
			in:   with(func(s *workflows.RetrySettings) { s.BackoffCoefficient = 0 }),
			want: temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 1,
				MaximumInterval: time.Hour, NonRetryableErrorTypes: nonRetryable},
		},
		{
			name: "coefficient above 1 is kept",
			in:   with(func(s *workflows.RetrySettings) { s.BackoffCoefficient = 1.5 }),
			want: temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 1.5,
				MaximumInterval: time.Hour, NonRetryableErrorTypes: nonRetryable},
		},
		{
			name: "max interval below initial is raised to initial",
			in:   with(func(s *workflows.RetrySettings) { s.MaxInterval = time.Second }),
			want: temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2,
				MaximumInterval: 5 * time.Second, NonRetryableErrorTypes: nonRetryable},
		},
		{
			name: "max interval equal to initial is kept",
			in:   with(func(s *workflows.RetrySettings) { s.MaxInterval = 5 * time.Second }),
			want: temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2,
				MaximumInterval: 5 * time.Second, NonRetryableErrorTypes: nonRetryable},
		},
		{
			name: "zero settings",
			in:   workflows.RetrySettings{},
			want: temporal.RetryPolicy{BackoffCoefficient: 1, NonRetryableErrorTypes: nonRetryable},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := workflows.RetryPolicy(tt.in)
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
		p := workflows.RetryPolicy(s)
		if !slices.Contains(p.NonRetryableErrorTypes, workflows.ErrPermanent) {
			t.Errorf("RetryPolicy(%+v).NonRetryableErrorTypes = %v, want %q in it", s, p.NonRetryableErrorTypes, workflows.ErrPermanent)
		}
		if slices.Contains(p.NonRetryableErrorTypes, workflows.ErrRetryable) {
			t.Errorf("RetryPolicy(%+v) never retries %q", s, workflows.ErrRetryable)
		}
	}
	// The policy must not alias a shared slice a caller could modify.
	a, b := workflows.RetryPolicy(workflows.RetrySettings{}), workflows.RetryPolicy(workflows.RetrySettings{})
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
