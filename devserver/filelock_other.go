//go:build !unix

package devserver

// lockFile locks nothing where flock is not available.
func lockFile(string) (release func(), ok bool, err error) { return func() {}, true, nil }

// lockPort reserves nothing where flock is not available; ports are only
// checked by binding them (see the unix version).
func lockPort(int) (release func(), ok bool, err error) { return func() {}, true, nil }
