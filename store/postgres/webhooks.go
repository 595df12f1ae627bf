package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

const webhookColumns = `id, url, method, events, secret, description, enabled, headers,
	timeout_seconds, retry, rate_limit_per_second, disabled_reason, consecutive_failures,
	created_at, updated_at, previous_secret, previous_secret_expires_at`

// webhookJSON is the JSON columns of a webhook.
type webhookJSON struct{ events, headers, retry string }

func encodeWebhookJSON(w *herald.Webhook) (webhookJSON, error) {
	var j webhookJSON
	var err error
	if j.events, err = jsonText(w.Events); err != nil {
		return j, err
	}
	if j.headers, err = jsonText(w.Headers); err != nil {
		return j, err
	}
	j.retry, err = jsonText(w.Retry)
	return j, err
}

func (db *DB) scanWebhook(r rowScanner) (*herald.Webhook, error) {
	var w herald.Webhook
	var events, retry []byte
	var secret, headers, previous string
	err := r.Scan(&w.ID, &w.URL, &w.Method, &events, &secret, &w.Description, &w.Enabled,
		&headers, &w.TimeoutSeconds, &retry, &w.RateLimitPerSecond, &w.DisabledReason,
		&w.ConsecutiveFailures, &w.CreatedAt, &w.UpdatedAt, &previous, &w.PreviousSecretExpiresAt)
	if err != nil {
		return nil, err
	}
	// Custom headers are sealed at rest: they carry receivers'
	// credentials.
	if headers, err = db.open(headers); err != nil {
		return nil, err
	}
	if err := errors.Join(decodeJSON(events, &w.Events), decodeJSON([]byte(headers), &w.Headers),
		decodeJSON(retry, &w.Retry)); err != nil {
		return nil, err
	}
	if w.Secret, err = db.open(secret); err != nil {
		return nil, err
	}
	if w.PreviousSecret, err = db.open(previous); err != nil {
		return nil, err
	}
	return &w, nil
}

// CreateWebhook inserts w. An empty ID and zero CreatedAt/UpdatedAt are
// filled in (new ID, current time) and written back to w. An existing ID is
// a conflict.
func (db *DB) CreateWebhook(ctx context.Context, w *herald.Webhook) error {
	if w.ID == "" {
		w.ID = herald.NewID(herald.PrefixWebhook)
	}
	if w.CreatedAt.IsZero() {
		w.CreatedAt = now()
	}
	if w.UpdatedAt.IsZero() {
		w.UpdatedAt = w.CreatedAt
	}
	j, err := encodeWebhookJSON(w)
	if err != nil {
		return dbError("create webhook", "webhook", err)
	}
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO webhooks (`+webhookColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
			w.ID, w.URL, w.Method, j.events, db.seal(w.Secret), w.Description, w.Enabled, db.seal(j.headers),
			w.TimeoutSeconds, j.retry, w.RateLimitPerSecond, w.DisabledReason, w.ConsecutiveFailures,
			w.CreatedAt, w.UpdatedAt, db.sealOptional(w.PreviousSecret), w.PreviousSecretExpiresAt)
		return err
	})
	if err != nil {
		return dbError("create webhook", "webhook", err)
	}
	return nil
}

// GetWebhook returns the webhook with id, secret included, or not_found.
func (db *DB) GetWebhook(ctx context.Context, id string) (*herald.Webhook, error) {
	w, err := db.scanWebhook(db.pool.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("webhook")
	}
	if err != nil {
		return nil, dbError("get webhook", "webhook", err)
	}
	return w, nil
}

// ListWebhooks returns one page of webhooks by ascending ID and the cursor
// of the next page ("" after the last). A malformed cursor is invalid.
func (db *DB) ListWebhooks(ctx context.Context, p store.Page) ([]*herald.Webhook, string, error) {
	after, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit := limitOf(p.Limit)
	ws, err := queryAll(ctx, db.pool, db.scanWebhook,
		`SELECT `+webhookColumns+` FROM webhooks WHERE id > $1 ORDER BY id LIMIT $2`, after, limit+1)
	if err != nil {
		return nil, "", dbError("list webhooks", "webhook", err)
	}
	ws, next := cutPage(ws, limit, func(w *herald.Webhook) string { return w.ID })
	return ws, next, nil
}

// ListEnabledWebhooks returns every enabled webhook by ascending ID.
func (db *DB) ListEnabledWebhooks(ctx context.Context) ([]*herald.Webhook, error) {
	ws, err := queryAll(ctx, db.pool, db.scanWebhook,
		`SELECT `+webhookColumns+` FROM webhooks WHERE enabled ORDER BY id`)
	if err != nil {
		return nil, dbError("list enabled webhooks", "webhook", err)
	}
	return ws, nil
}

// TargetsVersion reads the counter that triggers move on every change to
// what events match (migration 0003).
func (db *DB) TargetsVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := db.pool.QueryRow(ctx, `SELECT version FROM targets_version`).Scan(&v); err != nil {
		return 0, dbError("read targets version", "webhook", err)
	}
	return v, nil
}

// UpdateWebhook replaces every stored field of w.ID except CreatedAt and
// ConsecutiveFailures, provided the stored updated_at is still w.UpdatedAt;
// otherwise it writes nothing and returns conflict. The failure count is
// kept, or reset to 0 when the update enables a disabled webhook. It sets
// updated_at to a time after the old one and writes the stored CreatedAt,
// the new UpdatedAt and the count back to w. A missing webhook is
// not_found.
func (db *DB) UpdateWebhook(ctx context.Context, w *herald.Webhook) error {
	j, err := encodeWebhookJSON(w)
	if err != nil {
		return dbError("update webhook", "webhook", err)
	}
	updated := nextUpdate(w.UpdatedAt)
	var created time.Time
	var failures int
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		if !w.Enabled { // deliveries first, as every transaction locks them
			if err := stopPending(ctx, tx, herald.TargetWebhook, w.ID, updated); err != nil {
				return err
			}
		}
		err := tx.QueryRow(ctx, `UPDATE webhooks SET url = $1, method = $2, events = $3,
			secret = $4, description = $5, enabled = $6, headers = $7, timeout_seconds = $8, retry = $9,
			rate_limit_per_second = $10, disabled_reason = $11, updated_at = $12,
			previous_secret = $13, previous_secret_expires_at = $14,
			consecutive_failures = CASE WHEN enabled OR NOT $6 THEN consecutive_failures ELSE 0 END
			WHERE id = $15 AND updated_at = $16 RETURNING created_at, consecutive_failures`,
			w.URL, w.Method, j.events, db.seal(w.Secret), w.Description, w.Enabled, db.seal(j.headers),
			w.TimeoutSeconds, j.retry, w.RateLimitPerSecond, w.DisabledReason, updated,
			db.sealOptional(w.PreviousSecret), w.PreviousSecretExpiresAt, w.ID, w.UpdatedAt).Scan(&created, &failures)
		if errors.Is(err, pgx.ErrNoRows) {
			return missingOrChanged(ctx, tx, "webhooks", "webhook", w.ID)
		}
		if err != nil {
			return dbError("update webhook", "webhook", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.CreatedAt, w.UpdatedAt, w.ConsecutiveFailures = created, updated, failures
	return nil
}

// nextUpdate is the updated_at an edit of a row last updated at prev
// writes: now, or just after prev if the clock has not passed it, so that
// every edit changes updated_at.
func nextUpdate(prev time.Time) time.Time {
	t, next := now(), prev.Truncate(time.Microsecond).Add(time.Microsecond)
	if t.Before(next) {
		return next
	}
	return t
}

// missingOrChanged tells why a conditional update of row id in table
// matched nothing: not_found if the row is gone, else conflict.
func missingOrChanged(ctx context.Context, tx pgx.Tx, table, what, id string) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE id = $1`, id).Scan(&n); err != nil {
		return dbError("update "+what, what, err)
	}
	if n == 0 {
		return notFound(what)
	}
	return herald.Errorf(herald.EConflict, "%s changed while this update was made; read it again", what)
}

// DeleteWebhook deletes the webhook with id, or returns not_found. Its
// deliveries and log entries are kept; its pending deliveries are marked
// failed in the same transaction, as a disabled webhook's are.
func (db *DB) DeleteWebhook(ctx context.Context, id string) error {
	return db.deleteTarget(ctx, "webhooks", herald.TargetWebhook, id)
}

// deleteByID deletes one row of table by id; no row is not_found.
func (db *DB) deleteByID(ctx context.Context, table, what, id string) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE id = $1`, id)
		if err != nil {
			return dbError("delete "+what, what, err)
		}
		if tag.RowsAffected() == 0 {
			return notFound(what)
		}
		return nil
	})
}
