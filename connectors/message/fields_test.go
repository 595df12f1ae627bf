package message

import (
	"strings"
	"testing"

	"github.com/heraldhub/herald/connectors"
)

func TestChangeFields(t *testing.T) {
	long := strings.Repeat("a", 300)
	tests := []struct {
		name, data, changes string
		want                []connectors.Field
	}{
		{"related object by name", `{"rank_id": 9, "rank": {"id": 9, "name": "Sergeant", "abbreviation": "SGT"}}`,
			`{"rank_id": 9, "updated_at": "2026-05-18T09:12:47.000000Z"}`,
			[]connectors.Field{{Name: "Rank", Value: "Sergeant (SGT)"}}},
		{"cleared relation", `{}`, `{"unit_id": null}`, []connectors.Field{{Name: "Unit", Value: "none"}}},
		{"id without its object", `{}`, `{"unit_id": 4}`, []connectors.Field{{Name: "Unit ID", Value: "4"}}},
		{"secrets and noise hidden", `{}`, `{"password": "x", "remember_token": "y", "last_seen_at": "2026-05-18T09:12:47Z", "email": "a@b.c"}`,
			[]connectors.Field{{Name: "Email", Value: "a@b.c"}}},
		{"values formatted", `{}`, `{"approved": false, "start": "2026-06-01T19:00:00Z", "secondary_unit_ids": [4, 5], "tasks": []}`,
			[]connectors.Field{{Name: "Approved", Value: "no"}, {Name: "Secondary unit IDs", Value: "4, 5"},
				{Name: "Start", Value: "2026-06-01 19:00 UTC"}, {Name: "Tasks", Value: "none"}}},
		{"long value cut", `{}`, `{"text": "` + long + `"}`,
			[]connectors.Field{{Name: "Notes", Value: strings.Repeat("a", 199) + "…"}}},
		{"array of names read from data", `{"name": "Ops", "color": "#fff"}`, `["name", "updated_at"]`,
			[]connectors.Field{{Name: "Name", Value: "Ops"}}},
		{"secrets hidden inside an object", `{}`, `{"settings": {"theme": "dark", "api_token": "tok-81f3", "hooks": [{"secret": "s3", "url": "u"}]}}`,
			[]connectors.Field{{Name: "Settings", Value: `{"hooks":[{"url":"u"}],"theme":"dark"}`}}},
		{"no changes", `{}`, `[]`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := changeFields(envelope(t, "rankrecord.updated", tt.data, tt.changes), "Notes")
			if !equalFields(got, tt.want) {
				t.Errorf("fields = %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestChangeFieldsCapsAtTen(t *testing.T) {
	changes := map[string]any{}
	for _, k := range strings.Fields("a b c d e f g h i j k l") {
		changes[k] = "v"
	}
	msg := Default(Envelope{Event: "calendar.updated", Changes: changes})
	if len(msg.Fields) != maxFields {
		t.Fatalf("%d fields, want %d: %v", len(msg.Fields), maxFields, msg.Fields)
	}
	last := msg.Fields[maxFields-1]
	if last.Name != "Also changed" || last.Value != "J, K, L" {
		t.Errorf("last field = %q, want Also changed: J, K, L", last)
	}
}
