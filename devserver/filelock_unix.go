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
// read-only, which flock allows, without following a symlink and without
// waiting on a FIFO: only a regular file is locked.
func lockFile(path string) (release func(), ok bool, err error) {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("lock file: %w", err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, false, fmt.Errorf("lock file %s: not a regular file", path)
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

// lockPort takes the lock on a file named for port in a directory of the
// user's own: under $XDG_RUNTIME_DIR when that is set, else under the
// system's temporary directory. Every Herald process picks service ports
// from the same range and checks each one by binding and closing it; two
// processes doing that at once (parallel test packages) could both pick a
// port, and the second Temporal service to bind it would run on without a
// listener. The lock makes the choice exclusive among the user's Herald
// processes until release. It reports ok=false when another holder has
// the port. A directory of that name that is not the user's alone
// (another user made it first, to plant links) is not used: the port is
// then taken without a lock, as where flock is missing, rather than
// letting another user block every start.
func lockPort(port int) (release func(), ok bool, err error) {
	dir, usable := portLockDir()
	if !usable {
		return func() {}, true, nil
	}
	return lockFile(filepath.Join(dir, fmt.Sprintf("%d.lock", port)))
}

// portLockDir returns the user's port lock directory, creating it, and
// whether it is a real directory of this user's with mode 0700.
func portLockDir() (string, bool) {
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("herald-ports-%d", os.Getuid()))
	if xdg := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(xdg) {
		dir = filepath.Join(xdg, "herald-ports")
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return dir, false
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return dir, false
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	return dir, fi.IsDir() && st != nil && int(st.Uid) == os.Getuid() && fi.Mode().Perm()&0o077 == 0
}
