package sqlite

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// Concurrent reservations for one target get distinct slots spaced by the
// rate, so n requests at 10/s span (n-1)/10 s however many workers ask.
func TestReserveSlotSpacesRequests(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const n, rate = 20, 10
	start := time.Now()
	var mu sync.Mutex
	var slots []time.Duration
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			asked := time.Since(start)
			wait, err := db.ReserveSlot(ctx, "wh_limited", rate)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			slots = append(slots, asked+wait)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(slots)
	for i := 1; i < len(slots); i++ {
		if gap := slots[i] - slots[i-1]; gap < 95*time.Millisecond {
			t.Errorf("slots %d and %d are %s apart, want ≥ 100ms", i-1, i, gap)
		}
	}
	if wait, _ := db.ReserveSlot(ctx, "wh_other", rate); wait != 0 {
		t.Errorf("another target waited %s", wait)
	}
	if wait, _ := db.ReserveSlot(ctx, "wh_unlimited", 0); wait != 0 {
		t.Errorf("no limit waited %s", wait)
	}
}
