package slack

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscapeCut(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"a <b> & c", 100, "a &lt;b&gt; &amp; c"},
		{"<!channel>", 100, "&lt;!channel&gt;"},
		{"abcdef", 4, "abc…"},
		// Never split an entity: "&amp;" does not fit in front of "…".
		{"ab&cd", 6, "ab…"},
		{"ab&cd", 8, "ab&amp;…"},
		{"ünïcödé", 4, "ünï…"},
	}
	for _, tt := range tests {
		got := escapeCut(tt.in, tt.max)
		if got != tt.want {
			t.Errorf("escapeCut(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
		if n := utf8.RuneCountInString(got); n > tt.max {
			t.Errorf("escapeCut(%q, %d) has %d characters", tt.in, tt.max, n)
		}
		if strings.ContainsAny(strings.NewReplacer("&amp;", "", "&lt;", "", "&gt;", "").Replace(got), "<>&") {
			t.Errorf("escapeCut(%q, %d) = %q leaves a control character or a broken entity", tt.in, tt.max, got)
		}
	}
}
