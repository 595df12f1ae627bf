// Package herald holds Herald's domain types: webhooks, events, deliveries,
// request log entries, and the one application error type every layer uses.
package herald

import (
	"encoding/json"
	"time"
)

// Version is sent in the User-Agent header of every delivery.
const Version = "0.1.0"

// Target types of a delivery.
const (
	TargetWebhook   = "webhook"
	TargetConnector = "connector"
)

// Delivery statuses.
const (
	StatusPending   = "pending"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
)

// Scopes of an API key. ScopeAdmin implies every other scope.
const (
	ScopeManageWebhook = "manage:webhook"
	ScopePublishEvent  = "publish:event"
	ScopeViewLog       = "view:log"
	ScopeAdmin         = "admin"
)

// RetrySettings is a webhook's retry policy as users write it (SPEC §5).
type RetrySettings struct {
	InitialIntervalSeconds int     `json:"initial_interval_seconds"`
	BackoffCoefficient     float64 `json:"backoff_coefficient"`
	MaxIntervalSeconds     int     `json:"max_interval_seconds"`
	MaxAgeSeconds          int     `json:"max_age_seconds"`
	MaxAttempts            int     `json:"max_attempts"`
}

// DefaultRetry is the policy of a webhook that names none.
var DefaultRetry = RetrySettings{
	InitialIntervalSeconds: 5,
	BackoffCoefficient:     2,
	MaxIntervalSeconds:     3600,
	MaxAgeSeconds:          86400,
	MaxAttempts:            0,
}

// Now is the current time as Herald records it: UTC, to the microsecond.
// PostgreSQL keeps no more, so an API answer, a later read of the same
// record and the webhook envelope's created all show the same instant
// whichever store holds it.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Webhook is a registered receiver. Secret is never serialised by this type;
// the API adds it to the one response that may show it.
type Webhook struct {
	ID     string   `json:"id"`
	URL    string   `json:"url"`
	Method string   `json:"method"`
	Events []string `json:"events"`
	Secret string   `json:"-"`
	// PreviousSecret is the secret a rotation replaced; it keeps signing
	// webhook-signature until PreviousSecretExpiresAt.
	PreviousSecret          string            `json:"-"`
	PreviousSecretExpiresAt *time.Time        `json:"-"`
	Description             string            `json:"description"`
	Enabled                 bool              `json:"enabled"`
	Headers                 map[string]string `json:"headers"`
	TimeoutSeconds          int               `json:"timeout_seconds"`
	Retry                   RetrySettings     `json:"retry"`
	RateLimitPerSecond      int               `json:"rate_limit_per_second"`
	DisabledReason          *string           `json:"disabled_reason"`
	ConsecutiveFailures     int               `json:"-"`
	CreatedAt               time.Time         `json:"created_at"`
	UpdatedAt               time.Time         `json:"updated_at"`
}

// SigningSecrets returns the secrets that sign a request at now: the
// current one first, then the previous one while it has not expired.
func (w *Webhook) SigningSecrets(now time.Time) []string {
	secrets := []string{w.Secret}
	if w.PreviousSecret != "" && w.PreviousSecretExpiresAt != nil && now.Before(*w.PreviousSecretExpiresAt) {
		secrets = append(secrets, w.PreviousSecret)
	}
	return secrets
}

// Event is one published change. ClientID is the idempotency key the
// publisher chose (empty when it chose none).
type Event struct {
	ID         string          `json:"id"`
	ClientID   string          `json:"-"`
	Name       string          `json:"event"`
	Created    time.Time       `json:"created"`
	TraceID    string          `json:"trace_id"`
	Data       json.RawMessage `json:"data"`
	Changes    json.RawMessage `json:"changes"`
	WorkflowID string          `json:"workflow_id"`
}

// IsTest reports whether e was made by a test send (POST
// /v1/webhooks/{id}/test and the connector one), which runs outside any
// workflow and so has no workflow ID.
func (e *Event) IsTest() bool { return e.WorkflowID == "" }

// Delivery is one event going to one target.
type Delivery struct {
	ID             string    `json:"id"`
	EventID        string    `json:"event_id"`
	TargetType     string    `json:"target_type"`
	TargetID       string    `json:"target_id"`
	Status         string    `json:"status"`
	Attempts       int       `json:"attempts"`
	LastStatusCode *int      `json:"last_status_code"`
	LastError      *string   `json:"last_error"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	// Generation moves on each time a redelivery reopens the delivery.
	// An attempt planned for an earlier generation (an event workflow
	// still in backoff when the delivery was stopped and then reopened)
	// finds it changed and stops instead of sending.
	Generation int `json:"-"`
}

// LogRequest is the request half of a log entry. Note, when set, says
// something about how the request was built (for example that a connector
// template failed and the default text was sent instead).
type LogRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	Note    string            `json:"note,omitempty"`
}

// LogResponse is the response half of a log entry.
type LogResponse struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// LogEntry records one HTTP request Herald made for a delivery (SPEC §7).
type LogEntry struct {
	ID         string       `json:"id"`
	DeliveryID string       `json:"delivery_id"`
	EventID    string       `json:"event_id"`
	Event      string       `json:"event"`
	TargetType string       `json:"target_type"`
	TargetID   string       `json:"target_id"`
	Attempt    int          `json:"attempt"`
	Request    LogRequest   `json:"request"`
	Response   *LogResponse `json:"response"`
	DurationMS int64        `json:"duration_ms"`
	Error      *string      `json:"error"`
	CreatedAt  time.Time    `json:"created_at"`
}

// Succeeded reports whether the logged request got a 2xx answer.
func (l *LogEntry) Succeeded() bool {
	return l.Error == nil && l.Response != nil && l.Response.Status >= 200 && l.Response.Status < 300
}

// APIKey is a stored API key; only its hash is kept.
type APIKey struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Scopes    []string  `json:"scopes"`
	Hash      string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
}

// Allows reports whether the key grants scope.
func (k *APIKey) Allows(scope string) bool {
	for _, s := range k.Scopes {
		if s == scope || s == ScopeAdmin {
			return true
		}
	}
	return false
}

// Connector is a chat target (SPEC §8). Config holds the service's tokens
// or webhook URL and is never serialised by this type; the API shows a
// masked copy.
type Connector struct {
	ID                  string            `json:"id"`
	Kind                string            `json:"kind"`
	Name                string            `json:"name"`
	Events              []string          `json:"events"`
	Enabled             bool              `json:"enabled"`
	Config              json.RawMessage   `json:"-"`
	Templates           map[string]string `json:"templates"`
	DisabledReason      *string           `json:"disabled_reason"`
	ConsecutiveFailures int               `json:"-"`
	CreatedAt           time.Time         `json:"created_at"`
	UpdatedAt           time.Time         `json:"updated_at"`
}

// Source is a system that sends events to Herald as PERSCOM sends
// webhooks (SPEC §3): POST /ingest/{id}, signed with Secret.
type Source struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Secret    string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
}
