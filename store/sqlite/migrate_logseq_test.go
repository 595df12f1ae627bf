package sqlite

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

// TestLogSeqMigration upgrades a database written before 0002: existing log
// entries keep their insert order for AfterID, new ones follow them, and a
// deleted entry's number is not reused.
func TestLogSeqMigration(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "herald.db")
	old, err := sql.Open("sqlite", dsn(path, map[string][]string{
		"_pragma": {"busy_timeout(5000)", "journal_mode(WAL)", "foreign_keys(ON)"}, "_txlock": {"immediate"},
	}))
	if err != nil {
		t.Fatal(err)
	}
	old.SetMaxOpenConns(1)
	v1, err := fs.ReadFile(migrationFiles, "migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, old, fstest.MapFS{"migrations/0001_init.sql": {Data: v1}}); err != nil {
		t.Fatal(err)
	}
	ts := formatTime(now())
	_, err = old.ExecContext(ctx, `
		INSERT INTO events VALUES ('evt_1', '', 'user.created', ?1, '', '{}', NULL, 'event/evt_1');
		INSERT INTO deliveries VALUES ('del_1', 'evt_1', 'webhook', 'wh_1', 'pending', 3, 500, NULL, ?1, ?1);
		INSERT INTO logs VALUES ('log_c', 'del_1', 'evt_1', 'user.created', 'webhook', 'wh_1', 1, '{}', NULL, 5, NULL, FALSE, ?1);
		INSERT INTO logs VALUES ('log_b', 'del_1', 'evt_1', 'user.created', 'webhook', 'wh_1', 2, '{}', NULL, 5, NULL, FALSE, ?1);
		INSERT INTO logs VALUES ('log_a', 'del_1', 'evt_1', 'user.created', 'webhook', 'wh_1', 3, '{}', NULL, 5, NULL, FALSE, ?1);`, ts)
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	after := func(id string) []string {
		t.Helper()
		ls, _, err := db.ListLogs(ctx, store.LogFilter{TargetID: "wh_1", AfterID: id, Page: store.Page{Limit: 10}})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, l := range ls {
			ids = append(ids, l.ID)
		}
		return ids
	}
	if got := after("log_c"); !slices.Equal(got, []string{"log_b", "log_a"}) {
		t.Errorf("after log_c: %v, want the older entries in insert order", got)
	}

	record := func(id string) {
		t.Helper()
		l := &herald.LogEntry{ID: id}
		if err := db.RecordAttempt(ctx, "del_1", store.AttemptRecord{Log: l, Status: herald.StatusPending}); err != nil {
			t.Fatal(err)
		}
	}
	record("log_0")
	if got := after("log_a"); !slices.Equal(got, []string{"log_0"}) {
		t.Errorf("after log_a: %v, want the new entry", got)
	}
	if _, err := db.write.ExecContext(ctx, `DELETE FROM logs WHERE id = 'log_0'`); err != nil {
		t.Fatal(err)
	}
	record("log_00")
	var seq int
	if err := db.read.QueryRowContext(ctx, `SELECT seq FROM logs WHERE id = 'log_00'`).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	if seq != 5 {
		t.Errorf("seq of the entry after a deleted one = %d, want 5 (numbers are not reused)", seq)
	}
}
