package message

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald/catalog"
	"github.com/heraldhub/herald/connectors"
)

func TestDefaultIsReadableForEveryCatalogEvent(t *testing.T) {
	for _, et := range catalog.All() {
		t.Run(et.Name, func(t *testing.T) {
			msg := Default(exampleEnvelope(t, et))
			checkReadable(t, msg)
			if msg.Event != et.Name || msg.Action != et.Action {
				t.Errorf("Event, Action = %q, %q; want %q, %q", msg.Event, msg.Action, et.Name, et.Action)
			}
			if !msg.Time.Equal(created) {
				t.Errorf("Time = %v, want %v", msg.Time, created)
			}
			if msg.Note != "" {
				t.Errorf("Note = %q, want none without a template", msg.Note)
			}
		})
	}
}

func TestDefaultDegradesWithoutData(t *testing.T) {
	for _, et := range catalog.All() {
		for _, data := range []string{``, `{}`, `{"user": null, "rank": "x", "award": 7, "start": "soon", "type": []}`} {
			env := envelope(t, et.Name, data, `{"rank_id": null, "text": ""}`)
			msg := Default(env)
			checkReadable(t, msg)
		}
	}
}

func TestDefaultUpdatesListChangedFields(t *testing.T) {
	for _, et := range catalog.All() {
		if et.Action != catalog.ActionUpdated {
			continue
		}
		t.Run(et.Name, func(t *testing.T) {
			var changes map[string]any
			if err := json.Unmarshal(et.Changes, &changes); err != nil {
				t.Fatal(err)
			}
			msg := Default(exampleEnvelope(t, et))
			if len(msg.Fields) == 0 {
				t.Fatalf("no fields; changes are %s", et.Changes)
			}
			want := 0
			for k, v := range changes {
				if k == "updated_at" {
					continue
				}
				want++
				if s, ok := v.(string); ok && !hasValue(msg, s) {
					t.Errorf("no field shows the new %s %q: %q", k, s, msg.Fields)
				}
			}
			if len(msg.Fields) != want {
				t.Errorf("%d fields, want one per change but updated_at (%d): %q", len(msg.Fields), want, msg.Fields)
			}
		})
	}
}

// TestDefaultNamesWhoAndWhat checks the wording the issue asks for, on the
// catalog examples.
func TestDefaultNamesWhoAndWhat(t *testing.T) {
	tests := []struct {
		event     string
		title     string
		text      []string // substrings of Text
		fieldName string
		field     string
	}{
		{"rankrecord.created", "Promotion", []string{"Jordan Reyes", "promoted", "Staff Sergeant (SSG)"}, "Rank", "Staff Sergeant (SSG)"},
		{"awardrecord.created", "Award", []string{"Jordan Reyes", "Army Commendation Medal"}, "Award", "Army Commendation Medal"},
		{"event.created", "Calendar event", []string{"Operation Iron Harvest", "2026-05-23 19:00 UTC"}, "Start", "2026-05-23 19:00 UTC"},
		{"event.updated", "Event updated", []string{"Operation Iron Harvest"}, "Location", "Server 2 (Malden)"},
		{"qualificationrecord.created", "Qualification", []string{"Jordan Reyes", "Combat Lifesaver"}, "Qualification", "Combat Lifesaver"},
		{"assignmentrecord.created", "Assignment", []string{"Jordan Reyes", "1st Platoon, Alpha Company", "Squad Leader"}, "Specialty", "Infantryman (11B)"},
		{"submission.created", "Form submission", []string{"Casey Morgan", "Enlistment Application"}, "Availability", "Saturdays and some weeknights"},
		{"user.created", "New member", []string{"Casey Morgan"}, "Status", "Pending Review"},
		{"user.updated", "Member updated", []string{"Casey Morgan"}, "Approved", "yes"},
		{"rankrecord.deleted", "Rank record removed", []string{"Jordan Reyes's rank record was removed."}, "Rank", "Staff Sergeant (SSG)"},
		{"calendar.deleted", "Calendar deleted", []string{"The Operations calendar was deleted."}, "Calendar", "Operations"},
		{"message.created", "Message", []string{"@everyone Operation Iron Harvest steps off"}, "Recipients", "everyone"},
		{"awardrecord.updated", "Award updated", []string{"SSG Jordan Reyes's award record was updated."}, "Citation", "For meritorious service as a fire team leader during Operations Iron Harvest and Night Owl."},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			et, ok := catalog.Lookup(tt.event)
			if !ok {
				t.Fatalf("%s is not in the catalog", tt.event)
			}
			msg := Default(exampleEnvelope(t, et))
			if msg.Title != tt.title {
				t.Errorf("Title = %q, want %q", msg.Title, tt.title)
			}
			for _, s := range tt.text {
				if !strings.Contains(msg.Text, s) {
					t.Errorf("Text = %q, want it to contain %q", msg.Text, s)
				}
			}
			if got, _ := field(msg, tt.fieldName); got != tt.field {
				t.Errorf("field %s = %q, want %q (fields %v)", tt.fieldName, got, tt.field, msg.Fields)
			}
		})
	}
}

func TestDefaultWording(t *testing.T) {
	tests := []struct {
		name, event, data, changes string
		title, text                string
	}{
		{"promotion from an older rank", "rankrecord.created",
			`{"type": 0, "rank": {"id": 9, "name": "Sergeant First Class", "abbreviation": "SFC"},
			  "user": {"name": "Jordan Reyes", "rank": {"id": 8, "abbreviation": "SSG"}}}`, `[]`,
			"Promotion", "SSG Jordan Reyes was promoted to Sergeant First Class (SFC)."},
		{"demotion", "rankrecord.created",
			`{"type": 1, "rank": {"name": "Corporal", "abbreviation": "CPL"}, "user": {"name": "Jordan Reyes"}}`, `[]`,
			"Demotion", "Jordan Reyes was demoted to Corporal (CPL)."},
		{"rank record without rank or user", "rankrecord.created", `{"type": "0"}`, `[]`,
			"Promotion", "Someone was promoted to a new rank."},
		{"unknown rank record type", "rankrecord.created", `{"user_id": 42, "rank": {"name": "Sergeant"}}`, `[]`,
			"Rank change", "Member #42 now holds the rank of Sergeant."},
		{"award without award", "awardrecord.created", `{"user": {"name": "Jordan Reyes"}}`, `[]`,
			"Award", "Jordan Reyes received an award."},
		{"all-day event", "event.created", `{"name": "Range day", "all_day": true, "start": "2026-06-01T00:00:00.000000Z"}`, `[]`,
			"Calendar event", "Range day starts 2026-06-01 (all day)."},
		{"event without start", "event.created", `{"name": "Range day"}`, `[]`,
			"Calendar event", "Range day was scheduled."},
		{"secondary assignment", "assignmentrecord.created", `{"type": "secondary", "unit": {"name": "HQ"}, "user": {"name": "Jordan Reyes"}}`, `[]`,
			"Assignment", "Jordan Reyes received a secondary assignment to HQ."},
		{"empty assignment", "assignmentrecord.created", `{}`, `[]`,
			"Assignment", "Someone received a new assignment."},
		{"combat record of nobody", "combatrecord.created", `{}`, `[]`,
			"Combat record", "A combat record was added to someone's file."},
		{"deleted record of nobody", "servicerecord.deleted", `{}`, `[]`,
			"Service record removed", "Someone's service record entry was removed."},
		{"HTML message", "message.created", `{"message": "<p>Drill at <b>19:00</b> &amp; after.</p><p>Be there.</p>"}`, `[]`,
			"Message", "Drill at 19:00 & after.\n\nBe there."},
		{"test event", "webhook.test", `{}`, `[]`, "Test message", "This is a test message from Herald."},
		{"unknown event", "widget.created", `{"name": "Sprocket"}`, `{"colour": "red"}`,
			"Widget created", "Herald received widget.created."},
		{"nameless event", "", `{}`, `[]`, "Event", "Herald received an unnamed event."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := Default(envelope(t, tt.event, tt.data, tt.changes))
			checkReadable(t, msg)
			if msg.Title != tt.title || msg.Text != tt.text {
				t.Errorf("Title, Text = %q, %q\nwant %q, %q", msg.Title, msg.Text, tt.title, tt.text)
			}
		})
	}
}

func TestNewEnvelope(t *testing.T) {
	env, err := NewEnvelope("user.updated", created, "evt_1", json.RawMessage(`{"id": 12345678901234567890}`), json.RawMessage(`{"approved": true}`))
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := env.Data["id"].(json.Number); !ok || id.String() != "12345678901234567890" {
		t.Errorf("Data.id = %#v, want the exact json.Number", env.Data["id"])
	}
	if c, ok := env.Changes.(map[string]any); !ok || c["approved"] != true {
		t.Errorf("Changes = %#v", env.Changes)
	}
	if env.Event != "user.updated" || env.RequestID != "evt_1" || !env.Created.Equal(created) {
		t.Errorf("envelope = %+v", env)
	}

	empty, err := NewEnvelope("user.created", time.Time{}, "", nil, nil)
	if err != nil || empty.Data != nil || empty.Changes != nil {
		t.Errorf("empty input: %+v, %v", empty, err)
	}
	for _, bad := range []struct{ data, changes string }{
		{`[1]`, ``}, {`"x"`, ``}, {`{`, ``}, {`{} {}`, ``}, {`{}`, `{"a":`}, {`{}`, `[] x`},
	} {
		if _, err := NewEnvelope("user.created", created, "", json.RawMessage(bad.data), json.RawMessage(bad.changes)); err == nil {
			t.Errorf("NewEnvelope(%s, %s) succeeded, want an error", bad.data, bad.changes)
		}
	}
}

// hasValue reports whether a field of msg shows s, possibly cut short.
func hasValue(msg connectors.Message, s string) bool {
	for _, f := range msg.Fields {
		if f.Value == s || strings.HasSuffix(f.Value, "…") && strings.HasPrefix(s, strings.TrimSuffix(f.Value, "…")) {
			return true
		}
	}
	return false
}

func equalFields(a, b []connectors.Field) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Rich text is reduced to text once: escaped markup in it stays as text,
// and plain text with "<" and ">" is not taken for markup.
func TestDefaultKeepsAngleBracketsAsText(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"<p>Press &lt;Ctrl&gt; and &lt;Enter&gt; to submit</p>", "Press <Ctrl> and <Enter> to submit"},
		{"Scores: a<b in round 1, c>d in round 2", "Scores: a<b in round 1, c>d in round 2"},
		{`<p class="x">Well <b>done</b></p><p>again</p>`, "Well done again"},
	} {
		data := `{"user": {"name": "Jordan Reyes"}, "rank": {"name": "Sergeant"}, "text": ` + strconvQuote(tc.text) + `}`
		env, err := NewEnvelope("rankrecord.created", time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), "", []byte(data), nil)
		if err != nil {
			t.Fatal(err)
		}
		var notes string
		for _, f := range Default(env).Fields {
			if f.Name == "Notes" {
				notes = f.Value
			}
		}
		if notes != tc.want {
			t.Errorf("Notes for %q = %q, want %q", tc.text, notes, tc.want)
		}
	}
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }
