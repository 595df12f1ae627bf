package devserver

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"
)

// schemaObjects is the number of tables, indexes and triggers in the
// database at path.
func schemaObjects(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+uriPath(path)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// execSQL runs statements on the database at path, creating it.
func execSQL(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+uriPath(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
}

// A start killed while it built the schema must not stop every later
// start: an empty database file and a half-built one (its namespaces
// table empty; for the visibility database, its visibility table missing)
// are built afresh, private to their owner. A database a server ran on,
// or one whose tables are not Temporal's, is left alone.
func TestPrepareSchemaRecoversFromAnInterruptedBuild(t *testing.T) {
	const marker = `CREATE TABLE herald_marker (x)`
	emptyFile := func(t *testing.T, path string) {
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// What a build killed after its first statements leaves.
	halfBuilt := func(t *testing.T, path string) {
		execSQL(t, path, `CREATE TABLE namespaces (partition_id INTEGER, id BLOB)`, marker)
	}
	notTemporals := func(t *testing.T, path string) { execSQL(t, path, marker) }
	for _, tc := range []struct {
		name    string
		setup   func(t *testing.T, path string)
		main    bool
		rebuilt bool
	}{
		{"empty file", emptyFile, true, true},
		{"half-built", halfBuilt, true, true},
		{"not Temporal's", notTemporals, true, false},
		{"empty visibility file", emptyFile, false, true},
		{"half-built visibility", halfBuilt, false, true},
		{"visibility not Temporal's", notTemporals, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "temporal.db")
			tc.setup(t, path)
			before := schemaObjects(t, path)
			if err := prepareSchema(path, sqlConfig(path), tc.main); err != nil {
				t.Fatalf("prepareSchema: %v", err)
			}
			after := schemaObjects(t, path)
			if !tc.rebuilt {
				if after != before {
					t.Errorf("%d schema objects, then %d: want the database left alone", before, after)
				}
				return
			}
			if after < 10 || after == before {
				t.Fatalf("%d schema objects after prepareSchema (%d before), want Temporal's schema", after, before)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if mode := fi.Mode().Perm(); mode != 0o600 {
				t.Errorf("database mode %v, want 0600", mode)
			}
			if !tc.main {
				return
			}
			// The namespace goes in as on any first start, and from then on
			// the database is kept.
			cfg := Config{DBPath: path, Namespace: "default", Retention: defaultRetention}
			if err := prepareDB(cfg, sqlConfig(path)); err != nil {
				t.Fatalf("prepareDB after the rebuild: %v", err)
			}
			if unused, err := unusedDB(path, true); err != nil || unused {
				t.Errorf("unusedDB of a database with its namespace = %v, %v; want it kept", unused, err)
			}
			execSQL(t, path, marker)
			if err := prepareSchema(path, sqlConfig(path), true); err != nil {
				t.Fatal(err)
			}
			if got := schemaObjects(t, path); got != after+1 {
				t.Errorf("%d schema objects after a second prepareSchema, want the %d there were", got, after+1)
			}
		})
	}
}
