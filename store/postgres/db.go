// Package postgres implements store.Store on PostgreSQL through pgx v5's
// native interface and its connection pool (pgxpool): Herald needs no
// database/sql portability here, and pgx gives TIMESTAMPTZ as time.Time,
// JSONB, typed errors (SQLSTATE codes), batches in one round trip, and a
// per-connection hook (AfterConnect) to fix the time zone of scanned times.
//
// The schema lives in the first schema of the connection's search_path, so
// several Herald installations (or tests) can share one database, each with
// its own schema: options=-c%20search_path%3Dherald in the URL (pgx reads a
// "+" there literally, so spaces must be %20). Behind a transaction-pooling
// PgBouncer add default_query_exec_mode=exec, since pgx otherwise caches
// prepared statements per connection.
//
// Concurrency comes from PostgreSQL itself: every read is one statement and
// every write one READ COMMITTED transaction (but for the stopping of
// pending deliveries that follows an automatic disable, see stopPending),
// and the few read-modify-write steps
// rely on row locks (RecordWebhookResult, ReserveSlot), unique indexes
// (CreateEvent) or advisory locks (migrations, log recording order).
//
// Writes run in a transaction (inTx), even a single statement:
// cancelling a call's ctx aborts the statement in progress and the call
// writes nothing, while a transaction whose work is done is committed
// regardless of ctx. So cancellation never makes a call report a failure
// for a write that then lands, as it could for a statement run on its own
// (only a connection lost during COMMIT leaves the outcome unknown, as
// with any database).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/secretbox"
	"github.com/heraldhub/herald/store"
)

var _ store.Store = (*DB)(nil)

// DB is a Herald store backed by a PostgreSQL database. It is safe for
// concurrent use by any number of goroutines and processes. Close it when
// done.
type DB struct {
	pool *pgxpool.Pool
	keys *secretbox.Keyring // nil: secrets in clear
}

// Option configures Open.
type Option func(*DB)

// WithKeyring encrypts secretColumns (webhook secrets and headers,
// connector configs, source secrets) at rest with keys: the current key
// seals every write, any key of the ring opens.
// Without it they are stored in clear (tests, and databases created before
// encryption; such rows are still read, and re-sealed by Reseal).
func WithKeyring(keys *secretbox.Keyring) Option {
	return func(db *DB) { db.keys = keys }
}

// Open connects to the database at url (postgres://user@host:port/db?...,
// or a libpq key=value string; pool_max_conns and the other pgxpool
// parameters are honoured) and applies any schema migrations it has not
// seen yet. ctx bounds only the connecting and migrating, not the life of
// the DB. Errors do not contain the password.
func Open(ctx context.Context, url string, opts ...Option) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		// Scan TIMESTAMPTZ in UTC rather than the process's local zone.
		conn.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	}
	pool, err := connect(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := migrate(ctx, pool, migrationFiles); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	db := &DB{pool: pool}
	for _, o := range opts {
		o(db)
	}
	return db, nil
}

// connect opens the pool. The store's statements are written for READ
// COMMITTED, PostgreSQL's default: under a stricter default of the
// database or role, concurrent publishes and updates would fail with
// serialization errors instead of waiting for each other. Transactions
// ask for READ COMMITTED themselves (inTx); for the single statements,
// such a default is overridden for Herald's sessions with a start-up
// parameter. A connection pooler such as PgBouncer may refuse that
// parameter or drop it: the pool then stays as it was, and only the
// single statements run at the stricter level.
func connect(ctx context.Context, cfg *pgxpool.Config) (*pgxpool.Pool, error) {
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	level, err := isolation(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, err
	}
	if level == "read committed" {
		return pool, nil
	}
	override := cfg.Copy()
	override.ConnConfig.RuntimeParams["default_transaction_isolation"] = "read committed"
	if p, err := pgxpool.NewWithConfig(ctx, override); err == nil {
		if level, err := isolation(ctx, p); err == nil && level == "read committed" {
			pool.Close()
			return p, nil
		}
		p.Close()
	}
	return pool, nil
}

// isolation is the default transaction isolation of the pool's sessions.
func isolation(ctx context.Context, pool *pgxpool.Pool) (string, error) {
	var level string
	err := pool.QueryRow(ctx, `SHOW default_transaction_isolation`).Scan(&level)
	return level, err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close closes every connection, waiting for those in use to be released.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// inTx runs fn in a READ COMMITTED transaction and commits it when fn
// returns nil; otherwise it rolls back and returns fn's error unchanged.
// The commit is not cut short by a cancelled ctx (see the package doc).
func (db *DB) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	if err := tx.Commit(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// execer runs a statement: the pool, or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// now is the current time as the store records it: UTC, truncated to the
// microsecond that TIMESTAMPTZ keeps, so values written back to callers
// equal what a later read returns.
func now() time.Time { return herald.Now() }

// notFound is the error of every lookup of a missing row.
func notFound(what string) error {
	return herald.Errorf(herald.ENotFound, "%s not found", what)
}

// dbError wraps err with the operation's name. Unique violations (SQLSTATE
// 23505) become a conflict *herald.Error about what, and data exceptions
// (class 22: a NUL byte or invalid UTF-8 in text, malformed JSON, a number
// out of range) an invalid one, since they come from the values given. An
// err that already is a *herald.Error keeps its code.
func dbError(op, what string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505":
			err = herald.Errorf(herald.EConflict, "%s already exists", what)
		case strings.HasPrefix(pgErr.Code, "22"):
			err = herald.Errorf(herald.EInvalid, "%s has a value the database cannot store", what)
		}
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}
