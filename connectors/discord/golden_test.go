package discord

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald/catalog"
	"github.com/heraldhub/herald/connectors/message"
)

// goldenFile holds the webhook-execute body Herald posts for the default
// message of every catalog event, rendered from the catalog's examples.
// Set HERALD_UPDATE_GOLDEN=1 to rewrite it after a deliberate change, then
// read the diff.
var goldenFile = filepath.Join("testdata", "discord.golden")

// goldenCreated is the envelope time of every golden message.
var goldenCreated = time.Date(2026, 5, 17, 21, 4, 5, 401118000, time.UTC)

func TestDiscordGolden(t *testing.T) {
	var b strings.Builder
	b.WriteString("# Discord webhook bodies for the default message of every catalog event.\n")
	b.WriteString("# JSON re-indented with sorted keys; color 3066993 = created, 3447003 = updated,\n")
	b.WriteString("# 15158332 = deleted, 9807270 = other. Regenerate with HERALD_UPDATE_GOLDEN=1 go test ./connectors/discord\n")
	for _, et := range catalog.All() {
		env, err := message.NewEnvelope(et.Name, goldenCreated, "evt_01TEST", et.Example, et.Changes)
		if err != nil {
			t.Fatalf("%s: NewEnvelope: %v", et.Name, err)
		}
		b.WriteString("\n=== " + et.Name + "\n")
		b.WriteString(prettyJSON(t, params(message.Default(env))))
	}
	compareGolden(t, goldenFile, b.String())
}

// prettyJSON marshals v as the client library does, then re-indents it
// with sorted keys and without HTML escaping, so the file stays readable.
func prettyJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(tree); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// compareGolden checks got against the golden file, or rewrites the file
// when HERALD_UPDATE_GOLDEN=1. A difference is reported at its first line,
// with the event it belongs to.
func compareGolden(t *testing.T, file, got string) {
	t.Helper()
	if os.Getenv("HERALD_UPDATE_GOLDEN") == "1" {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", file)
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with HERALD_UPDATE_GOLDEN=1 to create it)", err)
	}
	if got == string(want) {
		return
	}
	gotLines, wantLines := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	event := ""
	for i := 0; i < len(gotLines) || i < len(wantLines); i++ {
		var g, w string
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w {
			t.Fatalf("%s differs at line %d (%s):\n got: %s\nwant: %s\n(HERALD_UPDATE_GOLDEN=1 rewrites it)", file, i+1, event, g, w)
		}
		if e, ok := strings.CutPrefix(g, "=== "); ok {
			event = e
		}
	}
}
