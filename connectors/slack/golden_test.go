package slack

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/heraldhub/herald/connectors/connectortest"
)

// goldenFile holds the incoming-webhook body Herald posts for the default
// message of every catalog event, rendered from the catalog's examples.
// Set HERALD_UPDATE_GOLDEN=1 to rewrite it after a deliberate change, then
// read the diff.
var goldenFile = filepath.Join("testdata", "slack.golden")

func TestSlackGolden(t *testing.T) {
	var b strings.Builder
	b.WriteString("# Slack incoming-webhook bodies for the default message of every catalog event.\n")
	b.WriteString("# JSON re-indented with sorted keys. Regenerate with HERALD_UPDATE_GOLDEN=1 go test ./connectors/slack\n")
	for _, cm := range connectortest.CatalogMessages(t) {
		msg := cm.Message
		// The body Send posts to a webhook URL.
		body := &slack.WebhookMessage{
			Text:        fallback(msg),
			Blocks:      &slack.Blocks{BlockSet: blocks(msg)},
			Parse:       "none",
			UnfurlLinks: new(false),
			UnfurlMedia: new(false),
		}
		b.WriteString("\n=== " + cm.Event + "\n")
		b.WriteString(connectortest.PrettyJSON(t, body))
	}
	connectortest.Golden(t, goldenFile, b.String())
}
