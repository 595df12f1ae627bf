package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

const deliveryColumns = `id, event_id, target_type, target_id, status, attempts,
	last_status_code, last_error, created_at, updated_at, generation`

func scanDelivery(r rowScanner) (*herald.Delivery, error) {
	var d herald.Delivery
	err := r.Scan(&d.ID, &d.EventID, &d.TargetType, &d.TargetID, &d.Status, &d.Attempts,
		&d.LastStatusCode, &d.LastError, timeCol{&d.CreatedAt}, timeCol{&d.UpdatedAt}, &d.Generation)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// GetDelivery returns the delivery with id, or not_found.
func (db *DB) GetDelivery(ctx context.Context, id string) (*herald.Delivery, error) {
	d, err := scanDelivery(db.read.QueryRowContext(ctx,
		`SELECT `+deliveryColumns+` FROM deliveries WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("delivery")
	}
	if err != nil {
		return nil, dbError("get delivery", "delivery", err)
	}
	return d, nil
}

// ListDeliveries returns the deliveries of eventID by ascending target ID
// (then delivery ID). An unknown event has none; that is not an error.
func (db *DB) ListDeliveries(ctx context.Context, eventID string) ([]*herald.Delivery, error) {
	ds, err := queryAll(ctx, db.read, scanDelivery, `SELECT `+deliveryColumns+`
		FROM deliveries WHERE event_id = ? ORDER BY target_id, id`, eventID)
	if err != nil {
		return nil, dbError("list deliveries", "delivery", err)
	}
	return ds, nil
}

// RecordAttempt writes the outcome of one attempt of delivery deliveryID in
// one transaction: it sets the delivery's status and updated_at and, when
// rec.Log is not nil, increments its attempt count and inserts the log
// entry.
//
// With a log, the last status code and last error are set to rec.StatusCode
// and rec.Error (nil clears them). Without one (a state-only update, such as
// marking the delivery failed after its last attempt), a nil StatusCode or
// Error leaves the stored value as it is and a non-nil one replaces it.
//
// Empty fields of rec.Log are filled in and written back: ID, DeliveryID,
// EventID, Event, TargetType and TargetID from the delivery and its event,
// Attempt with the new attempt count, CreatedAt with the current time. A
// Log.DeliveryID other than deliveryID, or a Status that is not pending,
// succeeded or failed, is invalid. A missing delivery is not_found and
// nothing is written.
func (db *DB) RecordAttempt(ctx context.Context, deliveryID string, rec store.AttemptRecord) error {
	switch rec.Status {
	case herald.StatusPending, herald.StatusSucceeded, herald.StatusFailed:
	default:
		return herald.Errorf(herald.EInvalid, "unknown delivery status %q", rec.Status)
	}
	l := rec.Log
	inc := 0
	if l != nil {
		if l.DeliveryID != "" && l.DeliveryID != deliveryID {
			return herald.Errorf(herald.EInvalid, "log entry belongs to another delivery")
		}
		inc = 1
	}
	last := `last_status_code = ?, last_error = ?`
	if l == nil {
		last = `last_status_code = COALESCE(?, last_status_code), last_error = COALESCE(?, last_error)`
	}
	t := now()
	stale := false
	err := db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var eventID, targetType, targetID string
		var attempts int
		err := tx.QueryRowContext(ctx, `UPDATE deliveries SET status = CASE
				WHEN status = 'succeeded' AND ? = 'failed' THEN status
				WHEN ? AND ? = 'pending' AND status <> 'pending' THEN status
				ELSE ? END,
			attempts = attempts + ?, `+last+`, updated_at = ? WHERE id = ? AND (? IS NULL OR generation = ?)
			RETURNING event_id, target_type, target_id, attempts`,
			rec.Status, l != nil, rec.Status, rec.Status, inc, rec.StatusCode, rec.Error, formatTime(t), deliveryID,
			rec.Generation, rec.Generation,
		).Scan(&eventID, &targetType, &targetID, &attempts)
		if errors.Is(err, sql.ErrNoRows) && rec.Generation != nil {
			// Unknown, or reopened by a redelivery since (stale): the
			// delivery stays as it is, a request that went out is logged.
			err = tx.QueryRowContext(ctx, `SELECT event_id, target_type, target_id, attempts FROM deliveries WHERE id = ?`,
				deliveryID).Scan(&eventID, &targetType, &targetID, &attempts)
			if stale = err == nil; stale {
				if l == nil {
					return nil
				}
				return writeLog(ctx, tx, l, deliveryID, eventID, targetType, targetID, attempts, t)
			}
		}
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("delivery")
		}
		if err != nil {
			return dbError("record attempt", "delivery", err)
		}
		if l == nil {
			return nil
		}
		if err := writeLog(ctx, tx, l, deliveryID, eventID, targetType, targetID, attempts, t); err != nil {
			return err
		}
		if rec.Status != herald.StatusSucceeded {
			return nil
		}
		// A success clears the target's failure count here, in the same
		// write, whatever the count was when the attempt began.
		if _, err := tx.ExecContext(ctx, `UPDATE `+store.TargetTable(targetType)+` SET consecutive_failures = 0
			WHERE id = ? AND consecutive_failures <> 0`, targetID); err != nil {
			return dbError("record attempt: reset failures", "delivery", err)
		}
		return nil
	})
	if err == nil && stale {
		return store.ErrStaleGeneration
	}
	return err
}

// writeLog fills in the empty fields of an attempt's log entry from its
// delivery (attempts is the delivery's attempt count) and inserts it.
func writeLog(ctx context.Context, tx *sql.Tx, l *herald.LogEntry, deliveryID, eventID, targetType, targetID string, attempts int, t time.Time) error {
	fill(&l.ID, herald.NewID(herald.PrefixLog))
	fill(&l.DeliveryID, deliveryID)
	fill(&l.EventID, eventID)
	fill(&l.TargetType, targetType)
	fill(&l.TargetID, targetID)
	if l.Attempt == 0 {
		l.Attempt = attempts
	}
	if l.CreatedAt.IsZero() {
		l.CreatedAt = t
	}
	if l.Event == "" {
		err := tx.QueryRowContext(ctx, `SELECT name FROM events WHERE id = ?`, eventID).Scan(&l.Event)
		if err != nil {
			return dbError("record attempt: event name", "event", err)
		}
	}
	return insertLog(ctx, tx, l)
}

// fill sets *s to v when *s is empty.
func fill(s *string, v string) {
	if *s == "" {
		*s = v
	}
}

// ListFailedDeliveries returns the failed deliveries to one target updated
// at or after since, oldest first, at most limit.
func (db *DB) ListFailedDeliveries(ctx context.Context, targetType, targetID string, since time.Time, limit int) ([]*herald.Delivery, error) {
	ds, err := queryAll(ctx, db.read, scanDelivery, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE target_type = ? AND target_id = ? AND status = ? AND updated_at >= ?
			AND EXISTS (SELECT 1 FROM events e WHERE e.id = deliveries.event_id AND e.workflow_id <> '') -- not test sends
		ORDER BY updated_at, id LIMIT ?`,
		targetType, targetID, herald.StatusFailed, formatTime(since), limitOf(limit))
	if err != nil {
		return nil, dbError("list failed deliveries", "delivery", err)
	}
	return ds, nil
}

// ListUnstartedEvents returns events with a delivery no attempt has reached
// (see store.Store). The literal conditions match the partial index
// deliveries_unstarted, which holds only such deliveries.
func (db *DB) ListUnstartedEvents(ctx context.Context, since, before time.Time, after string, limit int) ([]string, error) {
	ids, err := queryAll(ctx, db.read, scanID, `SELECT DISTINCT d.event_id FROM deliveries d JOIN events e ON e.id = d.event_id
		WHERE d.status = 'pending' AND d.attempts = 0 AND d.generation = 0
			AND d.updated_at < ? AND d.event_id > ?
			AND e.created_at >= ?
		ORDER BY d.event_id LIMIT ?`, formatTime(before), after, formatTime(since), limitOf(limit))
	if err != nil {
		return nil, dbError("list unstarted events", "event", err)
	}
	return ids, nil
}

func scanID(r rowScanner) (string, error) {
	var id string
	err := r.Scan(&id)
	return id, err
}

// ReopenDelivery makes a finished delivery pending again and moves its
// generation on (see store.Store).
func (db *DB) ReopenDelivery(ctx context.Context, id string) (*herald.Delivery, error) {
	var d *herald.Delivery
	err := db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		d, err = scanDelivery(tx.QueryRowContext(ctx, `UPDATE deliveries
			SET status = 'pending', generation = generation + 1, updated_at = ?
			WHERE id = ? AND status <> 'pending' RETURNING `+deliveryColumns, formatTime(now()), id))
		if errors.Is(err, sql.ErrNoRows) {
			var status string
			err = tx.QueryRowContext(ctx, `SELECT status FROM deliveries WHERE id = ?`, id).Scan(&status)
			if errors.Is(err, sql.ErrNoRows) {
				return notFound("delivery")
			}
			if err == nil {
				return store.StillPending(id)
			}
		}
		if err != nil {
			return dbError("reopen delivery", "delivery", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}
