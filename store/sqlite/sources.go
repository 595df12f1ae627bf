package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

// CreateSource inserts s, filling an empty ID and zero CreatedAt.
func (db *DB) CreateSource(ctx context.Context, s *herald.Source) error {
	if s.ID == "" {
		s.ID = herald.NewID(herald.PrefixSource)
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = now()
	}
	err := db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sources (id, name, secret, created_at) VALUES (?, ?, ?, ?)`,
			s.ID, s.Name, db.seal(s.Secret), formatTime(s.CreatedAt))
		return err
	})
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

// ListSources returns sources by ascending ID, without their secrets, and
// the next cursor.
func (db *DB) ListSources(ctx context.Context, p store.Page) ([]*herald.Source, string, error) {
	after, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit := limitOf(p.Limit)
	ss, err := queryAll(ctx, db.read, func(r rowScanner) (*herald.Source, error) {
		var s herald.Source
		return &s, r.Scan(&s.ID, &s.Name, timeCol{&s.CreatedAt})
	}, `SELECT id, name, created_at FROM sources WHERE id > ? ORDER BY id LIMIT ?`, after, limit+1)
	if err != nil {
		return nil, "", dbError("list sources", "source", err)
	}
	ss, next := cutPage(ss, limit, func(s *herald.Source) string { return s.ID })
	return ss, next, nil
}

// DeleteSource deletes the source with id, or returns not_found. The
// events it brought in are kept.
func (db *DB) DeleteSource(ctx context.Context, id string) error {
	return db.deleteByID(ctx, "sources", "source", id)
}
