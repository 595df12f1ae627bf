package message

import (
	"slices"
	"strings"

	"github.com/heraldhub/herald/connectors"
)

// maxFields caps the fields listing an update's changes.
const maxFields = 10

// facts collects a message's fields, leaving out empty values.
type facts []connectors.Field

// add appends the field name: value, folded onto one line and cut to
// maxValue characters, unless value is empty. value is plain text already
// (str, display, named): reducing it again would take text that was
// escaped markup ("&lt;Ctrl&gt;", now "<Ctrl>") for a tag and drop it.
func (f *facts) add(name, value string) {
	if value = cut(strings.Join(strings.Fields(value), " "), maxValue); value != "" {
		*f = append(*f, connectors.Field{Name: name, Value: value})
	}
}

// quiet lists attributes that change on every save and say nothing to a
// reader.
var quiet = []string{"updated_at", "created_at", "last_seen_at", "online"}

// secret reports whether an attribute may hold a credential, which is
// never shown even if PERSCOM reports it as changed.
func secret(key string) bool {
	k := strings.ToLower(key)
	return strings.Contains(k, "password") || strings.Contains(k, "token") || strings.Contains(k, "secret")
}

// changeFields lists what an update changed, one field per attribute in
// alphabetical order, with the new value. Changes is normally an object of
// attribute to new value; an array of attribute names is read against
// Data. A changed foo_id whose foo object is in Data is shown by that
// object's name ("Rank: Sergeant (SGT)"). The record's free-text "text"
// attribute is labelled textLabel. At most maxFields are listed; beyond
// that the last field names the other changed attributes.
func changeFields(env Envelope, textLabel string) []connectors.Field {
	values := map[string]any{}
	switch c := env.Changes.(type) {
	case map[string]any:
		values = c
	case []any:
		for _, k := range c {
			if k, ok := k.(string); ok {
				values[k] = lookup(env.Data, k)
			}
		}
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		if k != "" && !slices.Contains(quiet, k) && !secret(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)

	var f, more facts
	for _, k := range keys {
		name, value := changed(env.Data, k, values[k], textLabel)
		if value == "" {
			value = "none"
		}
		if len(f) < maxFields {
			f.add(name, value)
		} else {
			more = append(more, connectors.Field{Name: name})
		}
	}
	if len(more) > 0 {
		last := f[maxFields-1]
		more = append(facts{last}, more...)
		names := make([]string, len(more))
		for i, m := range more {
			names[i] = m.Name
		}
		f = f[:maxFields-1]
		f.add("Also changed", strings.Join(names, ", "))
	}
	return f
}

// changed returns the label and display value of one changed attribute.
func changed(data map[string]any, key string, value any, textLabel string) (string, string) {
	if key == "text" && textLabel != "" {
		return textLabel, display(value)
	}
	if base, ok := strings.CutSuffix(key, "_id"); ok && base != "" {
		if value == nil {
			return humanise(base), ""
		}
		if rel := object(data, base); rel != nil && str(rel, "id") == display(value) && named(rel) != "" {
			return humanise(base), named(rel)
		}
	}
	return humanise(key), display(value)
}

// person names the member a record is about, from its "user" object:
// "SSG Jordan Reyes", with the rank abbreviation when the user's rank is
// loaded. Without a name it falls back to "Member #42" from user_id, and
// without that to "".
func person(d map[string]any) string {
	u := object(d, "user")
	name := str(u, "name")
	if name == "" {
		if id := str(d, "user_id"); id != "" {
			return "Member #" + id
		}
		return ""
	}
	if abbr := str(u, "rank.abbreviation"); abbr != "" {
		return abbr + " " + name
	}
	return name
}

// subject is name, or "Someone" when the name is unknown.
func subject(name string) string {
	if name == "" {
		return "Someone"
	}
	return name
}

// possessive is "name's", or "someone's" (capitalised at the start of a
// sentence) when the name is unknown.
func possessive(name string, start bool) string {
	switch {
	case name != "":
		return name + "'s"
	case start:
		return "Someone's"
	}
	return "someone's"
}
