package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
)

const (
	slackToken    = "xoxb-1111-slack-secret-token"
	discordToken  = "discord-secret-token-abcdef"
	telegramToken = "123456:telegram-secret-token-XYZ"
)

// One event reaches a webhook and all three chat services, each with a log
// entry, and no token enters the workflow history or the API's answers.
func TestEventReachesWebhookAndEveryChatService(t *testing.T) {
	rememberSecret(slackToken, discordToken, telegramToken)
	rcv := newReceiver(t)
	createWebhook(t, shared, map[string]any{"url": rcv.URL, "events": []string{"rankrecord.updated"}})
	ids := map[string]string{}
	for kind, config := range map[string]map[string]any{
		"slack":    {"token": slackToken, "channel": "C0123"},
		"discord":  {"webhook_url": "https://discord.com/api/webhooks/424242/" + discordToken},
		"telegram": {"token": telegramToken, "chat_id": "-100123"},
	} {
		status, out := call(t, shared, "POST", "/v1/connectors", map[string]any{
			"kind": kind, "name": kind + " ops", "events": []string{"rankrecord.*"}, "config": config,
		})
		if status != http.StatusCreated {
			t.Fatalf("create %s connector: %d %v", kind, status, out)
		}
		raw, _ := json.Marshal(out)
		for _, tok := range []string{slackToken, discordToken, telegramToken} {
			if bytes.Contains(raw, []byte(tok)) {
				t.Errorf("create response of %s shows its token: %s", kind, raw)
			}
		}
		ids[kind] = out["id"].(string)
	}

	status, ev := publishEvent(t, shared, map[string]any{
		"event": "rankrecord.updated",
		"data":  map[string]any{"id": 3, "user": map[string]any{"name": "Jordan Reyes"}, "text": "@everyone promoted"},
	})
	if status != http.StatusAccepted {
		t.Fatalf("publish: %d %v", status, ev)
	}
	rcv.wait(t, 1, 10*time.Second)
	for _, service := range []string{"slack", "discord", "telegram"} {
		eventually(t, 10*time.Second, service+" message", func() bool { return len(chat.requests(service)) == 1 })
	}
	if req := chat.requests("discord")[0]; !strings.Contains(req, "424242") {
		t.Errorf("discord request did not use the webhook id: %s", req)
	}
	for kind, id := range ids {
		eventually(t, 10*time.Second, kind+" delivery succeeded", func() bool {
			return deliveryOf(t, shared, ev["id"].(string), id)["status"] == "succeeded"
		})
		status, logs := call(t, shared, "GET", "/v1/connectors/"+id+"/logs", nil)
		if status != http.StatusOK || len(logs["data"].([]any)) != 1 {
			t.Fatalf("%s logs: %d %v", kind, status, logs)
		}
		raw, _ := json.Marshal(logs)
		for _, tok := range []string{slackToken, discordToken, telegramToken} {
			if bytes.Contains(raw, []byte(tok)) {
				t.Errorf("%s log shows a token: %s", kind, raw)
			}
		}
	}

	c, err := client.Dial(client.Options{HostPort: shared.cfg.TemporalAddress})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	wid := ev["workflow_id"].(string)
	if err := c.GetWorkflow(context.Background(), wid, "").Get(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	history := historyBytes(t, c, wid)
	for _, tok := range []string{slackToken, discordToken, telegramToken, "xoxb-", "telegram-secret"} {
		if bytes.Contains(history, []byte(tok)) {
			t.Errorf("workflow history contains %q", tok)
		}
	}
	if !bytes.Contains(history, []byte(ids["slack"])) {
		t.Error("history does not even name the slack connector: the search above proves nothing")
	}
}

// Secrets never come back in list answers, single reads or problem details.
func TestSecretsStayOutOfAnswers(t *testing.T) {
	const secret = "answers-must-not-show-this-secret"
	const token = "xoxb-9999-answer-leak-token"
	rememberSecret(secret, token)
	id, _ := createWebhook(t, shared, map[string]any{"url": "http://127.0.0.1:9/x", "events": []string{"user.deleted"}, "secret": secret})
	status, con := call(t, shared, "POST", "/v1/connectors", map[string]any{
		"kind": "slack", "name": "leaks", "events": []string{"user.deleted"}, "config": map[string]any{"token": token, "channel": "C1"},
	})
	if status != http.StatusCreated {
		t.Fatalf("create connector: %d %v", status, con)
	}
	var answers [][]byte
	for _, path := range []string{"/v1/webhooks", "/v1/webhooks/" + id, "/v1/connectors", "/v1/connectors/" + con["id"].(string)} {
		_, out := call(t, shared, "GET", path, nil)
		raw, _ := json.Marshal(out)
		answers = append(answers, raw)
	}
	// Bad input that carries a secret: the problem must not echo it.
	for _, body := range []map[string]any{
		{"kind": "discord", "name": "x", "events": []string{"*"}, "config": map[string]any{"webhook_url": "not a url " + token}},
		{"kind": "slack", "name": "x", "events": []string{"*"}, "config": map[string]any{"token": token, "channel": 5}},
		{"url": "ftp://" + secret, "events": []string{"*"}, "secret": secret},
	} {
		path := "/v1/connectors"
		if _, ok := body["url"]; ok {
			path = "/v1/webhooks"
		}
		status, out := call(t, shared, "POST", path, body)
		if status != http.StatusUnprocessableEntity {
			t.Errorf("POST %s: %d %v, want 422", path, status, out)
		}
		raw, _ := json.Marshal(out)
		answers = append(answers, raw)
	}
	resp, err := http.Get(shared.HTTPURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metricsText, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(metricsText, []byte(`herald_delivery_attempts_total{outcome="success",target_type="webhook"}`)) {
		t.Errorf("/metrics lacks the delivery counter:\n%.2000s", metricsText)
	}
	if bytes.Contains(metricsText, []byte("wh_")) || bytes.Contains(metricsText, []byte("con_")) {
		t.Error("/metrics labels carry target IDs")
	}
	secrets.mu.Lock()
	for _, s := range secrets.list {
		if bytes.Contains(metricsText, []byte(s)) {
			t.Errorf("/metrics shows a secret %q", s)
		}
	}
	secrets.mu.Unlock()
	for _, raw := range answers {
		for _, s := range []string{secret, token} {
			if bytes.Contains(raw, []byte(s)) {
				t.Errorf("answer shows %q: %s", s, raw)
			}
		}
	}
}
