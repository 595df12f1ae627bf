package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

const eventColumns = `id, client_id, name, created_at, trace_id, data, changes, workflow_id`

func scanEvent(r rowScanner) (*herald.Event, error) {
	var e herald.Event
	err := r.Scan(&e.ID, &e.ClientID, &e.Name, timeCol{&e.Created}, &e.TraceID,
		rawCol{&e.Data}, rawCol{&e.Changes}, &e.WorkflowID)
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// CreateEvent stores r.Event and r.Deliveries in one transaction. Empty IDs
// and zero times are filled in and written back; each delivery's EventID is
// set to the event's, and an empty Status becomes pending.
//
// When an event with the same non-empty ClientID already exists, nothing is
// written and the stored event is returned with existed=true. This is
// decided by the unique index on client_id, so concurrent callers with one
// ClientID see exactly one existed=false. An existing event ID, or two
// deliveries of the event to the same target, is a conflict.
func (db *DB) CreateEvent(ctx context.Context, r store.CreateEventRequest) (*herald.Event, bool, error) {
	ev := r.Event
	if ev == nil {
		return nil, false, herald.Errorf(herald.EInvalid, "event is required")
	}
	if ev.ID == "" {
		ev.ID = herald.NewID(herald.PrefixEvent)
	}
	t := now()
	if ev.Created.IsZero() {
		ev.Created = t
	}
	for _, d := range r.Deliveries {
		if d.ID == "" {
			d.ID = herald.NewID(herald.PrefixDelivery)
		}
		d.EventID = ev.ID
		if d.Status == "" {
			d.Status = herald.StatusPending
		}
		if d.CreatedAt.IsZero() {
			d.CreatedAt = t
		}
		if d.UpdatedAt.IsZero() {
			d.UpdatedAt = d.CreatedAt
		}
	}

	var existing *herald.Event
	err := db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO events (`+eventColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (client_id) WHERE client_id <> '' DO NOTHING`,
			ev.ID, ev.ClientID, ev.Name, formatTime(ev.Created), ev.TraceID,
			rawText(ev.Data), rawText(ev.Changes), ev.WorkflowID)
		if err != nil {
			return dbError("create event", "event", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return dbError("create event", "event", err)
		} else if n == 0 {
			existing, err = scanEvent(tx.QueryRowContext(ctx,
				`SELECT `+eventColumns+` FROM events WHERE client_id = ?`, ev.ClientID))
			if err != nil {
				return dbError("create event: read existing", "event", err)
			}
			return errExisted
		}
		return insertDeliveries(ctx, tx, r.Deliveries)
	})
	if errors.Is(err, errExisted) {
		return existing, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	return ev, false, nil
}

// errExisted rolls back CreateEvent when the ClientID is taken.
var errExisted = errors.New("event exists")

func insertDeliveries(ctx context.Context, tx *sql.Tx, ds []*herald.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO deliveries (`+deliveryColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return dbError("create deliveries", "delivery", err)
	}
	defer stmt.Close()
	for _, d := range ds {
		_, err := stmt.ExecContext(ctx, d.ID, d.EventID, d.TargetType, d.TargetID, d.Status,
			d.Attempts, d.LastStatusCode, d.LastError, formatTime(d.CreatedAt), formatTime(d.UpdatedAt), d.Generation)
		if err != nil {
			return dbError("create deliveries", "delivery", err)
		}
	}
	return nil
}

// GetEvent returns the event with id, or not_found.
func (db *DB) GetEvent(ctx context.Context, id string) (*herald.Event, error) {
	e, err := scanEvent(db.read.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("event")
	}
	if err != nil {
		return nil, dbError("get event", "event", err)
	}
	return e, nil
}

// DeleteEvent deletes the event with id together with its deliveries and
// their log entries, or returns not_found.
func (db *DB) DeleteEvent(ctx context.Context, id string) error {
	return db.deleteByID(ctx, "events", "event", id)
}

// ListEvents returns one page of events, newest (largest ID) first,
// filtered by exact name and by Created >= Since when those are set, and the
// cursor of the next page ("" after the last). A malformed cursor is invalid.
func (db *DB) ListEvents(ctx context.Context, f store.EventFilter) ([]*herald.Event, string, error) {
	before, err := decodeCursor(f.Page.Cursor)
	if err != nil {
		return nil, "", err
	}
	var w where
	w.add("workflow_id <> ?", "") // test sends are not published events
	if f.Name != "" {
		w.add("name = ?", f.Name)
	}
	if !f.Since.IsZero() {
		w.add("created_at >= ?", formatTime(f.Since))
	}
	if before != "" {
		w.add("id < ?", before)
	}
	limit := limitOf(f.Page.Limit)
	es, err := queryAll(ctx, db.read, scanEvent,
		`SELECT `+eventColumns+` FROM events`+w.String()+` ORDER BY id DESC LIMIT ?`,
		append(w.args, limit+1)...)
	if err != nil {
		return nil, "", dbError("list events", "event", err)
	}
	es, next := cutPage(es, limit, func(e *herald.Event) string { return e.ID })
	return es, next, nil
}
