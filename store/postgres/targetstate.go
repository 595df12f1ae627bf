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

func (db *DB) disable(ctx context.Context, table, what, id, reason string) error {
	at := now()
	tag, err := db.pool.Exec(ctx, `UPDATE `+table+` SET enabled = false, disabled_reason = $1,
		updated_at = $2 WHERE id = $3`, reason, at, id)
	if err != nil {
		return dbError("disable "+what, what, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(what)
	}
	return db.stopPending(ctx, what, id, at)
}

// stopPending marks the pending deliveries to a target that was just
// disabled as failed. SPEC §6: disabling a target stops its pending
// deliveries, even one whose next attempt comes after the target is
// enabled again (the attempt finds the delivery finished and makes no
// request). It runs after the disabling write, not with it: should it not
// run, each attempt still finds the target disabled and stops. Only
// deliveries created by the time of that write (disabledAt) are stopped:
// the target may have been enabled again since, and an event published
// then is not the disabling's to stop. (Running it in the disabling
// transaction instead would lock the target before its deliveries, the
// reverse of a recorded success, and could deadlock with one.)
func (db *DB) stopPending(ctx context.Context, targetType, id string, disabledAt time.Time) error {
	_, err := db.pool.Exec(ctx, `UPDATE deliveries SET status = $1, last_error = $2, updated_at = $3
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
		_, err := db.pool.Exec(ctx, `UPDATE `+table+` SET consecutive_failures = 0
			WHERE id = $1 AND consecutive_failures <> 0`, id)
		if err != nil {
			return false, dbError("record "+what+" result", what, err)
		}
		return false, nil
	}
	disabled := false
	var disabledAt time.Time
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var enabled bool
		var failures int
		err := tx.QueryRow(ctx, `UPDATE `+table+` SET consecutive_failures = consecutive_failures + 1
			WHERE id = $1 RETURNING enabled, consecutive_failures`, id).Scan(&enabled, &failures)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if !enabled || disableAfter <= 0 || failures < disableAfter {
			return nil
		}
		reason := fmt.Sprintf("disabled after %d consecutive failed deliveries", failures)
		disabledAt = now()
		_, err = tx.Exec(ctx, `UPDATE `+table+` SET enabled = false, disabled_reason = $1, updated_at = $2
			WHERE id = $3`, reason, disabledAt, id)
		disabled = err == nil
		return err
	})
	if err != nil {
		return false, dbError("record "+what+" result", what, err)
	}
	if disabled {
		return true, db.stopPending(ctx, what, id, disabledAt)
	}
	return false, nil
}
