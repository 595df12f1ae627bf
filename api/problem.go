package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/heraldhub/herald"
)

// problem is an RFC 9457 problem details document.
type problem struct {
	Type   string              `json:"type"`
	Title  string              `json:"title"`
	Status int                 `json:"status"`
	Detail string              `json:"detail"`
	Errors []herald.FieldError `json:"errors,omitempty"`
}

var statusOf = map[string]int{
	herald.EInvalid:      http.StatusUnprocessableEntity,
	herald.ENotFound:     http.StatusNotFound,
	herald.EConflict:     http.StatusConflict,
	herald.EUnauthorized: http.StatusUnauthorized,
	herald.EForbidden:    http.StatusForbidden,
	herald.EUnavailable:  http.StatusServiceUnavailable,
}

// writeProblem sends status with a problem document.
func writeProblem(c *gin.Context, status int, detail string, fields []herald.FieldError) {
	p := problem{
		Type:   "about:blank",
		Title:  http.StatusText(status),
		Status: status,
		Detail: detail,
		Errors: fields,
	}
	c.Header("Content-Type", "application/problem+json")
	c.AbortWithStatusJSON(status, p)
}

// fail maps err to a problem. Application errors show their message; any
// other error is logged once here and answered with a generic 500.
func (s *Server) fail(c *gin.Context, err error) {
	var e *herald.Error
	if errors.As(err, &e) {
		if status, ok := statusOf[e.Code]; ok {
			writeProblem(c, status, e.Message, e.Fields)
			return
		}
	}
	var he *httpError
	if errors.As(err, &he) {
		writeProblem(c, he.status, he.detail, nil)
		return
	}
	s.log.ErrorContext(c.Request.Context(), "request failed",
		slog.String("method", c.Request.Method), slog.String("route", c.FullPath()), slog.Any("error", err))
	writeProblem(c, http.StatusInternalServerError, "internal error", nil)
}

// problemDetail is the text fail would show a client for err: an
// application or HTTP error's own message, else "internal error".
func problemDetail(err error) string {
	var e *herald.Error
	if errors.As(err, &e) {
		return e.Message
	}
	var he *httpError
	if errors.As(err, &he) {
		return he.detail
	}
	return "internal error"
}

// httpError carries a status that has no application error code (400, 413,
// 415, 503).
type httpError struct {
	status int
	detail string
}

func (e *httpError) Error() string { return e.detail }

func invalid(fields ...herald.FieldError) error {
	msg := "the request has invalid fields"
	if len(fields) == 1 {
		msg = fields[0].Field + ": " + fields[0].Message
	}
	return &herald.Error{Code: herald.EInvalid, Message: msg, Fields: fields}
}

// invalidIf is invalid(fields...), or nil when there are none.
func invalidIf(fields []herald.FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	return invalid(fields...)
}

func field(name, msg string) herald.FieldError { return herald.FieldError{Field: name, Message: msg} }
