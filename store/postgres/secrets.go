package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// seal encrypts a secret column value when the store has a keyring.
func (db *DB) seal(plain string) string {
	if db.keys == nil {
		return plain
	}
	return db.keys.Seal([]byte(plain))
}

// sealOptional is seal, keeping an empty value empty.
func (db *DB) sealOptional(plain string) string {
	if plain == "" {
		return ""
	}
	return db.seal(plain)
}

// open decrypts a stored secret column value. Values in clear (written
// without a keyring) are returned as they are; a value sealed with a key
// the ring lacks is an error, never garbled text.
func (db *DB) open(stored string) (string, error) {
	if db.keys == nil || stored == "" {
		return stored, nil
	}
	plain, err := db.keys.Open(stored)
	if err != nil {
		return "", err
	}
	return string(plain), nil
}

// secretColumns are the columns sealed at rest, by table.
var secretColumns = []struct{ table, column string }{
	{"webhooks", "secret"},
	{"webhooks", "headers"},
	{"webhooks", "previous_secret"},
	{"connectors", "config"},
	{"sources", "secret"},
}

// Reseal re-encrypts with the current key every secret that is in clear or
// sealed with a previous key, and returns how many values it rewrote. Run
// it after adding a new key in front of the ring; afterwards the old key
// can go. It runs in one transaction and locks the rows it reads, so a
// concurrent update of a webhook or connector is neither lost nor
// overwritten with its old value.
//
// The previous row versions (and the write-ahead log) still hold the old
// values until PostgreSQL reuses their space; VACUUM FULL on webhooks,
// connectors and sources rewrites the tables when that matters, as after
// sealing secrets that were stored in clear.
func (db *DB) Reseal(ctx context.Context) (int, error) {
	if db.keys == nil {
		return 0, fmt.Errorf("postgres: reseal: no keyring")
	}
	n := 0
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		for _, sc := range secretColumns {
			rows, err := tx.Query(ctx, `SELECT id, `+sc.column+` FROM `+sc.table+` ORDER BY id FOR UPDATE`)
			if err != nil {
				return err
			}
			type row struct{ id, value string }
			all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
				var v row
				err := r.Scan(&v.id, &v.value)
				return v, err
			})
			if err != nil {
				return err
			}
			for _, r := range all {
				if r.value == "" || db.keys.IsCurrent(r.value) {
					continue
				}
				plain, err := db.keys.Open(r.value)
				if err != nil {
					return fmt.Errorf("%s %s: %w", sc.table, r.id, err)
				}
				_, err = tx.Exec(ctx, `UPDATE `+sc.table+` SET `+sc.column+` = $1 WHERE id = $2`,
					db.keys.Seal(plain), r.id)
				if err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: reseal: %w", err)
	}
	return n, nil
}
