package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

const logColumns = `id, delivery_id, event_id, event, target_type, target_id, attempt,
	request, response, duration_ms, error, created_at`

func scanLog(r rowScanner) (*herald.LogEntry, error) {
	var l herald.LogEntry
	err := r.Scan(&l.ID, &l.DeliveryID, &l.EventID, &l.Event, &l.TargetType, &l.TargetID,
		&l.Attempt, jsonCol{&l.Request}, jsonCol{&l.Response}, &l.DurationMS, &l.Error,
		timeCol{&l.CreatedAt})
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// insertLog inserts l, computing its success column from l.Succeeded().
func insertLog(ctx context.Context, tx *sql.Tx, l *herald.LogEntry) error {
	req, err := jsonText(l.Request)
	if err != nil {
		return dbError("insert log", "log entry", err)
	}
	var resp any // NULL when there was no response
	if l.Response != nil {
		if resp, err = jsonText(l.Response); err != nil {
			return dbError("insert log", "log entry", err)
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO logs (`+logColumns+`, success)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		l.ID, l.DeliveryID, l.EventID, l.Event, l.TargetType, l.TargetID, l.Attempt,
		req, resp, l.DurationMS, l.Error, formatTime(l.CreatedAt), l.Succeeded())
	if err != nil {
		return dbError("insert log", "log entry", err)
	}
	return nil
}

// GetLog returns the log entry with id, or not_found.
func (db *DB) GetLog(ctx context.Context, id string) (*herald.LogEntry, error) {
	l, err := scanLog(db.read.QueryRowContext(ctx, `SELECT `+logColumns+` FROM logs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("log entry")
	}
	if err != nil {
		return nil, dbError("get log", "log entry", err)
	}
	return l, nil
}

// LastLogID returns the ID of the target's entry with the largest seq, ""
// when it has none (see store.Store).
func (db *DB) LastLogID(ctx context.Context, targetType, targetID string) (string, error) {
	var id string
	err := db.read.QueryRowContext(ctx, `SELECT id FROM logs WHERE target_type = ? AND target_id = ?
		ORDER BY seq DESC LIMIT 1`, targetType, targetID).Scan(&id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", dbError("find last log entry", "log entry", err)
	}
	return id, nil
}

// ListLogs returns log entries matching f. Each set filter narrows the
// result: TargetType, TargetID and Event match exactly, Status "success"
// keeps entries with a 2xx response and no error and "failure" the others,
// Since keeps entries created at or after it.
//
// Without AfterID, it returns one page newest (largest ID) first and the
// cursor of the next page ("" after the last). With AfterID, it returns up
// to Page.Limit entries recorded after the entry AfterID, in recording order
// (the logs.seq column), ignores Page.Cursor, and the cursor is always "":
// the caller continues from the last ID it got. When no entry has the ID
// AfterID (it was deleted with its event, or never existed), the entries
// with a larger ID are returned instead, still in recording order. An
// unknown Status or a malformed cursor is invalid.
func (db *DB) ListLogs(ctx context.Context, f store.LogFilter) ([]*herald.LogEntry, string, error) {
	var w where
	if f.TargetType != "" {
		w.add("target_type = ?", f.TargetType)
	}
	if f.TargetID != "" {
		w.add("target_id = ?", f.TargetID)
	}
	switch f.Status {
	case "":
	case "success":
		w.add("success = ?", true)
	case "failure":
		w.add("success = ?", false)
	default:
		return nil, "", herald.Errorf(herald.EInvalid, "unknown log status filter %q", f.Status)
	}
	if f.Event != "" {
		w.add("event = ?", f.Event)
	}
	if !f.Since.IsZero() {
		w.add("created_at >= ?", formatTime(f.Since))
	}
	limit := limitOf(f.Page.Limit)

	if f.AfterID != "" {
		var seq int64
		err := db.read.QueryRowContext(ctx, `SELECT seq FROM logs WHERE id = ?`, f.AfterID).Scan(&seq)
		switch {
		case err == nil:
			w.add("seq > ?", seq)
		case errors.Is(err, sql.ErrNoRows):
			w.add("id > ?", f.AfterID)
		default:
			return nil, "", dbError("list logs", "log entry", err)
		}
		ls, err := queryAll(ctx, db.read, scanLog,
			`SELECT `+logColumns+` FROM logs`+w.String()+` ORDER BY seq LIMIT ?`, append(w.args, limit)...)
		if err != nil {
			return nil, "", dbError("list logs", "log entry", err)
		}
		return ls, "", nil
	}

	before, err := decodeCursor(f.Page.Cursor)
	if err != nil {
		return nil, "", err
	}
	if before != "" {
		w.add("id < ?", before)
	}
	ls, err := queryAll(ctx, db.read, scanLog,
		`SELECT `+logColumns+` FROM logs`+w.String()+` ORDER BY id DESC LIMIT ?`, append(w.args, limit+1)...)
	if err != nil {
		return nil, "", dbError("list logs", "log entry", err)
	}
	ls, next := cutPage(ls, limit, func(l *herald.LogEntry) string { return l.ID })
	return ls, next, nil
}
