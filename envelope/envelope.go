// Package envelope builds what a webhook receiver gets (SPEC §4): the JSON
// envelope PERSCOM sends, and the same envelope as a PHP-style query string
// for GET webhooks. It does no I/O and its functions are safe for concurrent
// use.
package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// CreatedLayout formats Envelope.Created: UTC, always six fractional digits.
const CreatedLayout = "2006-01-02T15:04:05.000000Z"

// Errors of JSON and Query.
var (
	ErrNoData         = errors.New("envelope: data is empty")
	ErrInvalidData    = errors.New("envelope: data is not valid JSON")
	ErrInvalidChanges = errors.New("envelope: changes is not valid JSON")
	// ErrQueryTooLong's text, unlike the others', is written to be shown
	// as it is: it is the reason a delivery to a GET webhook failed.
	ErrQueryTooLong = fmt.Errorf("the GET query would be longer than %d bytes; a POST webhook can take this event", MaxQuery)
)

// Envelope is one event as a receiver sees it.
type Envelope struct {
	Event     string
	Created   time.Time
	RequestID string // the Herald event ID
	TraceID   string
	// Data is the event's data exactly as the publisher sent it: a JSON
	// object in practice (the API refuses anything else), though any single
	// JSON value is accepted here. It must not be empty.
	Data json.RawMessage
	// Changes is an object, an array or null; empty means "not given" and is
	// written as [].
	Changes json.RawMessage
}

// JSON returns the compact JSON envelope with its keys in PERSCOM's order:
// event, created, request_id, trace_id, data, changes. Data and Changes keep
// the publisher's key order and number text; only insignificant whitespace
// is removed. Nothing is HTML-escaped: "<" stays "<", not "\u003c".
//
// It fails with ErrNoData, or an error wrapping ErrInvalidData or
// ErrInvalidChanges.
func (e Envelope) JSON() ([]byte, error) {
	data, changes, err := e.compacted()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Grow(len(data) + len(changes) + len(e.Event) + len(e.RequestID) + len(e.TraceID) + 128)
	b.WriteString(`{"event":`)
	writeString(&b, e.Event)
	b.WriteString(`,"created":`)
	writeString(&b, e.created())
	b.WriteString(`,"request_id":`)
	writeString(&b, e.RequestID)
	b.WriteString(`,"trace_id":`)
	writeString(&b, e.TraceID)
	b.WriteString(`,"data":`)
	b.Write(data)
	b.WriteString(`,"changes":`)
	b.Write(changes)
	b.WriteByte('}')
	return b.Bytes(), nil
}

// OrNoChanges is changes, or [] (SPEC §4: no changes) when the publisher
// gave none. Events are stored with it, so that reading one back shows
// what its envelope carries.
func OrNoChanges(changes json.RawMessage) json.RawMessage {
	if len(changes) == 0 {
		return json.RawMessage("[]")
	}
	return changes
}

func (e Envelope) created() string { return e.Created.UTC().Format(CreatedLayout) }

// compacted validates Data and Changes and returns them without
// insignificant whitespace, Changes defaulting to [].
func (e Envelope) compacted() (data, changes []byte, err error) {
	if len(e.Data) == 0 {
		return nil, nil, ErrNoData
	}
	var d bytes.Buffer
	if err := json.Compact(&d, e.Data); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrInvalidData, err)
	}
	var c bytes.Buffer
	if err := json.Compact(&c, OrNoChanges(e.Changes)); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrInvalidChanges, err)
	}
	return d.Bytes(), c.Bytes(), nil
}

// writeString appends s as a JSON string without HTML escaping. Invalid
// UTF-8 becomes U+FFFD, as encoding/json always does.
func writeString(b *bytes.Buffer, s string) {
	var tmp bytes.Buffer
	enc := json.NewEncoder(&tmp)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // encoding a string cannot fail
	b.Write(bytes.TrimSuffix(tmp.Bytes(), []byte("\n")))
}
