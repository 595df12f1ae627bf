package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/catalog"
	"github.com/heraldhub/herald/envelope"
	"github.com/heraldhub/herald/publish"
	"github.com/heraldhub/herald/store"
)

// maxDataBytes limits an event's data object (SPEC §2).
const maxDataBytes = 256 << 10

// Publisher durably accepts an event: stored, and its workflow started.
type Publisher interface {
	Publish(ctx context.Context, r publish.Request) (ev *herald.Event, existed bool, err error)
}

// EventReader reads events and their deliveries.
type EventReader interface {
	GetEvent(ctx context.Context, id string) (*herald.Event, error)
	ListEvents(ctx context.Context, f store.EventFilter) ([]*herald.Event, string, error)
	ListDeliveries(ctx context.Context, eventID string) ([]*herald.Delivery, error)
}

type eventInput struct {
	ID      *string         `json:"id"`
	Event   *string         `json:"event"`
	Data    json.RawMessage `json:"data"`
	Changes json.RawMessage `json:"changes"`
}

type eventAccepted struct {
	ID         string    `json:"id"`
	Event      string    `json:"event"`
	Created    time.Time `json:"created"`
	WorkflowID string    `json:"workflow_id"`
}

func (s *Server) publishEvent(c *gin.Context) {
	var in eventInput
	shape, err := s.decodeFields(c, &in, false)
	if err != nil {
		s.fail(c, err)
		return
	}
	req, err := checkEvent(&in)
	if err := joinShape(shape, err); err != nil {
		s.fail(c, err)
		return
	}
	req.TraceID = traceID(c.GetHeader("traceparent"))
	ev, existed, err := s.Publisher.Publish(c.Request.Context(), req)
	if err != nil {
		s.fail(c, err)
		return
	}
	status := http.StatusAccepted
	if existed {
		status = http.StatusOK
	}
	c.JSON(status, eventAccepted{ID: ev.ID, Event: ev.Name, Created: ev.Created, WorkflowID: ev.WorkflowID})
}

// checkEvent validates a publish request, one error per bad field.
func checkEvent(in *eventInput) (publish.Request, error) {
	var errs []herald.FieldError
	var r publish.Request
	if in.ID != nil {
		if n := utf8.RuneCountInString(*in.ID); n == 0 || n > 200 {
			errs = append(errs, field("id", "must be 1 to 200 characters"))
		} else if strings.HasPrefix(*in.ID, ingestIDPrefix) {
			// Ingested events' ids: one taken here first would answer
			// the source's real request with this event.
			errs = append(errs, field("id", "must not start with "+ingestIDPrefix))
		}
		r.ClientID = *in.ID
	}
	switch {
	case in.Event == nil:
		errs = append(errs, field("event", "is required"))
	case *in.Event == catalog.TestEvent:
		errs = append(errs, field("event", "webhook.test is only sent by POST /v1/webhooks/{id}/test"))
	default:
		if _, ok := catalog.Lookup(*in.Event); !ok {
			errs = append(errs, field("event", fmt.Sprintf("%q is not a catalog event (see GET /v1/event-types)", *in.Event)))
		}
		r.Event = *in.Event
	}
	data := bytes.TrimSpace(in.Data)
	if msg := checkData(data); msg != "" {
		errs = append(errs, field("data", msg))
	}
	r.Data = data
	changes := bytes.TrimSpace(in.Changes)
	switch {
	case len(changes) > 0 && changes[0] != '{' && changes[0] != '[' && string(changes) != "null":
		errs = append(errs, field("changes", "must be an object, an array or null"))
	case !utf8.Valid(changes):
		errs = append(errs, field("changes", notUTF8))
	case len(changes) > 0:
		if msg := checkJSON(changes); msg != "" {
			errs = append(errs, field("changes", msg))
		}
	}
	r.Changes = changes
	if len(errs) > 0 {
		return r, invalid(errs...)
	}
	return r, nil
}

// traceID takes the trace ID of a W3C traceparent header, or "" (the
// publisher then generates one) when the header is not a valid one:
// version "-" trace-id "-" parent-id "-" flags, 00-<32 hex>-<16 hex>-<2 hex>,
// version ff invalid, version 00 exactly that long, later versions
// possibly followed by "-" and more fields.
func traceID(tp string) string {
	if len(tp) < 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-' {
		return ""
	}
	version, parent, flags := tp[0:2], tp[36:52], tp[53:55]
	switch {
	case !lowerHex(version) || version == "ff" || !lowerHex(flags):
		return ""
	case !lowerHex(parent) || parent == "0000000000000000":
		return ""
	case version == "00" && len(tp) != 55, len(tp) > 55 && tp[55] != '-':
		return ""
	}
	return validTraceID(tp[3:35])
}

// validTraceID returns id when it is a W3C trace ID (32 lowercase hex
// digits, not all zero), else "".
func validTraceID(id string) string {
	if len(id) != 32 || id == "00000000000000000000000000000000" || !lowerHex(id) {
		return ""
	}
	return id
}

// lowerHex reports whether s is lowercase hexadecimal digits only.
func lowerHex(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

type eventView struct {
	*herald.Event
	Deliveries []*herald.Delivery `json:"deliveries"`
}

func (s *Server) getEvent(c *gin.Context) {
	ev, err := s.Events.GetEvent(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	ds, err := s.Events.ListDeliveries(c.Request.Context(), ev.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if ds == nil {
		ds = []*herald.Delivery{}
	}
	c.JSON(http.StatusOK, eventView{ev, ds})
}

func (s *Server) listEvents(c *gin.Context) {
	p, pageErr := page(c)
	t, sinceErr := since(c)
	if err := collect(pageErr, sinceErr); err != nil {
		s.fail(c, err)
		return
	}
	list, next, err := s.Events.ListEvents(c.Request.Context(), store.EventFilter{Name: c.Query("event"), Since: t, Page: p})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listResponse(list, next))
}

func (s *Server) eventTypes(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"data": catalog.All()})
}

// checkData says what is wrong with an event's data, or "".
func checkData(data []byte) string {
	switch {
	case len(data) == 0:
		return "is required"
	case data[0] != '{':
		return "must be a JSON object"
	case len(data) > maxDataBytes:
		return fmt.Sprintf("must be at most %d bytes", maxDataBytes)
	case !utf8.Valid(data):
		return notUTF8
	}
	return checkJSON(data)
}

// checkJSON says what in a raw JSON field receivers would read in
// different ways (envelope.Check), or "".
func checkJSON(raw []byte) string {
	switch err := envelope.Check(raw); {
	case errors.Is(err, envelope.ErrDuplicateKey), errors.Is(err, envelope.ErrLoneSurrogate):
		return err.Error()
	case err != nil:
		return "must be valid JSON"
	}
	return ""
}

// notUTF8 is the error of raw JSON fields (kept as sent) that hold bytes
// JSON does not allow; decoded fields get the same (envelope.CheckText).
var notUTF8 = envelope.ErrNotUTF8.Error()

// testData picks the data of a test request: the caller's, as sent, else
// the catalog example of the event.
func testData(in testInput) ([]byte, error) {
	var bad []herald.FieldError
	et, ok := catalog.Lookup(in.Event)
	if !ok {
		bad = append(bad, field("event", fmt.Sprintf("%q is not a catalog event", in.Event)))
	}
	data := bytes.TrimSpace(in.Data)
	if len(data) > 0 && string(data) != "null" {
		if msg := checkData(data); msg != "" {
			bad = append(bad, field("data", msg))
		}
	} else if ok {
		data = et.Example
	}
	if len(bad) > 0 {
		return nil, invalid(bad...)
	}
	return data, nil
}
