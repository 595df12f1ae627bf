// Package pgtest gives tests a PostgreSQL schema of their own on the local
// test server (HERALD_TEST_POSTGRES_URL, else 127.0.0.1:5432/test with trust
// authentication). Without a reachable server a test is skipped, except on
// CI (CI=true), where it fails.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// defaultTestURL is the database the tests use when HERALD_TEST_POSTGRES_URL
// is not set: a local server with trust authentication.
const defaultTestURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// adminURL finds, once per test binary, a URL the tests can connect with:
// HERALD_TEST_POSTGRES_URL, else the default as user postgres, then root.
var adminURL = sync.OnceValues(func() (string, error) {
	if u := os.Getenv("HERALD_TEST_POSTGRES_URL"); u != "" {
		return u, tryConnect(u)
	}
	var errs []error
	for _, user := range []string{"postgres", "root"} {
		u, _ := url.Parse(defaultTestURL)
		u.User = url.User(user)
		err := tryConnect(u.String())
		if err == nil {
			return u.String(), nil
		}
		errs = append(errs, err)
	}
	return "", errors.Join(errs...)
})

func tryConnect(u string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// RequireDB returns the admin URL. Without a reachable database the test
// is skipped, except on CI (CI=true), where it fails.
func RequireDB(t testing.TB) string {
	t.Helper()
	admin, err := adminURL()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL unreachable (set HERALD_TEST_POSTGRES_URL): %v", err)
		}
		t.Skipf("PostgreSQL unreachable, skipping (set HERALD_TEST_POSTGRES_URL; CI=true makes this fail): %v", err)
	}
	return admin
}

// URL creates a schema of its own for t, dropped at cleanup, and returns
// a URL whose connections use it (see RequireDB for a missing database).
func URL(t testing.TB) string {
	t.Helper()
	admin := RequireDB(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	Exec(t, admin, `CREATE SCHEMA `+schema)
	t.Cleanup(func() { Exec(t, admin, `DROP SCHEMA `+schema+` CASCADE`) })

	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("HERALD_TEST_POSTGRES_URL is not a URL: %v", err)
	}
	q := u.Query()
	q.Set("options", "-c search_path="+schema)
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20") // pgx reads + literally
	return u.String()
}

// Exec runs one statement on a connection of its own.
func Exec(t testing.TB, u, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatal(err)
	}
}
