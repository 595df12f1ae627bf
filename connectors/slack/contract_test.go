package slack_test

import (
	"testing"
	"time"

	"github.com/heraldhub/herald/connectors/connectortest"
)

func TestContract(t *testing.T) {
	t.Run("webhook", func(t *testing.T) {
		connectortest.Run(t, connectortest.Harness{Start: startFake(true), RetryAfter: 30 * time.Second})
	})
	t.Run("token", func(t *testing.T) {
		connectortest.Run(t, connectortest.Harness{Start: startFake(false), RetryAfter: 30 * time.Second})
	})
}
