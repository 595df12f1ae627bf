package message

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald/catalog"
	"github.com/heraldhub/herald/connectors"
)

// created is the envelope time used by every test.
var created = time.Date(2026, 5, 17, 21, 4, 5, 401118000, time.UTC)

// exampleEnvelope builds the envelope of a catalog event from its example
// data and changes.
func exampleEnvelope(t *testing.T, et catalog.EventType) Envelope {
	t.Helper()
	env, err := NewEnvelope(et.Name, created, "evt_01TEST", et.Example, et.Changes)
	if err != nil {
		t.Fatalf("%s: NewEnvelope: %v", et.Name, err)
	}
	return env
}

// envelope builds an envelope for event from JSON literals.
func envelope(t *testing.T, event, data, changes string) Envelope {
	t.Helper()
	env, err := NewEnvelope(event, created, "evt_01TEST", json.RawMessage(data), json.RawMessage(changes))
	if err != nil {
		t.Fatalf("NewEnvelope(%s): %v", event, err)
	}
	return env
}

// garbage lists text that must never reach a reader: Go formatting
// artefacts and unexecuted template syntax.
var garbage = []string{"<nil>", "%!", "map[", "{{", "<no value>"}

// checkReadable fails the test if msg has an empty title or text, or Go
// formatting artefacts in its text or field values.
func checkReadable(t *testing.T, msg connectors.Message) {
	t.Helper()
	if strings.TrimSpace(msg.Title) == "" {
		t.Errorf("%s: empty Title", msg.Event)
	}
	if strings.TrimSpace(msg.Text) == "" {
		t.Errorf("%s: empty Text", msg.Event)
	}
	texts := []string{msg.Title, msg.Text}
	for _, f := range msg.Fields {
		if strings.TrimSpace(f.Name) == "" || strings.TrimSpace(f.Value) == "" {
			t.Errorf("%s: empty field %q: %q", msg.Event, f.Name, f.Value)
		}
		texts = append(texts, f.Name, f.Value)
	}
	for _, s := range texts {
		for _, g := range garbage {
			if strings.Contains(s, g) {
				t.Errorf("%s: %q contains %q", msg.Event, s, g)
			}
		}
	}
}

// field returns the value of the field called name, and whether there is one.
func field(msg connectors.Message, name string) (string, bool) {
	for _, f := range msg.Fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}
