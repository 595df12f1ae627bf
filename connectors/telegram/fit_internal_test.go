package telegram

import (
	"strings"
	"testing"
)

// A text of characters that count two units each (emoji, "@" with its
// word joiner) is cut to its budget, not far below it.
func TestFitUsesTheBudget(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    string
		n    int
	}{
		{"emoji", strings.Repeat("😀", 300), 256},
		{"at signs", strings.Repeat("@", 300), 256},
		{"medals", strings.Repeat("🎖", 30), 40},
		{"mixed", strings.Repeat("a😀@", 200), 1000},
		{"plain", strings.Repeat("a", 300), 256},
	} {
		got := count(fit(tc.s, tc.n))
		if got > tc.n || got < tc.n-2 {
			t.Errorf("%s: fit to %d units gave %d units", tc.name, tc.n, got)
		}
	}
	if got := fit("short", 256); got != "short" {
		t.Errorf("fit of a short text = %q", got)
	}
}
