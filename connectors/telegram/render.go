package telegram

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/heraldhub/herald/connectors"
)

// Message limits, in UTF-16 units of parsed text, as Telegram counts.
const (
	maxText      = 4096
	maxTitle     = 256
	maxSummary   = 3000
	maxFields    = 25
	maxFieldName = 100
	maxValue     = 500
	contextRoom  = 120 // event name, time and a note on hidden fields
)

// render formats msg as Telegram HTML: the title in bold, the summary,
// one "<b>Name:</b> value" line per field and an italic line with event and
// time. Every piece of event text is escaped, so nothing in it becomes
// markup or a mention. The parts share the 4096-character limit: the
// summary takes what the fields leave, but at least half, and CutHTML
// guards the total.
func render(msg connectors.Message) string {
	title := fit(orDefault(msg.Title, orDefault(msg.Event, "Herald event")), maxTitle)
	budget := maxText - contextRoom - count(title)
	need := 0
	for _, f := range msg.Fields[:min(len(msg.Fields), maxFields)] {
		need += min(count(f.Name), maxFieldName) + min(count(f.Value), maxValue) + 3
	}
	summary := fit(msg.Text, min(maxSummary, max(budget-need, budget/2)))
	budget -= count(summary)

	var b strings.Builder
	b.WriteString("<b>" + escape(title) + "</b>")
	if strings.TrimSpace(summary) != "" {
		b.WriteString("\n" + escape(summary))
	}
	shown := 0
	for _, f := range msg.Fields {
		if shown == maxFields {
			break
		}
		name := fit(orDefault(f.Name, "—"), maxFieldName)
		value := fit(orDefault(f.Value, "—"), min(maxValue, budget-count(name)-3))
		if count(value) < 20 && count(f.Value) >= 20 || value == "" {
			break
		}
		budget -= count(name) + count(value) + 3
		if shown == 0 {
			b.WriteString("\n")
		}
		b.WriteString("\n<b>" + escape(name) + ":</b> " + escape(value))
		shown++
	}
	var ctx []string
	if msg.Event != "" {
		ctx = append(ctx, escape(fit(msg.Event, 60)))
	}
	if !msg.Time.IsZero() {
		ctx = append(ctx, msg.Time.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	if hidden := len(msg.Fields) - shown; hidden > 0 {
		ctx = append(ctx, fmt.Sprintf("%d more fields not shown", hidden))
	}
	if len(ctx) > 0 {
		b.WriteString("\n\n<i>" + strings.Join(ctx, " · ") + "</i>")
	}
	return CutHTML(b.String(), maxText)
}

// count is the length of s as Telegram counts it once escaped, in UTF-16
// units (an emoji outside the Basic Multilingual Plane is two): entities
// count as the character they stand for, and every "@" gains a word
// joiner (see escaper). CutHTML counts the same way, so parts that fit
// their budgets here are never cut there.
func count(s string) int {
	n := strings.Count(s, "@")
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// fit shortens s with connectors.Truncate until count(s) is at most n
// (nothing is left for n <= 0). A character counts one or two units, so
// each pass drops half the excess in characters: dropping all of it would
// cut a text of emoji or "@" to half its budget, or to nothing.
func fit(s string, n int) string {
	t := connectors.Truncate(s, n)
	for over := count(t) - n; over > 0 && t != ""; over = count(t) - n {
		t = connectors.Truncate(s, utf8.RuneCountInString(t)-(over+1)/2)
	}
	return t
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
