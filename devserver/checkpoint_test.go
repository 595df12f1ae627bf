package devserver

import (
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The checkpointer copies a WAL into its database file while the writer,
// whose own checkpoints are off, keeps writing; after stop it copies
// nothing more.
func TestCheckpointerCopiesTheWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	w, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(wal)&_pragma=wal_autocheckpoint(0)&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.SetMaxOpenConns(1)
	if _, err := w.Exec(`CREATE TABLE t (v TEXT)`); err != nil {
		t.Fatal(err)
	}
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	write := func() {
		for range 64 {
			if _, err := w.Exec(`INSERT INTO t VALUES (?)`, strings.Repeat("x", 16<<10)); err != nil {
				t.Fatal(err)
			}
		}
	}
	write() // 1 MiB, in the WAL only
	if s := size(); s > 256<<10 {
		t.Fatalf("database file is %d bytes before any checkpoint; the test needs the writer not to checkpoint", s)
	}

	c, err := startCheckpointer(slog.New(slog.DiscardHandler), path)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for size() < 1<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("database file is %d bytes 5 s after the checkpointer started, want the 1 MiB written", size())
		}
		time.Sleep(20 * time.Millisecond)
	}

	c.stop()
	before := size()
	write()
	time.Sleep(4 * checkpointEvery)
	if after := size(); after != before {
		t.Errorf("database file grew from %d to %d bytes after stop", before, after)
	}
}
