package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// chatFake stands in for Slack, Discord and Telegram on one local server:
// Herald's connectors reach it through their base-URL settings, so the
// real client libraries run unchanged. It records every request by service.
type chatFake struct {
	*httptest.Server
	mu  sync.Mutex
	got map[string][]string // service -> request bodies
}

func newChatFake() *chatFake {
	f := &chatFake{got: map[string][]string{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	return f
}

func (f *chatFake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	service, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	f.mu.Lock()
	f.got[service] = append(f.got[service], r.URL.Path+"\n"+string(body))
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch service {
	case "slack":
		fmt.Fprint(w, `{"ok":true,"channel":"C0123","ts":"1700000000.000100"}`)
	case "discord":
		fmt.Fprint(w, `{"id":"1","channel_id":"2","type":0,"content":"","embeds":[]}`)
	case "telegram":
		fmt.Fprint(w, `{"ok":true,"result":{"message_id":1,"date":1700000000,"chat":{"id":-100123,"type":"supergroup"}}}`)
	default:
		http.NotFound(w, r)
	}
}

func (f *chatFake) requests(service string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.got[service]...)
}

// chat is the fake every test of this package shares (see TestMain).
var chat *chatFake
