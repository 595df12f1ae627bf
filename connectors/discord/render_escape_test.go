package discord

import "testing"

func TestEscapeKeepsTextLiteral(t *testing.T) {
	for in, want := range map[string]string{
		"plain text (SFC) 2026-05-23":   "plain text (SFC) 2026-05-23",
		"*bold* _it_ ~s~ `c` ||sp||":    `\*bold\* \_it\_ \~s\~ \` + "`c\\`" + ` \|\|sp\|\|`,
		"[click](https://evil.example)": `\[click\](https://evil.example)`,
		"> quote\n# head\n- item":       "\\> quote\n\\# head\n\\- item",
		`back\slash`:                    `back\\slash`,
	} {
		if got := escape(in); got != want {
			t.Errorf("escape(%q) = %q, want %q", in, got, want)
		}
	}
}
