package telegram_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/heraldhub/herald/connectors"
	"github.com/heraldhub/herald/connectors/telegram"
)

func TestValidate(t *testing.T) {
	k := telegram.New(nil, "https://api.telegram.org")
	tests := []struct {
		name   string
		config string
		want   []connectors.ConfigError
	}{
		{"full", `{"token": "123456:ABC-def_1", "chat_id": "-100123", "message_thread_id": 7}`, nil},
		{"numeric chat", `{"token": "123456:ABC", "chat_id": -100123}`, nil},
		{"channel username", `{"token": "123456:ABC", "chat_id": "@herald_ops"}`, nil},
		{"missing", `{}`, []connectors.ConfigError{
			{Field: "chat_id", Message: "is required"},
			{Field: "token", Message: "is required"},
		}},
		{"token shape", `{"token": "ABC:123", "chat_id": "1"}`, []connectors.ConfigError{
			{Field: "token", Message: "must be a bot token of the form 123456:ABC…"},
		}},
		{"token sent back masked", `{"token": "123456:****", "chat_id": "1"}`, []connectors.ConfigError{
			{Field: "token", Message: connectors.MaskedSent},
		}},
		{"token without secret", `{"token": "123456:", "chat_id": "1"}`, []connectors.ConfigError{
			{Field: "token", Message: "must be a bot token of the form 123456:ABC…"},
		}},
		{"wrong types", `{"token": 123456, "chat_id": true, "message_thread_id": "7"}`, []connectors.ConfigError{
			{Field: "chat_id", Message: "must be a string or an integer"},
			{Field: "message_thread_id", Message: "must be a positive integer"},
			{Field: "token", Message: "must be a string"},
		}},
		{"chat zero", `{"token": "1:a", "chat_id": 0}`, []connectors.ConfigError{
			{Field: "chat_id", Message: "must be a numeric chat ID or an @channel username"},
		}},
		{"chat zero as text", `{"token": "1:a", "chat_id": "-0"}`, []connectors.ConfigError{
			{Field: "chat_id", Message: "must be a numeric chat ID or an @channel username"},
		}},
		{"bad chat and thread", `{"token": "1:a", "chat_id": "general", "message_thread_id": 0}`, []connectors.ConfigError{
			{Field: "chat_id", Message: "must be a numeric chat ID or an @channel username"},
			{Field: "message_thread_id", Message: "must be a positive integer"},
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
	k := telegram.New(nil, "https://api.telegram.org")
	tests := []struct{ config, want string }{
		{`{"token": "123456:ABC-def", "chat_id": "-100123", "message_thread_id": 7}`,
			`{"chat_id":"-100123","message_thread_id":7,"token":"123456:****"}`},
		{`{"token": "nocolon"}`, `{"token":"****"}`},
		{`{"token": "abc:def"}`, `{"token":"****"}`},
	}
	for _, tt := range tests {
		if got := string(k.Mask(json.RawMessage(tt.config))); got != tt.want {
			t.Errorf("Mask(%s) = %s, want %s", tt.config, got, tt.want)
		}
	}
}
