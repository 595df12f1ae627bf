package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/heraldhub/herald"
)

// DisableWebhook sets enabled to false, disabled_reason to reason and
// updated_at to now for webhook id, leaving every other field as stored. A
// missing webhook is not_found.
func (db *DB) DisableWebhook(ctx context.Context, id, reason string) error {
	return db.disable(ctx, "webhooks", "webhook", id, reason)
}

// DisableConnector is DisableWebhook for connector id.
func (db *DB) DisableConnector(ctx context.Context, id, reason string) error {
	return db.disable(ctx, "connectors", "connector", id, reason)
}

// disable disables the target and stops its pending deliveries in one
// transaction, deliveries first (the order PostgreSQL's locks need).
func (db *DB) disable(ctx context.Context, table, what, id, reason string) error {
	at := now()
	return db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := stopPending(ctx, tx, what, id, at); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE `+table+` SET enabled = ?, disabled_reason = ?,
			updated_at = ? WHERE id = ?`, false, reason, formatTime(at), id)
		if err != nil {
			return dbError("disable "+what, what, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return dbError("disable "+what, what, err)
		}
		if n == 0 {
			return notFound(what)
		}
		return nil
	})
}

// deleteTarget deletes the webhook or connector id from table and marks
// its pending deliveries failed ("webhook was deleted"), in one
// transaction: a delete that is answered with an error changed nothing.
// A delivery a publish adds afterwards from an older list of targets stops
// at its first attempt, which finds its target gone.
func (db *DB) deleteTarget(ctx context.Context, table, targetType, id string) error {
	return db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = ?, last_error = ?, updated_at = ?
			WHERE target_type = ? AND target_id = ? AND status = ?`,
			herald.StatusFailed, targetType+" was deleted", formatTime(now()), targetType, id, herald.StatusPending)
		if err != nil {
			return dbError("stop pending deliveries", "delivery", err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE id = ?`, id)
		if err != nil {
			return dbError("delete "+targetType, targetType, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return dbError("delete "+targetType, targetType, err)
		} else if n == 0 {
			return notFound(targetType)
		}
		return nil
	})
}

// stopPending marks the pending deliveries to a target that is being
// disabled as failed, in the transaction tx that disables it. SPEC §6:
// disabling a target stops its pending deliveries, even one whose next
// attempt comes after the target is enabled again (the attempt finds the
// delivery finished and makes no request). Only deliveries created by the
// time of the disabling (disabledAt) are stopped: the target may be enabled
// again later, and an event published then is not the disabling's to stop.
func stopPending(ctx context.Context, tx *sql.Tx, targetType, id string, disabledAt time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = ?, last_error = ?, updated_at = ?
		WHERE target_type = ? AND target_id = ? AND status = ? AND created_at <= ?`,
		herald.StatusFailed, targetType+" was disabled", formatTime(now()), targetType, id, herald.StatusPending, formatTime(disabledAt))
	if err != nil {
		return dbError("stop pending deliveries", "delivery", err)
	}
	return nil
}

// RecordWebhookResult counts the outcome of one finished delivery to
// webhook id, in one transaction: success resets consecutive_failures to 0;
// failure increments it and, when disableAfter > 0, the webhook is enabled
// and the new count is at least disableAfter, disables it with a reason
// naming the count (updated_at is set then, and only then). It reports
// whether this call disabled the webhook. A missing webhook is not an error.
func (db *DB) RecordWebhookResult(ctx context.Context, id string, success bool, disableAfter int) (bool, error) {
	return db.recordResult(ctx, "webhooks", "webhook", id, success, disableAfter)
}

// RecordConnectorResult is RecordWebhookResult for connector id.
func (db *DB) RecordConnectorResult(ctx context.Context, id string, success bool, disableAfter int) (bool, error) {
	return db.recordResult(ctx, "connectors", "connector", id, success, disableAfter)
}

func (db *DB) recordResult(ctx context.Context, table, what, id string, success bool, disableAfter int) (bool, error) {
	if success {
		err := db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE `+table+` SET consecutive_failures = 0
				WHERE id = ? AND consecutive_failures <> 0`, id)
			return err
		})
		if err != nil {
			return false, dbError("record "+what+" result", what, err)
		}
		return false, nil
	}
	var disabled bool
	var disabledAt time.Time
	err := db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) (err error) {
		disabled, disabledAt, err = countFailure(ctx, tx, table, id, disableAfter)
		if err == nil && disabled {
			err = stopPending(ctx, tx, what, id, disabledAt)
		}
		return err
	})
	if err != nil {
		return false, dbError("record "+what+" result", what, err)
	}
	return disabled, nil
}

// CountDeliveryFailure counts the failure of delivery deliveryID, at
// generation, against its target, once (see store.Store).
func (db *DB) CountDeliveryFailure(ctx context.Context, deliveryID string, generation, disableAfter int) (bool, error) {
	var disabled bool
	var disabledAt time.Time
	var targetType, targetID string
	err := db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE deliveries SET counted_generation = generation
			WHERE id = ? AND generation = ? AND status = 'failed'
				AND (counted_generation IS NULL OR counted_generation <> generation)
			RETURNING target_type, target_id`, deliveryID, generation).Scan(&targetType, &targetID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // counted already, not failed, reopened since, or unknown
		}
		if err != nil {
			return err
		}
		table, err := targetTable(targetType)
		if err != nil {
			return err
		}
		disabled, disabledAt, err = countFailure(ctx, tx, table, targetID, disableAfter)
		if err == nil && disabled {
			err = stopPending(ctx, tx, targetType, targetID, disabledAt)
		}
		return err
	})
	if err != nil {
		return false, dbError("count delivery failure", "delivery", err)
	}
	return disabled, nil
}

// targetTable is the table of a delivery's target_type.
func targetTable(targetType string) (string, error) {
	switch targetType {
	case herald.TargetWebhook:
		return "webhooks", nil
	case herald.TargetConnector:
		return "connectors", nil
	}
	return "", fmt.Errorf("unknown target type %q", targetType)
}

// countFailure adds one to the consecutive failures of target id in table
// and, when that reaches disableAfter (> 0) on an enabled target, disables
// it; it reports whether it did and when. A missing target counts nothing.
func countFailure(ctx context.Context, tx *sql.Tx, table, id string, disableAfter int) (bool, time.Time, error) {
	var enabled bool
	var failures int
	err := tx.QueryRowContext(ctx, `UPDATE `+table+` SET consecutive_failures = consecutive_failures + 1
		WHERE id = ? RETURNING enabled, consecutive_failures`, id).Scan(&enabled, &failures)
	if errors.Is(err, sql.ErrNoRows) {
		return false, time.Time{}, nil
	}
	if err != nil {
		return false, time.Time{}, err
	}
	if !enabled || disableAfter <= 0 || failures < disableAfter {
		return false, time.Time{}, nil
	}
	reason := fmt.Sprintf("disabled after %d consecutive failed deliveries", failures)
	at := now()
	if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET enabled = ?, disabled_reason = ?, updated_at = ?
		WHERE id = ?`, false, reason, formatTime(at), id); err != nil {
		return false, time.Time{}, err
	}
	return true, at, nil
}
