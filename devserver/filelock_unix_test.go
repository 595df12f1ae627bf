//go:build unix

package devserver

import "testing"

// A port freePort chose stays locked until released: no other pick, also
// within one process, where parallel tests run, can take it meanwhile.
func TestChosenPortIsLockedUntilReleased(t *testing.T) {
	port, unlock, err := freePort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := lockPort(port); err != nil || ok {
		unlock()
		t.Fatalf("lock on port %d while chosen: ok=%v err=%v, want refused", port, ok, err)
	}
	unlock()
	again, ok, err := lockPort(port)
	if err != nil || !ok {
		t.Fatalf("lock on port %d after release: ok=%v err=%v", port, ok, err)
	}
	again()
}
