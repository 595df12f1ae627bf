package discord_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/heraldhub/herald/connectors"
	"github.com/heraldhub/herald/connectors/discord"
)

const badURL = "must be a Discord webhook URL (https://discord.com/api/webhooks/{id}/{token})"
const badQuery = "may have only a thread_id (a numeric ID) in its query"

func TestValidate(t *testing.T) {
	k := discord.New(nil, "https://discord.com/api/v9/")
	tests := []struct {
		name   string
		config string
		want   []connectors.ConfigError
	}{
		{"webhook", `{"webhook_url": "https://discord.com/api/webhooks/123/abc-DEF_ghi"}`, nil},
		{"versioned", `{"webhook_url": "https://discord.com/api/v10/webhooks/123/abc/"}`, nil},
		{"ptb host", `{"webhook_url": "https://ptb.discord.com/api/webhooks/123/abc"}`, nil},
		{"missing", `{}`, []connectors.ConfigError{{Field: "webhook_url", Message: "is required"}}},
		{"null", `{"webhook_url": null}`, []connectors.ConfigError{{Field: "webhook_url", Message: "is required"}}},
		{"wrong type", `{"webhook_url": 12}`, []connectors.ConfigError{{Field: "webhook_url", Message: "must be a string"}}},
		{"no token", `{"webhook_url": "https://discord.com/api/webhooks/123"}`, []connectors.ConfigError{{Field: "webhook_url", Message: badURL}}},
		{"id not numeric", `{"webhook_url": "https://discord.com/api/webhooks/abc/def"}`, []connectors.ConfigError{{Field: "webhook_url", Message: badURL}}},
		{"not a URL", `{"webhook_url": "discord webhook"}`, []connectors.ConfigError{{Field: "webhook_url", Message: badURL}}},
		{"other path", `{"webhook_url": "https://discord.com/channels/123/456"}`, []connectors.ConfigError{{Field: "webhook_url", Message: badURL}}},
		{"sent back masked", `{"webhook_url": "https://discord.com/api/webhooks/123/****"}`, []connectors.ConfigError{{Field: "webhook_url", Message: connectors.MaskedSent}}},
		{"unknown field", `{"webhook_url": "https://discord.com/api/webhooks/1/a", "x": 1}`, []connectors.ConfigError{{Field: "x", Message: "unknown field"}}},
		{"thread", `{"webhook_url": "https://discord.com/api/webhooks/1/a?thread_id=456"}`, nil},
		{"wait as pasted", `{"webhook_url": "https://discord.com/api/webhooks/1/a?wait=true&thread_id=456"}`, nil},
		{"thread not an ID", `{"webhook_url": "https://discord.com/api/webhooks/1/a?thread_id=general"}`, []connectors.ConfigError{{Field: "webhook_url", Message: badQuery}}},
		{"two threads", `{"webhook_url": "https://discord.com/api/webhooks/1/a?thread_id=4&thread_id=5"}`, []connectors.ConfigError{{Field: "webhook_url", Message: badQuery}}},
		{"other query", `{"webhook_url": "https://discord.com/api/webhooks/1/a?thread_name=x"}`, []connectors.ConfigError{{Field: "webhook_url", Message: badQuery}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := k.Validate(json.RawMessage(tt.config)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Validate(%s) = %v, want %v", tt.config, got, tt.want)
			}
		})
	}
}

func TestMask(t *testing.T) {
	k := discord.New(nil, "https://discord.com/api/v9/")
	tests := []struct{ config, want string }{
		{`{"webhook_url": "https://discord.com/api/webhooks/123/s3cret"}`, `{"webhook_url":"https://discord.com/api/webhooks/123/****"}`},
		{`{"webhook_url": "https://discord.com/api/webhooks/123/s3cret?wait=true"}`, `{"webhook_url":"https://discord.com/api/webhooks/123/****"}`},
		{`{"webhook_url": "https://example.com/some/secret/path"}`, `{"webhook_url":"https://example.com/****"}`},
		// A token that also appears earlier in the path stays hidden.
		{`{"webhook_url": "https://discord.com/api/webhooks/123456/3456"}`, `{"webhook_url":"https://discord.com/api/webhooks/123456/****"}`},
		{`{"webhook_url": "https://discord.com/api/webhooks/1/api/"}`, `{"webhook_url":"https://discord.com/api/webhooks/1/****"}`},
		{`{"webhook_url": "junk"}`, `{"webhook_url":"****"}`},
		{`{"webhook_url": "https://discord.com/api/webhooks/123/s3cret?thread_id=456&wait=true"}`, `{"webhook_url":"https://discord.com/api/webhooks/123/****?thread_id=456"}`},
	}
	for _, tt := range tests {
		if got := string(k.Mask(json.RawMessage(tt.config))); got != tt.want {
			t.Errorf("Mask(%s) = %s, want %s", tt.config, got, tt.want)
		}
	}
}
