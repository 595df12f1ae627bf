package telegram

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald/catalog"
	"github.com/heraldhub/herald/connectors/message"
)

// goldenFile holds the HTML text Herald sends with sendMessage
// (parse_mode HTML) for the default message of every catalog event,
// rendered from the catalog's examples. Set HERALD_UPDATE_GOLDEN=1 to
// rewrite it after a deliberate change, then read the diff.
var goldenFile = filepath.Join("testdata", "telegram.golden")

// goldenCreated is the envelope time of every golden message.
var goldenCreated = time.Date(2026, 5, 17, 21, 4, 5, 401118000, time.UTC)

func TestTelegramGolden(t *testing.T) {
	var b strings.Builder
	b.WriteString("# Telegram sendMessage text (parse_mode HTML) for the default message of every catalog event,\n")
	b.WriteString("# exactly as sent. Regenerate with HERALD_UPDATE_GOLDEN=1 go test ./connectors/telegram\n")
	for _, et := range catalog.All() {
		env, err := message.NewEnvelope(et.Name, goldenCreated, "evt_01TEST", et.Example, et.Changes)
		if err != nil {
			t.Fatalf("%s: NewEnvelope: %v", et.Name, err)
		}
		text := render(message.Default(env))
		if err := wellFormed(text); err != "" {
			t.Errorf("%s: %s in %q", et.Name, err, text)
		}
		b.WriteString("\n=== " + et.Name + "\n")
		b.WriteString(text + "\n")
	}
	compareGolden(t, goldenFile, b.String())
}

// wellFormed returns what is wrong with text as the HTML render produces:
// only balanced <b> and <i> tags, and no &, < or > outside the entities
// &amp;, &lt; and &gt;. It returns "" when text is fine.
func wellFormed(text string) string {
	var open []string
	for i := 0; i < len(text); {
		switch text[i] {
		case '<':
			end := strings.IndexByte(text[i:], '>')
			if end < 0 {
				return "unclosed <"
			}
			tag := text[i+1 : i+end]
			switch tag {
			case "b", "i":
				open = append(open, tag)
			case "/b", "/i":
				if len(open) == 0 || open[len(open)-1] != tag[1:] {
					return "unbalanced <" + tag + ">"
				}
				open = open[:len(open)-1]
			default:
				return "unexpected tag <" + tag + ">"
			}
			i += end + 1
		case '&':
			rest := text[i:]
			if !strings.HasPrefix(rest, "&amp;") && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") {
				return "unescaped &"
			}
			i += strings.IndexByte(rest, ';') + 1
		case '>':
			return "unescaped >"
		default:
			i++
		}
	}
	if len(open) > 0 {
		return "unclosed <" + open[len(open)-1] + ">"
	}
	return ""
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
