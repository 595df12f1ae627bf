package sqlite

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// openRaw opens a write pool on a new file without migrating it.
func openRaw(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(filepath.Join(t.TempDir(), "m.db"), map[string][]string{
		"_pragma": {"busy_timeout(5000)", "journal_mode(WAL)"}, "_txlock": {"immediate"},
	}))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrateAppliesOnlyNewOnes(t *testing.T) {
	ctx := t.Context()
	db := openRaw(t)
	v1 := fstest.MapFS{
		"migrations/0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER); INSERT INTO a VALUES (1);")},
	}
	if err := migrate(ctx, db, v1); err != nil {
		t.Fatal(err)
	}
	// 0001 is not idempotent: running it again would fail on CREATE TABLE.
	v2 := fstest.MapFS{
		"migrations/0001_a.sql": v1["migrations/0001_a.sql"],
		"migrations/0002_b.sql": {Data: []byte("CREATE TABLE b (y TEXT);\nINSERT INTO a VALUES (2);")},
	}
	if err := migrate(ctx, db, v2); err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, db, v2); err != nil {
		t.Fatal(err)
	}
	var n, versions int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM a`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if n != 2 || versions != 2 {
		t.Errorf("rows in a = %d, migrations recorded = %d; want 2 and 2", n, versions)
	}
}

func TestMigrateFailureRollsBack(t *testing.T) {
	ctx := t.Context()
	db := openRaw(t)
	bad := fstest.MapFS{
		"migrations/0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
		"migrations/0002_b.sql": {Data: []byte("CREATE TABLE b (y TEXT); THIS IS NOT SQL;")},
	}
	if err := migrate(ctx, db, bad); err == nil || !strings.Contains(err.Error(), "0002_b.sql") {
		t.Fatalf("migrate = %v, want an error naming 0002_b.sql", err)
	}
	var tables int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE name = 'b'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Error("the failed migration's table b exists")
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	ctx := t.Context()
	db := openRaw(t)
	v2 := fstest.MapFS{
		"migrations/0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
		"migrations/0002_b.sql": {Data: []byte("CREATE TABLE b (y TEXT);")},
	}
	if err := migrate(ctx, db, v2); err != nil {
		t.Fatal(err)
	}
	v1 := fstest.MapFS{"migrations/0001_a.sql": v2["migrations/0001_a.sql"]}
	if err := migrate(ctx, db, v1); err == nil {
		t.Error("an older program migrated a newer database")
	}
}

func TestLoadMigrationsRejectsBadNames(t *testing.T) {
	for _, fsys := range []fstest.MapFS{
		{"migrations/init.sql": {}},
		{"migrations/0001_a.sql": {}, "migrations/1_b.sql": {}},
	} {
		if _, err := loadMigrations(fsys); err == nil {
			t.Errorf("loadMigrations(%v) succeeded", fsys)
		}
	}
}

func TestEmbeddedMigrationsLoad(t *testing.T) {
	ms, err := loadMigrations(migrationFiles)
	if err != nil || len(ms) == 0 || ms[0].version != 1 {
		t.Fatalf("embedded migrations: %v, %d files", err, len(ms))
	}
}

// A program from before webhook headers were sealed knows migrations up to
// 0010 only; it must refuse a database this version wrote rather than
// open it and fail on every webhook it reads.
func TestSealedHeadersFormatRefusesOlderPrograms(t *testing.T) {
	ctx := t.Context()
	db := openRaw(t)
	if err := migrate(ctx, db, migrationFiles); err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	older := fstest.MapFS{}
	for _, m := range ms {
		if m.version <= 10 {
			older["migrations/"+m.name] = &fstest.MapFile{Data: []byte(m.sql)}
		}
	}
	if err := migrate(ctx, db, older); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("a program knowing migrations up to 0010 opened the database: %v", err)
	}
}
