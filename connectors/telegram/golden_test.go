package telegram

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldhub/herald/connectors/connectortest"
)

// goldenFile holds the HTML text Herald sends with sendMessage
// (parse_mode HTML) for the default message of every catalog event,
// rendered from the catalog's examples. Set HERALD_UPDATE_GOLDEN=1 to
// rewrite it after a deliberate change, then read the diff.
var goldenFile = filepath.Join("testdata", "telegram.golden")

func TestTelegramGolden(t *testing.T) {
	var b strings.Builder
	b.WriteString("# Telegram sendMessage text (parse_mode HTML) for the default message of every catalog event,\n")
	b.WriteString("# exactly as sent. Regenerate with HERALD_UPDATE_GOLDEN=1 go test ./connectors/telegram\n")
	for _, cm := range connectortest.CatalogMessages(t) {
		text := render(cm.Message)
		if err := wellFormed(text); err != "" {
			t.Errorf("%s: %s in %q", cm.Event, err, text)
		}
		b.WriteString("\n=== " + cm.Event + "\n")
		b.WriteString(text + "\n")
	}
	connectortest.Golden(t, goldenFile, b.String())
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
