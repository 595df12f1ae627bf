package sqlite

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/secretbox"
)

// BenchmarkPublishTargets: ListEnabledWebhooks/... is what a publish read before publishers
// cached targets against TargetsVersion, in a hub with many webhooks
// (secrets sealed, as in production); TargetsVersion/... is what it reads
// now while no target changes.
func BenchmarkPublishTargets(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			db, err := Open(b.Context(), filepath.Join(b.TempDir(), "herald.db"), WithKeyring(ring(b, secretbox.NewKey())))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			for i := range n {
				w := &herald.Webhook{URL: "https://receiver.example/hooks", Method: "POST", Events: []string{fmt.Sprintf("user.e%d", i), "rankrecord.*"},
					Secret: "whsec_c3RvcmV0ZXN0", Enabled: true, Headers: map[string]string{"X-Team": "ops"}, TimeoutSeconds: 10, Retry: herald.DefaultRetry}
				if err := db.CreateWebhook(b.Context(), w); err != nil {
					b.Fatal(err)
				}
			}
			b.Run("ListEnabledWebhooks", func(b *testing.B) {
				for b.Loop() {
					if _, err := db.ListEnabledWebhooks(b.Context()); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("TargetsVersion", func(b *testing.B) {
				for b.Loop() {
					if _, err := db.TargetsVersion(b.Context()); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
