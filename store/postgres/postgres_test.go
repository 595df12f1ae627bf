package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
	"github.com/heraldhub/herald/store/postgres/pgtest"
	"github.com/heraldhub/herald/store/storetest"
)

// testURL is pgtest.URL: a schema of the test's own.
func testURL(t testing.TB) string { return pgtest.URL(t) }

// requireDB is pgtest.RequireDB.
func requireDB(t testing.TB) string { return pgtest.RequireDB(t) }

// openTest opens a store on a fresh schema, closed at cleanup.
func openTest(t testing.TB, opts ...Option) *DB {
	t.Helper()
	return openURL(t, testURL(t), opts...)
}

// openURL opens a store at u, closed at cleanup.
func openURL(t testing.TB, u string, opts ...Option) *DB {
	t.Helper()
	db, err := Open(context.Background(), u, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	requireDB(t)
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t) })
}

func TestOpenRejectsBadURLs(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for _, u := range []string{"mysql://x", "postgres://u:hunter2@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"} {
		db, err := Open(ctx, u)
		if err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", u)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open error shows the password: %v", err)
		}
	}
}

// An event's data and changes come back byte for byte, as the publisher
// sent them: key order, spacing and duplicate keys included.
func TestEventJSONKeptVerbatim(t *testing.T) {
	db := openTest(t)
	data := `{"z": 1, "a":{"y":[1, 2.50, 1e2]},"a":"dup", "s":"<\u00e9>"}`
	changes := `[ ]`
	ev := &herald.Event{Name: "user.created", Data: []byte(data), Changes: []byte(changes)}
	if _, _, err := db.CreateEvent(t.Context(), store.CreateEventRequest{Event: ev}); err != nil {
		t.Fatal(err)
	}
	got, err := db.GetEvent(t.Context(), ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Data) != data || string(got.Changes) != changes {
		t.Errorf("stored data %s changes %s, want %s and %s", got.Data, got.Changes, data, changes)
	}
}

// TestBadTextIsInvalid checks that text PostgreSQL cannot store (a NUL
// byte) is the caller's error, not an internal one.
func TestBadTextIsInvalid(t *testing.T) {
	db := openTest(t)
	_, err := db.GetWebhook(t.Context(), "wh_\x00")
	if code := herald.ErrorCode(err); code != herald.EInvalid {
		t.Errorf("GetWebhook with a NUL byte: %v (code %s), want invalid", err, code)
	}
	ev := &herald.Event{Name: "user.created", ClientID: "a\x00b", Data: []byte(`{}`)}
	_, _, err = db.CreateEvent(t.Context(), store.CreateEventRequest{Event: ev})
	if code := herald.ErrorCode(err); code != herald.EInvalid {
		t.Errorf("CreateEvent with a NUL byte: %v (code %s), want invalid", err, code)
	}
}
