// Package sqlite implements store.Store on a single SQLite file, using the
// pure-Go modernc.org/sqlite driver (no cgo).
//
// A DB holds two pools on the same file: a write pool of exactly one
// connection, through which every write and transaction goes (BEGIN
// IMMEDIATE), and a read pool of several query-only connections. In WAL mode
// readers never wait for the writer, and because all writes of this process
// queue in database/sql rather than inside SQLite, concurrent delivery
// workers do not meet SQLITE_BUSY. Other processes sharing the file wait up
// to busy_timeout (5 s) for the lock.
//
// Every write, even a single statement, goes through the group committer
// (inTx): once its turn has come it runs to its end whatever happens to
// the caller's ctx, so a call never reports a failure for a write that
// lands. (The driver itself answers ctx.Err() for a statement whose ctx
// ended while it ran, even when it completed.)
//
// Timestamps are stored as fixed-width RFC 3339 text in UTC with nanoseconds
// (so text order is time order), JSON values as text, booleans as 0/1.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strings"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/secretbox"
	"github.com/heraldhub/herald/store"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

var _ store.Store = (*DB)(nil)

// DB is a Herald store backed by one SQLite file. It is safe for concurrent
// use. Close it when done.
type DB struct {
	write  *sql.DB // one connection: every write and transaction
	read   *sql.DB // several query-only connections
	commit *committer
	keys   *secretbox.Keyring // nil: secrets in clear
}

// Open opens (creating if needed) the SQLite database at path, a file system
// path, and applies any schema migrations it has not seen yet. ctx bounds
// only the opening and migrating, not the life of the DB. In-memory
// databases are not supported, since the two pools must share one file.
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: open: want a file system path, got %q", path)
	}
	// A new database is readable by its owner only: it holds event data
	// and request logs. SQLite gives its WAL the database file's mode.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		_ = f.Close()
	}
	write, err := openPool(dsn(path, url.Values{
		"_pragma": {"busy_timeout(5000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(ON)", "secure_delete(ON)", "temp_store(MEMORY)"},
		"_txlock": {"immediate"},
	}))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxIdleTime(0)
	write.SetConnMaxLifetime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := migrate(ctx, write, migrationFiles); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	read, err := openPool(dsn(path, url.Values{
		"_pragma": {"busy_timeout(5000)", "foreign_keys(ON)", "query_only(ON)"},
	}))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.NumCPU())
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	if err := read.PingContext(ctx); err != nil {
		read.Close()
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db := &DB{write: write, read: read, commit: newCommitter(write)}
	for _, o := range opts {
		o(db)
	}
	return db, nil
}

// dsn builds a file: URI for path. Characters SQLite's URI parser treats
// specially are escaped so any path works.
func dsn(path string, params url.Values) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?" + params.Encode()
}

// Ping checks that both pools can reach the database file.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	if err := db.read.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Close closes both pools, waiting for queries in progress to finish.
func (db *DB) Close() error {
	db.commit.close()
	return errors.Join(db.read.Close(), db.write.Close())
}

// inTx runs fn in a write transaction (BEGIN IMMEDIATE) and commits it when
// fn returns nil; otherwise its writes are rolled back and fn's error is
// returned unchanged. Transactions from concurrent callers share commits
// (see committer). fn must not use db.write itself: the single connection
// is taken, and it must run its statements with the ctx it is given, not
// the caller's (see committer.do).
func (db *DB) inTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return db.commit.do(ctx, fn)
}

// notFound is the error of every lookup of a missing row.
func notFound(what string) error {
	return herald.Errorf(herald.ENotFound, "%s not found", what)
}

// dbError wraps err with the operation's name, turning unique violations
// into a conflict *herald.Error about what.
func dbError(op, what string, err error) error {
	if isUniqueViolation(err) {
		return fmt.Errorf("sqlite: %s: %w", op, herald.Errorf(herald.EConflict, "%s already exists", what))
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}
