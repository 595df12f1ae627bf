package discord

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldhub/herald/connectors/connectortest"
)

// goldenFile holds the webhook-execute body Herald posts for the default
// message of every catalog event, rendered from the catalog's examples.
// Set HERALD_UPDATE_GOLDEN=1 to rewrite it after a deliberate change, then
// read the diff.
var goldenFile = filepath.Join("testdata", "discord.golden")

func TestDiscordGolden(t *testing.T) {
	var b strings.Builder
	b.WriteString("# Discord webhook bodies for the default message of every catalog event.\n")
	b.WriteString("# JSON re-indented with sorted keys; color 3066993 = created, 3447003 = updated,\n")
	b.WriteString("# 15158332 = deleted, 9807270 = other. Regenerate with HERALD_UPDATE_GOLDEN=1 go test ./connectors/discord\n")
	for _, cm := range connectortest.CatalogMessages(t) {
		b.WriteString("\n=== " + cm.Event + "\n")
		b.WriteString(connectortest.PrettyJSON(t, params(cm.Message)))
	}
	connectortest.Golden(t, goldenFile, b.String())
}
