package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/envelope"
	"github.com/heraldhub/herald/signature"
	"github.com/heraldhub/herald/store"
)

// ingestIDPrefix starts the client id of every ingested event.
const ingestIDPrefix = "ingest:"

// SourceStore keeps ingest sources.
type SourceStore interface {
	CreateSource(ctx context.Context, s *herald.Source) error
	GetSource(ctx context.Context, id string) (*herald.Source, error)
	ListSources(ctx context.Context, p store.Page) ([]*herald.Source, string, error)
	DeleteSource(ctx context.Context, id string) error
}

type sourceInput struct {
	Name   *string `json:"name"`
	Secret *string `json:"secret"`
}

type sourceCreated struct {
	*herald.Source
	Secret    string `json:"secret"`
	IngestURL string `json:"ingest_url"`
}

// createSource registers a system that sends events as PERSCOM sends
// webhooks; the answer shows the secret this once, with the URL to use.
func (s *Server) createSource(c *gin.Context) {
	var in sourceInput
	shape, err := s.decodeFields(c, &in, false)
	if err != nil {
		s.fail(c, err)
		return
	}
	var errs []herald.FieldError
	if in.Name == nil || *in.Name == "" || utf8.RuneCountInString(*in.Name) > 200 {
		errs = append(errs, field("name", "is required, at most 200 characters"))
	}
	src := &herald.Source{ID: herald.NewID(herald.PrefixSource), Secret: newSecret(), CreatedAt: herald.Now()}
	if in.Secret != nil {
		if msg := checkSecretLength(*in.Secret); msg != "" {
			errs = append(errs, field("secret", msg))
		}
		src.Secret = *in.Secret
	}
	if err := joinShape(shape, invalidIf(errs)); err != nil {
		s.fail(c, err)
		return
	}
	src.Name = *in.Name
	if err := s.Sources.CreateSource(c.Request.Context(), src); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, sourceCreated{src, src.Secret, baseURL(c) + "/ingest/" + src.ID})
}

// listSources lists the sources, without secrets, a page at a time.
func (s *Server) listSources(c *gin.Context) {
	p, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	list, next, err := s.Sources.ListSources(c.Request.Context(), p)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listResponse(list, next))
}

// getSource shows one source, without its secret.
func (s *Server) getSource(c *gin.Context) {
	src, err := s.Sources.GetSource(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, src)
}

// deleteSource revokes a source: its ingest URL answers 401 from now on,
// as for an unknown source. Events it brought in are kept.
func (s *Server) deleteSource(c *gin.Context) {
	if err := s.Sources.DeleteSource(c.Request.Context(), c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// baseURL is how the client reached this server.
func baseURL(c *gin.Context) string {
	scheme := "http"
	if c.Request.TLS != nil || c.GetHeader("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + c.Request.Host
}

// ingestEnvelope is what PERSCOM posts (SPEC §4). Unknown fields are
// ignored: the sender, not Herald, owns this shape.
type ingestEnvelope struct {
	Event   *string
	TraceID string
	Data    json.RawMessage
	Changes json.RawMessage
}

// readEnvelope reads the fields Herald uses from a PERSCOM envelope, which
// has others too (created, request_id). It reports false for a body that is
// not a JSON object. An event that is not a string, and a field Herald uses
// given twice, are field errors in shape (a 422, as on POST /v1/events); a
// trace_id that is not a string is ignored, as an invalid one is.
func readEnvelope(body []byte) (env ingestEnvelope, shape error, ok bool) {
	obj, repeated, err := envelope.Members(bytes.TrimSpace(body))
	if err != nil {
		return env, nil, false
	}
	var bad []herald.FieldError
	for _, name := range []string{"changes", "data", "event", "trace_id"} {
		if repeated[name] {
			bad = append(bad, field(name, repeatedKey))
		}
	}
	if raw, found := obj["event"]; found && string(raw) != "null" && !repeated["event"] {
		var event string
		if err := json.Unmarshal(raw, &event); err != nil {
			bad = append(bad, field("event", "must be a string"))
		} else {
			env.Event = &event
		}
	}
	if len(bad) > 0 {
		shape = invalid(bad...)
	}
	_ = json.Unmarshal(obj["trace_id"], &env.TraceID)
	env.Data, env.Changes = obj["data"], obj["changes"]
	return env, shape, true
}

// ingest takes a PERSCOM webhook request, checks its Signature with the
// source's secret, and publishes the event. The same bytes sent again (as
// PERSCOM does on retry) are one event: the idempotency key is a hash of
// the body.
func (s *Server) ingest(c *gin.Context) {
	ctx := c.Request.Context()
	body, err := s.readBody(c)
	if err == nil {
		err = checkEncoding(c)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	src, err := s.Sources.GetSource(ctx, c.Param("id"))
	if herald.IsNotFound(err) {
		// Same answer as a bad signature: do not tell which sources exist.
		writeProblem(c, http.StatusUnauthorized, "the Signature header does not match", nil)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if !signature.VerifyPerscom(src.Secret, body, c.GetHeader("Signature")) {
		writeProblem(c, http.StatusUnauthorized, "the Signature header does not match", nil)
		return
	}
	env, shape, ok := readEnvelope(body)
	if !ok {
		s.fail(c, &httpError{http.StatusBadRequest, "malformed JSON: the body must be a PERSCOM webhook envelope"})
		return
	}
	req, err := checkEvent(&eventInput{Event: env.Event, Data: env.Data, Changes: env.Changes})
	if err := joinShape(shape, err); err != nil {
		s.fail(c, err)
		return
	}
	sum := sha256.Sum256(body)
	// The same body from the same source is the same event (a PERSCOM
	// retry); POST /v1/events refuses ids with this prefix.
	req.ClientID = ingestIDPrefix + src.ID + ":" + hex.EncodeToString(sum[:16])
	// SPEC §4: the trace ID of an incoming traceparent header; else the
	// one PERSCOM put in its envelope; else Publish makes one.
	req.TraceID = traceID(c.GetHeader("traceparent"))
	if req.TraceID == "" {
		req.TraceID = validTraceID(env.TraceID)
	}
	ev, existed, err := s.Publisher.Publish(ctx, req)
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
