package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"modernc.org/sqlite"
)

// maxCachedStmts bounds each connection's statement cache. The store's SQL
// is a fixed set of strings, far fewer than this; the bound only guards
// against a query built from data.
const maxCachedStmts = 256

// openPool opens a database/sql pool on dsn whose connections keep every
// statement they prepare and reuse it when the same SQL text runs again.
// database/sql prepares, runs and throws away a statement for every
// DB.QueryContext and ExecContext; SQLite's parser then costs more than
// most of the store's statements take to run (about a tenth of all CPU in
// a `herald bench` profile). A cache inside the connection serves the
// whole store, transactions included, without changing a query.
func openPool(dsn string) (*sql.DB, error) {
	base, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(cachingConnector{base}), nil
}

type cachingConnector struct{ driver.Connector }

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newCachingConn(conn)
}

// base is what every modernc connection implements, as its NewConnector
// documentation lists; a wrapper must pass all of it through.
type base interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachingConn is one connection with its statement cache. database/sql
// uses a connection from one goroutine at a time, so it needs no lock.
type cachingConn struct {
	base
	stmts map[string]*cachedStmt
}

type cachedStmt struct {
	stmt interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}
	// busy is set while rows read from the statement are open: running
	// it again then would reset those rows.
	busy bool
}

func newCachingConn(conn driver.Conn) (*cachingConn, error) {
	b, ok := conn.(base)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("sqlite: connection %T lacks the driver's context interfaces", conn)
	}
	return &cachingConn{base: b, stmts: map[string]*cachedStmt{}}, nil
}

// Unwrap returns the driver's connection (see sqlite.NewConnector).
func (c *cachingConn) Unwrap() driver.Conn { return c.base }

// stmt returns the cached statement for query, preparing it on first use,
// or nil when it cannot be used now (busy, or the cache is full).
func (c *cachingConn) stmt(ctx context.Context, query string) (*cachedStmt, error) {
	if s, ok := c.stmts[query]; ok {
		if s.busy {
			return nil, nil
		}
		return s, nil
	}
	if len(c.stmts) >= maxCachedStmts {
		return nil, nil
	}
	ds, err := c.base.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	st, ok := ds.(interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	})
	if !ok {
		ds.Close()
		return nil, nil
	}
	s := &cachedStmt{stmt: st}
	c.stmts[query] = s
	return s, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.base.ExecContext(ctx, query, args)
	}
	return s.stmt.ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.base.QueryContext(ctx, query, args)
	}
	rows, err := s.stmt.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	s.busy = true
	return &cachedRows{Rows: rows, stmt: s}, nil
}

// Close closes the cached statements, then the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for q, s := range c.stmts {
		errs = append(errs, s.stmt.Close())
		delete(c.stmts, q)
	}
	errs = append(errs, c.base.Close())
	return errors.Join(errs...)
}

// cachedRows frees its statement for reuse when closed.
type cachedRows struct {
	driver.Rows
	stmt *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.stmt.busy = false
	return err
}
