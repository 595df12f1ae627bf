package sqlite

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/heraldhub/herald"
)

// Concurrent reservations for one target book distinct slots spaced by the
// rate: n requests at 10/s span n/10 s however many workers ask. The check
// reads the booked slots (the waits and the stored next slot), not arrival
// times, so scheduler delays on a busy machine do not matter.
func TestReserveSlotSpacesRequests(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const n, rate = 20, 10
	const interval = time.Second / rate
	start := time.Now()
	var mu sync.Mutex
	var waits []time.Duration
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wait, err := db.ReserveSlot(ctx, "wh_limited", herald.NewID(herald.PrefixDelivery), rate, time.Hour)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			waits = append(waits, wait)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var next int64
	if err := db.read.QueryRow(`SELECT next_at FROM rate_slots WHERE target_id = 'wh_limited'`).Scan(&next); err != nil {
		t.Fatal(err)
	}
	// The first slot is booked at or after start; each one moves the next
	// slot by one interval.
	if span := time.Unix(0, next).Sub(start); span < n*interval || span > n*interval+elapsed {
		t.Errorf("next slot is %s after the start, want %s (+ at most %s)", span, n*interval, elapsed)
	}
	slices.Sort(waits)
	if last := waits[n-1]; last < (n-1)*interval-elapsed {
		t.Errorf("longest wait %s, want about %s: slots were not spaced", last, (n-1)*interval)
	}
	if wait, _ := db.ReserveSlot(ctx, "wh_other", "dlv_other", rate, time.Hour); wait != 0 {
		t.Errorf("another target waited %s", wait)
	}
	if wait, _ := db.ReserveSlot(ctx, "wh_unlimited", "dlv_free", 0, time.Hour); wait != 0 {
		t.Errorf("no limit waited %s", wait)
	}
}
