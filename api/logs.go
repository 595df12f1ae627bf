package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

// LogReader reads the request log.
type LogReader interface {
	GetLog(ctx context.Context, id string) (*herald.LogEntry, error)
	ListLogs(ctx context.Context, f store.LogFilter) ([]*herald.LogEntry, string, error)
	LastLogID(ctx context.Context, targetType, targetID string) (string, error)
}

// logFilter reads the query filters of a log list.
func logFilter(c *gin.Context, targetType, targetID string) (store.LogFilter, error) {
	f := store.LogFilter{TargetType: targetType, TargetID: targetID, Event: c.Query("event"), Status: c.Query("status")}
	var statusErr, sinceErr, pageErr error
	if f.Status != "" && f.Status != "success" && f.Status != "failure" {
		statusErr = invalid(field("status", "must be success or failure"))
	}
	f.Since, sinceErr = since(c)
	f.Page, pageErr = page(c)
	return f, collect(statusErr, sinceErr, pageErr)
}

func (s *Server) webhookLogs(c *gin.Context) {
	_, err := s.Webhooks.GetWebhook(c.Request.Context(), c.Param("id"))
	if err = s.logsKept(c, herald.TargetWebhook, err); err != nil {
		s.fail(c, err)
		return
	}
	f, err := logFilter(c, herald.TargetWebhook, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	list, next, err := s.Logs.ListLogs(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listResponse(list, next))
}

// logsKept is the error of a target's lookup for a list of its log: a
// deleted target's entries are kept, so a target that is gone but has
// entries lists them; one that never had any is not found.
func (s *Server) logsKept(c *gin.Context, targetType string, lookup error) error {
	if !herald.IsNotFound(lookup) {
		return lookup
	}
	last, err := s.Logs.LastLogID(c.Request.Context(), targetType, c.Param("id"))
	if err != nil {
		return err
	}
	if last == "" {
		return lookup
	}
	return nil
}

func (s *Server) getLog(c *gin.Context) {
	entry, err := s.Logs.GetLog(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, entry)
}

// beforeAllLogs is a well-formed log ID that no entry has and that sorts
// before every entry's: as a stream's position (store.LogFilter.AfterID) it
// means "from the first entry".
var beforeAllLogs = herald.PrefixLog + strings.Repeat("0", 32)

// streamPage is how many entries one poll of the live stream reads.
const streamPage = 100

// streamLogs sends a webhook's new log entries as server-sent events. It
// polls the store, so entries written by any worker process appear, and
// resumes after Last-Event-ID when a client reconnects.
func (s *Server) streamLogs(c *gin.Context) {
	ctx := c.Request.Context()
	id := c.Param("id")
	if _, err := s.Webhooks.GetWebhook(ctx, id); err != nil {
		s.fail(c, err)
		return
	}
	// A Last-Event-ID that is not a log ID is ignored: it would sort
	// anywhere, replaying the whole history or hiding every new entry.
	after := c.GetHeader("Last-Event-ID")
	if !herald.ValidID(herald.PrefixLog, after) {
		// Start from now: after the entry recorded last.
		last, err := s.Logs.LastLogID(ctx, herald.TargetWebhook, id)
		if err != nil {
			s.fail(c, err)
			return
		}
		after = last
		if after == "" {
			after = beforeAllLogs
		}
	}
	w := c.Writer
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// Each batch must reach the client within StreamWriteTimeout: a client
	// that stops reading would otherwise hold this handler, and a graceful
	// shutdown, for as long as it likes.
	rc := http.NewResponseController(w)
	// The connection may serve another request after this one.
	defer func() { _ = rc.SetWriteDeadline(time.Time{}) }()
	send := func(text string) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(s.StreamWriteTimeout))
		if _, err := io.WriteString(w, text); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	// The first message names the starting point (an id without data
	// dispatches nothing), so a client that reconnects before any entry
	// came resumes from there instead of from a later "now".
	if !send(": stream of new log entries\nid: " + after + "\n\n") {
		return
	}

	keyValid := s.keyStillValid(c)
	tick := time.NewTicker(s.StreamPoll)
	defer tick.Stop()
	lastWrite := time.Now()
	more := false // the last poll filled its page: poll again at once
	now := make(chan time.Time)
	close(now)
	for {
		// After a full page the next poll runs at once, but a closing
		// client or server still ends the stream between pages.
		wait := tick.C
		if more {
			wait = now
		}
		select {
		case <-ctx.Done():
			return
		case <-s.Stopping:
			return
		case <-wait:
		}
		entries, _, err := s.Logs.ListLogs(ctx, store.LogFilter{
			TargetType: herald.TargetWebhook, TargetID: id, AfterID: after, Page: store.Page{Limit: streamPage},
		})
		more = len(entries) == streamPage
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("log stream poll", "webhook_id", id, "error", err)
			}
			return
		}
		var batch strings.Builder
		for _, e := range entries {
			b, _ := json.Marshal(e)
			fmt.Fprintf(&batch, "id: %s\nevent: log\ndata: %s\n\n", e.ID, b)
			after = e.ID
		}
		if len(entries) == 0 {
			if time.Since(lastWrite) <= 15*time.Second {
				continue
			}
			batch.WriteString(": keep-alive\n\n")
		}
		if !keyValid(ctx) || !send(batch.String()) {
			return
		}
		lastWrite = time.Now()
		if !s.webhookExists(ctx, id) {
			return // after sending what its last poll read
		}
	}
}

// webhookExists reports, after each write to a stream, whether its
// webhook still exists: a stream ends with its webhook, whose log can no
// longer be listed, instead of sending keep-alives for ever. A passing
// store error is not a deletion.
func (s *Server) webhookExists(ctx context.Context, id string) bool {
	_, err := s.Webhooks.GetWebhook(ctx, id)
	return !herald.IsNotFound(err)
}

// keyStillValid returns a check, run before each write to a stream, that
// the stored API key that authenticated c has not been deleted since: a
// stream must not outlive the key that opened it. The configured admin key
// lives as long as the process.
func (s *Server) keyStillValid(c *gin.Context) func(context.Context) bool {
	v, _ := c.Get(keyContext)
	opened, _ := v.(*herald.APIKey)
	if opened == nil || opened.ID == "admin" {
		return func(context.Context) bool { return true }
	}
	hash := c.GetString(keyHashContext)
	return func(ctx context.Context) bool {
		key, err := s.keys.GetAPIKeyByHash(ctx, hash)
		if err != nil && !herald.IsNotFound(err) {
			return true // a passing store error is not a revocation
		}
		return err == nil && key.ID == opened.ID
	}
}
