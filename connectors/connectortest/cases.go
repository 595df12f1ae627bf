package connectortest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald/connectors"
)

// testLimits sends a message far beyond every service's limits, full of
// characters that need escaping; it must arrive whole-formed and within
// the limits (the fakes reject anything else with 400).
func testLimits(t *testing.T, h Harness) {
	s := start(t, h)
	msg := sample()
	msg.Title = strings.Repeat("Title <&> ", 40)
	msg.Text = strings.Repeat("a<b>&c ", 10000/7+1)[:10000]
	msg.Fields = nil
	for i := range 40 {
		msg.Fields = append(msg.Fields, connectors.Field{
			Name:  fmt.Sprintf("Field %d %s", i, strings.Repeat("n&", 150)),
			Value: strings.Repeat("<v>", 700),
		})
	}
	if _, err := s.send(t, context.Background(), msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := only(t, s.fake)
	if !strings.HasPrefix(got.Text, "a<b>&c a<b>&c") {
		t.Errorf("text starts %q, want the start of the summary, unescaped", got.Text[:min(len(got.Text), 40)])
	}
	if len(got.Fields) == 0 || !strings.HasPrefix(got.Fields[0].Name, "Field 0 n&n&") {
		t.Errorf("first field = %q, want the message's first field", got.Fields[:min(len(got.Fields), 1)])
	}
}

// testMentions puts every kind of mention into every part of a message;
// none may reach the service as something it would act on, and the text
// must still read as written.
func testMentions(t *testing.T, h Harness) {
	s := start(t, h)
	const pings = "@everyone @here @jordanreyes <!channel> <!here> <!everyone> <@U123> <@123> <@&456> <#C1> <!subteam^S1>"
	msg := sample()
	msg.Title = "Hello <!channel> @everyone"
	msg.Text = "Attention " + pings
	msg.Fields = []connectors.Field{{Name: "<@U999>", Value: pings}}
	if _, err := s.send(t, context.Background(), msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := only(t, s.fake)
	if len(got.Pings) > 0 {
		t.Errorf("message would ping: %q", got.Pings)
	}
	if !strings.Contains(got.Text, pings) {
		t.Errorf("text = %q, want it to show %q as written", got.Text, pings)
	}
}

// testMarkup sends a title and summary full of every service's markup;
// the reader must see them as written, not formatted.
func testMarkup(t *testing.T, h Harness) {
	s := start(t, h)
	const title = "*bold* _it_ ~strike~ `code` ||spoiler|| <b>tag</b> &amp;"
	const text = title + " [link](https://x.example) <https://x.example|link>\n> quote\n# heading\n- item\n1. first"
	msg := sample()
	msg.Title, msg.Text = title, text
	if _, err := s.send(t, context.Background(), msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := only(t, s.fake)
	if got.Title != title {
		t.Errorf("title reads %q, want %q", got.Title, title)
	}
	if !strings.Contains(got.Text, text) {
		t.Errorf("text reads %q, want it to contain %q", got.Text, text)
	}
}

// testCancel checks that a send stops with its context: a request the
// service does not answer ends at the deadline, and a cancelled context
// sends nothing.
func testCancel(t *testing.T, h Harness) {
	s := start(t, h)
	s.fake.Script(Hang)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err := s.send(t, ctx, sample())
	if took := time.Since(began); took > 2*time.Second {
		t.Errorf("send took %v past a 200ms deadline", took)
	}
	if err == nil || !err.Retryable {
		t.Fatalf("error = %+v, want retryable", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	before := s.fake.Requests()
	if _, err := s.send(t, ctx, sample()); err == nil || !err.Retryable {
		t.Fatalf("cancelled context: error = %+v, want retryable", err)
	}
	if n := s.fake.Requests(); n != before {
		t.Errorf("a cancelled context still sent %d requests", n-before)
	}
}

// testInvalidConfig checks that a config the kind rejects fails at once,
// without a request, and that Validate reports it.
func testInvalidConfig(t *testing.T, h Harness) {
	s := start(t, h)
	if errs := s.kind.Validate(s.fake.Config()); errs != nil {
		t.Fatalf("Validate(fake config) = %v, want no errors", errs)
	}
	bad := []byte(`{"unexpected": true}`)
	if errs := s.kind.Validate(bad); len(errs) == 0 {
		t.Fatalf("Validate(%s) = no errors", bad)
	}
	_, err := s.kind.Send(context.Background(), bad, sample())
	e, ok := err.(*connectors.Error)
	if !ok || e.Retryable {
		t.Fatalf("Send with a bad config: error = %#v, want a permanent *connectors.Error", err)
	}
	if n := s.fake.Requests(); n != 0 {
		t.Errorf("a bad config still sent %d requests", n)
	}
	if masked := string(s.kind.Mask(s.fake.Config())); leaks(masked, s.fake.Secrets()) {
		t.Errorf("Mask(config) = %s shows a secret", masked)
	}
}
