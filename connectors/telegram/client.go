package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// maxAnswer bounds how much of an answer is read; Bot API answers to
// sendMessage are a few KiB.
const maxAnswer = 1 << 20

// sendMessageRequest is the body of the Bot API's sendMessage method.
type sendMessageRequest struct {
	ChatID             string             `json:"chat_id"`
	MessageThreadID    int64              `json:"message_thread_id,omitempty"`
	Text               string             `json:"text"`
	ParseMode          string             `json:"parse_mode"`
	LinkPreviewOptions linkPreviewOptions `json:"link_preview_options"`
}

type linkPreviewOptions struct {
	IsDisabled bool `json:"is_disabled"`
}

// answer is the Bot API's reply envelope, as far as Herald reads it.
type answer struct {
	OK          bool   `json:"ok"`
	ErrorCode   int    `json:"error_code"`
	Description string `json:"description"`
	Parameters  struct {
		RetryAfter      int   `json:"retry_after"`
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

// botClient calls the Telegram Bot API over HTTP. It makes exactly the
// request asked for, with the caller's context, and never retries.
type botClient struct {
	http    *http.Client
	baseURL string // "https://api.telegram.org", no trailing slash
}

// call POSTs body as JSON to method for the bot with token. It returns the
// HTTP status and the decoded answer; err is set only when no answer came
// (then the status is 0) or its body could not be read. A body that is not
// JSON yields a zero answer.
func (c botClient) call(ctx context.Context, token, method string, body any) (int, answer, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return 0, answer{}, fmt.Errorf("encode %s: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+"/bot"+token+"/"+method, bytes.NewReader(raw))
	if err != nil {
		return 0, answer{}, fmt.Errorf("build %s request: %w", method, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, answer{}, err
	}
	defer resp.Body.Close()
	var a answer
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return resp.StatusCode, a, err
	}
	if err := json.Unmarshal(data, &a); err != nil {
		// Proxies in front of the API answer 5xx with HTML; the status
		// says enough.
		return resp.StatusCode, answer{}, nil
	}
	return resp.StatusCode, a, nil
}
