package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

// cachedCount returns how many statements the pool's one connection holds.
func cachedCount(t *testing.T, db *sql.DB) int {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	n := -1
	if err := conn.Raw(func(c any) error {
		n = len(c.(*cachingConn).stmts)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	db, err := openPool(dsn(filepath.Join(t.TempDir(), "c.db"), map[string][]string{"_pragma": {"journal_mode(WAL)"}}))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	const insert = `INSERT INTO t (n) VALUES (?)`
	for i := range 5 {
		if _, err := db.ExecContext(ctx, insert, i); err != nil {
			t.Fatal(err)
		}
	}
	if n := cachedCount(t, db); n != 2 {
		t.Errorf("%d cached statements after five runs of one insert, want 2 (create and insert)", n)
	}

	// The same query again while its rows are open: the second run must
	// not reset the first one's rows.
	const sel = `SELECT n FROM t WHERE n >= ? ORDER BY n`
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	outer, err := tx.QueryContext(ctx, sel, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for outer.Next() {
		var a int
		if err := outer.Scan(&a); err != nil {
			t.Fatal(err)
		}
		var count int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (`+sel+`)`, a).Scan(&count); err != nil {
			t.Fatal(err)
		}
		inner, err := tx.QueryContext(ctx, sel, a)
		if err != nil {
			t.Fatal(err)
		}
		var bs []int
		for inner.Next() {
			var b int
			if err := inner.Scan(&b); err != nil {
				t.Fatal(err)
			}
			bs = append(bs, b)
		}
		if err := inner.Close(); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprint(a, bs))
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	want := "[0 [0 1 2 3 4] 1 [1 2 3 4] 2 [2 3 4] 3 [3 4] 4 [4]]"
	if fmt.Sprint(got) != want {
		t.Errorf("nested runs of one query = %v, want %v", got, want)
	}

	// Once its rows are closed the statement is free again, and errors
	// leave it usable.
	if err := db.QueryRowContext(ctx, sel, 4).Scan(new(int)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO nosuch VALUES (1)`); err == nil {
		t.Fatal("insert into a missing table succeeded")
	}
	if _, err := db.ExecContext(ctx, insert, 5); err != nil {
		t.Fatal(err)
	}

	// The cache is bounded; queries beyond it still run.
	for i := range maxCachedStmts + 10 {
		if err := db.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d`, i)).Scan(new(int)); err != nil {
			t.Fatal(err)
		}
	}
	if n := cachedCount(t, db); n != maxCachedStmts {
		t.Errorf("%d cached statements, want the bound %d", n, maxCachedStmts)
	}
}
