package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhub/herald/store"
)

// A delivery told to come back for a later slot keeps that slot: slots
// booked meanwhile by others do not push it to the end of the queue. Once
// it takes the slot, its next reservation (a retry after a failed send)
// books a new one, and so does a return after the slot has passed.
func testRateHolds(t *testing.T, s store.Store) {
	ctx := context.Background()
	const rate = 2
	const interval = time.Second / rate
	const target = "wh_holds"
	reserve := func(delivery string, maxWait time.Duration) time.Duration {
		t.Helper()
		wait, err := s.ReserveSlot(ctx, target, delivery, rate, maxWait)
		if err != nil {
			t.Fatal(err)
		}
		return wait
	}
	if w := reserve("del_first", 0); w != 0 {
		t.Fatalf("first reservation waits %s, want 0", w)
	}
	held := reserve("del_held", 0)
	if held <= interval/2 || held > interval {
		t.Fatalf("second reservation waits %s, want about %s", held, interval)
	}
	for _, d := range []string{"del_c", "del_d", "del_e"} {
		if w := reserve(d, time.Hour); w < interval {
			t.Fatalf("%s waits %s, want a slot after the held one", d, w)
		}
	}
	if again := reserve("del_held", 0); again > held || again < held-interval/2 {
		t.Errorf("coming back for its hold, the delivery waits %s, want its slot about %s away", again, held)
	}
	if took := reserve("del_held", time.Hour); took > held {
		t.Errorf("taking the held slot waits %s, want at most %s", took, held)
	}
	if next := reserve("del_held", 0); next < 4*interval-interval/2 {
		t.Errorf("after taking its slot the delivery waits %s for the next, want one after every booked slot (about %s)", next, 4*interval)
	}
	// A delivery that comes back after its held slot has passed gets a
	// new slot, booked like any other: the next booking is an interval
	// later. (Sending on the passed slot would not move the queue, and the
	// next booking could go out at the same moment.)
	const fast = 10
	late := func(delivery string, maxWait time.Duration) time.Duration {
		t.Helper()
		wait, err := s.ReserveSlot(ctx, "wh_late", delivery, fast, maxWait)
		if err != nil {
			t.Fatal(err)
		}
		return wait
	}
	late("del_l1", time.Hour)
	if w := late("del_l2", 0); w == 0 {
		t.Fatal("second reservation at 10/s did not wait")
	}
	time.Sleep(time.Second/fast + 50*time.Millisecond)
	back := late("del_l2", time.Hour)
	if back > time.Second/fast {
		t.Errorf("coming back after its slot passed, the delivery waits %s, want at most %s", back, time.Second/fast)
	}
	if next := late("del_l3", time.Hour); next-back < time.Second/fast/2 {
		t.Errorf("the reservation after a late return waits %s, the late one %s: want an interval (%s) between them",
			next, back, time.Second/fast)
	}
	if w, err := s.ReserveSlot(ctx, "wh_unlimited", "del_free", 0, 0); err != nil || w != 0 {
		t.Errorf("no limit: wait %s, %v", w, err)
	}
}
