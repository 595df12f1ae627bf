package slack_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/heraldhub/herald/connectors"
	"github.com/heraldhub/herald/connectors/slack"
)

func TestValidate(t *testing.T) {
	k := slack.New(nil, nil, "https://slack.com/api/")
	tests := []struct {
		name   string
		config string
		want   []connectors.ConfigError // nil: valid
	}{
		{"webhook", `{"webhook_url": "https://hooks.slack.com/services/T0/B0/X"}`, nil},
		{"token and channel", `{"token": "xoxb-1-2-abc", "channel": "C0123"}`, nil},
		{"empty", `{}`, []connectors.ConfigError{{Field: "webhook_url", Message: "is required unless token and channel are given"}}},
		{"not an object", `[1]`, []connectors.ConfigError{{Field: "", Message: "must be a JSON object"}}},
		{"both", `{"webhook_url": "https://hooks.slack.com/services/T0/B0/X", "token": "xoxb-1", "channel": "C1"}`, []connectors.ConfigError{
			{Field: "channel", Message: "not allowed together with webhook_url"},
			{Field: "token", Message: "not allowed together with webhook_url"},
		}},
		{"token without channel", `{"token": "xoxb-1"}`, []connectors.ConfigError{{Field: "channel", Message: "is required with token"}}},
		{"channel without token", `{"channel": "C1"}`, []connectors.ConfigError{{Field: "token", Message: "is required with channel"}}},
		{"wrong types", `{"token": 5, "channel": true}`, []connectors.ConfigError{
			{Field: "channel", Message: "must be a string"},
			{Field: "token", Message: "must be a string"},
		}},
		{"bad token and channel", `{"token": "abc", "channel": "C 1"}`, []connectors.ConfigError{
			{Field: "channel", Message: "must be a channel ID or name without spaces or control characters"},
			{Field: "token", Message: "must be a Slack token (xoxb-…)"},
		}},
		{"rotating token", `{"token": "xoxe.xoxb-1-2-abc", "channel": "#général"}`, nil},
		{"control characters", `{"token": "xox\u0000\u0001", "channel": "C\u0000"}`, []connectors.ConfigError{
			{Field: "channel", Message: "must be a channel ID or name without spaces or control characters"},
			{Field: "token", Message: "must be a Slack token (xoxb-…)"},
		}},
		{"webhook with credentials", `{"webhook_url": "https://u:p@hooks.slack.com/services/T0/B0/X"}`, []connectors.ConfigError{
			{Field: "webhook_url", Message: "must not contain credentials (user:password@)"},
		}},
		{"relative webhook", `{"webhook_url": "/services/x"}`, []connectors.ConfigError{
			{Field: "webhook_url", Message: "must be an absolute http(s) URL of at most 2048 characters"},
		}},
		{"masked token sent back", `{"token": "xoxb-****", "channel": "C0123"}`, []connectors.ConfigError{
			{Field: "token", Message: "is the masked value a read shows; send the real one"},
		}},
		{"masked webhook sent back", `{"webhook_url": "https://hooks.slack.com/services/****"}`, []connectors.ConfigError{
			{Field: "webhook_url", Message: "is the masked value a read shows; send the real one"},
		}},
		{"unknown field", `{"webhook_url": "https://hooks.slack.com/services/T0/B0/X", "chanel": "x"}`, []connectors.ConfigError{
			{Field: "chanel", Message: "unknown field"},
		}},
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
	k := slack.New(nil, nil, "https://slack.com/api/")
	tests := []struct{ config, want string }{
		{`{"webhook_url": "https://hooks.slack.com/services/T0/B0/XyZ"}`, `{"webhook_url":"https://hooks.slack.com/services/****"}`},
		{`{"webhook_url": "https://gw.example.com/Zk3sEcReT0kEn/slack"}`, `{"webhook_url":"https://gw.example.com/****"}`},
		{`{"token": "xoxb-123-456-abc", "channel": "C0123"}`, `{"channel":"C0123","token":"xoxb-****"}`},
		{`{"token": "secret"}`, `{"token":"****"}`},
		{`{"token": 42}`, `{"token":"****"}`},
		{`"not an object"`, `{}`},
	}
	for _, tt := range tests {
		if got := string(k.Mask(json.RawMessage(tt.config))); got != tt.want {
			t.Errorf("Mask(%s) = %s, want %s", tt.config, got, tt.want)
		}
	}
}
