package discord_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/heraldhub/herald/connectors"
	"github.com/heraldhub/herald/connectors/connectortest"
	"github.com/heraldhub/herald/connectors/discord"
)

const (
	fakeID    = "112233445566778899"
	fakeToken = "wEbH00k-S3cret_T0ken"
)

// fake is a Discord stand-in serving one webhook under /api/v9/. It checks
// embeds against Discord's limits and the mention settings.
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

func (f *fake) Kind(c *http.Client) connectors.Kind { return discord.New(c, f.srv.URL+"/api/v9/") }

// Config is the URL a user pastes; the kind sends to its base URL.
func (f *fake) Config() json.RawMessage {
	return json.RawMessage(`{"webhook_url": "https://discord.com/api/webhooks/` + fakeID + `/` + fakeToken + `"}`)
}

func (f *fake) Secrets() []string { return []string{fakeToken} }

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	reply := f.Next()
	if connectortest.Transport(w, r, reply) {
		return
	}
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/api/v9/webhooks/"+fakeID+"/"+fakeToken:
		answer(w, http.StatusNotFound, `{"message": "Unknown Webhook", "code": 10015}`)
		return
	case r.URL.Query().Get("wait") != "true":
		answer(w, http.StatusBadRequest, `{"message": "want wait=true", "code": 0}`)
		return
	}
	var p payload
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		answer(w, http.StatusBadRequest, `{"message": "Cannot send an empty message", "code": 50006}`)
		return
	}
	got := p.read()
	f.Add(got)
	switch {
	case reply == connectortest.RateLimited:
		w.Header().Set("Retry-After", "31")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset-After", "30.5")
		w.Header().Set("X-RateLimit-Bucket", "abcd")
		answer(w, http.StatusTooManyRequests, `{"message": "You are being rate limited.", "retry_after": 30.5, "global": false}`)
	case reply == connectortest.AuthFailure:
		answer(w, http.StatusUnauthorized, `{"message": "Invalid Webhook Token", "code": 50027}`)
	case reply == connectortest.ServerError:
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, "<html>502 Bad Gateway</html>")
	case len(got.Problems) > 0:
		answer(w, http.StatusBadRequest, `{"message": "Invalid Form Body", "code": 50035}`)
	default:
		w.Header().Set("X-RateLimit-Remaining", "4")
		w.Header().Set("X-RateLimit-Reset-After", "1.5")
		answer(w, http.StatusOK, `{"id": "1", "type": 0, "content": "", "channel_id": "2", "webhook_id": "`+fakeID+`"}`)
	}
}

func answer(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprint(w, body)
}

type payload struct {
	Content         string `json:"content"`
	AllowedMentions *struct {
		Parse *[]string `json:"parse"`
		Users []string  `json:"users"`
		Roles []string  `json:"roles"`
	} `json:"allowed_mentions"`
	Embeds []struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		Timestamp   string `json:"timestamp"`
		Color       int    `json:"color"`
		Footer      *struct {
			Text string `json:"text"`
		} `json:"footer"`
		Fields []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"fields"`
	} `json:"embeds"`
}

// read checks the payload as Discord would and returns what a reader sees.
func (p payload) read() connectortest.Received {
	var r connectortest.Received
	problem := func(format string, args ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, args...)) }
	limit := func(what, s string, max int) int {
		n := utf8.RuneCountInString(s)
		if n > max {
			problem("%s has %d characters (max %d)", what, n, max)
		}
		return n
	}
	if a := p.AllowedMentions; a == nil || a.Parse == nil || len(*a.Parse) > 0 || len(a.Users) > 0 || len(a.Roles) > 0 {
		r.Pings = append(r.Pings, "allowed_mentions does not rule out every mention")
	}
	if len(p.Embeds) != 1 {
		problem("%d embeds, want 1", len(p.Embeds))
		return r
	}
	e := p.Embeds[0]
	r.Title, r.Text = shown(e.Title), shown(e.Description)
	total := limit("title", e.Title, 256) + limit("description", e.Description, 4096)
	if e.Footer != nil {
		total += limit("footer", e.Footer.Text, 2048)
	}
	if len(e.Fields) > 25 {
		problem("%d fields (max 25)", len(e.Fields))
	}
	for _, f := range e.Fields {
		if strings.TrimSpace(f.Name) == "" || strings.TrimSpace(f.Value) == "" {
			problem("empty field name or value")
		}
		total += limit("field name", f.Name, 256) + limit("field value", f.Value, 1024)
		r.Fields = append(r.Fields, connectors.Field{Name: shown(f.Name), Value: shown(f.Value)})
	}
	if total > 6000 {
		problem("embed has %d characters (max 6000)", total)
	}
	return r
}

// shown is s as a Discord reader sees it, roughly: a backslash before
// ASCII punctuation is an escape and is not shown, while the unescaped
// markdown characters are taken as formatting and vanish: emphasis, code,
// spoiler and link brackets, "<" of mentions and timestamps, and quote,
// heading, list and numbered-list markers at the start of a line. (Discord
// shows a lone "*" as it is; the fake is stricter, so anything it reads
// literally Discord does too.)
func shown(s string) string {
	var b strings.Builder
	lineStart, digitsOnly := true, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && strings.IndexByte("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", s[i+1]) >= 0:
			i++
			c = s[i]
		case strings.IndexByte("*_~`|[]<", c) >= 0, lineStart && strings.IndexByte(">#-", c) >= 0, c == '.' && digitsOnly:
			lineStart, digitsOnly = false, false
			continue
		}
		b.WriteByte(c)
		digitsOnly = c >= '0' && c <= '9' && (lineStart || digitsOnly)
		lineStart = c == '\n'
	}
	return b.String()
}
