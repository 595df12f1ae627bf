package workflows

import (
	"testing"
	"time"
)

// A regular attempt's schedule-to-close runs to the max-age deadline. A
// timer that fires after the deadline (a worker that fell behind) gets no
// attempt: a zero timeout would lift the limit and a negative one fails
// the activity with a confusing reason.
func TestAttemptWindow(t *testing.T) {
	deadline := time.Date(2026, 5, 17, 21, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		deadline time.Time
		now      time.Time
		legacy   bool
		want     time.Duration
		ok       bool
	}{
		{"no max age", time.Time{}, deadline, false, 0, true},
		{"time left", deadline, deadline.Add(-90 * time.Second), false, 90 * time.Second, true},
		{"exactly at the deadline", deadline, deadline, false, 0, false},
		{"timer fired late", deadline, deadline.Add(3 * time.Second), false, -3 * time.Second, false},
		{"legacy workflow keeps its minute", deadline, deadline.Add(3 * time.Second), true, time.Minute, true},
		{"legacy workflow with time left", deadline, deadline.Add(-2 * time.Minute), true, 2 * time.Minute, true},
	} {
		got, ok := attemptWindow(tc.deadline, tc.now, tc.legacy)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: attemptWindow = %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
