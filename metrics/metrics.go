// Package metrics holds Herald's Prometheus metrics. Labels are bounded and
// never carry IDs, URLs, secrets or tokens: event names (from the catalog),
// target types, outcomes, routes and status codes.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics records what Herald does. A nil *Metrics records nothing, so
// components can take one optionally. Safe for concurrent use.
type Metrics struct {
	reg       *prometheus.Registry
	published *prometheus.CounterVec
	attempts  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	requests  *prometheus.CounterVec
}

// New returns metrics registered on a fresh registry, with the Go runtime
// and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_events_published_total", Help: "Events accepted for delivery, by event name.",
		}, []string{"event"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_delivery_attempts_total", Help: "Delivery attempts by target type and outcome (success, retryable, permanent).",
		}, []string{"target_type", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "herald_delivery_attempt_duration_seconds", Help: "Duration of delivery attempts' HTTP requests.",
			Buckets: prometheus.DefBuckets,
		}, []string{"target_type"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_http_requests_total", Help: "API requests by route template, method and status code.",
		}, []string{"route", "method", "code"}),
	}
	m.reg.MustRegister(m.published, m.attempts, m.duration, m.requests,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Published counts an accepted event.
func (m *Metrics) Published(event string) {
	if m != nil {
		m.published.WithLabelValues(event).Inc()
	}
}

// Attempt counts one delivery attempt and its request duration.
func (m *Metrics) Attempt(targetType, outcome string, d time.Duration) {
	if m != nil {
		m.attempts.WithLabelValues(targetType, outcome).Inc()
		m.duration.WithLabelValues(targetType).Observe(d.Seconds())
	}
}

// Request counts one API request by its route template (never the raw
// path, which holds IDs).
func (m *Metrics) Request(route, method string, code int) {
	if m != nil {
		if route == "" {
			route = "unmatched"
		}
		// A client may send any token as the method; each would be a new
		// series.
		switch method {
		case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
			http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		default:
			method = "other"
		}
		m.requests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	}
}
