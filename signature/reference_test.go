package signature

import (
	"net/http"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// TestReferenceLibrary checks that receivers using the Standard Webhooks
// reference library accept what Sign produces. The library enforces its own
// five-minute window against the wall clock, so this test signs at time.Now.
func TestReferenceLibrary(t *testing.T) {
	rawHook, err := standardwebhooks.NewWebhookRaw([]byte(rawSecret))
	if err != nil {
		t.Fatal(err)
	}
	whsecHook, err := standardwebhooks.NewWebhook(whsecSecret)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		hook    *standardwebhooks.Webhook
		secrets []string
	}{
		{"raw secret", rawHook, []string{rawSecret}},
		{"whsec secret", whsecHook, []string{whsecSecret}},
		{"rotation, receiver knows the new secret", whsecHook, []string{whsecSecret, rawSecret}},
		{"rotation, receiver knows the old secret", rawHook, []string{whsecSecret, rawSecret}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(htmlBody)
			out, err := Sign(Input{Secrets: tt.secrets, MsgID: msgID, Timestamp: time.Now(),
				Body: body, SignedPayload: body})
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			out.Set(h)
			if err := tt.hook.Verify(body, h); err != nil {
				t.Errorf("reference library rejected a valid signature: %v", err)
			}
			tampered := []byte(htmlBody[:len(htmlBody)-2] + `,"x":1}`)
			if err := tt.hook.Verify(tampered, h); err == nil {
				t.Error("reference library accepted a tampered body")
			}
		})
	}
}
