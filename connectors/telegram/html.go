package telegram

import (
	"html"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// escaper escapes the three characters Telegram's HTML parse mode treats
// as markup. Everything from an event goes through it, so "<@123>" or
// "<a href=...>" in event data stays text. It also puts an invisible word
// joiner (U+2060) after every "@": Telegram turns "@username" into a
// mention that notifies that member, and SPEC §8 says event data never
// pings anyone. The text reads the same.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "@", "@\u2060")

func escape(s string) string { return escaper.Replace(s) }

// length is the length Telegram checks against its 4096 limit: the text
// left after parsing (tags removed, entities decoded), in UTF-16 units.
func length(s string) int {
	n := 0
	for i := 0; i < len(s); {
		tok, units := next(s, i)
		n += units
		i += len(tok)
	}
	return n
}

// CutHTML shortens Telegram HTML so that its parsed text is at most max
// UTF-16 units. It cuts only between tags, entities and characters (never
// inside one), ends a cut text with "…" and closes the tags still open, in
// reverse order; tags opened after the last character kept are dropped.
// Input that is within max comes back unchanged. It assumes well-formed
// input, as this package produces.
func CutHTML(s string, max int) string {
	if length(s) <= max {
		return s
	}
	type open struct {
		name string
		at   int // offset of the tag in out
	}
	var out []byte
	var stack []open
	kept := 0         // len(out) after the last character kept
	budget := max - 1 // room for "…"
	for i := 0; i < len(s); {
		tok, units := next(s, i)
		if units > budget {
			break
		}
		budget -= units
		i += len(tok)
		if name, closing, ok := tagName(tok); ok && closing {
			if n := len(stack); n > 0 && stack[n-1].name == name {
				stack = stack[:n-1]
			}
		} else if ok {
			stack = append(stack, open{name, len(out)})
		}
		out = append(out, tok...)
		if units > 0 {
			kept = len(out)
		}
	}
	for n := len(stack); n > 0 && stack[n-1].at >= kept; n = len(stack) {
		out = out[:stack[n-1].at]
		stack = stack[:n-1]
	}
	out = append(out, "…"...)
	for j := len(stack) - 1; j >= 0; j-- {
		out = append(out, "</"+stack[j].name+">"...)
	}
	return string(out)
}

// next returns the token starting at s[i] (a tag, an entity or one
// character) and how many UTF-16 units it adds to the parsed text.
func next(s string, i int) (string, int) {
	switch s[i] {
	case '<':
		if end := strings.IndexByte(s[i:], '>'); end > 0 {
			return s[i : i+end+1], 0
		}
	case '&':
		if end := strings.IndexByte(s[i:], ';'); end > 1 && end <= 10 {
			tok := s[i : i+end+1]
			if dec := html.UnescapeString(tok); dec != tok {
				return tok, len(utf16.Encode([]rune(dec)))
			}
		}
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	return s[i : i+size], utf16.RuneLen(r)
}

// tagName reports the element name of a tag token and whether it closes.
func tagName(tok string) (name string, closing, ok bool) {
	if len(tok) < 3 || tok[0] != '<' || tok[len(tok)-1] != '>' {
		return "", false, false
	}
	inner := tok[1 : len(tok)-1]
	if strings.HasSuffix(inner, "/") {
		return "", false, false // self-closing: nothing to close
	}
	if closing = strings.HasPrefix(inner, "/"); closing {
		inner = inner[1:]
	}
	name, _, _ = strings.Cut(inner, " ")
	return strings.ToLower(name), closing, name != ""
}
