package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestLogStreamShowsEntryWithinOneSecond(t *testing.T) {
	rcv := newReceiver(t)
	id, _ := createWebhook(t, shared, map[string]any{"url": rcv.URL, "events": []string{"assignmentrecord.created"}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", shared.HTTPURL+"/v1/webhooks/"+id+"/logs/stream", nil)
	req.Header.Set("Authorization", "Bearer "+testAdminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	_, ev := publishEvent(t, shared, map[string]any{"event": "assignmentrecord.created", "data": map[string]any{"id": 1}})
	arrived := rcv.wait(t, 1, 10*time.Second)[0].At

	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if lag := time.Since(arrived); lag > time.Second {
			t.Errorf("entry streamed %s after the request", lag)
		}
		var entry map[string]any
		if err := json.Unmarshal([]byte(data), &entry); err != nil {
			t.Fatal(err)
		}
		if entry["event_id"] != ev["id"] || entry["target_id"] != id {
			t.Errorf("streamed entry %v", entry)
		}
		return
	}
	t.Fatalf("stream ended without an entry: %v", sc.Err())
}
