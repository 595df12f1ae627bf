// Package catalog is Herald's event catalog: the 33 PERSCOM events
// (<resource>.<created|updated|deleted>) plus webhook.test, each with a
// description and a realistic example of the `data` object PERSCOM sends,
// and the subscription patterns that select them.
//
// The catalog is fixed at build time. Every function is safe for concurrent
// use, and every returned slice or JSON value is a fresh copy that the caller
// may modify.
package catalog

import (
	"encoding/json"
	"slices"
)

// Actions of a PERSCOM event.
const (
	ActionCreated = "created"
	ActionUpdated = "updated"
	ActionDeleted = "deleted"
)

// TestEvent is the event Herald sends when a user tests a webhook or
// connector. It is in the catalog but is never selected by a subscription
// pattern.
const TestEvent = "webhook.test"

// EventType describes one event in the catalog.
type EventType struct {
	Name        string          `json:"name"`        // "rankrecord.created"
	Resource    string          `json:"resource"`    // "rankrecord"
	Action      string          `json:"action"`      // "created"
	Description string          `json:"description"` // one human sentence
	Example     json.RawMessage `json:"example"`     // a realistic `data` object

	// Changes is the `changes` value PERSCOM sends alongside Example: the
	// attributes an update changed, with their new values, or an empty JSON
	// array for other events. It is not part of the public event-types
	// listing; it lets tests and previews build a complete envelope.
	Changes json.RawMessage `json:"-"`
}

// resource is one PERSCOM resource: what its three events mean and what
// their data looks like.
type resource struct {
	name                      string
	created, updated, deleted string // descriptions
	record                    string // data of the record as created
	changes                   string // object of the attributes an update changes
}

// resources lists PERSCOM's resources in the order of its documentation.
var resources = []resource{
	{"assignmentrecord",
		"A member received an assignment record placing them in a unit, position or specialty.",
		"An assignment record was edited.",
		"An assignment record was removed from a member's file.",
		assignmentRecordExample, assignmentRecordChanges},
	{"awardrecord",
		"A member was presented an award.",
		"An award record, such as its citation, was edited.",
		"An award record was removed from a member's file.",
		awardRecordExample, awardRecordChanges},
	{"calendar",
		"A new calendar for grouping events was created.",
		"A calendar's name, description or colour was changed.",
		"A calendar was deleted.",
		calendarExample, calendarChanges},
	{"combatrecord",
		"A combat record was added to a member's file.",
		"A combat record was edited.",
		"A combat record was removed from a member's file.",
		combatRecordExample, combatRecordChanges},
	{"event",
		"A new event was scheduled on a calendar.",
		"A scheduled event was changed, for example its time or location.",
		"A scheduled event was deleted.",
		eventExample, eventChanges},
	{"message",
		"A message to members was created.",
		"A message to members was edited.",
		"A message to members was deleted.",
		messageExample, messageChanges},
	{"qualificationrecord",
		"A member earned a qualification.",
		"A qualification record was edited.",
		"A qualification record was removed from a member's file.",
		qualificationRecordExample, qualificationRecordChanges},
	{"rankrecord",
		"A member was promoted or demoted (type 0 is a promotion, 1 a demotion).",
		"A rank record was edited.",
		"A rank record was removed from a member's file.",
		rankRecordExample, rankRecordChanges},
	{"servicerecord",
		"An entry was added to a member's service record.",
		"A service record entry was edited.",
		"A service record entry was removed from a member's file.",
		serviceRecordExample, serviceRecordChanges},
	{"submission",
		"Someone submitted a form, such as an enlistment application.",
		"A form submission was changed.",
		"A form submission was deleted.",
		submissionExample, submissionChanges},
	{"user",
		"A new user account was created.",
		"A user's account, such as their approval, rank or assignment, changed.",
		"A user account was deleted.",
		userExample, userChanges},
}

var actions = []string{ActionCreated, ActionUpdated, ActionDeleted}

// catalog holds every event in order; byName indexes it.
var catalog, byName = build()

// Resources returns PERSCOM's resource names in catalog order.
func Resources() []string {
	names := make([]string, len(resources))
	for i, r := range resources {
		names[i] = r.name
	}
	return names
}

// Actions returns the actions of PERSCOM events: created, updated, deleted.
func Actions() []string { return slices.Clone(actions) }

// All returns the 33 PERSCOM events, by resource and then by action in the
// order created, updated, deleted, followed by TestEvent. Each call returns a
// new slice with its own copies of the JSON values.
func All() []EventType {
	all := make([]EventType, len(catalog))
	for i, et := range catalog {
		all[i] = et.clone()
	}
	return all
}

// Lookup returns the catalog entry named name, which may be TestEvent.
func Lookup(name string) (EventType, bool) {
	i, ok := byName[name]
	if !ok {
		return EventType{}, false
	}
	return catalog[i].clone(), true
}

func (et EventType) clone() EventType {
	et.Example = slices.Clone(et.Example)
	et.Changes = slices.Clone(et.Changes)
	return et
}

// build assembles the catalog from the resource table. An update's example
// is the created record with the update's changes applied; a deletion
// carries the record as it last stood.
func build() ([]EventType, map[string]int) {
	var all []EventType
	for _, r := range resources {
		created := mustCompact(r.record)
		changes := mustCompact(r.changes)
		updated := mustApply(created, changes)
		noChanges := json.RawMessage(`[]`)
		all = append(all,
			EventType{r.name + "." + ActionCreated, r.name, ActionCreated, r.created, created, noChanges},
			EventType{r.name + "." + ActionUpdated, r.name, ActionUpdated, r.updated, updated, changes},
			EventType{r.name + "." + ActionDeleted, r.name, ActionDeleted, r.deleted, updated, noChanges},
		)
	}
	all = append(all, EventType{
		Name:        TestEvent,
		Resource:    "webhook",
		Action:      "test",
		Description: "A test event sent by Herald to check that a target receives and verifies deliveries.",
		Example:     mustCompact(testExample),
		Changes:     json.RawMessage(`[]`),
	})

	index := make(map[string]int, len(all))
	for i, et := range all {
		index[et.Name] = i
	}
	return all, index
}
