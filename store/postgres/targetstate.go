package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
// transaction, locking the deliveries before the target as a recorded
// success does.
func (db *DB) disable(ctx context.Context, table, what, id, reason string) error {
	at := now()
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if err := stopPending(ctx, tx, what, id, at); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE `+table+` SET enabled = false, disabled_reason = $1,
			updated_at = $2 WHERE id = $3`, reason, at, id)
		if err != nil {
			return dbError("disable "+what, what, err)
		}
		if tag.RowsAffected() == 0 {
			return notFound(what)
		}
		return nil
	})
}

// deleteTarget deletes the webhook or connector id from table and marks
// its pending deliveries failed ("webhook was deleted"), in one
// transaction: a delete that is answered with an error changed nothing.
// The deliveries are locked before the target, as a recorded success
// locks them. A delivery a publish adds afterwards from an older list of
// targets stops at its first attempt, which finds its target gone.
func (db *DB) deleteTarget(ctx context.Context, table, targetType, id string) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE deliveries SET status = $1, last_error = $2, updated_at = $3
			WHERE target_type = $4 AND target_id = $5 AND status = $6`,
			herald.StatusFailed, targetType+" was deleted", now(), targetType, id, herald.StatusPending)
		if err != nil {
			return dbError("stop pending deliveries", "delivery", err)
		}
		tag, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE id = $1`, id)
		if err != nil {
			return dbError("delete "+targetType, targetType, err)
		}
		if tag.RowsAffected() == 0 {
			return notFound(targetType)
		}
		return nil
	})
}

// stopPending marks the pending deliveries to a target being disabled as
// failed. SPEC §6: disabling a target stops its pending deliveries, even
// one whose next attempt comes after the target is enabled again (the
// attempt finds the delivery finished and makes no request). Only
// deliveries created by the time of the disabling (disabledAt) are
// stopped: the target may be enabled again later, and an event published
// then is not the disabling's to stop.
//
// An admin's disable runs it in the disabling transaction, before the
// target's row is locked. An automatic disable (a failure count reaching
// the threshold) has locked the target already, so it runs it after its
// transaction on q = the pool: locking deliveries then would reverse the
// order of a recorded success and could deadlock with one. Should that
// second write not run, each attempt still finds the target disabled and
// stops.
func stopPending(ctx context.Context, q execer, targetType, id string, disabledAt time.Time) error {
	_, err := q.Exec(ctx, `UPDATE deliveries SET status = $1, last_error = $2, updated_at = $3
		WHERE target_type = $4 AND target_id = $5 AND status = $6 AND created_at <= $7`,
		herald.StatusFailed, targetType+" was disabled", now(), targetType, id, herald.StatusPending, disabledAt)
	if err != nil {
		return dbError("stop pending deliveries", "delivery", err)
	}
	return nil
}

// RecordWebhookResult counts the outcome of one finished delivery to
// webhook id: success resets consecutive_failures to 0; failure increments
// it and, when disableAfter > 0, the webhook is enabled and the new count
// is at least disableAfter, disables it with a reason naming the count
// (updated_at is set then, and only then). It reports whether this call
// disabled the webhook. A missing webhook is not an error.
//
// The failure path is one transaction: the increment locks the row until
// commit, so concurrent callers count every failure and exactly one of
// them sees the threshold reached on an enabled webhook.
func (db *DB) RecordWebhookResult(ctx context.Context, id string, success bool, disableAfter int) (bool, error) {
	return db.recordResult(ctx, "webhooks", "webhook", id, success, disableAfter)
}

// RecordConnectorResult is RecordWebhookResult for connector id.
func (db *DB) RecordConnectorResult(ctx context.Context, id string, success bool, disableAfter int) (bool, error) {
	return db.recordResult(ctx, "connectors", "connector", id, success, disableAfter)
}

func (db *DB) recordResult(ctx context.Context, table, what, id string, success bool, disableAfter int) (bool, error) {
	if success {
		err := db.inTx(ctx, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE `+table+` SET consecutive_failures = 0
				WHERE id = $1 AND consecutive_failures <> 0`, id)
			return err
		})
		if err != nil {
			return false, dbError("record "+what+" result", what, err)
		}
		return false, nil
	}
	var disabled bool
	var disabledAt time.Time
	err := db.inTx(ctx, func(tx pgx.Tx) (err error) {
		disabled, disabledAt, err = countFailure(ctx, tx, table, id, disableAfter)
		return err
	})
	if err != nil {
		return false, dbError("record "+what+" result", what, err)
	}
	if disabled {
		return true, stopPending(ctx, db.pool, what, id, disabledAt)
	}
	return false, nil
}

// CountDeliveryFailure counts the failure of delivery deliveryID, at
// generation, against its target, once (see store.Store). It locks the
// delivery before the target, as a recorded success does.
func (db *DB) CountDeliveryFailure(ctx context.Context, deliveryID string, generation, disableAfter int) (bool, error) {
	var disabled bool
	var disabledAt time.Time
	var targetType, targetID string
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE deliveries SET counted_generation = generation
			WHERE id = $1 AND generation = $2 AND status = 'failed'
				AND counted_generation IS DISTINCT FROM generation
			RETURNING target_type, target_id`, deliveryID, generation).Scan(&targetType, &targetID)
		if errors.Is(err, pgx.ErrNoRows) {
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
		return err
	})
	if err != nil {
		return false, dbError("count delivery failure", "delivery", err)
	}
	if disabled {
		return true, stopPending(ctx, db.pool, targetType, targetID, disabledAt)
	}
	return false, nil
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
// it; it reports whether it did and when. The increment locks the row
// until commit, so concurrent callers count every failure and exactly one
// of them sees the threshold reached. A missing target counts nothing.
func countFailure(ctx context.Context, tx pgx.Tx, table, id string, disableAfter int) (bool, time.Time, error) {
	var enabled bool
	var failures int
	err := tx.QueryRow(ctx, `UPDATE `+table+` SET consecutive_failures = consecutive_failures + 1
		WHERE id = $1 RETURNING enabled, consecutive_failures`, id).Scan(&enabled, &failures)
	if errors.Is(err, pgx.ErrNoRows) {
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
	if _, err := tx.Exec(ctx, `UPDATE `+table+` SET enabled = false, disabled_reason = $1, updated_at = $2
		WHERE id = $3`, reason, at, id); err != nil {
		return false, time.Time{}, err
	}
	return true, at, nil
}
