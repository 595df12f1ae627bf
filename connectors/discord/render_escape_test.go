package discord

import "testing"

func TestEscapeKeepsTextLiteral(t *testing.T) {
	for in, want := range map[string]string{
		"plain text (SFC) 2026-05-23":   "plain text (SFC) 2026-05-23",
		"*bold* _it_ ~s~ `c` ||sp||":    `\*bold\* \_it\_ \~s\~ \` + "`c\\`" + ` \|\|sp\|\|`,
		"[click](https://evil.example)": `\[click\](https://evil.example)`,
		"> quote\n# head\n- item":       "\\> quote\n\\# head\n\\- item",
		`back\slash`:                    `back\\slash`,
		"<@123> <#9> <t:1700000000:R>":  `\<@123> \<#9> \<t:1700000000:R>`,
		"1. first\n12. twelfth":         "1\\. first\n12\\. twelfth",
		"v1.2 costs 3.50":               "v1.2 costs 3.50",
		"2026.":                         "2026\\.",
	} {
		if got := escape(in); got != want {
			t.Errorf("escape(%q) = %q, want %q", in, got, want)
		}
	}
}
