package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Concurrent transactions share commits, yet each one's failure rolls back
// only its own writes.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	ctx := context.Background()
	db := openWithTable(t)
	errOdd := errors.New("odd")
	const n = 400
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO t (x) VALUES (?)`, i); err != nil {
					return err
				}
				if i%2 == 1 {
					return errOdd
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if (i%2 == 1) != errors.Is(err, errOdd) || (i%2 == 0 && err != nil) {
			t.Fatalf("transaction %d: error %v", i, err)
		}
	}
	var count, odd int
	if err := db.read.QueryRow(`SELECT count(*), count(CASE WHEN x % 2 = 1 THEN 1 END) FROM t`).Scan(&count, &odd); err != nil {
		t.Fatal(err)
	}
	if count != n/2 || odd != 0 {
		t.Errorf("%d rows (%d odd), want %d even rows", count, odd, n/2)
	}
}

// A cancelled caller's transaction does not run.
func TestGroupCommitSkipsCancelledCaller(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err = db.inTx(ctx, func(context.Context, *sql.Tx) error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Errorf("err %v, ran %v; want context.Canceled and not run", err, ran)
	}
}

// A caller whose ctx is cancelled while its statement runs must not take
// the other callers of its batch down: SQLite rolls back the whole
// transaction when the driver interrupts a write.
func TestGroupCommitCancelMidStatementSparesOthers(t *testing.T) {
	ctx := context.Background()
	db := openWithTable(t)
	// Hold the committer so that the next two callers share a batch, the
	// innocent one first.
	release := make(chan struct{})
	held := make(chan struct{})
	go func() {
		_ = db.inTx(ctx, func(context.Context, *sql.Tx) error { close(held); <-release; return nil })
	}()
	<-held
	innocent := make(chan error, 1)
	go func() {
		innocent <- db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO t (x) VALUES (-1)`)
			return err
		})
	}()
	time.Sleep(50 * time.Millisecond)
	cancelled, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_ = db.inTx(cancelled, func(ctx context.Context, tx *sql.Tx) error {
			time.AfterFunc(20*time.Millisecond, cancel)
			_, err := tx.ExecContext(ctx, `INSERT INTO t (x)
				WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500000) SELECT x FROM c`)
			return err
		})
	}()
	time.Sleep(50 * time.Millisecond)
	close(release)
	if err := <-innocent; err != nil {
		t.Fatalf("the other caller of the batch failed: %v", err)
	}
	var n int
	if err := db.read.QueryRow(`SELECT count(*) FROM t WHERE x = -1`).Scan(&n); err != nil || n != 1 {
		t.Errorf("the other caller's row: count %d, %v; want it committed", n, err)
	}
}

// Writes after Close get an error, not a panic.
func TestGroupCommitAfterClose(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.inTx(context.Background(), func(context.Context, *sql.Tx) error { return nil }); err == nil {
		t.Error("a write after Close succeeded")
	}
}

// openWithTable opens a fresh database with a table t (x INTEGER).
func openWithTable(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.write.Exec(`CREATE TABLE t (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	return db
}

// When a batch's commit fails, every caller of the batch hears of it, even
// one whose own function failed: its answer may rest on another caller's
// write that the failed commit took away (CreateEvent's "already exists").
func TestGroupCommitFailureReachesEveryCaller(t *testing.T) {
	ctx := context.Background()
	db := openWithTable(t)
	if _, err := db.write.Exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
		CREATE TABLE child (parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)`); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	held := make(chan struct{})
	go func() {
		_ = db.inTx(ctx, func(context.Context, *sql.Tx) error { close(held); <-release; return nil })
	}()
	<-held
	errSeen := errors.New("saw the row of the first caller")
	queue := func(fn func(ctx context.Context, tx *sql.Tx) error) <-chan error {
		out := make(chan error, 1)
		n := len(db.commit.queue)
		go func() { out <- db.inTx(ctx, fn) }()
		for len(db.commit.queue) == n { // keep the order within the batch
			time.Sleep(time.Millisecond)
		}
		return out
	}
	writer := queue(func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO t (x) VALUES (7)`)
		return err
	})
	reader := queue(func(ctx context.Context, tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM t WHERE x = 7`).Scan(&n); err != nil {
			return err
		}
		if n == 1 {
			return errSeen // as CreateEvent's errExisted
		}
		return nil
	})
	// A foreign key checked at commit fails the whole transaction, as a
	// full disk or an I/O error would.
	breaker := queue(func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO child (parent) VALUES (42)`)
		return err
	})
	close(release)
	for name, ch := range map[string]<-chan error{"writer": writer, "reader": reader, "breaker": breaker} {
		if err := <-ch; err == nil || errors.Is(err, errSeen) || !strings.Contains(err.Error(), "commit") {
			t.Errorf("%s: error %v, want the failed commit", name, err)
		}
	}
	var n int
	if err := db.read.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 0 {
		t.Errorf("rows after the failed commit: %d, %v", n, err)
	}
}
