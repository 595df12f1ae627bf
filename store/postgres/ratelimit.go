package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// ReserveSlot implements store.Store. Slots are shared through the
// database by every worker, so the limit holds across processes.
//
// Booking is one statement: the upsert takes the target's row lock, which
// serialises concurrent reservers, each seeing the slot the previous one
// booked. Times come from the database server's clock, read after the lock
// is taken (clock_timestamp, not the statement's start), so a reserver that
// waited for the lock does not book a slot already past; workers on hosts
// with skewed clocks still space their requests. The wait is measured from
// the end of the statement.
func (db *DB) ReserveSlot(ctx context.Context, targetID, deliveryID string, perSecond int, maxWait time.Duration) (time.Duration, error) {
	if perSecond <= 0 {
		return 0, nil
	}
	interval := time.Second / time.Duration(perSecond)
	var wait time.Duration
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		// The delivery's hold, locked so that two attempts of one delivery
		// cannot both take it.
		var slot, at time.Time
		err := tx.QueryRow(ctx, `SELECT slot_at, clock_timestamp() FROM rate_holds WHERE delivery_id = $1 FOR UPDATE`,
			deliveryID).Scan(&slot, &at)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if err != nil || slot.Before(at) {
			if slot, at, err = reserveSlot(ctx, tx, targetID, interval); err != nil {
				return err
			}
		}
		wait = max(0, slot.Sub(at))
		if wait <= maxWait {
			_, err = tx.Exec(ctx, `DELETE FROM rate_holds WHERE delivery_id = $1`, deliveryID)
			return err
		}
		// Holds whose delivery never came back (its target was deleted,
		// say) are dropped once long past. One locked by its delivery,
		// back right now, is left to it: waiting for it here, while
		// holding the target's slot row it waits for, would deadlock.
		if _, err := tx.Exec(ctx, `DELETE FROM rate_holds WHERE delivery_id IN (
			SELECT delivery_id FROM rate_holds WHERE target_id = $1 AND slot_at < clock_timestamp() - interval '1 hour'
			FOR UPDATE SKIP LOCKED)`, targetID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO rate_holds (delivery_id, target_id, slot_at) VALUES ($1, $2, $3)
			ON CONFLICT (delivery_id) DO UPDATE SET target_id = EXCLUDED.target_id, slot_at = EXCLUDED.slot_at`,
			deliveryID, targetID, slot)
		return err
	})
	if err != nil {
		return 0, dbError("reserve rate slot", "rate slot", err)
	}
	return wait, nil
}

// reserveSlot books the next slot of targetID, interval after the previous
// one and not before now, and returns it with the server's time at the end
// of the statement.
func reserveSlot(ctx context.Context, q interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}, targetID string, interval time.Duration) (slot, at time.Time, err error) {
	err = q.QueryRow(ctx, `INSERT INTO rate_slots AS r (target_id, next_at)
		VALUES ($1, clock_timestamp() + $2::interval)
		ON CONFLICT (target_id) DO UPDATE SET next_at = GREATEST(r.next_at, clock_timestamp()) + $2::interval
		RETURNING r.next_at - $2::interval, clock_timestamp()`,
		targetID, interval).Scan(&slot, &at)
	return slot, at, err
}
