package telegram

import (
	"fmt"
	"testing"
	"time"

	"github.com/heraldhub/herald/connectors"
)

func messageWith(text string, fields int) connectors.Message {
	m := connectors.Message{Title: "Title", Text: text, Event: "user.created", Time: time.Unix(1700000000, 0)}
	for i := range fields {
		m.Fields = append(m.Fields, connectors.Field{Name: fmt.Sprintf("F%d", i), Value: text[:min(len(text), 700)]})
	}
	return m
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      answer
		retryable bool
		after     time.Duration
	}{
		{"ok", 200, answer{OK: true}, false, 0},
		{"rate limited", 429, answerWith(429, "Too Many Requests: retry after 12", 12), true, 12 * time.Second},
		// A number no Duration holds, or a negative one: kept in range.
		{"rate limited for ever", 429, answerWith(429, "Too Many Requests", 1<<62), true, 365 * 24 * time.Hour},
		{"rate limited in the past", 429, answerWith(429, "Too Many Requests", -5), true, 0},
		{"unauthorized", 401, answerWith(401, "Unauthorized", 0), false, 0},
		{"blocked", 403, answerWith(403, "Forbidden: bot was blocked by the user", 0), false, 0},
		{"chat not found", 400, answerWith(400, "Bad Request: chat not found", 0), false, 0},
		{"server", 502, answerWith(502, "Bad Gateway", 0), true, 0},
		{"html from a proxy", 503, answer{}, true, 0},
		// Sent, perhaps: the same answer would come back on every retry,
		// each posting again.
		{"2xx without ok", 200, answer{}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := classify(tt.status, tt.body)
			if tt.name == "ok" {
				if e != nil {
					t.Fatalf("classify = %+v, want nil", e)
				}
				return
			}
			if e == nil || e.Retryable != tt.retryable || e.RetryAfter != tt.after || e.StatusCode != tt.status {
				t.Errorf("classify = %+v, want retryable=%v after %v status %d", e, tt.retryable, tt.after, tt.status)
			}
		})
	}
	migrated := answerWith(400, "Bad Request: group chat was upgraded to a supergroup chat", 0)
	migrated.Parameters.MigrateToChatID = -100999
	if e := classify(400, migrated); e == nil || e.Retryable {
		t.Errorf("migrated chat: %+v, want permanent", e)
	}
}

func answerWith(code int, description string, retryAfter int) answer {
	a := answer{ErrorCode: code, Description: description}
	a.Parameters.RetryAfter = retryAfter
	return a
}
