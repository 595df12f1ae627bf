package message

import (
	"github.com/heraldhub/herald/connectors"
)

// Entries in a member's personnel file. Each carries the member as "user"
// (with their rank), the subject of the record (rank, award, qualification,
// assignment) and free text.

// record words the updated and deleted events of a file entry called noun
// ("rank record").
func record(noun, textLabel, title string) resource {
	return resource{
		thing:     func(d map[string]any) string { return possessive(person(d), true) + " " + noun },
		updated:   title + " updated",
		deleted:   title + " removed",
		record:    true,
		textLabel: textLabel,
	}
}

var rankRecord = func() resource {
	r := record("rank record", "Notes", "Rank record")
	r.created = func(d map[string]any) (string, string) {
		rank := named(object(d, "rank"))
		if rank == "" {
			rank = "a new rank"
		}
		// The member's loaded rank is usually already the new one; it only
		// prefixes the name when it still differs (the rank held before).
		who := person(d)
		if held := str(d, "user.rank.id"); held != "" && held == str(d, "rank.id") {
			who = str(d, "user.name")
		}
		who = subject(who)
		switch str(d, "type") {
		case "0":
			return "Promotion", who + " was promoted to " + rank + "."
		case "1":
			return "Demotion", who + " was demoted to " + rank + "."
		}
		return "Rank change", who + " now holds the rank of " + rank + "."
	}
	r.facts = func(d map[string]any) []connectors.Field {
		var f facts
		f.add("Rank", named(object(d, "rank")))
		f.add("Paygrade", str(d, "rank.paygrade"))
		f.add("Notes", str(d, "text"))
		return f
	}
	return r
}()

var awardRecord = func() resource {
	r := record("award record", "Citation", "Award")
	r.created = func(d map[string]any) (string, string) {
		if award := str(d, "award.name"); award != "" {
			return "Award", subject(person(d)) + " received the " + award + "."
		}
		return "Award", subject(person(d)) + " received an award."
	}
	r.facts = func(d map[string]any) []connectors.Field {
		var f facts
		f.add("Award", str(d, "award.name"))
		f.add("Citation", str(d, "text"))
		return f
	}
	return r
}()

var qualificationRecord = func() resource {
	r := record("qualification record", "Notes", "Qualification")
	r.created = func(d map[string]any) (string, string) {
		if q := str(d, "qualification.name"); q != "" {
			return "Qualification", subject(person(d)) + " earned the " + q + " qualification."
		}
		return "Qualification", subject(person(d)) + " earned a qualification."
	}
	r.facts = func(d map[string]any) []connectors.Field {
		var f facts
		f.add("Qualification", str(d, "qualification.name"))
		f.add("Notes", str(d, "text"))
		return f
	}
	return r
}()

var assignmentRecord = func() resource {
	r := record("assignment record", "Notes", "Assignment")
	r.created = func(d map[string]any) (string, string) {
		who := subject(person(d))
		unit, position := str(d, "unit.name"), str(d, "position.name")
		verb := " was assigned"
		if str(d, "type") == "secondary" {
			verb = " received a secondary assignment"
		}
		switch {
		case unit != "" && position != "":
			return "Assignment", who + verb + " to " + unit + " as " + position + "."
		case unit != "":
			return "Assignment", who + verb + " to " + unit + "."
		case position != "":
			return "Assignment", who + verb + " as " + position + "."
		case verb == " was assigned":
			return "Assignment", who + " received a new assignment."
		}
		return "Assignment", who + verb + "."
	}
	r.facts = func(d map[string]any) []connectors.Field {
		var f facts
		f.add("Unit", str(d, "unit.name"))
		f.add("Position", str(d, "position.name"))
		f.add("Specialty", named(object(d, "specialty")))
		f.add("Status", str(d, "status.name"))
		f.add("Notes", str(d, "text"))
		return f
	}
	return r
}()

// entry words the file entries that are only free text: combat and service
// records.
func entry(noun, title string) resource {
	r := record(noun, "Entry", title)
	r.created = func(d map[string]any) (string, string) {
		return title, "A " + noun + " was added to " + possessive(person(d), false) + " file."
	}
	r.facts = func(d map[string]any) []connectors.Field {
		var f facts
		f.add("Entry", str(d, "text"))
		return f
	}
	return r
}

var (
	combatRecord  = entry("combat record", "Combat record")
	serviceRecord = entry("service record entry", "Service record")
)
