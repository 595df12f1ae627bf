package message

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald/catalog"
	"github.com/heraldhub/herald/connectors"
)

// goldenFile holds the default message of every catalog event, rendered
// from the catalog's examples. Set HERALD_UPDATE_GOLDEN=1 to rewrite it
// after a deliberate wording change, then read the diff.
var goldenFile = filepath.Join("testdata", "default.golden")

func TestDefaultGolden(t *testing.T) {
	var b strings.Builder
	b.WriteString("# Default messages of the catalog events, from their examples.\n")
	b.WriteString("# Regenerate with HERALD_UPDATE_GOLDEN=1 go test ./connectors/message\n")
	for _, et := range catalog.All() {
		b.WriteString("\n")
		writeMessage(&b, Default(exampleEnvelope(t, et)))
	}
	got := b.String()

	if os.Getenv("HERALD_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(goldenFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", goldenFile)
		return
	}
	want, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatalf("%v (run with HERALD_UPDATE_GOLDEN=1 to create it)", err)
	}
	if got != string(want) {
		gotLines, wantLines := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gotLines) || i < len(wantLines); i++ {
			var g, w string
			if i < len(gotLines) {
				g = gotLines[i]
			}
			if i < len(wantLines) {
				w = wantLines[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s\n(HERALD_UPDATE_GOLDEN=1 rewrites it)", goldenFile, i+1, g, w)
			}
		}
	}
}

// writeMessage writes msg in the golden file's form: one "Key: value" line
// per part, continuation lines indented.
func writeMessage(b *strings.Builder, msg connectors.Message) {
	line := func(key, value string) {
		fmt.Fprintf(b, "%-7s %s\n", key+":", strings.ReplaceAll(value, "\n", "\n        "))
	}
	line("Event", msg.Event)
	line("Action", msg.Action)
	line("Time", msg.Time.UTC().Format(time.RFC3339Nano))
	line("Title", msg.Title)
	line("Text", msg.Text)
	for _, f := range msg.Fields {
		line("Field", f.Name+" = "+f.Value)
	}
	if msg.Note != "" {
		line("Note", msg.Note)
	}
}
