package kinds_test

import (
	"net/http"
	"testing"

	"github.com/heraldhub/herald/connectors"
	"github.com/heraldhub/herald/connectors/kinds"
)

func TestNewRegistersEveryKind(t *testing.T) {
	got := kinds.New(kinds.Options{HTTPClient: &http.Client{}})
	for _, name := range []string{connectors.KindSlack, connectors.KindDiscord, connectors.KindTelegram} {
		if got[name] == nil {
			t.Errorf("kind %q is missing", name)
		}
	}
	if len(got) != 3 {
		t.Errorf("got %d kinds, want 3", len(got))
	}
}
