// Package store declares the persistence contract of Herald. Implementations
// live in subpackages (sqlite, and later postgres) and must pass the
// conformance suite in storetest.
package store

import (
	"context"
	"time"

	"github.com/heraldhub/herald"
)

// Page asks for one page of a list. Cursor is the opaque NextCursor of the
// previous page, empty for the first page. Limit is already validated
// (1..200) by the caller.
type Page struct {
	Limit  int
	Cursor string
}

// CreateEventRequest stores an event together with its pending deliveries in
// one transaction.
type CreateEventRequest struct {
	Event      *herald.Event
	Deliveries []*herald.Delivery
}

// EventFilter selects events for ListEvents. Zero fields do not filter.
type EventFilter struct {
	Name  string
	Since time.Time
	Page  Page
}

// LogFilter selects log entries. TargetType and TargetID, when set, restrict
// to one webhook or connector. Status is "", "success" or "failure".
// AfterID, when set, returns only entries with a larger ID, oldest first
// (used by the live stream); otherwise entries are returned newest first.
type LogFilter struct {
	TargetType string
	TargetID   string
	Status     string
	Event      string
	Since      time.Time
	AfterID    string
	Page       Page
}

// AttemptRecord is the outcome of one delivery attempt: its log entry and
// the delivery's new state, written together.
type AttemptRecord struct {
	Log        *herald.LogEntry
	Status     string // herald.StatusPending, StatusSucceeded or StatusFailed
	StatusCode *int
	Error      *string
}

// Store is everything Herald persists. Methods return *herald.Error with
// code not_found for missing rows and conflict for unique violations; other
// errors are internal. All methods are safe for concurrent use.
type Store interface {
	CreateWebhook(ctx context.Context, w *herald.Webhook) error
	GetWebhook(ctx context.Context, id string) (*herald.Webhook, error)
	// ListWebhooks returns webhooks by ascending ID and the next cursor
	// ("" when this is the last page).
	ListWebhooks(ctx context.Context, p Page) ([]*herald.Webhook, string, error)
	// ListEnabledWebhooks returns every enabled webhook by ascending ID.
	ListEnabledWebhooks(ctx context.Context) ([]*herald.Webhook, error)
	// UpdateWebhook replaces every stored field of w.ID (except CreatedAt).
	UpdateWebhook(ctx context.Context, w *herald.Webhook) error
	DeleteWebhook(ctx context.Context, id string) error

	// CreateEvent stores an event and its deliveries atomically. If an event
	// with the same non-empty ClientID exists, nothing is written and that
	// event is returned with existed=true.
	CreateEvent(ctx context.Context, r CreateEventRequest) (ev *herald.Event, existed bool, err error)
	GetEvent(ctx context.Context, id string) (*herald.Event, error)
	// DeleteEvent removes an event and its deliveries (used when its
	// workflow could not be started and the publisher gave no ClientID).
	DeleteEvent(ctx context.Context, id string) error
	// ListEvents returns events newest first.
	ListEvents(ctx context.Context, f EventFilter) ([]*herald.Event, string, error)

	GetDelivery(ctx context.Context, id string) (*herald.Delivery, error)
	// ListDeliveries returns an event's deliveries by ascending target ID.
	ListDeliveries(ctx context.Context, eventID string) ([]*herald.Delivery, error)
	// RecordAttempt inserts rec.Log (when not nil), increments the
	// delivery's attempt count when a log is given, and sets its status,
	// last status code and last error.
	RecordAttempt(ctx context.Context, deliveryID string, rec AttemptRecord) error

	GetLog(ctx context.Context, id string) (*herald.LogEntry, error)
	ListLogs(ctx context.Context, f LogFilter) ([]*herald.LogEntry, string, error)

	CreateAPIKey(ctx context.Context, k *herald.APIKey) error
	// GetAPIKeyByHash finds a key by the hex SHA-256 of its secret.
	GetAPIKeyByHash(ctx context.Context, hash string) (*herald.APIKey, error)
	ListAPIKeys(ctx context.Context, p Page) ([]*herald.APIKey, string, error)
	DeleteAPIKey(ctx context.Context, id string) error
	// CountAPIKeys tells whether any key exists (for bootstrap).
	CountAPIKeys(ctx context.Context) (int, error)

	Ping(ctx context.Context) error
	Close() error
}
