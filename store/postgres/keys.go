package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

const apiKeyColumns = `id, name, scopes, hash, created_at`

func scanAPIKey(r rowScanner) (*herald.APIKey, error) {
	var k herald.APIKey
	var scopes []byte
	if err := r.Scan(&k.ID, &k.Name, &scopes, &k.Hash, &k.CreatedAt); err != nil {
		return nil, err
	}
	if err := decodeJSON(scopes, &k.Scopes); err != nil {
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
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES ($1, $2, $3, $4, $5)`,
			k.ID, k.Name, scopes, k.Hash, k.CreatedAt)
		return err
	})
	if err != nil {
		return dbError("create api key", "api key", err)
	}
	return nil
}

// GetAPIKeyByHash returns the key whose Hash is hash, or not_found.
func (db *DB) GetAPIKeyByHash(ctx context.Context, hash string) (*herald.APIKey, error) {
	k, err := scanAPIKey(db.pool.QueryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = $1`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
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
	ks, err := queryAll(ctx, db.pool, scanAPIKey,
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE id > $1 ORDER BY id LIMIT $2`, after, limit+1)
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
	if err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM api_keys`).Scan(&n); err != nil {
		return 0, dbError("count api keys", "api key", err)
	}
	return n, nil
}
