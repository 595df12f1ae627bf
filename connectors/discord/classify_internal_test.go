package discord

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/connectors"
)

func answered(status int, headers map[string]string) []connectors.Exchange {
	return []connectors.Exchange{{Response: &herald.LogResponse{Status: status, Headers: headers}}}
}

func TestClassify(t *testing.T) {
	limited := &discordgo.RateLimitError{RateLimit: &discordgo.RateLimit{
		TooManyRequests: &discordgo.TooManyRequests{RetryAfter: 1500 * time.Millisecond},
		URL:             "https://discord.com/api/v9/webhooks/1/secret",
	}}
	tests := []struct {
		name      string
		err       error
		exchanges []connectors.Exchange
		want      *connectors.Error // nil: success
	}{
		{"rate limit from discordgo", limited, answered(429, nil),
			&connectors.Error{Reason: "discord: rate limited", Retryable: true, RetryAfter: 1500 * time.Millisecond, StatusCode: 429}},
		{"rate limit with the wait in the header alone", &discordgo.RateLimitError{RateLimit: &discordgo.RateLimit{TooManyRequests: &discordgo.TooManyRequests{}}},
			answered(429, map[string]string{"Retry-After": "30"}),
			&connectors.Error{Reason: "discord: rate limited", Retryable: true, RetryAfter: 30 * time.Second, StatusCode: 429}},
		{"429 that is not Discord's JSON", errors.New("invalid character '<'"), answered(429, map[string]string{"Retry-After": "7"}),
			&connectors.Error{Reason: "discord answered 429", Retryable: true, RetryAfter: 7 * time.Second, StatusCode: 429}},
		{"502 after no retries", errors.New("Exceeded Max retries HTTP 502"), answered(502, nil),
			&connectors.Error{Reason: "discord answered 502", Retryable: true, StatusCode: 502}},
		{"unknown webhook", &discordgo.RESTError{Message: &discordgo.APIErrorMessage{Code: 10015, Message: "Unknown Webhook"}}, answered(404, nil),
			&connectors.Error{Reason: "discord answered 404: Unknown Webhook (code 10015)", StatusCode: 404}},
		{"bad request", &discordgo.RESTError{}, answered(400, nil),
			&connectors.Error{Reason: "discord answered 400", StatusCode: 400}},
		{"2xx with unreadable rate-limit headers", errors.New("strconv.ParseFloat"), answered(200, nil), nil},
		{"no answer", errors.New("dial tcp: connection refused"), []connectors.Exchange{{}},
			&connectors.Error{Reason: "network error", Retryable: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := classify(context.Background(), tt.err, tt.exchanges)
			if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
				t.Errorf("classify = %+v, want %+v", got, tt.want)
			}
		})
	}
}
