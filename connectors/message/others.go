package message

import (
	"slices"
	"strings"

	"github.com/heraldhub/herald/connectors"
)

// Calendars, scheduled events, messages to members, form submissions and
// user accounts.

var calendar = resource{
	created: func(d map[string]any) (string, string) {
		if name := str(d, "name"); name != "" {
			return "New calendar", "A new calendar, " + name + ", was created."
		}
		return "New calendar", "A new calendar was created."
	},
	facts: func(d map[string]any) []connectors.Field {
		var f facts
		f.add("Calendar", str(d, "name"))
		f.add("Description", str(d, "description"))
		return f
	},
	thing: func(d map[string]any) string {
		if name := str(d, "name"); name != "" {
			return "The " + name + " calendar"
		}
		return "A calendar"
	},
	updated: "Calendar updated",
	deleted: "Calendar deleted",
}

// eventStart is when an event starts: a date for all-day events, else a
// time in TimeLayout, or "".
func eventStart(d map[string]any) string {
	start := timeAt(d, "start")
	if start != "" && lookup(d, "all_day") == true {
		start = start[:len("2006-01-02")] + " (all day)"
	}
	return start
}

var event = resource{
	created: func(d map[string]any) (string, string) {
		name, start := str(d, "name"), eventStart(d)
		switch {
		case name != "" && start != "":
			return "Calendar event", name + " starts " + start + "."
		case name != "":
			return "Calendar event", name + " was scheduled."
		case start != "":
			return "Calendar event", "A new event starts " + start + "."
		}
		return "Calendar event", "A new event was scheduled."
	},
	facts: func(d map[string]any) []connectors.Field {
		var f facts
		f.add("Start", eventStart(d))
		if lookup(d, "all_day") != true {
			f.add("End", timeAt(d, "end"))
		}
		f.add("Calendar", str(d, "calendar.name"))
		f.add("Location", str(d, "location"))
		if lookup(d, "repeats") == true {
			f.add("Repeats", strings.ToLower(str(d, "frequency")))
		}
		if lookup(d, "registration_enabled") == true {
			f.add("Register by", timeAt(d, "registration_deadline"))
		}
		f.add("Description", str(d, "description"))
		return f
	},
	thing: func(d map[string]any) string {
		name, start := str(d, "name"), eventStart(d)
		switch {
		case name != "" && start != "":
			return "The event " + name + " (" + start + ")"
		case name != "":
			return "The event " + name
		}
		return "An event"
	},
	updated: "Event updated",
	deleted: "Event deleted",
}

// maxAnnouncement caps the text of a message to members, which becomes the
// chat message's text.
const maxAnnouncement = 1000

var announcement = resource{
	created: func(d map[string]any) (string, string) {
		text, _ := lookup(d, "message").(string)
		if text = cut(plain(text), maxAnnouncement); text != "" {
			return "Message", text
		}
		return "Message", "A message was sent to members."
	},
	facts: func(d map[string]any) []connectors.Field {
		var f facts
		switch r, ok := d["recipients"]; r := r.(type) {
		case nil:
			if ok {
				f.add("Recipients", "everyone") // PERSCOM's null
			}
		case []any:
			f.add("Recipients", plural(len(r), "member"))
		}
		if lookup(d, "sent_at") == nil {
			f.add("Scheduled for", timeAt(d, "send_at"))
		}
		return f
	},
	gone: func(d map[string]any) []connectors.Field {
		var f facts
		f.add("Message", str(d, "message"))
		return f
	},
	thing:   func(map[string]any) string { return "A message to members" },
	updated: "Message updated",
	deleted: "Message deleted",
}

// submissionColumns are a submission's own attributes; everything else at
// the top level of its data is an answer to the form.
var submissionColumns = []string{
	"id", "form_id", "user_id", "status_id", "read_at", "created_at", "updated_at",
	"url", "relative_url", "form", "user", "status", "statuses",
}

var submission = resource{
	created: func(d map[string]any) (string, string) {
		who := subject(person(d))
		if form := str(d, "form.name"); form != "" {
			return "Form submission", who + " submitted the " + form + "."
		}
		return "Form submission", who + " submitted a form."
	},
	facts: func(d map[string]any) []connectors.Field {
		var f facts
		f.add("Form", str(d, "form.name"))
		if statuses, _ := lookup(d, "statuses").([]any); len(statuses) > 0 {
			f.add("Status", display(statuses[len(statuses)-1]))
		}
		answers := make([]string, 0, len(d))
		for k, v := range d {
			switch v.(type) {
			case map[string]any, []any, nil:
				continue
			}
			if !slices.Contains(submissionColumns, k) && !secret(k) {
				answers = append(answers, k)
			}
		}
		slices.Sort(answers)
		for _, k := range answers {
			if len(f) < maxFields {
				f.add(humanise(k), display(d[k]))
			}
		}
		return f
	},
	thing: func(d map[string]any) string {
		form, who := str(d, "form.name"), person(d)
		switch {
		case form != "" && who != "":
			return "The " + form + " from " + who
		case form != "":
			return "A submission of the " + form
		case who != "":
			return "A form submission from " + who
		}
		return "A form submission"
	},
	updated: "Submission updated",
	deleted: "Submission deleted",
}

var user = resource{
	created: func(d map[string]any) (string, string) {
		if name := str(d, "name"); name != "" {
			return "New member", "A new account was created for " + name + "."
		}
		return "New member", "A new account was created."
	},
	facts: func(d map[string]any) []connectors.Field {
		var f facts
		f.add("Rank", named(object(d, "rank")))
		f.add("Unit", str(d, "unit.name"))
		f.add("Position", str(d, "position.name"))
		f.add("Specialty", named(object(d, "specialty")))
		f.add("Status", str(d, "status.name"))
		f.add("Approved", display(lookup(d, "approved")))
		return f
	},
	thing: func(d map[string]any) string {
		name := str(d, "name")
		if abbr := str(d, "rank.abbreviation"); name != "" && abbr != "" {
			name = abbr + " " + name
		}
		return possessive(name, true) + " account"
	},
	updated: "Member updated",
	deleted: "Member deleted",
}

// plural is "1 member", "3 members".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return display(n) + " " + noun + "s"
}
