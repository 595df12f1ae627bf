package postgres

import (
	"slices"
	"sync"
	"testing"
	"time"
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
