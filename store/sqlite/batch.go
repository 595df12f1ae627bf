package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// maxBatch bounds how many transactions share one commit.
const maxBatch = 256

// txRequest is one caller's transaction waiting for the committer.
type txRequest struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error
}

// committer runs write transactions with group commit: every transaction
// queued while the previous commit was syncing to disk runs in the next
// database transaction, each inside its own savepoint, and all of them share
// one commit (one fsync). A caller's error rolls back only its own
// savepoint. Under load this turns hundreds of commits a second into a few
// dozen without delaying a lone writer.
type committer struct {
	write *sql.DB
	queue chan txRequest
	wg    sync.WaitGroup

	mu     sync.RWMutex // held for reading while queueing, for writing to close
	closed bool
}

// errClosed answers writes after Close.
var errClosed = errors.New("sqlite: database is closed")

func newCommitter(write *sql.DB) *committer {
	c := &committer{write: write, queue: make(chan txRequest, maxBatch)}
	c.wg.Add(1)
	go c.run()
	return c
}

// do queues fn and waits for its outcome: fn's own error, or the commit's.
// The wait is not cut short by ctx: once queued, fn's work is either
// committed or rolled back before do returns, so a caller never reports a
// failure for a write that then lands. A caller whose ctx is done before
// its turn is skipped. fn gets ctx without its cancellation: the driver
// interrupts a statement whose ctx is cancelled, and SQLite then rolls
// back the whole transaction, every other caller's savepoint with it.
func (c *committer) do(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := txRequest{ctx: ctx, fn: fn, done: make(chan error, 1)}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return errClosed
	}
	c.queue <- req
	c.mu.RUnlock()
	return <-req.done
}

// close stops the committer after the queued transactions ran; later
// writes get errClosed.
func (c *committer) close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.queue)
	}
	c.mu.Unlock()
	c.wg.Wait()
}

func (c *committer) run() {
	defer c.wg.Done()
	batch := make([]txRequest, 0, maxBatch)
	for first := range c.queue {
		batch = append(batch[:0], first)
	fill:
		for len(batch) < maxBatch {
			select {
			case req, ok := <-c.queue:
				if !ok {
					break fill
				}
				batch = append(batch, req)
			default:
				break fill
			}
		}
		c.commit(batch)
	}
}

// commit runs batch in one transaction and answers every request. When
// the transaction fails, every request but the skipped ones gets its
// error, in place of its own: what a caller read, and so what it answered
// (an event that "already exists", a conflict), may have been another
// caller's write, which is now gone too.
func (c *committer) commit(batch []txRequest) {
	results := make([]error, len(batch))
	skipped := make([]bool, len(batch))
	err := c.inOneTx(batch, results, skipped)
	for i, req := range batch {
		if err != nil && !skipped[i] {
			results[i] = err
		}
		req.done <- results[i]
	}
}

// inOneTx runs the requests of batch in one transaction, each in its own
// savepoint, and commits it. results gets each request's own error, and
// skipped marks the requests of callers whose ctx was done before their
// turn, which never ran.
func (c *committer) inOneTx(batch []txRequest, results []error, skipped []bool) error {
	tx, err := c.write.BeginTx(context.Background(), nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	for i, req := range batch {
		if err := req.ctx.Err(); err != nil {
			results[i], skipped[i] = err, true
			continue
		}
		if _, err := tx.Exec(`SAVEPOINT item`); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("savepoint: %w", err)
		}
		results[i] = req.fn(context.WithoutCancel(req.ctx), tx)
		if results[i] != nil {
			if _, err := tx.Exec(`ROLLBACK TO item`); err != nil {
				_ = tx.Rollback()
				return errors.Join(fmt.Errorf("rollback to savepoint: %w", err), results[i])
			}
		}
		if _, err := tx.Exec(`RELEASE item`); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("release savepoint: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
