package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhub/herald"
)

// CreateSource inserts s, filling an empty ID and zero CreatedAt and
// writing them back to s. Its secret is sealed at rest. An existing ID is a
// conflict.
func (db *DB) CreateSource(ctx context.Context, s *herald.Source) error {
	if s.ID == "" {
		s.ID = herald.NewID(herald.PrefixSource)
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = now()
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO sources (id, name, secret, created_at) VALUES ($1, $2, $3, $4)`,
		s.ID, s.Name, db.seal(s.Secret), s.CreatedAt)
	if err != nil {
		return dbError("create source", "source", err)
	}
	return nil
}

// GetSource returns the source with id, secret included, or not_found.
func (db *DB) GetSource(ctx context.Context, id string) (*herald.Source, error) {
	var s herald.Source
	var secret string
	err := db.pool.QueryRow(ctx, `SELECT id, name, secret, created_at FROM sources WHERE id = $1`, id).
		Scan(&s.ID, &s.Name, &secret, &s.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("source")
	}
	if err == nil {
		s.Secret, err = db.open(secret)
	}
	if err != nil {
		return nil, dbError("get source", "source", err)
	}
	return &s, nil
}
