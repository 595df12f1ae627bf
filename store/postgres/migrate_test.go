package postgres

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/heraldhub/herald"
)

// appliedMigrations lists schema_migrations as "version name".
func appliedMigrations(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	var out []string
	err := pool.QueryRow(t.Context(), `SELECT COALESCE(array_agg(version || ' ' || name ORDER BY version), '{}')
		FROM schema_migrations`).Scan(&out)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Processes starting at once against an empty schema apply each migration
// exactly once, and all of them open.
func TestMigrateConcurrentOpen(t *testing.T) {
	u := testURL(t)
	const n = 6
	var wg sync.WaitGroup
	dbs := make([]*DB, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = Open(t.Context(), u) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("opener %d: %v", i, errs[i])
		}
		defer dbs[i].Close()
	}
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	if got := appliedMigrations(t, dbs[0].pool); len(got) != len(ms) {
		t.Errorf("schema_migrations = %v, want %d entries", got, len(ms))
	}
}

func TestReopenKeepsDataAndMigrations(t *testing.T) {
	ctx := context.Background()
	u := testURL(t)
	db := openURL(t, u)
	w := &herald.Webhook{URL: "https://example.com", Method: "POST", Events: []string{"*"}, Secret: "s3cret-s3cret-s3cret", Enabled: true}
	if err := db.CreateWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
	before := appliedMigrations(t, db.pool)
	db.Close()

	db = openURL(t, u)
	got, err := db.GetWebhook(ctx, w.ID)
	if err != nil || got.Secret != w.Secret {
		t.Fatalf("webhook after reopen: %v, %v", got, err)
	}
	if after := appliedMigrations(t, db.pool); len(before) == 0 || strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("schema_migrations changed on reopen:\nbefore %v\n after %v", before, after)
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	u := testURL(t)
	db := openURL(t, u)
	if _, err := db.pool.Exec(t.Context(), `INSERT INTO schema_migrations VALUES (9999, '9999_future.sql', now())`); err != nil {
		t.Fatal(err)
	}
	if again, err := Open(t.Context(), u); err == nil || !strings.Contains(err.Error(), "newer") {
		if again != nil {
			again.Close()
		}
		t.Errorf("Open of a newer schema: %v, want an error saying so", err)
	}
}

// A failing migration leaves nothing behind: its transaction rolls back.
func TestMigrateFailureRollsBack(t *testing.T) {
	fsys := fstest.MapFS{
		"migrations/0001_a.sql": {Data: []byte(`CREATE TABLE a (x INTEGER);`)},
		"migrations/0002_b.sql": {Data: []byte(`CREATE TABLE b (x INTEGER); SELECT 1/0;`)},
	}
	pool, err := pgxpool.New(t.Context(), testURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := migrate(t.Context(), pool, fsys); err == nil || !strings.Contains(err.Error(), "0002_b.sql") {
		t.Fatalf("migrate = %v, want an error naming 0002_b.sql", err)
	}
	var tables []string
	err = pool.QueryRow(t.Context(), `SELECT COALESCE(array_agg(tablename::text ORDER BY tablename), '{}')
		FROM pg_tables WHERE schemaname = current_schema()`).Scan(&tables)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(tables, ",") != "a,schema_migrations" {
		t.Errorf("tables after a failed migration: %v, want a and schema_migrations", tables)
	}
	if got := appliedMigrations(t, pool); strings.Join(got, ",") != "1 0001_a.sql" {
		t.Errorf("schema_migrations = %v, want only 0001", got)
	}
}
