package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// ReserveSlot books the next request slot of a target limited to perSecond
// requests a second and returns how long the caller must wait before
// sending (0 to send now). Slots are spaced 1/perSecond apart and shared
// through the database by every worker, so the limit holds across
// processes. perSecond <= 0 means no limit.
func (db *DB) ReserveSlot(ctx context.Context, targetID string, perSecond int) (time.Duration, error) {
	if perSecond <= 0 {
		return 0, nil
	}
	interval := time.Second / time.Duration(perSecond)
	var wait time.Duration
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		now := time.Now().UnixNano()
		var next int64
		err := tx.QueryRowContext(ctx, `SELECT next_at FROM rate_slots WHERE target_id = ?`, targetID).Scan(&next)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		slot := max(now, next)
		wait = time.Duration(slot - now)
		_, err = tx.ExecContext(ctx, `INSERT INTO rate_slots (target_id, next_at) VALUES (?, ?)
			ON CONFLICT (target_id) DO UPDATE SET next_at = excluded.next_at`, targetID, slot+int64(interval))
		return err
	})
	if err != nil {
		return 0, dbError("reserve rate slot", "rate slot", err)
	}
	return wait, nil
}
