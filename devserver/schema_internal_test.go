package devserver

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"
)

// tableCount is the number of tables and indexes in the database at path.
func tableCount(t *testing.T, path string) int {
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

// A start killed while it built the schema must not stop every later
// start. An empty database file (what an older Herald left when killed
// then) and the half-built file of an interrupted build are built afresh;
// the schema lands in place whole, private to its owner; a database with
// tables is left alone.
func TestPrepareSchemaRecoversFromAnInterruptedBuild(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "temporal.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil { // empty, as a kill left it
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".new", []byte("half a schema"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := prepareSchema(path, sqlConfig(path)); err != nil {
		t.Fatalf("prepareSchema over an empty file: %v", err)
	}
	built := tableCount(t, path)
	if built < 10 {
		t.Fatalf("%d schema objects after prepareSchema, want Temporal's schema", built)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("database mode %v, want 0600", mode)
	}
	if _, err := os.Stat(path + ".new"); !os.IsNotExist(err) {
		t.Errorf("the build file is still there: %v", err)
	}
	// The namespace goes in as on any first start.
	cfg := Config{DBPath: path, Namespace: "default", Retention: defaultRetention}
	if err := prepareDB(cfg, sqlConfig(path)); err != nil {
		t.Fatalf("prepareDB after the rebuild: %v", err)
	}

	// A database with tables is kept as it is.
	db, err := sql.Open("sqlite", "file:"+uriPath(path))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE herald_marker (x)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := prepareSchema(path, sqlConfig(path)); err != nil {
		t.Fatal(err)
	}
	if got := tableCount(t, path); got != built+1 {
		t.Errorf("%d schema objects after a second prepareSchema, want the %d there were", got, built+1)
	}
}
