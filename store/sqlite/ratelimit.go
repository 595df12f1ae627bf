package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// ReserveSlot implements store.Store. Slots are unix nanoseconds from this
// host's clock; the one write connection serialises reservers.
func (db *DB) ReserveSlot(ctx context.Context, targetID, deliveryID string, perSecond int, maxWait time.Duration) (time.Duration, error) {
	if perSecond <= 0 {
		return 0, nil
	}
	interval := int64(time.Second / time.Duration(perSecond))
	var wait time.Duration
	err := db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		now := time.Now().UnixNano()
		var slot int64
		err := tx.QueryRowContext(ctx, `SELECT slot_at FROM rate_holds WHERE delivery_id = ?`, deliveryID).Scan(&slot)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err != nil || slot < now {
			var next int64
			err := tx.QueryRowContext(ctx, `SELECT next_at FROM rate_slots WHERE target_id = ?`, targetID).Scan(&next)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			slot = max(now, next)
			if _, err := tx.ExecContext(ctx, `INSERT INTO rate_slots (target_id, next_at) VALUES (?, ?)
				ON CONFLICT (target_id) DO UPDATE SET next_at = excluded.next_at`, targetID, slot+interval); err != nil {
				return err
			}
		}
		wait = time.Duration(max(0, slot-now))
		if wait <= maxWait {
			_, err = tx.ExecContext(ctx, `DELETE FROM rate_holds WHERE delivery_id = ?`, deliveryID)
			return err
		}
		// Holds whose delivery never came back (its target was deleted,
		// say) are dropped once long past.
		if _, err := tx.ExecContext(ctx, `DELETE FROM rate_holds WHERE target_id = ? AND slot_at < ?`,
			targetID, now-int64(time.Hour)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO rate_holds (delivery_id, target_id, slot_at) VALUES (?, ?, ?)
			ON CONFLICT (delivery_id) DO UPDATE SET target_id = excluded.target_id, slot_at = excluded.slot_at`,
			deliveryID, targetID, slot)
		return err
	})
	if err != nil {
		return 0, dbError("reserve rate slot", "rate slot", err)
	}
	return wait, nil
}
