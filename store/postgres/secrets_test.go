package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/secretbox"
)

func ring(t *testing.T, keys ...string) *secretbox.Keyring {
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

// storedRows returns every row of the tables holding secrets as text, the
// way someone with SQL access to the database would see them.
func storedRows(t *testing.T, db *DB) string {
	t.Helper()
	var b strings.Builder
	for _, table := range []string{"webhooks", "connectors", "sources"} {
		rows, err := db.pool.Query(t.Context(), `SELECT t::text FROM `+table+` t`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			b.WriteString(s + "\n")
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

func TestSecretsAreEncryptedAtRestAndRotate(t *testing.T) {
	ctx := context.Background()
	u := testURL(t)
	const secret = "whsec_dGhpcy1pcy1hLXJlYWwtc2VjcmV0"
	const previous = "the-secret-before-rotation"
	const token = "xoxb-1234567890-abcdefghij"
	const sourceSecret = "perscom-source-secret-42"
	const credential = "Bearer receiver-credential-7"
	oldKey, newKey := secretbox.NewKey(), secretbox.NewKey()

	// A row written before encryption was on, then rows with the old key.
	plain := openURL(t, u)
	legacy := &herald.Webhook{URL: "https://a.example", Method: "POST", Events: []string{"*"}, Secret: "legacy-secret-in-clear", Enabled: true}
	if err := plain.CreateWebhook(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	plain.Close()

	db := openURL(t, u, WithKeyring(ring(t, oldKey)))
	w := &herald.Webhook{URL: "https://b.example", Method: "POST", Events: []string{"*"}, Secret: secret,
		PreviousSecret: previous, Enabled: true, Headers: map[string]string{"Authorization": credential}}
	c := &herald.Connector{Kind: "slack", Name: "ops", Events: []string{"*"}, Enabled: true,
		Config: json.RawMessage(`{"token":"` + token + `","channel":"C1"}`)}
	src := &herald.Source{Name: "perscom", Secret: sourceSecret}
	if err := db.CreateWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateConnector(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	if n, err := db.Reseal(ctx); err != nil || n != 2 {
		t.Fatalf("reseal of the legacy row (secret, headers): %d, %v", n, err)
	}
	var secrets []string
	if err := db.pool.QueryRow(ctx, `SELECT array_agg(secret) FROM webhooks`).Scan(&secrets); err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if !strings.HasPrefix(s, "hb1:") || strings.Contains(s, "secret") {
			t.Errorf("SELECT secret FROM webhooks shows %q, want sealed values", s)
		}
	}
	rows := storedRows(t, db)
	for _, s := range []string{secret, previous, token, sourceSecret, "legacy-secret-in-clear", "receiver-credential-7"} {
		if strings.Contains(rows, s) {
			t.Errorf("stored rows show %q in clear", s)
		}
	}
	got, err := db.GetWebhook(ctx, w.ID)
	if err != nil || got.Secret != secret || got.PreviousSecret != previous || got.Headers["Authorization"] != credential {
		t.Fatalf("GetWebhook = %+v, %v", got, err)
	}
	db.Close()

	// Rotation: new key first, old key still opens; Reseal; then new only.
	db = openURL(t, u, WithKeyring(ring(t, newKey, oldKey)))
	if n, err := db.Reseal(ctx); err != nil || n != 7 {
		t.Fatalf("reseal after rotation: %d, %v (want 7 values)", n, err)
	}
	if n, err := db.Reseal(ctx); err != nil || n != 0 {
		t.Fatalf("second reseal: %d, %v (want 0)", n, err)
	}
	db.Close()

	db = openURL(t, u, WithKeyring(ring(t, newKey)))
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
	gotS, err := db.GetSource(ctx, src.ID)
	if err != nil || gotS.Secret != sourceSecret {
		t.Errorf("after rotation, source: %v, %v", gotS, err)
	}

	// Without the key, secrets cannot be read (and are not returned garbled).
	wrong := openURL(t, u, WithKeyring(ring(t, oldKey)))
	if _, err := wrong.GetWebhook(ctx, w.ID); err == nil {
		t.Error("a ring without the current key read the secret")
	}
	if _, err := wrong.Reseal(ctx); err == nil {
		t.Error("a ring without the current key resealed")
	}
	if _, err := openURL(t, u).Reseal(ctx); err == nil {
		t.Error("Reseal without a keyring succeeded")
	}
}
