package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

const eventColumns = `id, client_id, name, created_at, trace_id, data, changes, workflow_id`

func scanEvent(r rowScanner) (*herald.Event, error) {
	var e herald.Event
	var data, changes []byte
	err := r.Scan(&e.ID, &e.ClientID, &e.Name, &e.Created, &e.TraceID, &data, &changes, &e.WorkflowID)
	if err != nil {
		return nil, err
	}
	e.Data, e.Changes = rawValue(data), rawValue(changes)
	return &e, nil
}

// CreateEvent stores r.Event and r.Deliveries in one transaction. Empty IDs
// and zero times are filled in and written back; each delivery's EventID is
// set to the event's, and an empty Status becomes pending. Data and Changes
// are kept byte for byte; they must be valid JSON (or nil).
//
// When an event with the same non-empty ClientID already exists, nothing is
// written and the stored event is returned with existed=true. This is
// decided by the partial unique index on client_id with INSERT ... ON
// CONFLICT DO NOTHING: a concurrent inserter of the same ClientID waits for
// the first one's transaction and then inserts nothing, so concurrent
// callers see exactly one existed=false. An existing event ID, or two
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
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO events (`+eventColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (client_id) WHERE client_id <> '' DO NOTHING`,
			ev.ID, ev.ClientID, ev.Name, ev.Created, ev.TraceID,
			rawParam(ev.Data), rawParam(ev.Changes), ev.WorkflowID)
		if err != nil {
			return dbError("create event", "event", err)
		}
		if tag.RowsAffected() == 0 {
			// The statement that did nothing waited for the other
			// inserter to commit; this statement's snapshot sees its row.
			existing, err = scanEvent(tx.QueryRow(ctx,
				`SELECT `+eventColumns+` FROM events WHERE client_id = $1`, ev.ClientID))
			if err != nil {
				return dbError("create event: read existing", "event", err)
			}
			return nil
		}
		return insertDeliveries(ctx, tx, r.Deliveries)
	})
	if err != nil {
		return nil, false, err
	}
	if existing != nil {
		return existing, true, nil
	}
	return ev, false, nil
}

// insertDeliveries inserts ds in one round trip.
func insertDeliveries(ctx context.Context, tx pgx.Tx, ds []*herald.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, d := range ds {
		b.Queue(`INSERT INTO deliveries (`+deliveryColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			d.ID, d.EventID, d.TargetType, d.TargetID, d.Status,
			d.Attempts, d.LastStatusCode, d.LastError, d.CreatedAt, d.UpdatedAt, d.Generation)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return dbError("create deliveries", "delivery", err)
	}
	return nil
}

// GetEvent returns the event with id, or not_found.
func (db *DB) GetEvent(ctx context.Context, id string) (*herald.Event, error) {
	e, err := scanEvent(db.pool.QueryRow(ctx, `SELECT `+eventColumns+` FROM events WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
	w.add("workflow_id <> %s", "") // test sends are not published events
	if f.Name != "" {
		w.add("name = %s", f.Name)
	}
	if !f.Since.IsZero() {
		w.add("created_at >= %s", f.Since)
	}
	if before != "" {
		w.add("id < %s", before)
	}
	limit := limitOf(f.Page.Limit)
	es, err := queryAll(ctx, db.pool, scanEvent,
		`SELECT `+eventColumns+` FROM events`+w.String()+` ORDER BY id DESC LIMIT `+w.next(),
		append(w.args, limit+1)...)
	if err != nil {
		return nil, "", dbError("list events", "event", err)
	}
	es, next := cutPage(es, limit, func(e *herald.Event) string { return e.ID })
	return es, next, nil
}
