package postgres

import (
	"context"
	"time"
)

// ReserveSlot books the next request slot of a target limited to perSecond
// requests a second and returns how long the caller must wait before
// sending (0 to send now). Slots are spaced 1/perSecond apart and shared
// through the database by every worker, so the limit holds across
// processes. perSecond <= 0 means no limit.
//
// It is one statement: the upsert takes the target's row lock, which
// serialises concurrent reservers, each seeing the slot the previous one
// booked. Times come from the database server's clock, read after the lock
// is taken (clock_timestamp, not the statement's start), so a reserver that
// waited for the lock does not book a slot already past; workers on hosts
// with skewed clocks still space their requests. The wait is measured from
// the end of the statement.
func (db *DB) ReserveSlot(ctx context.Context, targetID string, perSecond int) (time.Duration, error) {
	if perSecond <= 0 {
		return 0, nil
	}
	slot, at, err := db.reserveSlot(ctx, targetID, time.Second/time.Duration(perSecond))
	if err != nil {
		return 0, dbError("reserve rate slot", "rate slot", err)
	}
	return max(0, slot.Sub(at)), nil
}

// reserveSlot books the next slot of targetID, interval after the previous
// one and not before now, and returns it with the server's time at the end
// of the statement.
func (db *DB) reserveSlot(ctx context.Context, targetID string, interval time.Duration) (slot, at time.Time, err error) {
	err = db.pool.QueryRow(ctx, `INSERT INTO rate_slots AS r (target_id, next_at)
		VALUES ($1, clock_timestamp() + $2::interval)
		ON CONFLICT (target_id) DO UPDATE SET next_at = GREATEST(r.next_at, clock_timestamp()) + $2::interval
		RETURNING r.next_at - $2::interval, clock_timestamp()`,
		targetID, interval).Scan(&slot, &at)
	return slot, at, err
}
