// Package connectortest is the contract every chat connector passes: Run
// drives a connector, built with its real client library, against a fake
// of its service on 127.0.0.1 that answers as scripted, and checks what
// arrived, what was recorded and how failures are classified.
package connectortest

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/heraldhub/herald/connectors"
)

// Reply is how a fake answers one request.
type Reply int

const (
	// OK accepts the message.
	OK Reply = iota
	// RateLimited answers 429 with the service's own delay field, asking
	// for Harness.RetryAfter (about 30 s).
	RateLimited
	// AuthFailure answers as the service does to an invalid token or
	// webhook; retrying cannot help.
	AuthFailure
	// ServerError answers with a 5xx.
	ServerError
	// Hang answers nothing until the client gives up.
	Hang
	// Disconnect closes the connection without an answer.
	Disconnect
)

// Received is one message as a fake read it, in the terms a reader of the
// chat would see (markup removed, entities decoded).
type Received struct {
	Title  string
	Text   string
	Fields []connectors.Field
	// Pings lists what in the message would notify people (a mention the
	// service would act on, mention parsing left on). Empty when none.
	Pings []string
	// Problems lists ways the message breaks the service's limits or
	// syntax. A fake answers such a message with 400, as the service does.
	Problems []string
}

// Fake is one service's fake server, started for one test.
type Fake interface {
	// Kind returns the connector under test, built with client and
	// pointed at the fake.
	Kind(client *http.Client) connectors.Kind
	// Config returns a valid connector config that reaches the fake.
	Config() json.RawMessage
	// Secrets returns what must never appear in an error or a record.
	Secrets() []string
	// Script sets the answers to the next requests, in order; once they
	// are used up the fake answers OK.
	Script(replies ...Reply)
	// Received returns every message that reached the fake, in order.
	Received() []Received
	// Requests returns how many requests reached the fake.
	Requests() int
}

// Harness describes one connector to Run.
type Harness struct {
	// Start starts a fresh fake; it stops at the end of t.
	Start func(t *testing.T) Fake
	// RetryAfter is the delay the fake's RateLimited answer asks for.
	RetryAfter time.Duration
}

// Scripted keeps a fake's script, requests and received messages. Fakes
// embed it to get Script, Received and Requests. It is safe for
// concurrent use.
type Scripted struct {
	mu       sync.Mutex
	replies  []Reply
	received []Received
	requests int
}

// Script implements Fake.
func (s *Scripted) Script(replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies = append([]Reply(nil), replies...)
}

// Next counts a request and returns its reply (OK once the queue is empty).
func (s *Scripted) Next() Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if len(s.replies) == 0 {
		return OK
	}
	r := s.replies[0]
	s.replies = s.replies[1:]
	return r
}

// Add records a message that reached the fake.
func (s *Scripted) Add(r Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received = append(s.received, r)
}

// Received implements Fake.
func (s *Scripted) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// Requests implements Fake.
func (s *Scripted) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Transport answers the replies that are the same for every service, Hang
// and Disconnect, and reports whether it did. Hang waits for the client to
// go away (or 10 s).
func Transport(w http.ResponseWriter, r *http.Request, reply Reply) bool {
	switch reply {
	case Hang:
		// The server notices a client hanging up only once the body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		return true
	case Disconnect:
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
		}
		return true
	}
	return false
}
