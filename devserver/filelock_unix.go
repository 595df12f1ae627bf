//go:build unix

package devserver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockFile takes an exclusive, non-blocking flock on path, creating the
// file if needed. It reports ok=false when another holder has the lock.
// The kernel drops the lock when the process dies. The file is opened
// read-only, which flock allows, so a lock file another user created
// (mode 0644 after their umask) can still be locked.
func lockFile(path string) (release func(), ok bool, err error) {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o666)
	if err != nil {
		return nil, false, fmt.Errorf("lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, true, nil
}

// lockPort takes the lock on a file named for port in the system's
// temporary directory. Every Herald process picks service ports from the
// same range and checks each one by binding and closing it; two processes
// doing that at once (parallel test packages) could both pick a port, and
// the second Temporal service to bind it would run on without a listener.
// The lock makes the choice exclusive among Herald processes, of any user,
// until release. It reports ok=false when another holder has the port.
func lockPort(port int) (release func(), ok bool, err error) {
	dir := filepath.Join(os.TempDir(), "herald-ports")
	if err := os.Mkdir(dir, 0o777); err == nil {
		// Shared by every user, like /tmp itself (the umask narrowed it).
		_ = os.Chmod(dir, 0o777|os.ModeSticky)
	} else if !errors.Is(err, os.ErrExist) {
		return nil, false, fmt.Errorf("port lock directory: %w", err)
	}
	return lockFile(filepath.Join(dir, fmt.Sprintf("%d.lock", port)))
}
