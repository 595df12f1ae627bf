//go:build unix

package devserver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockPort takes an exclusive, non-blocking lock on a file named for port
// in the system's temporary directory. Every Herald process picks service
// ports from the same range and checks each one by binding and closing it;
// two processes doing that at once (parallel test packages) could both
// pick a port, and the second Temporal service to bind it would run on
// without a listener. The lock makes the choice exclusive among Herald
// processes until release, and the kernel drops it if the process dies.
// It reports ok=false when another holder has the port.
func lockPort(port int) (release func(), ok bool, err error) {
	dir := filepath.Join(os.TempDir(), "herald-ports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, false, fmt.Errorf("port lock directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("%d.lock", port)), os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, false, fmt.Errorf("port lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("lock port %d: %w", port, err)
	}
	return func() { f.Close() }, true, nil
}
