package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
	"github.com/heraldhub/herald/store/storetest"
)

// openTemp opens a new database in t's temporary directory, closed at cleanup.
func openTemp(t testing.TB) *DB {
	t.Helper()
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "herald.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

func TestOpenRejectsNonFiles(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:x.db?mode=memory"} {
		if db, err := Open(t.Context(), path); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded, want an error", path)
		}
	}
}

func TestOpenOddPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "we?ird #dir%20", "herald.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at the given path: %v", err)
	}
}

func TestOpenRelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	db, err := Open(t.Context(), filepath.Join("data", "..", "herald.db"))
	if err == nil {
		err = db.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "herald.db")); err != nil {
		t.Errorf("database not at the relative path: %v", err)
	}
}

func TestReopenKeepsDataAndMigrations(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "herald.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	w := &herald.Webhook{URL: "https://example.com", Method: "POST", Events: []string{"*"}, Secret: "s3cret-s3cret-s3cret", Enabled: true}
	if err := db.CreateWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
	before := appliedMigrations(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	got, err := db.GetWebhook(ctx, w.ID)
	if err != nil {
		t.Fatalf("webhook after reopen: %v", err)
	}
	if got.Secret != w.Secret {
		t.Errorf("secret after reopen = %q, want %q", got.Secret, w.Secret)
	}
	after := appliedMigrations(t, db)
	if len(before) == 0 || fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("schema_migrations changed on reopen:\nbefore %v\n after %v", before, after)
	}
}

// appliedMigrations lists schema_migrations as "version name applied_at".
func appliedMigrations(t *testing.T, db *DB) []string {
	t.Helper()
	rows, err := db.read.QueryContext(t.Context(), `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v int
		var name, at string
		if err := rows.Scan(&v, &name, &at); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(v, " ", name, " ", at))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestConcurrentWriters has workers create events and record attempts at
// once, with readers alongside; no call may fail (in particular with
// SQLITE_BUSY) and every attempt must be counted.
func TestConcurrentWriters(t *testing.T) {
	const workers, perWorker = 8, 50
	db := openTemp(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	wh := herald.NewID(herald.PrefixWebhook)

	var wg sync.WaitGroup
	errs := make(chan error, 2*workers)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				ev := &herald.Event{Name: "user.created", Data: []byte(`{"id":1}`)}
				if i%5 == 0 {
					ev.ClientID = fmt.Sprintf("w%d-%d", w, i)
				}
				d := &herald.Delivery{TargetType: herald.TargetWebhook, TargetID: wh}
				if _, _, err := db.CreateEvent(ctx, store.CreateEventRequest{Event: ev, Deliveries: []*herald.Delivery{d}}); err != nil {
					errs <- fmt.Errorf("create event: %w", err)
					return
				}
				rec := store.AttemptRecord{Log: &herald.LogEntry{Response: &herald.LogResponse{Status: 200}},
					Status: herald.StatusSucceeded, StatusCode: new(200)}
				if err := db.RecordAttempt(ctx, d.ID, rec); err != nil {
					errs <- fmt.Errorf("record attempt: %w", err)
					return
				}
			}
		})
		wg.Go(func() {
			for range perWorker {
				if _, _, err := db.ListLogs(ctx, store.LogFilter{TargetID: wh, Status: "success", Page: store.Page{Limit: 20}}); err != nil {
					errs <- fmt.Errorf("list logs: %w", err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM logs WHERE success`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != workers*perWorker {
		t.Errorf("%d successful log entries, want %d", n, workers*perWorker)
	}
}
