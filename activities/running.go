package activities

import (
	"context"
	"sync"
)

// running counts the attempts in progress. The SDK's worker cancels the
// attempts still running only once each of its internal workers has waited
// out the stop timeout in turn, and returns without waiting for them; a
// request cut short went out all the same, and its log entry is written
// after the cancellation. So the process cuts them short itself and waits
// for those writes (Stop) before it closes the store.
type running struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed while n is 0
}

func (r *running) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == 0 {
		r.idle = make(chan struct{})
	}
	r.n++
}

func (r *running) done() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n--
	if r.n == 0 {
		close(r.idle)
	}
}

// Stop cuts short the attempts still running, as the worker's stop would
// after its timeout, and returns once they have recorded what they sent,
// or false when ctx ends first. Call it after the worker has stopped (or
// given up waiting for it), so no attempt starts; an attempt's request
// that was cut short is logged with its error and made again after the
// next start.
func (a *Activities) Stop(ctx context.Context) bool {
	a.cutShort()
	a.running.mu.Lock()
	idle, n := a.running.idle, a.running.n
	a.running.mu.Unlock()
	if n == 0 {
		return true
	}
	select {
	case <-idle:
		return true
	case <-ctx.Done():
		return false
	}
}
