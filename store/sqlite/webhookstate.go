package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// DisableWebhook sets enabled to false, disabled_reason to reason and
// updated_at to now for webhook id, leaving every other field as stored. A
// missing webhook is not_found.
func (db *DB) DisableWebhook(ctx context.Context, id, reason string) error {
	res, err := db.write.ExecContext(ctx, `UPDATE webhooks SET enabled = ?, disabled_reason = ?,
		updated_at = ? WHERE id = ?`, false, reason, formatTime(now()), id)
	if err != nil {
		return dbError("disable webhook", "webhook", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return dbError("disable webhook", "webhook", err)
	}
	if n == 0 {
		return notFound("webhook")
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
	if success {
		_, err := db.write.ExecContext(ctx, `UPDATE webhooks SET consecutive_failures = 0
			WHERE id = ? AND consecutive_failures <> 0`, id)
		if err != nil {
			return false, dbError("record webhook result", "webhook", err)
		}
		return false, nil
	}
	disabled := false
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var enabled bool
		var failures int
		err := tx.QueryRowContext(ctx, `UPDATE webhooks SET consecutive_failures = consecutive_failures + 1
			WHERE id = ? RETURNING enabled, consecutive_failures`, id).Scan(&enabled, &failures)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if !enabled || disableAfter <= 0 || failures < disableAfter {
			return nil
		}
		reason := fmt.Sprintf("disabled after %d consecutive failed deliveries", failures)
		_, err = tx.ExecContext(ctx, `UPDATE webhooks SET enabled = ?, disabled_reason = ?, updated_at = ?
			WHERE id = ?`, false, reason, formatTime(now()), id)
		disabled = err == nil
		return err
	})
	if err != nil {
		return false, dbError("record webhook result", "webhook", err)
	}
	return disabled, nil
}
