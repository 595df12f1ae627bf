package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

const deliveryColumns = `id, event_id, target_type, target_id, status, attempts,
	last_status_code, last_error, created_at, updated_at, generation`

func scanDelivery(r rowScanner) (*herald.Delivery, error) {
	var d herald.Delivery
	err := r.Scan(&d.ID, &d.EventID, &d.TargetType, &d.TargetID, &d.Status, &d.Attempts,
		&d.LastStatusCode, &d.LastError, &d.CreatedAt, &d.UpdatedAt, &d.Generation)
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// GetDelivery returns the delivery with id, or not_found.
func (db *DB) GetDelivery(ctx context.Context, id string) (*herald.Delivery, error) {
	d, err := scanDelivery(db.pool.QueryRow(ctx,
		`SELECT `+deliveryColumns+` FROM deliveries WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
	ds, err := queryAll(ctx, db.pool, scanDelivery, `SELECT `+deliveryColumns+`
		FROM deliveries WHERE event_id = $1 ORDER BY target_id, id`, eventID)
	if err != nil {
		return nil, dbError("list deliveries", "delivery", err)
	}
	return ds, nil
}

// RecordAttempt writes the outcome of one attempt of delivery deliveryID in
// one transaction: it sets the delivery's status and updated_at and, when
// rec.Log is not nil, increments its attempt count and inserts the log
// entry, which gets the next recording position (see insertLog).
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
	last := `last_status_code = $3, last_error = $4`
	if l == nil {
		last = `last_status_code = COALESCE($3, d.last_status_code), last_error = COALESCE($4, d.last_error)`
	}
	t := now()
	stale := false
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var eventID, eventName, targetType, targetID string
		var attempts int
		err := tx.QueryRow(ctx, `UPDATE deliveries d SET status = CASE
				WHEN d.status = 'succeeded' AND $1 = 'failed' THEN d.status
				WHEN $7 AND $1 = 'pending' AND d.status <> 'pending' THEN d.status
				ELSE $1 END,
			attempts = d.attempts + $2, `+last+`, updated_at = $5 FROM events e
			WHERE d.id = $6 AND e.id = d.event_id AND ($8::int IS NULL OR d.generation = $8)
			RETURNING d.event_id, e.name, d.target_type, d.target_id, d.attempts`,
			rec.Status, inc, rec.StatusCode, storableText(rec.Error), t, deliveryID, l != nil, rec.Generation,
		).Scan(&eventID, &eventName, &targetType, &targetID, &attempts)
		if errors.Is(err, pgx.ErrNoRows) && rec.Generation != nil {
			// Unknown, or reopened by a redelivery since (stale): the
			// delivery stays as it is, a request that went out is logged.
			err = tx.QueryRow(ctx, `SELECT d.event_id, e.name, d.target_type, d.target_id, d.attempts
				FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.id = $1`, deliveryID,
			).Scan(&eventID, &eventName, &targetType, &targetID, &attempts)
			if stale = err == nil; stale {
				if l == nil {
					return nil
				}
				return writeLog(ctx, tx, l, deliveryID, eventID, eventName, targetType, targetID, attempts, t)
			}
		}
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("delivery")
		}
		if err != nil {
			return dbError("record attempt", "delivery", err)
		}
		if l == nil {
			return nil
		}
		if rec.Status == herald.StatusSucceeded {
			// A success clears the target's failure count here, in the
			// same write, whatever the count was when the attempt began.
			// Before insertLog: its lock orders every log write of every
			// process until commit, so nothing that may wait on a row
			// lock (a target being edited or resealed) comes after it.
			if _, err := tx.Exec(ctx, `UPDATE `+store.TargetTable(targetType)+` SET consecutive_failures = 0
				WHERE id = $1 AND consecutive_failures <> 0`, targetID); err != nil {
				return dbError("record attempt: reset failures", "delivery", err)
			}
		}
		return writeLog(ctx, tx, l, deliveryID, eventID, eventName, targetType, targetID, attempts, t)
	})
	if err == nil && stale {
		return store.ErrStaleGeneration
	}
	return err
}

// writeLog fills in the empty fields of an attempt's log entry from its
// delivery (attempts is the delivery's attempt count) and inserts it.
func writeLog(ctx context.Context, tx pgx.Tx, l *herald.LogEntry, deliveryID, eventID, eventName, targetType, targetID string, attempts int, t time.Time) error {
	fill(&l.ID, herald.NewID(herald.PrefixLog))
	fill(&l.DeliveryID, deliveryID)
	fill(&l.EventID, eventID)
	fill(&l.Event, eventName)
	fill(&l.TargetType, targetType)
	fill(&l.TargetID, targetID)
	if l.Attempt == 0 {
		l.Attempt = attempts
	}
	if l.CreatedAt.IsZero() {
		l.CreatedAt = t
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
	ds, err := queryAll(ctx, db.pool, scanDelivery, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE target_type = $1 AND target_id = $2 AND status = $3 AND updated_at >= $4
			AND EXISTS (SELECT 1 FROM events e WHERE e.id = deliveries.event_id AND e.workflow_id <> '') -- not test sends
		ORDER BY updated_at, id LIMIT $5`,
		targetType, targetID, herald.StatusFailed, since, limitOf(limit))
	if err != nil {
		return nil, dbError("list failed deliveries", "delivery", err)
	}
	return ds, nil
}

// ListUnstartedEvents returns events with a delivery no attempt has reached
// (see store.Store). The literal conditions match the partial index
// deliveries_unstarted, which holds only such deliveries.
func (db *DB) ListUnstartedEvents(ctx context.Context, since, before time.Time, after string, limit int) ([]string, error) {
	ids, err := queryAll(ctx, db.pool, scanID, `SELECT DISTINCT d.event_id FROM deliveries d JOIN events e ON e.id = d.event_id
		WHERE d.status = 'pending' AND d.attempts = 0 AND d.generation = 0
			AND d.updated_at < $1 AND d.event_id > $2
			AND e.created_at >= $3
		ORDER BY d.event_id LIMIT $4`, before, after, since, limitOf(limit))
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
	err := db.inTx(ctx, func(tx pgx.Tx) (err error) {
		d, err = scanDelivery(tx.QueryRow(ctx, `UPDATE deliveries
			SET status = 'pending', generation = generation + 1, updated_at = $2
			WHERE id = $1 AND status <> 'pending' RETURNING `+deliveryColumns, id, now()))
		if errors.Is(err, pgx.ErrNoRows) {
			var status string
			err = tx.QueryRow(ctx, `SELECT status FROM deliveries WHERE id = $1`, id).Scan(&status)
			if errors.Is(err, pgx.ErrNoRows) {
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
