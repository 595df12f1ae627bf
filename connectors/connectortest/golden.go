package connectortest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald/catalog"
	"github.com/heraldhub/herald/connectors"
	"github.com/heraldhub/herald/connectors/message"
)

// CatalogMessage is the default message of one catalog event.
type CatalogMessage struct {
	Event   string
	Message connectors.Message
}

// goldenCreated is the envelope time of every golden message.
var goldenCreated = time.Date(2026, 5, 17, 21, 4, 5, 401118000, time.UTC)

// CatalogMessages renders the default message of every catalog event from
// its example, at a fixed time, for the services' golden tests.
func CatalogMessages(t *testing.T) []CatalogMessage {
	t.Helper()
	var out []CatalogMessage
	for _, et := range catalog.All() {
		env, err := message.NewEnvelope(et.Name, goldenCreated, "evt_01TEST", et.Example, et.Changes)
		if err != nil {
			t.Fatalf("%s: NewEnvelope: %v", et.Name, err)
		}
		out = append(out, CatalogMessage{Event: et.Name, Message: message.Default(env)})
	}
	return out
}

// PrettyJSON marshals v as the client library does, then re-indents it
// with sorted keys and without HTML escaping, so the file stays readable.
func PrettyJSON(t *testing.T, v any) string {
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

// Golden checks got against the golden file, or rewrites the file
// when HERALD_UPDATE_GOLDEN=1. A difference is reported at its first line,
// with the event it belongs to.
func Golden(t *testing.T, file, got string) {
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
