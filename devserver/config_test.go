package devserver

import (
	"path/filepath"
	"testing"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	"go.temporal.io/server/common/resolver"
)

// TestSQLitePragmas opens a scratch database through Temporal's sqlite
// plugin with the attributes Start uses and reads back the pragmas the
// connection actually runs with. The plugin's DB offers no query method,
// so the probe passes the values through its schema_version table.
func TestSQLitePragmas(t *testing.T) {
	cfg := sqlConfig(filepath.Join(t.TempDir(), "probe.db"))
	db, err := sql.NewSQLAdminDB(sqlplugin.DbKindUnknown, cfg, resolver.NewNoopResolver(), log.NewNoopLogger(), metrics.NoopMetricsHandler)
	if err != nil {
		t.Fatalf("open through the sqlite plugin: %v", err)
	}
	defer db.Close()
	if err := db.CreateSchemaVersionTables(); err != nil {
		t.Fatal(err)
	}
	const probe = `INSERT INTO schema_version (version_partition, db_name, curr_version)
		SELECT 0, 'probe',
			(SELECT * FROM pragma_journal_mode) || ',' ||
			(SELECT * FROM pragma_synchronous) || ',' ||
			(SELECT * FROM pragma_busy_timeout)`
	if err := db.Exec(probe); err != nil {
		t.Fatalf("probe pragmas: %v", err)
	}
	got, err := db.ReadSchemaVersion("probe")
	if err != nil {
		t.Fatal(err)
	}
	// synchronous 2 is FULL, which is also SQLite's usual compiled-in
	// default; journal_mode and busy_timeout differ from their defaults and
	// show that the attributes reach the connection.
	if want := "wal,2,10000"; got != want {
		t.Errorf("journal_mode,synchronous,busy_timeout = %q, want %q", got, want)
	}
}

func TestDialIP(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1": "127.0.0.1",
		"0.0.0.0":   "127.0.0.1",
		"::":        "::1",
		"10.1.2.3":  "10.1.2.3",
	} {
		if got := dialIP(in); got != want {
			t.Errorf("dialIP(%q) = %q, want %q", in, got, want)
		}
	}
}

// Ports for the services come from below the ephemeral range, where no
// outgoing connection can take them before Temporal binds them.
func TestFreePortAvoidsEphemeralRange(t *testing.T) {
	low := ephemeralLow()
	for range 20 {
		port, unlock, err := freePort("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		if port < 10000 || port >= low {
			t.Errorf("port %d outside [10000, %d)", port, low)
		}
		if err := checkPort("127.0.0.1", port); err != nil {
			t.Errorf("port %d is not free: %v", port, err)
		}
	}
}
