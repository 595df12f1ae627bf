package telegram_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/heraldhub/herald/connectors"
	"github.com/heraldhub/herald/connectors/connectortest"
	"github.com/heraldhub/herald/connectors/telegram"
)

const (
	fakeBotID  = "123456"
	fakeSecret = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
	fakeChat   = "-100123"
	fakeThread = 7
)

// fake is a Bot API stand-in with one bot, one chat and one topic. It
// parses HTML text the way Telegram does and answers like the Bot API.
type fake struct {
	connectortest.Scripted
	srv *httptest.Server
}

func startFake(t *testing.T) connectortest.Fake {
	f := &fake{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) Kind(c *http.Client) connectors.Kind { return telegram.New(c, f.srv.URL) }

func (f *fake) Config() json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"token": "%s:%s", "chat_id": %q, "message_thread_id": %d}`,
		fakeBotID, fakeSecret, fakeChat, fakeThread))
}

func (f *fake) Secrets() []string { return []string{fakeSecret} }

type sendMessage struct {
	ChatID          string `json:"chat_id"`
	MessageThreadID int    `json:"message_thread_id"`
	Text            string `json:"text"`
	ParseMode       string `json:"parse_mode"`
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	reply := f.Next()
	if connectortest.Transport(w, r, reply) {
		return
	}
	if r.URL.Path != "/bot"+fakeBotID+":"+fakeSecret+"/sendMessage" {
		answer(w, http.StatusUnauthorized, "Unauthorized", "")
		return
	}
	var m sendMessage
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		answer(w, http.StatusBadRequest, "Bad Request: invalid JSON", "")
		return
	}
	if m.ChatID != fakeChat {
		answer(w, http.StatusBadRequest, "Bad Request: chat not found", "")
		return
	}
	got := read(m.Text)
	if m.ParseMode != "HTML" {
		got.Problems = append(got.Problems, "parse_mode is not HTML")
	}
	if m.MessageThreadID != fakeThread {
		got.Problems = append(got.Problems, "message thread not found")
	}
	f.Add(got)
	switch {
	case reply == connectortest.RateLimited:
		answer(w, http.StatusTooManyRequests, "Too Many Requests: retry after 30", `,"parameters":{"retry_after":30}`)
	case reply == connectortest.AuthFailure:
		answer(w, http.StatusUnauthorized, "Unauthorized", "")
	case reply == connectortest.ServerError:
		answer(w, http.StatusBadGateway, "Bad Gateway", "")
	case len(got.Problems) > 0:
		answer(w, http.StatusBadRequest, "Bad Request: "+got.Problems[0], "")
	default:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true,"result":{"message_id":42,"chat":{"id":-100123,"type":"supergroup"},"date":1700000000}}`)
	}
}

func answer(w http.ResponseWriter, status int, description, extra string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"ok":false,"error_code":%d,"description":%q%s}`, status, description, extra)
}
