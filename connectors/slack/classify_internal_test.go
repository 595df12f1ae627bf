package slack

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/connectors"
)

func answered(status int, body string, headers map[string]string) []connectors.Exchange {
	return []connectors.Exchange{{Response: &herald.LogResponse{Status: status, Body: body, Headers: headers}}}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		exchanges []connectors.Exchange
		want      connectors.Error
	}{
		{"invalid_auth", slack.SlackErrorResponse{Err: "invalid_auth"}, answered(200, "", nil),
			connectors.Error{Reason: "slack: invalid_auth", StatusCode: 200}},
		{"channel_not_found", slack.SlackErrorResponse{Err: "channel_not_found"}, answered(200, "", nil),
			connectors.Error{Reason: "slack: channel_not_found", StatusCode: 200}},
		{"not_in_channel", slack.SlackErrorResponse{Err: "not_in_channel"}, answered(200, "", nil),
			connectors.Error{Reason: "slack: not_in_channel", StatusCode: 200}},
		{"internal_error", slack.SlackErrorResponse{Err: "internal_error"}, answered(200, "", nil),
			connectors.Error{Reason: "slack: internal_error", Retryable: true, StatusCode: 200}},
		{"rate limited", &slack.RateLimitedError{RetryAfter: 3 * time.Second}, answered(429, "", nil),
			connectors.Error{Reason: "slack: rate limited", Retryable: true, RetryAfter: 3 * time.Second, StatusCode: 429}},
		{"Retry-After slack-go cannot parse", errors.New("strconv.ParseInt"), answered(429, "", map[string]string{"Retry-After": "2.5"}),
			connectors.Error{Reason: "slack answered 429", Retryable: true, RetryAfter: 2500 * time.Millisecond, StatusCode: 429}},
		{"webhook gone", slack.StatusCodeError{Code: 404}, answered(404, "no_service", nil),
			connectors.Error{Reason: "slack answered 404: no_service", StatusCode: 404}},
		{"webhook body is not a code", slack.StatusCodeError{Code: 400}, answered(400, "<html>secret text</html>", nil),
			connectors.Error{Reason: "slack answered 400", StatusCode: 400}},
		{"server error", slack.StatusCodeError{Code: 500}, answered(500, "", nil),
			connectors.Error{Reason: "slack answered 500", Retryable: true, StatusCode: 500}},
		{"no answer", errors.New("dial"), []connectors.Exchange{{}},
			connectors.Error{Reason: "network error", Retryable: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(context.Background(), tt.err, tt.exchanges); *got != tt.want {
				t.Errorf("classify = %+v, want %+v", *got, tt.want)
			}
		})
	}
}
