package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

const apiKeyColumns = `id, name, scopes, hash, created_at`

func scanAPIKey(r rowScanner) (*herald.APIKey, error) {
	var k herald.APIKey
	err := r.Scan(&k.ID, &k.Name, jsonCol{&k.Scopes}, &k.Hash, timeCol{&k.CreatedAt})
	if err != nil {
		return nil, err
	}
	return &k, nil
}

// CreateAPIKey inserts k. An empty ID and a zero CreatedAt are filled in and
// written back to k. An existing ID or hash is a conflict.
func (db *DB) CreateAPIKey(ctx context.Context, k *herald.APIKey) error {
	if k.ID == "" {
		k.ID = herald.NewID(herald.PrefixKey)
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = now()
	}
	scopes, err := jsonText(k.Scopes)
	if err != nil {
		return dbError("create api key", "api key", err)
	}
	err = db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES (?, ?, ?, ?, ?)`,
			k.ID, k.Name, scopes, k.Hash, formatTime(k.CreatedAt))
		return err
	})
	if err != nil {
		return dbError("create api key", "api key", err)
	}
	return nil
}

// GetAPIKeyByHash returns the key whose Hash is hash, or not_found.
func (db *DB) GetAPIKeyByHash(ctx context.Context, hash string) (*herald.APIKey, error) {
	k, err := scanAPIKey(db.read.QueryRowContext(ctx,
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("api key")
	}
	if err != nil {
		return nil, dbError("get api key", "api key", err)
	}
	return k, nil
}

// ListAPIKeys returns one page of keys by ascending ID and the cursor of the
// next page ("" after the last). A malformed cursor is invalid.
func (db *DB) ListAPIKeys(ctx context.Context, p store.Page) ([]*herald.APIKey, string, error) {
	after, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit := limitOf(p.Limit)
	ks, err := queryAll(ctx, db.read, scanAPIKey,
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE id > ? ORDER BY id LIMIT ?`, after, limit+1)
	if err != nil {
		return nil, "", dbError("list api keys", "api key", err)
	}
	ks, next := cutPage(ks, limit, func(k *herald.APIKey) string { return k.ID })
	return ks, next, nil
}

// DeleteAPIKey deletes the key with id, or returns not_found.
func (db *DB) DeleteAPIKey(ctx context.Context, id string) error {
	return db.deleteByID(ctx, "api_keys", "api key", id)
}

// CountAPIKeys returns how many keys are stored.
func (db *DB) CountAPIKeys(ctx context.Context) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_keys`).Scan(&n); err != nil {
		return 0, dbError("count api keys", "api key", err)
	}
	return n, nil
}
