package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

const connectorColumns = `id, kind, name, events, enabled, config, templates,
	disabled_reason, consecutive_failures, created_at, updated_at`

func (db *DB) scanConnector(r rowScanner) (*herald.Connector, error) {
	var c herald.Connector
	var config string
	err := r.Scan(&c.ID, &c.Kind, &c.Name, jsonCol{&c.Events}, &c.Enabled, sealedCol{db.keys, &config},
		jsonCol{&c.Templates}, &c.DisabledReason, &c.ConsecutiveFailures,
		timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	if err != nil {
		return nil, err
	}
	c.Config = []byte(config)
	return &c, nil
}

// connectorJSON is the JSON text columns of a connector.
type connectorJSON struct{ events, templates string }

func encodeConnectorJSON(c *herald.Connector) (connectorJSON, error) {
	var j connectorJSON
	var err error
	if j.events, err = jsonText(c.Events); err != nil {
		return j, err
	}
	templates := c.Templates
	if templates == nil {
		templates = map[string]string{}
	}
	j.templates, err = jsonText(templates)
	return j, err
}

// CreateConnector inserts c, filling an empty ID and zero times as
// CreateWebhook does. An existing ID is a conflict.
func (db *DB) CreateConnector(ctx context.Context, c *herald.Connector) error {
	if c.ID == "" {
		c.ID = herald.NewID(herald.PrefixConnector)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now()
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	j, err := encodeConnectorJSON(c)
	if err != nil {
		return dbError("create connector", "connector", err)
	}
	err = db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO connectors (`+connectorColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.Kind, c.Name, j.events, c.Enabled, db.seal(string(c.Config)), j.templates,
			c.DisabledReason, c.ConsecutiveFailures, formatTime(c.CreatedAt), formatTime(c.UpdatedAt))
		return err
	})
	if err != nil {
		return dbError("create connector", "connector", err)
	}
	return nil
}

// GetConnector returns the connector with id, config included, or not_found.
func (db *DB) GetConnector(ctx context.Context, id string) (*herald.Connector, error) {
	c, err := db.scanConnector(db.read.QueryRowContext(ctx,
		`SELECT `+connectorColumns+` FROM connectors WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("connector")
	}
	if err != nil {
		return nil, dbError("get connector", "connector", err)
	}
	return c, nil
}

// ListConnectors returns one page of connectors by ascending ID and the
// cursor of the next page ("" after the last).
func (db *DB) ListConnectors(ctx context.Context, p store.Page) ([]*herald.Connector, string, error) {
	after, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit := limitOf(p.Limit)
	cs, err := queryAll(ctx, db.read, db.scanConnector,
		`SELECT `+connectorColumns+` FROM connectors WHERE id > ? ORDER BY id LIMIT ?`, after, limit+1)
	if err != nil {
		return nil, "", dbError("list connectors", "connector", err)
	}
	cs, next := cutPage(cs, limit, func(c *herald.Connector) string { return c.ID })
	return cs, next, nil
}

// ListEnabledConnectors returns every enabled connector by ascending ID.
func (db *DB) ListEnabledConnectors(ctx context.Context) ([]*herald.Connector, error) {
	cs, err := queryAll(ctx, db.read, db.scanConnector,
		`SELECT `+connectorColumns+` FROM connectors WHERE enabled ORDER BY id`)
	if err != nil {
		return nil, dbError("list enabled connectors", "connector", err)
	}
	return cs, nil
}

// UpdateConnector replaces every stored field of c.ID except CreatedAt and
// ConsecutiveFailures, under the same condition and with the same failure
// count rule as UpdateWebhook. A missing connector is not_found.
func (db *DB) UpdateConnector(ctx context.Context, c *herald.Connector) error {
	j, err := encodeConnectorJSON(c)
	if err != nil {
		return dbError("update connector", "connector", err)
	}
	updated := nextUpdate(c.UpdatedAt)
	var created time.Time
	var failures int
	err = db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if !c.Enabled {
			if err := stopPending(ctx, tx, herald.TargetConnector, c.ID, updated); err != nil {
				return err
			}
		}
		err := tx.QueryRowContext(ctx, `UPDATE connectors SET kind = ?, name = ?, events = ?,
			enabled = ?, config = ?, templates = ?, disabled_reason = ?, updated_at = ?,
			consecutive_failures = CASE WHEN enabled OR NOT ? THEN consecutive_failures ELSE 0 END
			WHERE id = ? AND updated_at = ? RETURNING created_at, consecutive_failures`,
			c.Kind, c.Name, j.events, c.Enabled, db.seal(string(c.Config)), j.templates, c.DisabledReason,
			formatTime(updated), c.Enabled, c.ID, formatTime(c.UpdatedAt)).Scan(timeCol{&created}, &failures)
		if errors.Is(err, sql.ErrNoRows) {
			return missingOrChanged(ctx, tx, "connectors", "connector", c.ID)
		}
		if err != nil {
			return dbError("update connector", "connector", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.CreatedAt, c.UpdatedAt, c.ConsecutiveFailures = created, updated, failures
	return nil
}

// DeleteConnector deletes the connector with id, or returns not_found. Its
// deliveries and log entries are kept; its pending deliveries are marked
// failed in the same transaction, as a disabled connector's are.
func (db *DB) DeleteConnector(ctx context.Context, id string) error {
	return db.deleteTarget(ctx, "connectors", herald.TargetConnector, id)
}
