package dispatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/catalog"
	"github.com/heraldhub/herald/connectors"
	"github.com/heraldhub/herald/connectors/dispatch"
	"github.com/heraldhub/herald/connectors/message"
)

// fakeKind records each message it is asked to send and answers with the
// scripted exchanges and error.
type fakeKind struct {
	exchanges []connectors.Exchange
	err       error

	mu   sync.Mutex
	sent []connectors.Message
	cfgs []json.RawMessage
}

func (k *fakeKind) Send(_ context.Context, config json.RawMessage, msg connectors.Message) ([]connectors.Exchange, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.sent = append(k.sent, msg)
	k.cfgs = append(k.cfgs, config)
	return k.exchanges, k.err
}

func (k *fakeKind) Validate(json.RawMessage) []connectors.ConfigError { return nil }

func (k *fakeKind) Mask(json.RawMessage) json.RawMessage { return json.RawMessage(`{}`) }

func (k *fakeKind) messages() []connectors.Message {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]connectors.Message(nil), k.sent...)
}

const fakeKindName = "fake"

var created = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// attempt is attempt 3 of delivery del_1: rankrecord.created through a
// connector of the fake kind with templates.
func attempt(templates map[string]string) dispatch.Attempt {
	return dispatch.Attempt{
		Event: &herald.Event{
			ID: "evt_1", Name: "rankrecord.created", Created: created,
			Data: json.RawMessage(`{"id": 7, "user": {"name": "Jordan Reyes"}, "rank": {"name": "Sergeant"}}`),
		},
		Connector: &herald.Connector{
			ID: "con_1", Kind: fakeKindName, Name: "Ops", Events: []string{"rankrecord.*"},
			Enabled: true, Config: json.RawMessage(`{"token": "123:secret"}`), Templates: templates,
		},
		DeliveryID: "del_1",
		Number:     3,
	}
}

func send(t *testing.T, k *fakeKind, a dispatch.Attempt) ([]*herald.LogEntry, []connectors.Message, dispatchOutcome) {
	t.Helper()
	d := dispatch.New(map[string]connectors.Kind{fakeKindName: k})
	entries, out := d.Send(context.Background(), a)
	if len(entries) == 0 {
		t.Fatalf("Send returned no log entries (outcome %+v)", out)
	}
	for i, e := range entries {
		if e.ID != "" {
			t.Errorf("entry %d has ID %q, want none (the store sets it)", i, e.ID)
		}
		if e.TargetType != herald.TargetConnector || e.TargetID != a.Connector.ID || e.Attempt != a.Number ||
			e.DeliveryID != a.DeliveryID || e.EventID != a.Event.ID || e.Event != a.Event.Name || e.CreatedAt.IsZero() || e.CreatedAt.Nanosecond()%1000 != 0 {
			t.Errorf("entry %d = %+v, want connector %s, attempt %d, delivery %s, event %s %s, a time",
				i, e, a.Connector.ID, a.Number, a.DeliveryID, a.Event.ID, a.Event.Name)
		}
	}
	return entries, k.messages(), dispatchOutcome{out.Success, out.Retryable, out.Delay, out.StatusCode, out.Reason}
}

// dispatchOutcome mirrors delivery.Outcome's fields that Send sets.
type dispatchOutcome struct {
	Success    bool
	Retryable  bool
	Delay      time.Duration
	StatusCode int
	Reason     string
}

func exchange(status int, body string) connectors.Exchange {
	return connectors.Exchange{
		Request: herald.LogRequest{
			Method: "POST", URL: "https://chat.example/bot****/send",
			Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"text":"hi"}`,
		},
		Response: &herald.LogResponse{Status: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: body},
		Duration: 1500 * time.Millisecond,
	}
}

// defaultText is the built-in text for attempt's event.
func defaultText(t *testing.T, a dispatch.Attempt) string {
	t.Helper()
	env, err := message.NewEnvelope(a.Event.Name, a.Event.Created, a.Event.ID, a.Event.Data, a.Event.Changes)
	if err != nil {
		t.Fatalf("envelope: %v", err)
	}
	return message.Default(env).Text
}

func TestSendSuccess(t *testing.T) {
	k := &fakeKind{exchanges: []connectors.Exchange{exchange(429, `{"retry_after":1}`), exchange(200, `{"ok":true}`)}}
	a := attempt(nil)
	entries, msgs, out := send(t, k, a)
	if len(entries) != 2 {
		t.Fatalf("got %d entries, want one per exchange (2)", len(entries))
	}
	for i, e := range entries {
		x := k.exchanges[i]
		if e.Request.Method != x.Request.Method || e.Request.URL != x.Request.URL || e.Request.Body != x.Request.Body ||
			e.Request.Headers["Content-Type"] != "application/json" || e.Request.Note != "" {
			t.Errorf("entry %d request = %+v, want %+v", i, e.Request, x.Request)
		}
		if e.Response == nil || e.Response.Status != x.Response.Status || e.Response.Body != x.Response.Body ||
			e.Response.Headers["Content-Type"] != "application/json" {
			t.Errorf("entry %d response = %+v, want %+v", i, e.Response, x.Response)
		}
		if e.Error != nil {
			t.Errorf("entry %d error = %q, want nil", i, *e.Error)
		}
		if e.DurationMS != 1500 {
			t.Errorf("entry %d duration = %d ms, want 1500", i, e.DurationMS)
		}
	}
	if !out.Success || out.Retryable || out.StatusCode != 200 {
		t.Errorf("outcome = %+v, want success with status 200", out)
	}
	if len(msgs) != 1 {
		t.Fatalf("kind got %d messages, want 1", len(msgs))
	}
	if msgs[0].Text != defaultText(t, a) || msgs[0].Event != "rankrecord.created" || msgs[0].Note != "" || !msgs[0].Time.Equal(created) {
		t.Errorf("message = %+v, want the default message for the event", msgs[0])
	}
	if string(k.cfgs[0]) != string(a.Connector.Config) {
		t.Errorf("kind got config %s, want the connector's %s", k.cfgs[0], a.Connector.Config)
	}
}

func TestSendErrors(t *testing.T) {
	const token = "123456:AAHsupersecrettoken"
	tests := []struct {
		name      string
		exchanges []connectors.Exchange
		err       error
		want      dispatchOutcome
		entries   int
	}{
		{
			name:      "rate limited",
			exchanges: []connectors.Exchange{exchange(429, `{"ok":false}`)},
			err:       &connectors.Error{Reason: "rate limited by the service", Retryable: true, RetryAfter: 30 * time.Second, StatusCode: 429},
			want:      dispatchOutcome{Retryable: true, Delay: 30 * time.Second, StatusCode: 429, Reason: "rate limited by the service"},
			entries:   1,
		},
		{
			name:      "permanent after two requests",
			exchanges: []connectors.Exchange{exchange(502, ""), exchange(403, `{"ok":false,"error":"invalid_auth"}`)},
			err:       connectors.Permanent(403, "invalid token"),
			want:      dispatchOutcome{StatusCode: 403, Reason: "invalid token"},
			entries:   2,
		},
		{
			name:      "wrapped connectors.Error",
			exchanges: []connectors.Exchange{exchange(404, "")},
			err:       errors.Join(errors.New("send"), connectors.Permanent(404, "unknown channel")),
			want:      dispatchOutcome{StatusCode: 404, Reason: "unknown channel"},
			entries:   1,
		},
		{
			name:      "plain error holding a token",
			exchanges: []connectors.Exchange{exchange(500, "")},
			err:       errors.New(`Post "https://api.telegram.org/bot` + token + `/sendMessage": EOF`),
			want:      dispatchOutcome{Retryable: true, StatusCode: 500, Reason: "connector error"},
			entries:   1,
		},
		{
			name:    "no exchanges and a plain error holding a token",
			err:     errors.New(`dial https://api.telegram.org/bot` + token + `: refused`),
			want:    dispatchOutcome{Retryable: true, Reason: "connector error"},
			entries: 1,
		},
		{
			name:    "no exchanges and a connectors.Error",
			err:     connectors.Retryable(0, 0, "request timed out"),
			want:    dispatchOutcome{Retryable: true, Reason: "request timed out"},
			entries: 1,
		},
		{
			name:    "no exchanges and no error",
			want:    dispatchOutcome{Success: true, Reason: "sent"},
			entries: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := &fakeKind{exchanges: tc.exchanges, err: tc.err}
			entries, _, out := send(t, k, attempt(nil))
			if out != tc.want {
				t.Errorf("outcome = %+v, want %+v", out, tc.want)
			}
			if len(entries) != tc.entries {
				t.Fatalf("got %d entries, want %d", len(entries), tc.entries)
			}
			last := entries[len(entries)-1]
			for _, e := range entries[:len(entries)-1] {
				if e.Error != nil {
					t.Errorf("earlier entry error = %q, want nil", *e.Error)
				}
			}
			switch {
			case tc.want.Success && last.Error != nil:
				t.Errorf("last entry error = %q, want nil", *last.Error)
			case !tc.want.Success && (last.Error == nil || *last.Error != tc.want.Reason):
				t.Errorf("last entry error = %v, want %q", last.Error, tc.want.Reason)
			}
			if len(tc.exchanges) == 0 && last.Response != nil {
				t.Errorf("entry without exchange has response %+v", last.Response)
			}
			if len(tc.exchanges) > 0 && (last.Response == nil || last.Response.Status != tc.exchanges[len(tc.exchanges)-1].Response.Status) {
				t.Errorf("last entry response = %+v, want the last exchange's", last.Response)
			}
			b, _ := json.Marshal(entries)
			if strings.Contains(out.Reason, "AAHsupersecrettoken") || strings.Contains(string(b), "AAHsupersecrettoken") {
				t.Errorf("the token leaked: reason %q, entries %s", out.Reason, b)
			}
		})
	}
}

func TestSendUnknownKind(t *testing.T) {
	k := &fakeKind{}
	a := attempt(nil)
	a.Connector.Kind = "teams"
	entries, msgs, out := send(t, k, a)
	if out.Success || out.Retryable || !strings.Contains(out.Reason, "teams") {
		t.Errorf("outcome = %+v, want permanent naming the kind", out)
	}
	if len(entries) != 1 || entries[0].Error == nil || *entries[0].Error != out.Reason || entries[0].Response != nil {
		t.Errorf("entries = %+v, want one with the reason and no response", entries)
	}
	if len(msgs) != 0 {
		t.Errorf("a kind was asked to send %d messages", len(msgs))
	}
}

func TestSendEventDataNotJSON(t *testing.T) {
	for name, data := range map[string]string{"truncated": `{"id": 7,`, "array": `[1, 2]`} {
		t.Run(name, func(t *testing.T) {
			k := &fakeKind{exchanges: []connectors.Exchange{exchange(200, "")}}
			a := attempt(nil)
			a.Event.Data = json.RawMessage(data)
			entries, msgs, out := send(t, k, a)
			if out.Success || out.Retryable || out.Reason == "" {
				t.Errorf("outcome = %+v, want permanent with a reason", out)
			}
			if len(entries) != 1 || entries[0].Error == nil || *entries[0].Error != out.Reason {
				t.Errorf("entries = %+v, want one with the reason", entries)
			}
			if len(msgs) != 0 {
				t.Errorf("the kind was asked to send %d messages", len(msgs))
			}
		})
	}
}

func TestSendTemplates(t *testing.T) {
	tests := []struct {
		name      string
		templates map[string]string
		wantText  string // "" for the default text
		wantNote  string // substring of the note; "" for none
	}{
		{name: "template renders", templates: map[string]string{"rankrecord.created": "{{.Data.user.name}} is now {{.Data.rank.name}}"},
			wantText: "Jordan Reyes is now Sergeant"},
		{name: "template fails at render time", templates: map[string]string{"rankrecord.created": "{{index .Data.nope 3}}"},
			wantNote: "template for rankrecord.created failed"},
		{name: "stored template no longer parses", templates: map[string]string{"rankrecord.created": "{{ .Data.x "},
			wantNote: "template for rankrecord.created is invalid"},
		{name: "template for another event", templates: map[string]string{"rankrecord.deleted": "gone"}},
		{name: "another event's template no longer parses",
			templates: map[string]string{"rankrecord.created": "{{.Data.user.name}} promoted", "rankrecord.deleted": "{{ .Data.x "},
			wantText:  "Jordan Reyes promoted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := &fakeKind{exchanges: []connectors.Exchange{exchange(200, `{"ok":true}`)}}
			a := attempt(tc.templates)
			entries, msgs, out := send(t, k, a)
			if !out.Success {
				t.Errorf("outcome = %+v, want success (a template never stops a send)", out)
			}
			if len(msgs) != 1 {
				t.Fatalf("kind got %d messages, want 1", len(msgs))
			}
			want := tc.wantText
			if want == "" {
				want = defaultText(t, a)
			}
			if msgs[0].Text != want {
				t.Errorf("message text = %q, want %q", msgs[0].Text, want)
			}
			note := entries[0].Request.Note
			switch {
			case tc.wantNote == "" && note != "":
				t.Errorf("log note = %q, want none", note)
			case !strings.Contains(note, tc.wantNote):
				t.Errorf("log note = %q, want it to contain %q", note, tc.wantNote)
			}
			if msgs[0].Note != note {
				t.Errorf("message note %q differs from the log note %q", msgs[0].Note, note)
			}
		})
	}
}

func TestSendTemplateNoteWithoutExchange(t *testing.T) {
	k := &fakeKind{err: connectors.Retryable(0, 0, "request timed out")}
	entries, msgs, _ := send(t, k, attempt(map[string]string{"rankrecord.created": "{{index .Data.nope 3}}"}))
	if len(msgs) != 1 || msgs[0].Note == "" {
		t.Fatalf("messages = %+v, want one with a note", msgs)
	}
	if len(entries) != 1 || entries[0].Request.Note != msgs[0].Note {
		t.Errorf("entry note = %q, want the template note %q", entries[0].Request.Note, msgs[0].Note)
	}
}

// BenchmarkSendWithTemplates sends one event through a connector that has a
// template for every event in the catalog, as a fully customised connector
// would.
func BenchmarkSendWithTemplates(b *testing.B) {
	templates := map[string]string{}
	for _, et := range catalog.All() {
		templates[et.Name] = `{{.Event}}: {{get .Data "user.name"}}{{range $k, $v := .Data}} {{$k}}{{end}} at {{.Created}}`
	}
	k := &fakeKind{exchanges: []connectors.Exchange{exchange(200, `{"ok":true}`)}}
	d := dispatch.New(map[string]connectors.Kind{fakeKindName: k})
	a := attempt(templates)
	for b.Loop() {
		if _, out := d.Send(b.Context(), a); !out.Success {
			b.Fatalf("outcome %+v", out)
		}
	}
}

// hangingKind never answers: it waits for its context.
type hangingKind struct{ fakeKind }

func (*hangingKind) Send(ctx context.Context, _ json.RawMessage, _ connectors.Message) ([]connectors.Exchange, error) {
	<-ctx.Done()
	return nil, connectors.Retryable(0, 0, "request timed out")
}

// A service that never answers ends the send at the dispatcher's timeout,
// leaving time to log the attempt, rather than at the activity's.
func TestSendTimesOut(t *testing.T) {
	d := dispatch.New(map[string]connectors.Kind{fakeKindName: &hangingKind{}})
	d.Timeout = 50 * time.Millisecond
	// The caller's own deadline is far later: without the dispatcher's
	// timeout the send would run until it and fail below.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	began := time.Now()
	entries, out := d.Send(ctx, attempt(nil))
	if took := time.Since(began); took > 2*time.Second {
		t.Errorf("send took %v with a 50ms timeout", took)
	}
	if out.Success || !out.Retryable || len(entries) != 1 || entries[0].Error == nil {
		t.Errorf("outcome %+v, %d entries; want one retryable failure, logged", out, len(entries))
	}
}
