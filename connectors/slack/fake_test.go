package slack_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/heraldhub/herald/connectors"
	"github.com/heraldhub/herald/connectors/connectortest"
	"github.com/heraldhub/herald/connectors/slack"
)

const (
	fakeToken    = "xoxb-1111-2222-s3cr3tT0ken"
	fakeChannel  = "C0123"
	fakeHookPath = "/services/T0001/B0001/h00kS3cret"
)

// fake is a Slack stand-in: chat.postMessage under /api/ and one incoming
// webhook. It reads blocks as Slack would and rejects what Slack rejects.
type fake struct {
	connectortest.Scripted
	srv     *httptest.Server
	webhook bool
}

func startFake(webhook bool) func(t *testing.T) connectortest.Fake {
	return func(t *testing.T) connectortest.Fake {
		f := &fake{webhook: webhook}
		f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
		t.Cleanup(f.srv.Close)
		return f
	}
}

func (f *fake) Kind(c *http.Client) connectors.Kind { return slack.New(c, c, f.srv.URL+"/api/") }

func (f *fake) Config() json.RawMessage {
	if f.webhook {
		return json.RawMessage(fmt.Sprintf(`{"webhook_url": %q}`, f.srv.URL+fakeHookPath))
	}
	return json.RawMessage(fmt.Sprintf(`{"token": %q, "channel": %q}`, fakeToken, fakeChannel))
}

func (f *fake) Secrets() []string {
	if f.webhook {
		return []string{"h00kS3cret"}
	}
	return []string{"s3cr3tT0ken"}
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	reply := f.Next()
	if connectortest.Transport(w, r, reply) {
		return
	}
	var p payload
	if f.webhook {
		if r.URL.Path != fakeHookPath {
			http.Error(w, "no_service", http.StatusNotFound)
			return
		}
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
	} else {
		if r.URL.Path != "/api/chat.postMessage" || r.ParseForm() != nil {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		if r.PostForm.Get("token") != fakeToken {
			f.answer(w, http.StatusOK, "invalid_auth")
			return
		}
		if r.PostForm.Get("channel") != fakeChannel {
			f.answer(w, http.StatusOK, "channel_not_found")
			return
		}
		p = payload{Text: r.PostForm.Get("text"), Parse: r.PostForm.Get("parse"), LinkNames: r.PostForm.Get("link_names")}
		if err := json.Unmarshal([]byte(r.PostForm.Get("blocks")), &p.Blocks); err != nil {
			f.answer(w, http.StatusOK, "invalid_blocks")
			return
		}
	}
	got := p.read()
	f.Add(got)
	switch {
	case reply == connectortest.RateLimited:
		w.Header().Set("Retry-After", "30")
		f.answer(w, http.StatusTooManyRequests, "ratelimited")
	case reply == connectortest.AuthFailure && f.webhook:
		f.answer(w, http.StatusForbidden, "invalid_token")
	case reply == connectortest.AuthFailure:
		f.answer(w, http.StatusOK, "invalid_auth")
	case reply == connectortest.ServerError:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, "<html><body>Service Unavailable</body></html>")
	case len(got.Problems) > 0:
		f.answer(w, http.StatusBadRequest, "invalid_blocks")
	default:
		f.answer(w, http.StatusOK, "")
	}
}

// answer writes a webhook's plain-text answer or a Web API JSON answer;
// an empty code is success.
func (f *fake) answer(w http.ResponseWriter, status int, code string) {
	if f.webhook {
		w.WriteHeader(status)
		fmt.Fprint(w, map[bool]string{true: "ok", false: code}[code == ""])
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if code == "" {
		fmt.Fprint(w, `{"ok":true,"channel":"C0123","ts":"1700000000.000100"}`)
		return
	}
	fmt.Fprintf(w, `{"ok":false,"error":%q}`, code)
}

type textObject struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Verbatim bool   `json:"verbatim"`
}

type block struct {
	Type     string       `json:"type"`
	Text     *textObject  `json:"text"`
	Fields   []textObject `json:"fields"`
	Elements []textObject `json:"elements"`
}

type payload struct {
	Text      string  `json:"text"`
	Parse     string  `json:"parse"`
	LinkNames any     `json:"link_names"`
	Blocks    []block `json:"blocks"`
}

var (
	unescape = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
	// emphasis is a mrkdwn span Slack formats: a marker at a word's
	// start, text not starting or ending with a space, the same marker
	// at a word's end.
	emphasis = regexp.MustCompile("(^|[^\\pL\\pN])([*_~`])([^\\s*_~`](?:[^\n]*?[^\\s])?)([*_~`])([^\\pL\\pN]|$)")
	// pingSyntax is Slack's markup for user, group and channel mentions.
	pingSyntax = regexp.MustCompile(`<(@|#|!channel|!here|!everyone|!subteam)`)
)

// read turns the payload into what a reader sees, noting pings and broken
// limits on the way.
func (p payload) read() connectortest.Received {
	var r connectortest.Received
	check := func(t textObject, max int, where string) string {
		if n := utf8.RuneCountInString(t.Text); n == 0 || n > max {
			r.Problems = append(r.Problems, fmt.Sprintf("%s text has %d characters (1..%d)", where, n, max))
		}
		if pingSyntax.MatchString(t.Text) {
			r.Pings = append(r.Pings, where+": "+pingSyntax.FindString(t.Text))
		}
		if t.Type == "mrkdwn" && !t.Verbatim && strings.Contains(t.Text, "@") {
			r.Pings = append(r.Pings, where+": mrkdwn not verbatim, Slack parses @names")
		}
		if t.Type == "mrkdwn" {
			return unescape.Replace(formatted(t.Text))
		}
		return unescape.Replace(t.Text)
	}
	check(textObject{Type: "plain_text", Text: p.Text}, 40000, "top-level")
	if p.Parse == "full" || fmt.Sprint(p.LinkNames) == "1" || fmt.Sprint(p.LinkNames) == "true" {
		r.Pings = append(r.Pings, "parse=full or link_names turns @names into mentions")
	}
	if len(p.Blocks) > 50 {
		r.Problems = append(r.Problems, fmt.Sprintf("%d blocks (max 50)", len(p.Blocks)))
	}
	for _, b := range p.Blocks {
		switch {
		case b.Type == "header" && b.Text != nil && b.Text.Type == "plain_text":
			r.Title = check(*b.Text, 150, "header")
		case b.Type == "section" && b.Text != nil:
			r.Text = check(*b.Text, 3000, "section")
		case b.Type == "section" && len(b.Fields) > 0 && len(b.Fields) <= 10:
			for _, t := range b.Fields {
				name, value, _ := strings.Cut(check(t, 2000, "field"), "\n")
				r.Fields = append(r.Fields, connectors.Field{Name: strings.Trim(name, "*"), Value: value})
			}
		case b.Type == "context" && len(b.Elements) > 0 && len(b.Elements) <= 10:
			for _, t := range b.Elements {
				check(t, 3000, "context")
			}
		default:
			r.Problems = append(r.Problems, fmt.Sprintf("invalid %s block", b.Type))
		}
	}
	return r
}

// formatted is mrkdwn text as a reader sees it: the markers of bold,
// italic, strikethrough and code spans are gone.
func formatted(s string) string {
	for {
		next := emphasis.ReplaceAllStringFunc(s, func(m string) string {
			p := emphasis.FindStringSubmatch(m)
			if p[2] != p[4] {
				return m
			}
			return p[1] + p[3] + p[5]
		})
		if next == s {
			return s
		}
		s = next
	}
}
