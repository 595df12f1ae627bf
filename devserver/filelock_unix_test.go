//go:build unix

package devserver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

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

// Another user's directory in the port locks' place is not used (the
// port is taken without a lock, so that it cannot block a start), and a
// link or a FIFO where a lock file goes is refused: a symlink would have
// the start create a file wherever it points, and a FIFO would hang it.
func TestPortLocksRefusePlantedFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("XDG_RUNTIME_DIR", "")
	dir := filepath.Join(tmp, fmt.Sprintf("herald-ports-%d", os.Getuid()))

	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	release, ok, err := lockPort(40001)
	if err != nil || !ok {
		t.Errorf("port in a directory others may write to: ok=%v err=%v, want it taken without a lock", ok, err)
	} else {
		release()
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a lock file was made in a directory others may write to: %v", entries)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}

	target := filepath.Join(tmp, "victim")
	if err := os.Symlink(target, filepath.Join(dir, "40002.lock")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := lockPort(40002); err == nil {
		t.Error("lock through a symlink succeeded")
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the symlink's target was created: %v", err)
	}

	if err := syscall.Mkfifo(filepath.Join(dir, "40003.lock"), 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, _, err := lockPort(40003); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("lock on a FIFO succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("lock on a FIFO hangs")
	}

	release, ok, err = lockPort(40004)
	if err != nil || !ok {
		t.Fatalf("lock in the user's own directory: ok=%v err=%v", ok, err)
	}
	if _, ok, _ := lockPort(40004); ok {
		t.Error("a held port's lock was taken again")
	}
	release()
}
