package telegram

import (
	"strings"
	"testing"
)

func TestCutHTML(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"fits", "<b>Title</b>\nText", 10, "<b>Title</b>\nText"},
		{"tags count nothing", "<b>abc</b>", 3, "<b>abc</b>"},
		{"plain cut", "abcdefgh", 5, "abcd…"},
		{"close open tag", "<b>abcdefgh</b>", 5, "<b>abcd…</b>"},
		{"close nested tags in order", "<b><i>abcdefgh</i></b>", 4, "<b><i>abc…</i></b>"},
		{"closed tags stay closed", "<b>ab</b><i>cdefgh</i>", 4, "<b>ab</b><i>c…</i>"},
		{"entity counts one", "&lt;&gt;&amp;xyz", 4, "&lt;&gt;&amp;…"},
		{"never inside an entity", "ab&amp;cdef", 3, "ab…"},
		{"entity kept whole", "ab&amp;cdef", 4, "ab&amp;…"},
		{"attributes", `<a href="https://x.test/a?b=1&amp;c=2">link text here</a>`, 5, `<a href="https://x.test/a?b=1&amp;c=2">link…</a>`},
		{"astral characters take two units", "😀😀😀", 4, "😀…"},
		{"cut before a tag", "abcd<b>efgh</b>", 5, "abcd…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CutHTML(tt.in, tt.max)
			if got != tt.want {
				t.Errorf("CutHTML(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
			if n := length(got); n > tt.max {
				t.Errorf("CutHTML(%q, %d) has length %d", tt.in, tt.max, n)
			}
		})
	}
}

func TestRenderEscapesAndFits(t *testing.T) {
	long := strings.Repeat("<@123> & @everyone ", 1000)
	out := render(messageWith(long, 40))
	if n := length(out); n > maxText {
		t.Fatalf("render has length %d, want at most %d", n, maxText)
	}
	if strings.Contains(out, "<@") || strings.Contains(out, "& ") {
		t.Errorf("render left event text unescaped: %q", out[:200])
	}
	if !strings.HasPrefix(out, "<b>") || !strings.HasSuffix(out, "</i>") {
		t.Errorf("render lost its title or context line: %q … %q", out[:20], out[len(out)-40:])
	}
}

// Characters outside the Basic Multilingual Plane (emoji) are two UTF-16
// units to Telegram: a long summary of them still leaves room for the
// fields and the event line, instead of being cut with everything after it.
func TestRenderCountsEmojiAsTelegramDoes(t *testing.T) {
	msg := messageWith(strings.Repeat("🎖", 2500), 2)
	for i := range msg.Fields {
		msg.Fields[i].Value = "value"
	}
	out := render(msg)
	if n := length(out); n > maxText {
		t.Fatalf("render has length %d, want at most %d", n, maxText)
	}
	for _, want := range []string{"<b>F0:</b> value", "<b>F1:</b> value", "user.created · 2023-11-14 22:13:20 UTC</i>"} {
		if !strings.Contains(out, want) {
			t.Errorf("render lost %q: … %q", want, out[max(0, len(out)-200):])
		}
	}
}
