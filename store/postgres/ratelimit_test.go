package postgres

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/heraldhub/herald"
)

// Concurrent reservations for one target, through two stores, book
// distinct slots at least 1/rate apart, and each wait is the time from the
// server's clock to its slot. The slots are the server's own times, so the
// check does not depend on how fast the test machine schedules goroutines.
func TestReserveSlotSpacesRequests(t *testing.T) {
	dbs := openPair(t)
	const n, interval = 20, 100 * time.Millisecond
	var mu sync.Mutex
	var slots []time.Time
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			slot, at, err := reserveSlot(t.Context(), dbs[i%2].pool, "wh_limited", interval)
			if err != nil {
				t.Error(err)
				return
			}
			if slot.Sub(at) > n*interval {
				t.Errorf("slot %s after the reservation, want at most %s", slot.Sub(at), n*interval)
			}
			mu.Lock()
			slots = append(slots, slot)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.SortFunc(slots, time.Time.Compare)
	for i := 1; i < len(slots); i++ {
		if gap := slots[i].Sub(slots[i-1]); gap < interval {
			t.Errorf("slots %d and %d are %s apart, want ≥ %s", i-1, i, gap, interval)
		}
	}

	// Through ReserveSlot: the slot after those n is about n intervals away.
	wait, err := dbs[0].ReserveSlot(t.Context(), "wh_limited", "dlv_late", int(time.Second/interval), 0)
	if err != nil {
		t.Fatal(err)
	}
	if wait < n/2*interval || wait > n*interval {
		t.Errorf("the %dth request waits %s, want about %s", n+1, wait, n*interval)
	}
	if wait, _ := dbs[0].ReserveSlot(t.Context(), "wh_other", "dlv_other", 10, 0); wait != 0 {
		t.Errorf("another target waited %s", wait)
	}
	if wait, _ := dbs[0].ReserveSlot(t.Context(), "wh_unlimited", "dlv_free", 0, 0); wait != 0 {
		t.Errorf("no limit waited %s", wait)
	}
}

// A delivery booking a long wait clears the target's stale holds, but not
// one whose delivery holds it right now (back after a long outage): it
// does not wait for that delivery, which may itself wait for the target's
// slot row this booking holds.
func TestReserveSlotSkipsAStaleHoldInUse(t *testing.T) {
	dbs := openPair(t)
	ctx := t.Context()
	if _, err := dbs[0].pool.Exec(ctx, `INSERT INTO rate_holds (delivery_id, target_id, slot_at)
		VALUES ('dlv_back', 'wh_slow', clock_timestamp() - interval '2 hours')`); err != nil {
		t.Fatal(err)
	}
	tx, err := dbs[1].pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `SELECT 1 FROM rate_holds WHERE delivery_id = 'dlv_back' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	// One request a minute, with others booked ahead: a wait far past
	// maxWait, so a hold is written and stale ones are cleared.
	for range 3 {
		if _, err := dbs[0].ReserveSlot(c, "wh_slow", "dlv_"+herald.NewID("x"), 1, time.Millisecond); err != nil {
			t.Fatalf("ReserveSlot beside a stale hold in use: %v", err)
		}
	}
}
