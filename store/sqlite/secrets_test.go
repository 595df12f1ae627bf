package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/secretbox"
)

func ring(t testing.TB, keys ...string) *secretbox.Keyring {
	t.Helper()
	var raw [][]byte
	for _, k := range keys {
		b, err := secretbox.ParseKey(k)
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, b)
	}
	r, err := secretbox.New(raw...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fileContains reads the database and its WAL as bytes, the way someone
// with the file (or sqlite3) would see them.
func fileContains(t *testing.T, path, needle string) bool {
	t.Helper()
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(needle)) {
			return true
		}
	}
	return false
}

func TestSecretsAreEncryptedAtRestAndRotate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "h.db")
	const secret = "whsec_dGhpcy1pcy1hLXJlYWwtc2VjcmV0"
	const token = "xoxb-1234567890-abcdefghij"
	const credential = "Bearer receiver-credential-7"
	oldKey, newKey := secretbox.NewKey(), secretbox.NewKey()

	// Rows written before encryption was on, then with the old key.
	plain, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	legacy := &herald.Webhook{URL: "https://a.example", Method: "POST", Events: []string{"*"}, Secret: "legacy-secret-in-clear", Enabled: true}
	if err := plain.CreateWebhook(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	plain.Close()

	db, err := Open(ctx, path, WithKeyring(ring(t, oldKey)))
	if err != nil {
		t.Fatal(err)
	}
	w := &herald.Webhook{URL: "https://b.example", Method: "POST", Events: []string{"*"}, Secret: secret, Enabled: true,
		Headers: map[string]string{"Authorization": credential}}
	c := &herald.Connector{Kind: "slack", Name: "ops", Events: []string{"*"}, Enabled: true,
		Config: json.RawMessage(`{"token":"` + token + `","channel":"C1"}`)}
	if err := db.CreateWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateConnector(ctx, c); err != nil {
		t.Fatal(err)
	}
	if n, err := db.Reseal(ctx); err != nil || n != 2 {
		t.Fatalf("reseal of the legacy row (secret, headers): %d, %v", n, err)
	}
	for _, s := range []string{secret, token, "legacy-secret-in-clear", "receiver-credential-7"} {
		if fileContains(t, path, s) {
			t.Errorf("database file shows %q in clear", s)
		}
	}
	got, err := db.GetWebhook(ctx, w.ID)
	if err != nil || got.Secret != secret || got.Headers["Authorization"] != credential {
		t.Fatalf("GetWebhook = %v, %v", got, err)
	}
	db.Close()

	// Rotation: new key first, old key still opens; Reseal; then new only.
	db, err = Open(ctx, path, WithKeyring(ring(t, newKey, oldKey)))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := db.Reseal(ctx); err != nil || n != 5 {
		t.Fatalf("reseal after rotation: %d, %v (want 5 values)", n, err)
	}
	db.Close()

	db, err = Open(ctx, path, WithKeyring(ring(t, newKey)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for id, want := range map[string]string{w.ID: secret, legacy.ID: "legacy-secret-in-clear"} {
		got, err := db.GetWebhook(ctx, id)
		if err != nil || got.Secret != want {
			t.Errorf("after rotation, webhook %s: %v, %v", id, got, err)
		}
	}
	gotC, err := db.GetConnector(ctx, c.ID)
	if err != nil || !bytes.Contains(gotC.Config, []byte(token)) {
		t.Errorf("after rotation, connector: %v, %v", gotC, err)
	}

	// Without the key, secrets cannot be read (and are not returned garbled).
	wrong, err := Open(ctx, path, WithKeyring(ring(t, oldKey)))
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Close()
	if _, err := wrong.GetWebhook(ctx, w.ID); err == nil {
		t.Error("a ring without the current key read the secret")
	}
}

// A reader holding a snapshot (another process on the file) keeps the
// checkpoint from folding the log in: the clear value is then still in the
// -wal file, and Reseal says so instead of reporting a clean finish.
func TestResealReportsABusyCheckpoint(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "h.db")
	plain, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	w := &herald.Webhook{URL: "https://a.example", Method: "POST", Events: []string{"*"}, Secret: "legacy-secret-in-clear", Enabled: true}
	if err := plain.CreateWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
	plain.Close()

	reader, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	tx, err := reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var count int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM webhooks`).Scan(&count); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, path, WithKeyring(ring(t, secretbox.NewKey())))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n, err := db.Reseal(ctx)
	if n != 2 || !errors.Is(err, ErrCheckpointBusy) {
		t.Errorf("Reseal beside a reader = %d, %v; want 2 values (secret, headers) and ErrCheckpointBusy", n, err)
	}
	_ = tx.Rollback()
	if n, err := db.Reseal(ctx); n != 0 || err != nil {
		t.Errorf("Reseal once the reader is gone = %d, %v; want 0 rows and a clean checkpoint", n, err)
	}
	if fileContains(t, path, "legacy-secret-in-clear") {
		t.Error("the clear value is still in the database files after a clean checkpoint")
	}
}
