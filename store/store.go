// Package store declares the persistence contract of Herald. Implementations
// live in subpackages (sqlite, and later postgres) and must pass the
// conformance suite in storetest.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/heraldhub/herald"
)

// Page asks for one page of a list. Cursor is the opaque NextCursor of the
// previous page, empty for the first page; a malformed cursor is invalid.
// Limit is already validated (1..200) by the caller.
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

// LogFilter selects log entries. Zero fields do not filter. TargetType and
// TargetID restrict to one webhook or connector; Event matches the event
// name; Since keeps entries created at or after it. Status is "", "success"
// (a 2xx response and no error) or "failure" (anything else); another value
// is invalid.
//
// Without AfterID, entries are returned newest (largest ID) first, a page at
// a time. AfterID is for the live stream, which polls with the ID of the
// last entry it emitted: it returns up to Page.Limit entries recorded after
// the entry AfterID, in recording order (oldest first), ignoring
// Page.Cursor, and the next cursor is always "". Recording order is commit
// order, assigned by the store: IDs cannot serve, since they are made
// before the insert commits and are ordered only to the millisecond, so an
// entry committed later may have a smaller ID. If no entry has the ID
// AfterID (it was deleted, or was never recorded here), the entries with an
// ID greater than AfterID are returned instead, in recording order.
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
// the delivery's new state, written together. Log is nil for a state-only
// update, such as marking a delivery failed after its last attempt.
//
// With a Log, the delivery's last status code and last error are set to
// StatusCode and Error as given (nil clears them). Without one, a nil
// StatusCode or Error leaves the stored value unchanged, so the code of the
// last real attempt survives; a non-nil one replaces it.
type AttemptRecord struct {
	Log        *herald.LogEntry
	Status     string // herald.StatusPending, StatusSucceeded or StatusFailed
	StatusCode *int
	Error      *string
	// Generation, when set, is the delivery generation the writer works
	// for. If a redelivery has reopened the delivery since (another
	// generation), only the log entry is stored (its request went out),
	// the delivery is left as it is, and RecordAttempt returns
	// ErrStaleGeneration.
	Generation *int
}

// ErrStaleGeneration is RecordAttempt's answer to a writer whose delivery
// a redelivery has taken over (see AttemptRecord.Generation).
var ErrStaleGeneration = errors.New("the delivery was reopened by a redelivery since")

// Store is everything Herald persists. Methods return *herald.Error with
// code not_found for missing rows, conflict for unique violations and
// invalid for bad arguments; other errors are internal. All methods are safe
// for concurrent use.
//
// Create methods fill in an empty ID (a new ID with the type's prefix) and
// zero timestamps (the current time) and write them back to the value
// passed in. Times survive a round trip to at least the microsecond.
type Store interface {
	// CreateWebhook inserts w; an existing ID is a conflict.
	CreateWebhook(ctx context.Context, w *herald.Webhook) error
	// GetWebhook returns the webhook with id, Secret and
	// ConsecutiveFailures included.
	GetWebhook(ctx context.Context, id string) (*herald.Webhook, error)
	// ListWebhooks returns webhooks by ascending ID and the next cursor
	// ("" when this is the last page).
	ListWebhooks(ctx context.Context, p Page) ([]*herald.Webhook, string, error)
	// ListEnabledWebhooks returns every enabled webhook by ascending ID.
	ListEnabledWebhooks(ctx context.Context) ([]*herald.Webhook, error)
	// TargetsVersion is a number that changes (in every process sharing
	// the store) once a webhook or connector is created or deleted, or
	// its events, enabled flag, retry settings or timeout are written.
	// While it stays the same, ListEnabledWebhooks and
	// ListEnabledConnectors return the same targets with the same events,
	// retry settings and timeouts.
	TargetsVersion(ctx context.Context) (int64, error)
	// UpdateWebhook replaces every stored field of w.ID except CreatedAt
	// and ConsecutiveFailures, but only while the stored UpdatedAt is
	// still w.UpdatedAt (the webhook is as it was read); otherwise it
	// writes nothing and returns conflict, so an edit made from a stale
	// copy can't undo a write that landed in between, such as
	// DisableWebhook. The failure count is kept, or reset to 0 when the
	// update enables a disabled webhook. It sets UpdatedAt to a time later
	// than the old one and writes the stored CreatedAt, the new UpdatedAt
	// and the count back to w. It is for whole-resource edits (PATCH); a
	// delivery worker uses DisableWebhook and CountDeliveryFailure instead.
	UpdateWebhook(ctx context.Context, w *herald.Webhook) error
	// DisableWebhook sets enabled=false and disabled_reason=reason
	// (updated_at now), leaving every other field as stored. not_found if
	// missing.
	//
	// Whatever disables a target (DisableWebhook, RecordWebhookResult or
	// CountDeliveryFailure at the threshold, an update writing
	// enabled=false, and their connector counterparts) also marks its
	// pending deliveries failed ("webhook was disabled"): SPEC §6 stops
	// them, and enabling the target again must not bring them back.
	// DisableWebhook and an update do it in the disabling transaction; the
	// automatic disables may do it after theirs (see each store).
	DisableWebhook(ctx context.Context, id, reason string) error
	// RecordWebhookResult updates the consecutive-failure count after a
	// finished delivery: success resets it to 0; a failure increments it,
	// and when disableAfter > 0 and the count reaches disableAfter the
	// webhook is disabled with a reason saying so (only if it is enabled:
	// an existing disabled_reason is kept). It is atomic, and changes
	// updated_at only when it disables. Returns whether this call disabled
	// it. A missing webhook is not an error (returns false, nil).
	RecordWebhookResult(ctx context.Context, id string, success bool, disableAfter int) (disabled bool, err error)
	// DeleteWebhook deletes the webhook; its deliveries and log entries are
	// kept.
	DeleteWebhook(ctx context.Context, id string) error

	CreateConnector(ctx context.Context, c *herald.Connector) error
	GetConnector(ctx context.Context, id string) (*herald.Connector, error)
	// ListConnectors returns connectors by ascending ID and the next cursor.
	ListConnectors(ctx context.Context, p Page) ([]*herald.Connector, string, error)
	// ListEnabledConnectors returns every enabled connector by ascending ID.
	ListEnabledConnectors(ctx context.Context) ([]*herald.Connector, error)
	// UpdateConnector is UpdateWebhook for connectors: same condition,
	// same failure-count rule.
	UpdateConnector(ctx context.Context, c *herald.Connector) error
	DeleteConnector(ctx context.Context, id string) error
	// DisableConnector and RecordConnectorResult mirror their webhook
	// counterparts.
	DisableConnector(ctx context.Context, id, reason string) error
	RecordConnectorResult(ctx context.Context, id string, success bool, disableAfter int) (disabled bool, err error)

	// CreateEvent stores an event and its deliveries atomically, setting
	// each delivery's EventID and defaulting its Status to pending. If an
	// event with the same non-empty ClientID exists, nothing is written and
	// that event is returned with existed=true; concurrent callers with one
	// ClientID see exactly one existed=false. A taken event ID, or two
	// deliveries to the same target, is a conflict.
	CreateEvent(ctx context.Context, r CreateEventRequest) (ev *herald.Event, existed bool, err error)
	GetEvent(ctx context.Context, id string) (*herald.Event, error)
	// DeleteEvent removes an event and its deliveries (used when its
	// workflow could not be started and the publisher gave no ClientID).
	DeleteEvent(ctx context.Context, id string) error
	// ListEvents returns published events (not those of test sends, which
	// have no workflow) newest (largest ID) first and the next
	// cursor ("" when this is the last page).
	ListEvents(ctx context.Context, f EventFilter) ([]*herald.Event, string, error)

	GetDelivery(ctx context.Context, id string) (*herald.Delivery, error)
	// ListDeliveries returns an event's deliveries by ascending target ID.
	// An unknown event has none: an empty list, not an error.
	ListDeliveries(ctx context.Context, eventID string) ([]*herald.Delivery, error)
	// ListFailedDeliveries returns the failed deliveries to one target whose
	// last update is at or after since, oldest first, at most limit. Test
	// sends' deliveries are not among them: they are not redelivered.
	ListFailedDeliveries(ctx context.Context, targetType, targetID string, since time.Time, limit int) ([]*herald.Delivery, error)
	// RecordAttempt atomically inserts rec.Log (when not nil), increments
	// the delivery's attempt count when a log is given, and sets its status,
	// updated_at, last status code and last error (see AttemptRecord).
	// Empty fields of rec.Log are filled in and written back: ID,
	// DeliveryID, EventID, Event, TargetType and TargetID from the delivery
	// and its event, Attempt with the new attempt count, CreatedAt with the
	// current time. A Log.DeliveryID other than deliveryID, or an unknown
	// Status, is invalid; a missing delivery is not_found and nothing is
	// written.
	//
	// Attempts' writes can land late (after their activity timed out and
	// the workflow went on), so two transitions are refused while the rest
	// of the record is written: succeeded never becomes failed, and an
	// attempt (a record with a Log) never moves a succeeded or failed
	// delivery back to pending. A state-only pending (a redelivery
	// starting) still reopens a finished delivery.
	//
	// An attempt recorded as succeeded also resets its target's
	// consecutive failures to 0, in the same write.
	RecordAttempt(ctx context.Context, deliveryID string, rec AttemptRecord) error
	// CountDeliveryFailure counts a delivery's final failure against its
	// target as RecordWebhookResult (or RecordConnectorResult) does with
	// success=false, once per delivery and generation: a second call for the
	// same generation (a finish step run again after its write landed), a
	// generation other than the delivery's (a redelivery reopened it), a
	// delivery that is not failed (its last attempt succeeded, but the
	// workflow did not learn it in time) or an unknown delivery counts
	// nothing and returns false, nil. The mark and
	// the count are one write. Returns whether this call disabled the target.
	CountDeliveryFailure(ctx context.Context, deliveryID string, generation, disableAfter int) (disabled bool, err error)
	// ListUnstartedEvents returns, by ascending ID, at most limit IDs
	// greater than after of events (test sends included) published at or
	// after since with a delivery no attempt has reached: pending, in
	// generation 0, with no attempts, and last updated before before. Such
	// an event's workflow may never have started, or its test send was cut
	// off (see publish.Publisher.Sweep).
	ListUnstartedEvents(ctx context.Context, since, before time.Time, after string, limit int) ([]string, error)
	// ReopenDelivery makes a delivery that is not pending pending again,
	// for a redelivery, and moves its Generation on, in one write. It
	// returns the delivery as it now is: not_found for an unknown one,
	// conflict for one still pending (its retries or a redelivery are at
	// it), so two redeliveries cannot both reopen it.
	ReopenDelivery(ctx context.Context, id string) (*herald.Delivery, error)

	GetLog(ctx context.Context, id string) (*herald.LogEntry, error)
	// ListLogs returns the entries f selects (see LogFilter) and the next
	// cursor ("" after the last page, and always "" with AfterID).
	ListLogs(ctx context.Context, f LogFilter) ([]*herald.LogEntry, string, error)
	// LastLogID returns the ID of the target's entry recorded last ("" if
	// it has none): the position from which a live stream shows only new
	// entries, as LogFilter.AfterID. The largest ID won't do, for the
	// reason LogFilter gives.
	LastLogID(ctx context.Context, targetType, targetID string) (string, error)

	// CreateAPIKey inserts k; a taken ID or hash is a conflict.
	// CreateSource and GetSource keep ingest sources (SPEC §3).
	CreateSource(ctx context.Context, s *herald.Source) error
	GetSource(ctx context.Context, id string) (*herald.Source, error)
	// ListSources returns sources by ascending ID, without their secrets,
	// and the next cursor. DeleteSource removes one (not_found if
	// missing): its ingest URL stops working; its events are kept.
	ListSources(ctx context.Context, p Page) ([]*herald.Source, string, error)
	DeleteSource(ctx context.Context, id string) error

	CreateAPIKey(ctx context.Context, k *herald.APIKey) error
	// GetAPIKeyByHash finds a key by the hex SHA-256 of its secret.
	GetAPIKeyByHash(ctx context.Context, hash string) (*herald.APIKey, error)
	// ListAPIKeys returns keys by ascending ID and the next cursor.
	ListAPIKeys(ctx context.Context, p Page) ([]*herald.APIKey, string, error)
	DeleteAPIKey(ctx context.Context, id string) error
	// CountAPIKeys tells whether any key exists (for bootstrap).
	CountAPIKeys(ctx context.Context) (int, error)

	// ReserveSlot gives delivery deliveryID a request slot of a target
	// limited to perSecond requests a second, spaced 1/perSecond apart
	// across every worker, and returns how long to wait before sending;
	// perSecond <= 0 means no limit. A wait of at most maxWait takes the
	// slot: the caller waits and sends. A longer one holds the slot for
	// the delivery, which is to come back for it before it is due: its
	// next ReserveSlot returns the same slot, however many were booked
	// meanwhile. A slot that has passed is gone: coming back late books a
	// new one, so requests never come closer than 1/perSecond.
	ReserveSlot(ctx context.Context, targetID, deliveryID string, perSecond int, maxWait time.Duration) (time.Duration, error)

	Ping(ctx context.Context) error
	Close() error
}

// TargetTable is the table, in both stores' schemas, that holds targets of
// targetType (herald.TargetWebhook or herald.TargetConnector).
func TargetTable(targetType string) string {
	if targetType == herald.TargetConnector {
		return "connectors"
	}
	return "webhooks"
}

// StillPending is the conflict of reopening, or retrying, a delivery that
// is still pending.
func StillPending(deliveryID string) error {
	return herald.Errorf(herald.EConflict, "delivery %s is still pending; retry it once it has failed", deliveryID)
}
