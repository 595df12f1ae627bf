package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

const logColumns = `id, delivery_id, event_id, event, target_type, target_id, attempt,
	request, response, duration_ms, error, created_at`

func scanLog(r rowScanner) (*herald.LogEntry, error) {
	var l herald.LogEntry
	var req, resp []byte
	err := r.Scan(&l.ID, &l.DeliveryID, &l.EventID, &l.Event, &l.TargetType, &l.TargetID,
		&l.Attempt, &req, &resp, &l.DurationMS, &l.Error, &l.CreatedAt)
	if err != nil {
		return nil, err
	}
	if err := errors.Join(decodeJSON(req, &l.Request), decodeJSON(resp, &l.Response)); err != nil {
		return nil, err
	}
	return &l, nil
}

// logLockClass is the first key of the advisory lock that orders log
// recording ("hrlg"); the second is the OID of this schema's logs table,
// so installations in different schemas of one database do not contend.
const logLockClass = 0x68726c67

// insertLog inserts l inside tx, computing its success column from
// l.Succeeded(), and gives it the next recording position (logs.seq).
//
// Recording order must be commit order, or the live stream (ListLogs with
// AfterID) would skip entries: with a plain sequence, a transaction could
// draw seq 7 and commit after a reader has already seen seq 8 and moved
// past it. So the seq is drawn under a transaction-level advisory lock,
// held until tx commits or rolls back. A holder's commit is visible before
// the lock passes to the next holder, so a reader that sees an entry also
// sees every entry with a smaller seq, and a later commit always gets a
// larger one. Rolled-back inserts only leave gaps.
//
// The price is that log inserts (not the rest of the system) are
// serialised across every process sharing the database, from the insert
// to the commit: a few thousand a second, bounded by commit latency. The
// lock is therefore the last step of RecordAttempt's transaction and is
// sent with the insert in one round trip. An advisory lock was chosen over
// SELECT ... FOR UPDATE on a counter row because it writes nothing (no
// dead row versions or WAL per attempt); a reader-side scheme (filtering
// on pg_snapshot_xmin) would avoid the serialisation but not give a total
// order that AfterID can name with one entry.
func insertLog(ctx context.Context, tx pgx.Tx, l *herald.LogEntry) error {
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
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock($1, 'logs'::regclass::oid::int4)`, logLockClass)
	b.Queue(`INSERT INTO logs (`+logColumns+`, success)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		l.ID, l.DeliveryID, l.EventID, l.Event, l.TargetType, l.TargetID, l.Attempt,
		req, resp, l.DurationMS, storableText(l.Error), l.CreatedAt, l.Succeeded())
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return dbError("insert log", "log entry", err)
	}
	return nil
}

// GetLog returns the log entry with id, or not_found.
func (db *DB) GetLog(ctx context.Context, id string) (*herald.LogEntry, error) {
	l, err := scanLog(db.pool.QueryRow(ctx, `SELECT `+logColumns+` FROM logs WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
	err := db.pool.QueryRow(ctx, `SELECT id FROM logs WHERE target_type = $1 AND target_id = $2
		ORDER BY seq DESC LIMIT 1`, targetType, targetID).Scan(&id)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
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
// (logs.seq, which is commit order: see insertLog), ignores Page.Cursor, and
// the cursor is always "": the caller continues from the last ID it got.
// When no entry has the ID AfterID (it was deleted with its event, or never
// existed), the entries with a larger ID are returned instead, still in
// recording order. An unknown Status or a malformed cursor is invalid.
func (db *DB) ListLogs(ctx context.Context, f store.LogFilter) ([]*herald.LogEntry, string, error) {
	var w where
	if f.TargetType != "" {
		w.add("target_type = %s", f.TargetType)
	}
	if f.TargetID != "" {
		w.add("target_id = %s", f.TargetID)
	}
	switch f.Status {
	case "":
	case "success":
		w.add("success = %s", true)
	case "failure":
		w.add("success = %s", false)
	default:
		return nil, "", herald.Errorf(herald.EInvalid, "unknown log status filter %q", f.Status)
	}
	if f.Event != "" {
		w.add("event = %s", f.Event)
	}
	if !f.Since.IsZero() {
		w.add("created_at >= %s", f.Since)
	}
	limit := limitOf(f.Page.Limit)

	if f.AfterID != "" {
		var seq int64
		err := db.pool.QueryRow(ctx, `SELECT seq FROM logs WHERE id = $1`, f.AfterID).Scan(&seq)
		switch {
		case err == nil:
			w.add("seq > %s", seq)
		case errors.Is(err, pgx.ErrNoRows):
			w.add("id > %s", f.AfterID)
		default:
			return nil, "", dbError("list logs", "log entry", err)
		}
		ls, err := queryAll(ctx, db.pool, scanLog,
			`SELECT `+logColumns+` FROM logs`+w.String()+` ORDER BY seq LIMIT `+w.next(), append(w.args, limit)...)
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
		w.add("id < %s", before)
	}
	ls, err := queryAll(ctx, db.pool, scanLog,
		`SELECT `+logColumns+` FROM logs`+w.String()+` ORDER BY id DESC LIMIT `+w.next(), append(w.args, limit+1)...)
	if err != nil {
		return nil, "", dbError("list logs", "log entry", err)
	}
	ls, next := cutPage(ls, limit, func(l *herald.LogEntry) string { return l.ID })
	return ls, next, nil
}
