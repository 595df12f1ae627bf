package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/heraldhub/herald"
)

// CreateSource inserts s, filling an empty ID and zero CreatedAt.
func (db *DB) CreateSource(ctx context.Context, s *herald.Source) error {
	if s.ID == "" {
		s.ID = herald.NewID(herald.PrefixSource)
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = now()
	}
	_, err := db.write.ExecContext(ctx, `INSERT INTO sources (id, name, secret, created_at) VALUES (?, ?, ?, ?)`,
		s.ID, s.Name, db.seal(s.Secret), formatTime(s.CreatedAt))
	if err != nil {
		return dbError("create source", "source", err)
	}
	return nil
}

// GetSource returns the source with id, secret included, or not_found.
func (db *DB) GetSource(ctx context.Context, id string) (*herald.Source, error) {
	var s herald.Source
	err := db.read.QueryRowContext(ctx, `SELECT id, name, secret, created_at FROM sources WHERE id = ?`, id).
		Scan(&s.ID, &s.Name, sealedCol{db.keys, &s.Secret}, timeCol{&s.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("source")
	}
	if err != nil {
		return nil, dbError("get source", "source", err)
	}
	return &s, nil
}
