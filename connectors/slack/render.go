package slack

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/heraldhub/herald/connectors"
)

// Block Kit limits, in characters.
const (
	maxHeader        = 150
	maxSectionText   = 3000
	maxFieldText     = 2000
	maxFieldName     = 200
	fieldsPerSection = 10
	maxFields        = 25
	maxFallback      = 3000
)

// escaper neutralises Slack's control characters, so that text from an
// event can never form a link or a mention such as <!channel> or <@U123>.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escapeCut escapes s and keeps the result within max characters, cutting
// the text before escaping so an entity is never split. A cut text ends
// with "…".
func escapeCut(s string, max int) string {
	e := escaper.Replace(s)
	if utf8.RuneCountInString(e) <= max {
		return e
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		piece := escaper.Replace(string(r))
		w := utf8.RuneCountInString(piece)
		if n+w > max-1 {
			break
		}
		b.WriteString(piece)
		n += w
	}
	return b.String() + "…"
}

// mrkdwn returns a mrkdwn text object marked verbatim, so Slack does not
// turn bare names like "@here" or "#ops" into mentions or links.
func mrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, text, false, true)
}

// blocks renders msg as a header and the summary, both plain text, the key
// fields (ten per section, at most maxFields; mrkdwn, for the bold names)
// and a context line with event and time.
func blocks(msg connectors.Message) []slack.Block {
	title := msg.Title
	if strings.TrimSpace(title) == "" {
		title = orDefault(msg.Event, "Herald event")
	}
	out := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, escapeCut(title, maxHeader), true, false)),
	}
	if strings.TrimSpace(msg.Text) != "" {
		// plain_text, not mrkdwn: mrkdwn has no escape for *, _ and ~,
		// and the summary must read as written.
		text := slack.NewTextBlockObject(slack.PlainTextType, escapeCut(msg.Text, maxSectionText), false, false)
		out = append(out, slack.NewSectionBlock(text, nil, nil))
	}
	fields := msg.Fields[:min(len(msg.Fields), maxFields)]
	for start := 0; start < len(fields); start += fieldsPerSection {
		var objs []*slack.TextBlockObject
		for _, f := range fields[start:min(start+fieldsPerSection, len(fields))] {
			objs = append(objs, mrkdwn(fieldText(f)))
		}
		out = append(out, slack.NewSectionBlock(nil, objs, nil))
	}
	if ctx := contextLine(msg, len(msg.Fields)-len(fields)); ctx != "" {
		out = append(out, slack.NewContextBlock("", mrkdwn(ctx)))
	}
	return out
}

// fieldText is "*Name*\nValue", within a field's limit.
func fieldText(f connectors.Field) string {
	name := escapeCut(orDefault(f.Name, "—"), maxFieldName)
	head := "*" + name + "*\n"
	return head + escapeCut(orDefault(f.Value, "—"), maxFieldText-utf8.RuneCountInString(head))
}

func contextLine(msg connectors.Message, hidden int) string {
	var parts []string
	if msg.Event != "" {
		parts = append(parts, "`"+escapeCut(msg.Event, 200)+"`")
	}
	if !msg.Time.IsZero() {
		parts = append(parts, msg.Time.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	if hidden > 0 {
		parts = append(parts, fmt.Sprintf("%d more fields not shown", hidden))
	}
	return strings.Join(parts, " · ")
}

// fallback is the plain notification text Slack shows where blocks cannot
// be shown (notifications, old clients).
func fallback(msg connectors.Message) string {
	text := orDefault(msg.Title, msg.Event)
	if msg.Text != "" {
		text += ": " + msg.Text
	}
	return escapeCut(text, maxFallback)
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
