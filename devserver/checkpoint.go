package devserver

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Checkpoints copy the pages of a WAL file back into the database file.
// SQLite runs them itself, inside whichever commit crosses
// wal_autocheckpoint pages, and with Temporal's single connection that
// commit holds up every other persistence call of the server while the
// pages are copied and the database file is synced. A checkpointer takes
// that work out of the commit path: it checkpoints from its own
// connection, in PASSIVE mode, which never waits for or blocks a writer.
// SQLite's own checkpoint stays as a backstop (autocheckpointBackstop) for
// a WAL that grows anyway.
const (
	checkpointEvery = 200 * time.Millisecond
	// autocheckpointBackstop is the wal_autocheckpoint of Temporal's
	// connection, in pages: ten times SQLite's default.
	autocheckpointBackstop = 10000
)

// checkpointer checkpoints the WAL of one or more database files in the
// background until stop.
type checkpointer struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startCheckpointer checkpoints each file in paths every checkpointEvery.
func startCheckpointer(logger *slog.Logger, paths ...string) (*checkpointer, error) {
	dbs := make([]*sql.DB, 0, len(paths))
	for _, p := range paths {
		// synchronous(FULL): the checkpoint syncs the WAL before it copies
		// and the database file after, as the server's own would.
		db, err := sql.Open("sqlite", "file:"+uriPath(p)+"?_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)")
		if err != nil {
			for _, d := range dbs {
				d.Close()
			}
			return nil, fmt.Errorf("open %s for checkpoints: %w", p, err)
		}
		db.SetMaxOpenConns(1)
		dbs = append(dbs, db)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{cancel: cancel}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer func() {
			for _, d := range dbs {
				d.Close()
			}
		}()
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			for i, db := range dbs {
				if _, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`); err != nil && ctx.Err() == nil {
					logger.Warn("checkpoint temporal database", "path", paths[i], "error", err)
				}
			}
		}
	}()
	return c, nil
}

// stop ends the checkpoints and closes the connections.
func (c *checkpointer) stop() {
	if c == nil {
		return
	}
	c.cancel()
	c.wg.Wait()
}
