// Package message renders the service-neutral chat message for a Herald
// event: a readable default for every catalog event, and the per-event
// text/template overrides a connector may define.
//
// Messages are plain text. Nothing is escaped for Markdown or HTML and
// mentions are left as they are: each chat service escapes text and
// suppresses pings itself. Everything here is safe for concurrent use.
package message

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/heraldhub/herald/catalog"
	"github.com/heraldhub/herald/connectors"
)

// Envelope is one event as templates see it: the same data a webhook
// receiver gets. Templates refer to its fields as .Event, .Created,
// .RequestID, .Data and .Changes.
type Envelope struct {
	Event     string    // "rankrecord.created"
	Created   time.Time // when Herald accepted the event
	RequestID string    // the Herald event ID
	// Data is the event's data object, decoded with json.Number for numbers.
	Data map[string]any
	// Changes is what an update changed: usually a map of attribute to new
	// value, a slice (PERSCOM sends [] when there is nothing), or nil.
	Changes any
}

// NewEnvelope decodes an event's stored data and changes. Data must be a
// JSON object (or empty or null, which give a nil Data); changes may be any
// JSON value and may be empty. Numbers decode as json.Number so that ids and
// amounts print exactly as sent.
func NewEnvelope(event string, created time.Time, requestID string, data, changes json.RawMessage) (Envelope, error) {
	env := Envelope{Event: event, Created: created, RequestID: requestID}
	var d any
	if err := decode(data, &d); err != nil {
		return Envelope{}, fmt.Errorf("message: data: %w", err)
	}
	switch d := d.(type) {
	case nil:
	case map[string]any:
		env.Data = d
	default:
		return Envelope{}, errors.New("message: data is not a JSON object")
	}
	if err := decode(changes, &env.Changes); err != nil {
		return Envelope{}, fmt.Errorf("message: changes: %w", err)
	}
	return env, nil
}

// decode reads exactly one JSON value from raw into v; empty raw leaves v
// untouched.
func decode(raw json.RawMessage, v *any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// Default renders Herald's built-in message for env. Every catalog event,
// TestEvent included, has its own wording; other events get a generic
// message built from the event name. Default never fails: missing or
// malformed fields are left out or replaced by a neutral word ("someone").
func Default(env Envelope) connectors.Message {
	resource, action, _ := strings.Cut(env.Event, ".")
	msg := connectors.Message{Event: env.Event, Action: action, Time: env.Created}

	r, known := resources[resource]
	switch {
	case env.Event == catalog.TestEvent:
		msg.Title = "Test message"
		msg.Text = cut(str(env.Data, "message"), maxValue)
		if msg.Text == "" {
			msg.Text = "This is a test message from Herald."
		}
	case known && action == connectors.ActionCreated:
		msg.Title, msg.Text = r.created(env.Data)
		msg.Fields = r.facts(env.Data)
	case known && action == connectors.ActionUpdated:
		msg.Title = r.updated
		msg.Text = r.thing(env.Data) + " was updated."
		msg.Fields = changeFields(env, r.textLabel)
	case known && action == connectors.ActionDeleted:
		msg.Title = r.deleted
		verb := " was deleted."
		if r.record {
			verb = " was removed."
		}
		msg.Text = r.thing(env.Data) + verb
		msg.Fields = r.facts(env.Data)
		if r.gone != nil {
			msg.Fields = r.gone(env.Data)
		}
	default:
		msg.Title, msg.Text, msg.Fields = generic(env)
	}
	return msg
}

// resource holds the wording of one PERSCOM resource's three events.
type resource struct {
	// created returns the title and text of the created event.
	created func(d map[string]any) (title, text string)
	// facts returns the key facts of the record, shown on creation and
	// deletion.
	facts func(d map[string]any) []connectors.Field
	// gone, if set, replaces facts for the deleted event.
	gone func(d map[string]any) []connectors.Field
	// thing names the record at the start of a sentence: "SSG Jordan
	// Reyes's rank record", "The Operations calendar".
	thing func(d map[string]any) string
	// updated and deleted are the titles of those events.
	updated, deleted string
	// record is true for entries in a member's file, which are "removed"
	// rather than "deleted".
	record bool
	// textLabel labels the record's free-text "text" attribute.
	textLabel string
}

// resources is the wording table, keyed by resource name. It is never
// modified.
var resources = map[string]resource{
	"assignmentrecord":    assignmentRecord,
	"awardrecord":         awardRecord,
	"calendar":            calendar,
	"combatrecord":        combatRecord,
	"event":               event,
	"message":             announcement,
	"qualificationrecord": qualificationRecord,
	"rankrecord":          rankRecord,
	"servicerecord":       serviceRecord,
	"submission":          submission,
	"user":                user,
}

// generic words a message for an event outside the catalog.
func generic(env Envelope) (title, text string, fields []connectors.Field) {
	resource, action, ok := strings.Cut(env.Event, ".")
	title = "Event"
	if ok && resource != "" && action != "" {
		title = humanise(resource) + " " + strings.ToLower(humanise(action))
	}
	name := cut(line(env.Event), 100)
	if name == "" {
		name = "an unnamed event"
	}
	text = "Herald received " + name + "."
	var f facts
	f.add("Name", str(env.Data, "name"))
	f = append(f, changeFields(env, "")...)
	return title, text, f
}
