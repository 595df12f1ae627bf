package api

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/connectors"
	"github.com/heraldhub/herald/envelope"
	"github.com/heraldhub/herald/store"
)

// ConnectorStore is the connector part of the store.
type ConnectorStore interface {
	CreateConnector(ctx context.Context, c *herald.Connector) error
	GetConnector(ctx context.Context, id string) (*herald.Connector, error)
	ListConnectors(ctx context.Context, p store.Page) ([]*herald.Connector, string, error)
	UpdateConnector(ctx context.Context, c *herald.Connector) error
	DeleteConnector(ctx context.Context, id string) error
}

// ConnectorKind validates and masks one chat service's configuration.
type ConnectorKind interface {
	Validate(config json.RawMessage) []connectors.ConfigError
	Mask(config json.RawMessage) json.RawMessage
}

// adminURLs is implemented by connector kinds whose config holds URLs an
// admin chose (a Slack webhook_url): AdminURLs returns them by config
// field. They are refused on private addresses as webhook URLs are.
type adminURLs interface {
	AdminURLs(config json.RawMessage) map[string]string
}

// ConnectorTester sends one message through a connector now.
type ConnectorTester interface {
	TestConnector(ctx context.Context, c *herald.Connector, event string, data []byte) (*herald.LogEntry, error)
}

// TemplateChecker validates a connector's templates and returns an error
// message per bad event name.
type TemplateChecker func(templates map[string]string) map[string]string

const maxTemplates = 50

type connectorInput struct {
	Kind      *string            `json:"kind"`
	Name      *string            `json:"name"`
	Events    *[]json.RawMessage `json:"events"`
	Enabled   *bool              `json:"enabled"`
	Config    json.RawMessage    `json:"config"`
	Templates *map[string]string `json:"templates"`
}

// connectorView is a connector as reads show it: config masked.
type connectorView struct {
	*herald.Connector
	Config json.RawMessage `json:"config"`
}

func (s *Server) view(c *herald.Connector) connectorView {
	v := connectorView{Connector: c, Config: json.RawMessage(`{}`)}
	if k, ok := s.Kinds[c.Kind]; ok {
		v.Config = k.Mask(c.Config)
	}
	if c.Templates == nil {
		c.Templates = map[string]string{}
	}
	return v
}

func (s *Server) createConnector(c *gin.Context) {
	var in connectorInput
	shape, err := s.decodeFields(c, &in, false)
	if err != nil {
		s.fail(c, err)
		return
	}
	now := herald.Now()
	con := &herald.Connector{ID: herald.NewID(herald.PrefixConnector), Enabled: true, CreatedAt: now, UpdatedAt: now}
	if err := joinShape(shape, s.applyConnector(c.Request.Context(), con, &in, true)); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.Connectors.CreateConnector(c.Request.Context(), con); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, s.view(con))
}

func (s *Server) listConnectors(c *gin.Context) {
	p, err := page(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	list, next, err := s.Connectors.ListConnectors(c.Request.Context(), p)
	if err != nil {
		s.fail(c, err)
		return
	}
	views := make([]connectorView, len(list))
	for i, con := range list {
		views[i] = s.view(con)
	}
	c.JSON(http.StatusOK, listResponse(views, next))
}

func (s *Server) getConnector(c *gin.Context) {
	con, err := s.Connectors.GetConnector(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, s.view(con))
}

func (s *Server) patchConnector(c *gin.Context) {
	ctx, id := c.Request.Context(), c.Param("id")
	con, err := s.Connectors.GetConnector(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	var in connectorInput
	shape, err := s.decodeFields(c, &in, false)
	if err != nil {
		s.fail(c, err)
		return
	}
	if shape != nil {
		// Nothing is written: checking the rest only completes the list.
		s.fail(c, joinShape(shape, s.applyConnector(ctx, con, &in, false)))
		return
	}
	get := func(ctx context.Context) (*herald.Connector, error) { return s.Connectors.GetConnector(ctx, id) }
	con, err = edit(ctx, con, get, func(con *herald.Connector) error {
		wasEnabled := con.Enabled
		if err := s.applyConnector(ctx, con, &in, false); err != nil {
			return err
		}
		if con.Enabled && !wasEnabled {
			con.DisabledReason = nil // the store resets the failure count
		}
		return nil
	}, s.Connectors.UpdateConnector)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, s.view(con))
}

func (s *Server) deleteConnector(c *gin.Context) {
	if err := s.Connectors.DeleteConnector(c.Request.Context(), c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) testConnector(c *gin.Context) {
	con, err := s.Connectors.GetConnector(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	event, data, err := s.testRequest(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	entry, err := s.ConnectorTester.TestConnector(c.Request.Context(), con, event, data)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, entry)
}

func (s *Server) connectorLogs(c *gin.Context) {
	_, err := s.Connectors.GetConnector(c.Request.Context(), c.Param("id"))
	if err = s.logsKept(c, herald.TargetConnector, err); err != nil {
		s.fail(c, err)
		return
	}
	f, err := logFilter(c, herald.TargetConnector, c.Param("id"))
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

// applyConnector validates in and copies it onto con, one error per bad
// field. A changed kind needs a config valid for the new kind.
func (s *Server) applyConnector(ctx context.Context, con *herald.Connector, in *connectorInput, create bool) error {
	var errs []herald.FieldError
	var lookupErr error // a 503, for a body without field errors
	if in.Kind == nil && create {
		errs = append(errs, field("kind", "is required"))
	}
	if in.Kind != nil {
		if _, ok := s.Kinds[*in.Kind]; !ok {
			errs = append(errs, field("kind", "must be one of "+strings.Join(slices.Sorted(maps.Keys(s.Kinds)), ", ")))
		}
		con.Kind = *in.Kind
	}
	if in.Name == nil && create {
		errs = append(errs, field("name", "is required"))
	}
	if in.Name != nil {
		if n := utf8.RuneCountInString(*in.Name); n == 0 || n > 200 {
			errs = append(errs, field("name", "must be 1 to 200 characters"))
		}
		con.Name = *in.Name
	}
	if in.Events == nil && create {
		errs = append(errs, field("events", "is required"))
	}
	if in.Events != nil {
		events, bad := parseEvents(*in.Events)
		errs = append(errs, bad...)
		con.Events = events
	}
	if in.Enabled != nil {
		con.Enabled = *in.Enabled
	}
	config := in.Config
	if len(config) == 0 && create {
		errs = append(errs, field("config", "is required"))
	}
	textOK := true
	if len(config) > 0 {
		con.Config = config
		bad := configText(config)
		errs = append(errs, bad...)
		textOK = len(bad) == 0
	}
	if k, ok := s.Kinds[con.Kind]; ok && textOK && len(con.Config) > 0 && (len(config) > 0 || in.Kind != nil) {
		bad := k.Validate(con.Config)
		for _, e := range bad {
			path := "config"
			if e.Field != "" {
				path = memberPath(path, e.Field)
			}
			errs = append(errs, field(path, e.Message))
		}
		if urls, ok := k.(adminURLs); ok && len(bad) == 0 && !s.AllowPrivateTargets && s.Guard != nil {
			for name, raw := range urls.AdminURLs(con.Config) {
				if u, err := url.Parse(raw); err == nil {
					msg, err := s.checkHost(ctx, u.Hostname())
					if err != nil {
						lookupErr = err
					}
					if msg != "" {
						errs = append(errs, field(memberPath("config", name), msg))
					}
				}
			}
		}
	}
	if in.Templates != nil {
		errs = append(errs, s.checkTemplates(*in.Templates)...)
		con.Templates = *in.Templates
	}
	if len(errs) > 0 {
		return invalid(errs...)
	}
	return lookupErr
}

func (s *Server) checkTemplates(t map[string]string) []herald.FieldError {
	if len(t) > maxTemplates {
		return []herald.FieldError{field("templates", fmt.Sprintf("must have at most %d entries", maxTemplates))}
	}
	if s.CheckTemplates == nil {
		return nil
	}
	bad := s.CheckTemplates(t)
	var errs []herald.FieldError
	for _, name := range slices.Sorted(maps.Keys(bad)) {
		errs = append(errs, field(memberPath("templates", name), bad[name]))
	}
	return errs
}

// configText names the members of a connector config given twice or
// holding text that decoding would not keep as sent. The kinds read a
// config with encoding/json, which keeps the last of a repeated key and
// turns such text into U+FFFD: a channel or token other than the one sent.
// Checked here, on what an admin sends, not where a stored config is read
// for a send.
func configText(config json.RawMessage) []herald.FieldError {
	members, repeated, err := envelope.Members(config)
	if err != nil {
		return nil // the kind's own check says it is no object
	}
	var errs []herald.FieldError
	for _, name := range slices.Sorted(maps.Keys(members)) {
		if repeated[name] {
			errs = append(errs, field(memberPath("config", name), repeatedKey))
		} else if err := envelope.CheckText(members[name]); err != nil {
			errs = append(errs, field(memberPath("config", name), err.Error()))
		}
	}
	return errs
}
