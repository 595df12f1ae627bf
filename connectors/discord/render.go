package discord

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/heraldhub/herald/connectors"
)

// Embed limits, in characters.
const (
	maxTitle       = 256
	maxDescription = 4096
	maxFields      = 25
	maxFieldName   = 256
	maxFieldValue  = 1024
	maxFooter      = 2048
	maxEmbedTotal  = 6000
)

// Colours by action.
const (
	colourCreated = 0x2ECC71 // green
	colourUpdated = 0x3498DB // blue
	colourDeleted = 0xE74C3C // red
	colourOther   = 0x95A5A6 // grey
)

// params renders msg as a webhook message with one embed and no mention
// parsed: an empty allowed_mentions.parse list means nobody is pinged,
// whatever @everyone or <@id> the text holds.
func params(msg connectors.Message) *discordgo.WebhookParams {
	return &discordgo.WebhookParams{
		Embeds:          []*discordgo.MessageEmbed{embed(msg)},
		AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}},
	}
}

// embed fills title, description, fields and footer within Discord's
// limits, the 6000 characters of the whole embed included: the title and
// footer first, then the description, then fields while they fit.
func embed(msg connectors.Message) *discordgo.MessageEmbed {
	e := &discordgo.MessageEmbed{
		Title: connectors.Truncate(escape(orDefault(msg.Title, orDefault(msg.Event, "Herald event"))), maxTitle),
		Color: colour(msg.Action),
	}
	if !msg.Time.IsZero() {
		e.Timestamp = msg.Time.UTC().Format(time.RFC3339)
	}
	footer := connectors.Truncate(msg.Event, 200)
	// Room for a note on hidden fields, so adding it never breaks the total.
	const noteRoom = 40
	budget := maxEmbedTotal - count(e.Title) - count(footer) - noteRoom
	// The description takes what the fields leave, but at least half.
	need := 0
	for _, f := range msg.Fields[:min(len(msg.Fields), maxFields)] {
		need += min(count(f.Name), maxFieldName) + min(count(f.Value), maxFieldValue)
	}
	e.Description = connectors.Truncate(escape(msg.Text), min(maxDescription, max(budget-need, budget/2)))
	budget -= count(e.Description)
	for _, f := range msg.Fields {
		if len(e.Fields) == maxFields {
			break
		}
		name := connectors.Truncate(escape(orDefault(f.Name, "—")), maxFieldName)
		value := connectors.Truncate(escape(orDefault(f.Value, "—")), maxFieldValue)
		if count(name)+count(value) > budget {
			value = connectors.Truncate(value, budget-count(name))
			if count(value) < 20 {
				break
			}
		}
		budget -= count(name) + count(value)
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: name, Value: value, Inline: count(value) <= 40})
	}
	if hidden := len(msg.Fields) - len(e.Fields); hidden > 0 {
		footer = strings.TrimPrefix(footer+fmt.Sprintf(" · %d more fields not shown", hidden), " · ")
	}
	if footer != "" {
		e.Footer = &discordgo.MessageEmbedFooter{Text: footer}
	}
	return e
}

func colour(action string) int {
	switch action {
	case connectors.ActionCreated:
		return colourCreated
	case connectors.ActionUpdated:
		return colourUpdated
	case connectors.ActionDeleted:
		return colourDeleted
	}
	return colourOther
}

func count(s string) int { return utf8.RuneCountInString(s) }

// escape keeps event text literal in Discord markdown: emphasis, code,
// spoiler and masked-link characters get a backslash, and so does "<",
// which opens mentions, channel links, emoji and timestamps ("<@123>",
// "<t:1700000000>"). Quote, heading and list markers at the start of a
// line get one too, as does the dot of a numbered-list marker ("1.").
func escape(s string) string {
	var b strings.Builder
	lineStart, digitsOnly := true, false // digitsOnly: the line so far is digits
	for _, r := range s {
		switch {
		case strings.ContainsRune("\\*_~`|[]<", r), lineStart && strings.ContainsRune(">#-", r),
			r == '.' && digitsOnly:
			b.WriteByte('\\')
		}
		b.WriteRune(r)
		digitsOnly = r >= '0' && r <= '9' && (lineStart || digitsOnly)
		lineStart = r == '\n'
	}
	return b.String()
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
