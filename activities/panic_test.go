package activities_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/activities"
	"github.com/heraldhub/herald/delivery"
	"github.com/heraldhub/herald/workflows"
)

// panickingSender stands for a bug in the sender.
type panickingSender struct{ value any }

func (s panickingSender) Send(context.Context, delivery.Attempt) (*herald.LogEntry, delivery.Outcome, error) {
	if s.value == nil {
		var m map[string]int
		m["x"]++ // a runtime error
	}
	panic(s.value)
}

// A panic in an attempt reaches Temporal (and so the workflow's history)
// as a retryable failure with a fixed message, never the panic's value,
// which may quote what the attempt held. The worker's log has the stack,
// and the value only when the runtime made it.
func TestDeliverPanicStaysOutOfHistory(t *testing.T) {
	f := newFixture(t, "http://127.0.0.1:9/", 5)
	for _, tc := range []struct {
		name     string
		value    any
		logged   string
		unlogged string
	}{
		{"a panic of Herald's code", "bad state for https://hooks.example/T0/B0/sk_live_secret", "panic_type=string", "sk_live_secret"},
		{"a runtime error", nil, "assignment to entry in nil map", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			acts := activities.New(activities.Config{Store: f.db, Sender: panickingSender{tc.value},
				Logger: slog.New(slog.NewTextHandler(&logs, nil)), DisableAfter: 20})
			var suite testsuite.WorkflowTestSuite
			suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
			env := suite.NewTestActivityEnvironment()
			env.SetTestTimeout(time.Minute)
			env.RegisterActivityWithOptions(acts.Deliver, activity.RegisterOptions{Name: workflows.DeliverActivityName})
			in := workflows.DeliverInput{DeliveryID: f.delivery.ID, TargetType: herald.TargetWebhook, TargetID: f.webhook.ID,
				EventID: f.event.ID, Timeout: 5 * time.Second}
			_, err := env.ExecuteActivity(workflows.DeliverActivityName, in)
			var app *temporal.ApplicationError
			var panicked *temporal.PanicError
			if !errors.As(err, &app) || errors.As(err, &panicked) || app.Type() != workflows.ErrPanicked ||
				app.NonRetryable() || app.Message() != workflows.PanicReason {
				t.Fatalf("Deliver = %v, want a retryable %s with the fixed reason", err, workflows.ErrPanicked)
			}
			got := logs.String()
			if !strings.Contains(got, "activity panicked") || !strings.Contains(got, "panic_test.go") || !strings.Contains(got, tc.logged) {
				t.Errorf("log %q: want the panic, its stack and %q", got, tc.logged)
			}
			if tc.unlogged != "" && strings.Contains(got+err.Error(), tc.unlogged) {
				t.Errorf("log or error quote the panic's value %q", tc.unlogged)
			}
		})
	}
}
