package discord_test

import (
	"testing"
	"time"

	"github.com/heraldhub/herald/connectors/connectortest"
)

func TestContract(t *testing.T) {
	connectortest.Run(t, connectortest.Harness{Start: startFake, RetryAfter: 30500 * time.Millisecond})
}
