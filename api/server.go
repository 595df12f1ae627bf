// Package api is Herald's HTTP API: a Gin router, its handlers, auth and
// scope checks, and the mapping of errors to RFC 9457 problem documents.
package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/heraldhub/herald/metrics"
)

// Checker reports whether a dependency is reachable (for /readyz).
type Checker interface {
	Check(ctx context.Context) error
}

// CheckFunc adapts a function to Checker.
type CheckFunc func(ctx context.Context) error

// Check calls f.
func (f CheckFunc) Check(ctx context.Context) error { return f(ctx) }

// HostChecker refuses hosts that resolve to non-public addresses.
type HostChecker interface {
	CheckHost(ctx context.Context, host string) error
}

// Deps are the services the API needs. Every field is required except
// AdminKey and Ready.
type Deps struct {
	Webhooks  WebhookStore
	Events    EventReader
	Logs      LogReader
	Keys      KeyStore
	Publisher Publisher
	Tester    Tester
	// Connectors, Kinds (by kind name), ConnectorTester and CheckTemplates
	// serve /v1/connectors.
	Sources         SourceStore
	Deliveries      DeliveryStore
	Redeliverer     Redeliverer
	Connectors      ConnectorStore
	Kinds           map[string]ConnectorKind
	ConnectorTester ConnectorTester
	CheckTemplates  TemplateChecker
	// AdminKey, when set, is accepted as a key with the admin scope.
	AdminKey string
	// Ready lists the checks of /readyz by name.
	Ready map[string]Checker
	// Guard refuses webhook URLs whose host is not public, unless
	// AllowPrivateTargets is set.
	Guard               HostChecker
	AllowPrivateTargets bool
	// Dashboard, when set, is served at /dashboard/ (and / redirects there).
	Dashboard http.Handler
	// Metrics, when set, counts requests and serves GET /metrics.
	Metrics *metrics.Metrics
	// StreamPoll is how often the live log stream looks for new entries
	// (default 200ms).
	StreamPoll time.Duration
	// BodyReadTimeout bounds reading a request body (default 30s).
	BodyReadTimeout time.Duration
	// StreamWriteTimeout is how long the live log stream waits for a
	// client to take one batch before it gives up on it (default 10s).
	StreamWriteTimeout time.Duration
	// Stopping, when closed, ends the live log streams, so that a graceful
	// shutdown does not wait for clients that never hang up.
	Stopping <-chan struct{}
	Logger   *slog.Logger
}

// Server holds the handlers' dependencies.
type Server struct {
	Deps
	keys      KeyFinder
	adminHash string
	log       *slog.Logger
}

// New returns the API's http.Handler.
func New(d Deps) http.Handler {
	if d.StreamPoll == 0 {
		d.StreamPoll = 200 * time.Millisecond
	}
	if d.BodyReadTimeout == 0 {
		d.BodyReadTimeout = 30 * time.Second
	}
	if d.StreamWriteTimeout == 0 {
		d.StreamWriteTimeout = 10 * time.Second
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{Deps: d, keys: d.Keys, log: d.Logger}
	if d.AdminKey != "" {
		s.adminHash = HashKey(d.AdminKey)
	}
	return HeadAsGet(s.routes())
}

func (s *Server) routes() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// A path with a trailing slash is no route (a problem+json 404), not
	// an HTML redirect to the path without it.
	r.RedirectTrailingSlash = false
	// count outside recover: a handler's panic is counted as the 500 that
	// recover answers, not lost as it unwinds past count.
	r.Use(s.count, s.recover, textParams)
	r.NoRoute(func(c *gin.Context) { writeProblem(c, http.StatusNotFound, "no such route", nil) })
	r.NoMethod(func(c *gin.Context) {
		// gin lists the route's methods in Allow; HeadAsGet adds HEAD
		// wherever there is GET.
		if allow := c.Writer.Header().Get("Allow"); slices.Contains(strings.Split(allow, ", "), http.MethodGet) {
			c.Header("Allow", allow+", "+http.MethodHead)
		}
		writeProblem(c, http.StatusMethodNotAllowed, "method not allowed on this route", nil)
	})

	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", gin.WrapH(Ready(s.Ready, s.log)))
	r.GET("/openapi.json", func(c *gin.Context) { c.Data(http.StatusOK, "application/json", OpenAPI()) })
	if s.Dashboard != nil {
		r.GET("/", func(c *gin.Context) { c.Redirect(http.StatusFound, "/dashboard/") })
		r.GET("/dashboard", func(c *gin.Context) { c.Redirect(http.StatusFound, "/dashboard/") })
		r.GET("/dashboard/*filepath", gin.WrapH(http.StripPrefix("/dashboard", s.Dashboard)))
	}
	if s.Metrics != nil {
		r.GET("/metrics", gin.WrapH(s.Metrics.Handler()))
	}

	r.POST("/ingest/:id", s.ingest)

	v1 := r.Group("/v1", s.authenticate)
	manage := v1.Group("", require("manage:webhook"))
	manage.POST("/webhooks", s.createWebhook)
	manage.GET("/webhooks", s.listWebhooks)
	manage.GET("/webhooks/:id", s.getWebhook)
	manage.PATCH("/webhooks/:id", s.patchWebhook)
	manage.DELETE("/webhooks/:id", s.deleteWebhook)
	manage.GET("/webhooks/:id/secret", s.revealSecret)
	manage.POST("/webhooks/:id/rotate-secret", s.rotateSecret)
	manage.POST("/webhooks/:id/recover", s.recoverWebhook)
	manage.POST("/deliveries/:id/retry", s.retryDelivery)
	manage.POST("/sources", s.createSource)
	manage.GET("/sources", s.listSources)
	manage.GET("/sources/:id", s.getSource)
	manage.DELETE("/sources/:id", s.deleteSource)
	manage.POST("/webhooks/:id/test", s.testWebhook)
	manage.POST("/connectors", s.createConnector)
	manage.GET("/connectors", s.listConnectors)
	manage.GET("/connectors/:id", s.getConnector)
	manage.PATCH("/connectors/:id", s.patchConnector)
	manage.DELETE("/connectors/:id", s.deleteConnector)
	manage.POST("/connectors/:id/test", s.testConnector)

	v1.POST("/events", require("publish:event"), s.publishEvent)

	// The catalog is what every key needs: event names to subscribe to,
	// to publish, and to read logs by.
	v1.GET("/event-types", s.eventTypes)

	view := v1.Group("", require("view:log"))
	view.GET("/events", s.listEvents)
	view.GET("/events/:id", s.getEvent)
	view.GET("/webhooks/:id/logs", s.webhookLogs)
	view.GET("/webhooks/:id/logs/stream", s.streamLogs)
	view.GET("/connectors/:id/logs", s.connectorLogs)
	view.GET("/logs/:id", s.getLog)

	admin := v1.Group("", require("admin"))
	admin.POST("/api-keys", s.createKey)
	admin.GET("/api-keys", s.listKeys)
	admin.DELETE("/api-keys/:id", s.deleteKey)
	return r
}

// recover turns a handler panic into a logged 500 problem.
func (s *Server) recover(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			s.log.ErrorContext(c.Request.Context(), "handler panicked", "route", c.FullPath(), "panic", v)
			writeProblem(c, http.StatusInternalServerError, "internal error", nil)
		}
	}()
	c.Next()
}

// count records each request by route template once it is answered.
func (s *Server) count(c *gin.Context) {
	c.Next()
	s.Metrics.Request(c.FullPath(), requestMethod(c.Request), c.Writer.Status())
}

// Ready serves GET /readyz (SPEC §1): 200 when every check passes, else
// 503, with each check's state by name. The API serves it, and so does a
// worker-only process.
func Ready(checks map[string]Checker, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		status := http.StatusOK
		states := map[string]string{}
		for name, chk := range checks {
			if err := chk.Check(ctx); err != nil {
				log.Warn("readiness check failed", "check", name, "error", err)
				status = http.StatusServiceUnavailable
				states[name] = "unavailable"
				continue
			}
			states[name] = "ok"
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"checks": states})
	})
}
