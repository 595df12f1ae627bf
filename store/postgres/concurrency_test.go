package postgres

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

// openPair opens two stores on one fresh schema, standing for two Herald
// processes sharing the database.
func openPair(t *testing.T) [2]*DB {
	u := testURL(t)
	return [2]*DB{openURL(t, u), openURL(t, u)}
}

// record creates an event with one delivery to target and records one
// successful attempt; it returns the log entry's ID.
func record(ctx context.Context, db *DB, target, clientID string) (string, error) {
	ev := &herald.Event{Name: "user.created", ClientID: clientID, Data: []byte(`{"id":1}`)}
	d := &herald.Delivery{TargetType: herald.TargetWebhook, TargetID: target}
	if _, _, err := db.CreateEvent(ctx, store.CreateEventRequest{Event: ev, Deliveries: []*herald.Delivery{d}}); err != nil {
		return "", fmt.Errorf("create event: %w", err)
	}
	l := &herald.LogEntry{Response: &herald.LogResponse{Status: 200}}
	rec := store.AttemptRecord{Log: l, Status: herald.StatusSucceeded, StatusCode: new(200)}
	if err := db.RecordAttempt(ctx, d.ID, rec); err != nil {
		return "", fmt.Errorf("record attempt: %w", err)
	}
	return l.ID, nil
}

// TestConcurrentWriters has workers of two stores create events and record
// attempts at once, with readers alongside: no call fails and every attempt
// is counted.
func TestConcurrentWriters(t *testing.T) {
	const workers, perWorker = 8, 40
	dbs := openPair(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	wh := herald.NewID(herald.PrefixWebhook)

	var wg sync.WaitGroup
	errs := make(chan error, 2*workers)
	for w := range workers {
		db := dbs[w%2]
		wg.Go(func() {
			for i := range perWorker {
				clientID := ""
				if i%5 == 0 {
					clientID = fmt.Sprintf("w%d-%d", w, i)
				}
				if _, err := record(ctx, db, wh, clientID); err != nil {
					errs <- err
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
	if err := dbs[0].pool.QueryRow(ctx, `SELECT COUNT(*) FROM logs WHERE success`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != workers*perWorker {
		t.Errorf("%d successful log entries, want %d", n, workers*perWorker)
	}
}

// TestClientIDRaceAcrossStores races many publishers of the same ClientIDs
// through two stores: each ClientID is created exactly once. It does so
// also on a database whose default isolation is stricter than READ
// COMMITTED, where the racers would fail with serialization errors.
func TestClientIDRaceAcrossStores(t *testing.T) {
	t.Run("default isolation", func(t *testing.T) { clientIDRace(t, openPair(t)) })
	t.Run("database default repeatable read", func(t *testing.T) {
		u := repeatableReadURL(t)
		dbs := [2]*DB{openURL(t, u), openURL(t, u)}
		var level string
		if err := dbs[0].pool.QueryRow(t.Context(), `SHOW default_transaction_isolation`).Scan(&level); err != nil || level != "read committed" {
			t.Fatalf("Herald's sessions run at %q (%v), want read committed", level, err)
		}
		clientIDRace(t, dbs)
	})
}

// repeatableReadURL is a fresh schema's URL whose sessions default to
// REPEATABLE READ, as a database or role may be configured.
func repeatableReadURL(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(testURL(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("options", q.Get("options")+` -c default_transaction_isolation=repeatable\ read`)
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	return u.String()
}

// Transactions ask for READ COMMITTED themselves, so they keep it where
// the session default could not be overridden (a pooler that drops
// start-up parameters).
func TestTransactionsRunAtReadCommitted(t *testing.T) {
	pool, err := pgxpool.New(t.Context(), repeatableReadURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	db := &DB{pool: pool} // as connect leaves it when the override fails
	var level string
	err = db.inTx(t.Context(), func(tx pgx.Tx) error {
		return tx.QueryRow(t.Context(), `SHOW transaction_isolation`).Scan(&level)
	})
	if err != nil || level != "read committed" {
		t.Errorf("a transaction ran at %q (%v), want read committed", level, err)
	}
}

func clientIDRace(t *testing.T, dbs [2]*DB) {
	const racers, keys = 8, 25
	var mu sync.Mutex
	created := map[string]int{}
	ids := map[string]map[string]bool{}
	var wg sync.WaitGroup
	for r := range racers {
		db := dbs[r%2]
		wg.Go(func() {
			for k := range keys {
				key := fmt.Sprintf("key-%d", k)
				ev := &herald.Event{Name: "user.created", ClientID: key, Data: []byte(`{}`)}
				d := &herald.Delivery{TargetType: herald.TargetWebhook, TargetID: "wh_x"}
				got, existed, err := db.CreateEvent(t.Context(), store.CreateEventRequest{Event: ev, Deliveries: []*herald.Delivery{d}})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if !existed {
					created[key]++
				}
				if ids[key] == nil {
					ids[key] = map[string]bool{}
				}
				ids[key][got.ID] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for k := range keys {
		key := fmt.Sprintf("key-%d", k)
		if created[key] != 1 || len(ids[key]) != 1 {
			t.Errorf("%s: created %d times, %d distinct events returned; want 1 and 1", key, created[key], len(ids[key]))
		}
	}
	var events, deliveries int
	if err := dbs[0].pool.QueryRow(t.Context(), `SELECT (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM deliveries)`).Scan(&events, &deliveries); err != nil {
		t.Fatal(err)
	}
	if events != keys || deliveries != keys {
		t.Errorf("%d events and %d deliveries stored, want %d of each", events, deliveries, keys)
	}
}

// TestLogStreamUnderConcurrentWriters follows the live stream (ListLogs
// with AfterID, a small page at a time) while writers of two stores record
// attempts: the stream must see every entry exactly once, in seq order,
// however the writers' commits interleave.
func TestLogStreamUnderConcurrentWriters(t *testing.T) {
	const writers, perWriter = 12, 30
	dbs := openPair(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	wh := herald.NewID(herald.PrefixWebhook)
	seed, err := record(ctx, dbs[0], wh, "")
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var written []string
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for range perWriter {
				id, err := record(ctx, dbs[w%2], wh, "")
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				written = append(written, id)
				mu.Unlock()
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	var streamed []string
	after, finished := seed, false
	for {
		ls, _, err := dbs[1].ListLogs(ctx, store.LogFilter{TargetID: wh, AfterID: after, Page: store.Page{Limit: 7}})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			streamed = append(streamed, l.ID)
		}
		if len(ls) > 0 {
			after = ls[len(ls)-1].ID
			continue
		}
		if finished {
			break
		}
		select {
		case <-done:
			finished = true // one more poll after the last commit
		default:
		}
	}

	if len(streamed) != len(written) {
		t.Errorf("streamed %d entries, %d were written", len(streamed), len(written))
	}
	seen := map[string]bool{}
	for _, id := range streamed {
		if seen[id] {
			t.Errorf("entry %s streamed twice", id)
		}
		seen[id] = true
	}
	for _, id := range written {
		if !seen[id] {
			t.Errorf("entry %s was never streamed", id)
		}
	}
	var bySeq []string
	if err := dbs[0].pool.QueryRow(ctx, `SELECT array_agg(id ORDER BY seq) FROM logs WHERE id <> $1`, seed).Scan(&bySeq); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(streamed, bySeq) {
		t.Error("the stream's order is not seq order")
	}
}

// A success that waits for its target's row (locked by an edit, or by a
// key rotation's reseal) holds up no other target's log writes: the lock
// that orders log entries is taken last in the transaction.
func TestLockedTargetHoldsUpOnlyItsOwnLogWrites(t *testing.T) {
	dbs := openPair(t)
	ctx := t.Context()
	var hooks [2]*herald.Webhook
	for i := range hooks {
		hooks[i] = &herald.Webhook{URL: "https://hooks.example.com/", Method: "POST", Events: []string{"*"}, Secret: "s3cret-s3cret-s3", Enabled: true, TimeoutSeconds: 10, Retry: herald.DefaultRetry}
		if err := dbs[0].CreateWebhook(ctx, hooks[i]); err != nil {
			t.Fatal(err)
		}
	}
	// Failures to reset, so the success has to write the row.
	if _, err := dbs[0].pool.Exec(ctx, `UPDATE webhooks SET consecutive_failures = 3`); err != nil {
		t.Fatal(err)
	}
	tx, err := dbs[1].pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `SELECT 1 FROM webhooks WHERE id = $1 FOR UPDATE`, hooks[0].ID); err != nil {
		t.Fatal(err)
	}
	blocked := make(chan error, 1)
	go func() {
		_, err := record(ctx, dbs[0], hooks[0].ID, "") // waits for the row
		blocked <- err
	}()
	time.Sleep(300 * time.Millisecond)
	c, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := record(c, dbs[0], hooks[1].ID, ""); err != nil {
		t.Errorf("log write for another webhook: %v, want it done while the first waits", err)
	}
	_ = tx.Rollback(ctx)
	if err := <-blocked; err != nil {
		t.Errorf("the waiting write, once the row is free: %v", err)
	}
}
