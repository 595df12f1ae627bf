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

// The part of a webhook URL kept out of logs: below Slack's /services/,
// or the whole path of a gateway that may carry its token anywhere.
func TestWebhookSecrets(t *testing.T) {
	for in, want := range map[string]string{
		"https://hooks.slack.com/services/T0/B0/XyZ": "T0/B0/XyZ",
		"https://gw.example.com/Zk3sEcReT0kEn/slack": "Zk3sEcReT0kEn/slack",
		"https://gw.example.com/hook":                "hook",
	} {
		if got := (config{WebhookURL: in}).secrets(); len(got) == 0 || got[0] != want {
			t.Errorf("secrets of %s = %q, want %q first", in, got, want)
		}
	}
}
