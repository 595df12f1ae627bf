package telegram_test

import (
	"fmt"
	"html"
	"regexp"
	"strings"
	"unicode/utf16"

	"github.com/heraldhub/herald/connectors"
	"github.com/heraldhub/herald/connectors/connectortest"
)

// supported are the tags Telegram's HTML parse mode accepts.
var supported = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true, "s": true,
	"strike": true, "del": true, "span": true, "tg-spoiler": true, "a": true, "code": true,
	"pre": true, "blockquote": true, "tg-emoji": true,
}

type span struct {
	start, end int // byte offsets in the parsed text
}

// parseHTML parses text as Telegram does: it returns the plain text, the
// bold spans, and what Telegram would refuse or turn into a mention.
func parseHTML(text string) (plain string, bold []span, problems, pings []string) {
	var b strings.Builder
	type open struct {
		name  string
		start int
	}
	var stack []open
	for i := 0; i < len(text); {
		switch text[i] {
		case '<':
			end := strings.IndexByte(text[i:], '>')
			if end < 0 {
				return b.String(), bold, append(problems, "can't parse entities: unclosed start tag"), pings
			}
			tag := text[i+1 : i+end]
			i += end + 1
			if name, ok := strings.CutPrefix(tag, "/"); ok {
				if len(stack) == 0 || stack[len(stack)-1].name != name {
					problems = append(problems, "can't parse entities: unmatched end tag "+name)
					continue
				}
				top := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if name == "b" || name == "strong" {
					bold = append(bold, span{top.start, b.Len()})
				}
				continue
			}
			name, attrs, _ := strings.Cut(tag, " ")
			if !supported[name] {
				problems = append(problems, "can't parse entities: unsupported start tag "+name)
				continue
			}
			if name == "a" && strings.Contains(attrs, "tg://user") {
				pings = append(pings, "link to tg://user mentions the user")
			}
			stack = append(stack, open{name, b.Len()})
		case '&':
			end := strings.IndexByte(text[i:], ';')
			ent := ""
			if end > 0 {
				ent = text[i : i+end+1]
			}
			ok := ent == "&lt;" || ent == "&gt;" || ent == "&amp;" || ent == "&quot;" || strings.HasPrefix(ent, "&#")
			if !ok {
				return b.String(), bold, append(problems, "can't parse entities: unsupported entity at "+fmt.Sprint(i)), pings
			}
			b.WriteString(html.UnescapeString(ent))
			i += len(ent)
		default:
			b.WriteByte(text[i])
			i++
		}
	}
	if len(stack) > 0 {
		problems = append(problems, "can't parse entities: unclosed tag "+stack[len(stack)-1].name)
	}
	plain = b.String()
	for _, m := range usernameMention.FindAllStringSubmatch(plain, -1) {
		pings = append(pings, m[1]+" mentions the user")
	}
	if n := len(utf16.Encode([]rune(plain))); n > 4096 {
		problems = append(problems, fmt.Sprintf("message is too long (%d)", n))
	}
	return plain, bold, problems, pings
}

// usernameMention is what Telegram turns into a mention of a member: "@"
// and a username (a letter, then 4 to 31 letters, digits or underscores)
// at the start of a word.
var usernameMention = regexp.MustCompile(`(?:^|[^\p{L}\p{N}_])(@[A-Za-z][A-Za-z0-9_]{4,31})`)

// read turns a message in Herald's layout (bold title, summary, one
// "<b>Name:</b> value" line per field) into what a reader sees, without
// the invisible word joiners.
func read(text string) connectortest.Received {
	plain, bold, problems, pings := parseHTML(text)
	r := connectortest.Received{Problems: problems, Pings: pings}
	if len(bold) == 0 {
		return r
	}
	seen := func(s string) string { return strings.ReplaceAll(s, "\u2060", "") }
	r.Title = seen(plain[bold[0].start:bold[0].end])
	rest := strings.TrimPrefix(plain[bold[0].end:], "\n")
	text, _, _ = strings.Cut(rest, "\n\n")
	r.Text = seen(text)
	for _, s := range bold[1:] {
		value, _, _ := strings.Cut(plain[s.end:], "\n")
		r.Fields = append(r.Fields, connectors.Field{
			Name:  seen(strings.TrimSuffix(plain[s.start:s.end], ":")),
			Value: seen(strings.TrimPrefix(value, " ")),
		})
	}
	return r
}
