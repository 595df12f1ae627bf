package catalog

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

var wantResources = []string{
	"assignmentrecord", "awardrecord", "calendar", "combatrecord", "event", "message",
	"qualificationrecord", "rankrecord", "servicerecord", "submission", "user",
}

func TestAllListsPERSCOMEventsInOrderThenTest(t *testing.T) {
	all := All()
	if len(all) != 34 {
		t.Fatalf("All() has %d events, want 33 PERSCOM events + %s", len(all), TestEvent)
	}
	var want []string
	for _, r := range wantResources {
		for _, a := range []string{"created", "updated", "deleted"} {
			want = append(want, r+"."+a)
		}
	}
	want = append(want, TestEvent)
	for i, et := range all {
		if et.Name != want[i] {
			t.Errorf("All()[%d].Name = %q, want %q", i, et.Name, want[i])
		}
	}
}

func TestEventTypesAreWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, et := range All() {
		if seen[et.Name] {
			t.Errorf("duplicate event %q", et.Name)
		}
		seen[et.Name] = true
		if et.Name != et.Resource+"."+et.Action || strings.Count(et.Name, ".") != 1 {
			t.Errorf("%q: name is not resource.action (resource %q, action %q)", et.Name, et.Resource, et.Action)
		}
		if strings.TrimSpace(et.Description) == "" {
			t.Errorf("%q: empty description", et.Name)
		}
		var data map[string]any
		if err := json.Unmarshal(et.Example, &data); err != nil {
			t.Errorf("%q: example is not a JSON object: %v", et.Name, err)
		} else if len(data) == 0 {
			t.Errorf("%q: example is empty", et.Name)
		}
		if et.Name == TestEvent {
			continue
		}
		if !slices.Contains(wantResources, et.Resource) || !slices.Contains(Actions(), et.Action) {
			t.Errorf("%q: unknown resource or action", et.Name)
		}
		if _, ok := data["id"].(float64); !ok {
			t.Errorf("%q: example has no numeric id", et.Name)
		}
		if _, ok := data["created_at"].(string); !ok {
			t.Errorf("%q: example has no created_at", et.Name)
		}
	}
}

// TestExamplesNameWhatMessagesNeed checks the fields a chat message renders.
func TestExamplesNameWhatMessagesNeed(t *testing.T) {
	need := map[string][]string{
		"assignmentrecord":    {"user.name", "unit.name", "position.name", "specialty.name"},
		"awardrecord":         {"user.name", "award.name", "text"},
		"calendar":            {"name"},
		"combatrecord":        {"user.name", "text"},
		"event":               {"name", "start", "end", "calendar.name"},
		"message":             {"message"},
		"qualificationrecord": {"user.name", "qualification.name"},
		"rankrecord":          {"user.name", "rank.name", "rank.abbreviation", "text"},
		"servicerecord":       {"user.name", "text"},
		"submission":          {"form.name", "user.name"},
		"user":                {"name", "rank.name", "rank.abbreviation"},
	}
	for _, et := range All()[:33] {
		var data map[string]any
		if err := json.Unmarshal(et.Example, &data); err != nil {
			t.Fatalf("%q: %v", et.Name, err)
		}
		for _, path := range need[et.Resource] {
			if s, _ := dig(data, path).(string); s == "" {
				t.Errorf("%q: example lacks a non-empty %s", et.Name, path)
			}
		}
	}
	rank, _ := Lookup("rankrecord.created")
	var promotion struct{ Type *int }
	if err := json.Unmarshal(rank.Example, &promotion); err != nil || promotion.Type == nil || *promotion.Type != 0 {
		t.Errorf("rankrecord.created example should be a promotion (type 0), got %s", rank.Example)
	}
}

func dig(v any, path string) any {
	for _, key := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = obj[key]
	}
	return v
}

func TestChangesMatchTheirExamples(t *testing.T) {
	for _, et := range All() {
		if et.Action != ActionUpdated {
			if string(et.Changes) != "[]" {
				t.Errorf("%q: changes = %s, want []", et.Name, et.Changes)
			}
			continue
		}
		var changes, data map[string]json.RawMessage
		if err := json.Unmarshal(et.Changes, &changes); err != nil || len(changes) == 0 {
			t.Errorf("%q: changes %s should be a non-empty object (%v)", et.Name, et.Changes, err)
			continue
		}
		if err := json.Unmarshal(et.Example, &data); err != nil {
			t.Fatalf("%q: %v", et.Name, err)
		}
		for k, v := range changes {
			if !bytes.Equal(data[k], v) {
				t.Errorf("%q: changes[%q] = %s but example has %s", et.Name, k, v, data[k])
			}
		}
		created, _ := Lookup(et.Resource + "." + ActionCreated)
		if !slices.Equal(keys(created.Example), keys(et.Example)) {
			t.Errorf("%q: example keys are not in the order of the created example", et.Name)
		}
		if bytes.Equal(created.Example, et.Example) {
			t.Errorf("%q: example is identical to the created one", et.Name)
		}
	}
}

func keys(obj json.RawMessage) []string {
	var ks []string
	for _, f := range mustFields(obj) {
		ks = append(ks, f.key)
	}
	return ks
}

func TestMustApply(t *testing.T) {
	got := mustApply(json.RawMessage(`{"b": 1, "a": {"x": [1, 2]}, "c": "old"}`),
		json.RawMessage(`{"c": "new", "d": null}`))
	want := `{"b":1,"a":{"x":[1,2]},"c":"new","d":null}`
	if string(got) != want {
		t.Errorf("mustApply = %s, want %s", got, want)
	}
}

func TestResultsAreCopies(t *testing.T) {
	all := All()
	all[0].Name = "mutated"
	all[0].Example[0] = 'X'
	et, _ := Lookup("rankrecord.created")
	et.Example[0] = 'X'
	res := Resources()
	res[0] = "mutated"
	acts := Actions()
	acts[0] = "mutated"

	if got := All()[0]; got.Name != "assignmentrecord.created" || got.Example[0] != '{' {
		t.Errorf("All() shares state with an earlier result: %q %q", got.Name, got.Example[:1])
	}
	if et, _ := Lookup("rankrecord.created"); et.Example[0] != '{' {
		t.Error("Lookup shares its example with an earlier result")
	}
	if !slices.Equal(Resources(), wantResources) {
		t.Errorf("Resources() = %v, want %v", Resources(), wantResources)
	}
	if !slices.Equal(Actions(), []string{"created", "updated", "deleted"}) {
		t.Errorf("Actions() = %v", Actions())
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name   string
		ok     bool
		action string
	}{
		{"rankrecord.created", true, "created"},
		{"user.deleted", true, "deleted"},
		{"webhook.test", true, "test"},
		{"User.created", false, ""},
		{"rankrecord.*", false, ""},
		{"*", false, ""},
		{"", false, ""},
	}
	for _, tt := range tests {
		et, ok := Lookup(tt.name)
		if ok != tt.ok || et.Action != tt.action || (ok && et.Name != tt.name) {
			t.Errorf("Lookup(%q) = %q/%q, %v; want action %q, %v", tt.name, et.Name, et.Action, ok, tt.action, tt.ok)
		}
	}
}

func TestValidPattern(t *testing.T) {
	tests := []struct {
		pattern string
		want    bool
	}{
		{"user.created", true},
		{"qualificationrecord.updated", true},
		{"rankrecord.*", true},
		{"submission.*", true},
		{"*.deleted", true},
		{"*.created", true},
		{"*", true},

		{"", false},
		{"webhook.test", false},
		{"webhook.*", false},
		{"*.test", false},
		{"user", false},
		{"user.", false},
		{".created", false},
		{".", false},
		{"user.promoted", false},
		{"users.*", false},
		{"*.*", false},
		{"**", false},
		{"User.created", false},
		{"user.Created", false},
		{" user.created", false},
		{"user.created ", false},
		{"user.*.created", false},
		{"*.created.x", false},
		{"user.created.extra", false},
		{"*user.created", false},
		{"rankrecord.crea*", false},
	}
	for _, tt := range tests {
		if got := ValidPattern(tt.pattern); got != tt.want {
			t.Errorf("ValidPattern(%q) = %v, want %v", tt.pattern, got, tt.want)
		}
	}
	for _, et := range All()[:33] {
		if !ValidPattern(et.Name) {
			t.Errorf("ValidPattern(%q) = false for a catalog event", et.Name)
		}
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, event string
		want           bool
	}{
		{"user.created", "user.created", true},
		{"user.created", "user.updated", false},
		{"user.created", "submission.created", false},
		{"rankrecord.*", "rankrecord.created", true},
		{"rankrecord.*", "rankrecord.deleted", true},
		{"rankrecord.*", "awardrecord.created", false},
		{"event.*", "event.updated", true},
		{"event.*", "calendar.updated", false},
		{"*.deleted", "message.deleted", true},
		{"*.deleted", "message.created", false},
		{"*", "assignmentrecord.created", true},
		{"*", "user.deleted", true},

		// The test event is never selected by a subscription.
		{"*", "webhook.test", false},
		{"webhook.test", "webhook.test", false},
		// Unknown events and invalid patterns select nothing.
		{"*", "user.promoted", false},
		{"*", "", false},
		{"user.*", "user.", false},
		{"*.*", "user.created", false},
		{"users.*", "users.created", false},
		{"User.created", "User.created", false},
		{"", "", false},
		{"user.created", "User.created", false},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.event); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.event, got, tt.want)
		}
	}
}

func TestMatchAny(t *testing.T) {
	tests := []struct {
		patterns []string
		event    string
		want     bool
	}{
		{[]string{"user.created", "rankrecord.*"}, "rankrecord.updated", true},
		{[]string{"user.created", "rankrecord.*"}, "user.created", true},
		{[]string{"user.created", "rankrecord.*"}, "user.updated", false},
		{[]string{"bogus", "*.updated"}, "calendar.updated", true},
		{[]string{"bogus"}, "calendar.updated", false},
		{nil, "user.created", false},
		{[]string{"*"}, TestEvent, false},
	}
	for _, tt := range tests {
		if got := MatchAny(tt.patterns, tt.event); got != tt.want {
			t.Errorf("MatchAny(%q, %q) = %v, want %v", tt.patterns, tt.event, got, tt.want)
		}
	}
}
