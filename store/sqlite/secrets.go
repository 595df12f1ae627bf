package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/heraldhub/herald/secretbox"
)

// Option configures Open.
type Option func(*DB)

// WithKeyring encrypts secretColumns (webhook secrets and headers,
// connector configs, source secrets) at rest with keys: the current key
// seals every write, any key of the ring opens.
// Without it they are stored in clear (tests, and databases created before
// encryption; such rows are still read, and re-sealed by Reseal).
func WithKeyring(keys *secretbox.Keyring) Option {
	return func(db *DB) { db.keys = keys }
}

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

// sealedCol scans a secret column, opening it with keys when set.
type sealedCol struct {
	keys *secretbox.Keyring
	dst  *string
}

func (c sealedCol) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("secret column holds %T", src)
	}
	if c.keys == nil || s == "" {
		*c.dst = s
		return nil
	}
	plain, err := c.keys.Open(s)
	if err != nil {
		return err
	}
	*c.dst = string(plain)
	return nil
}

// sealedJSONCol scans a JSON column sealed at rest: custom headers carry
// receivers' credentials. A row written before they were sealed holds the
// JSON itself, which the keyring passes through as it is.
type sealedJSONCol struct {
	keys *secretbox.Keyring
	v    any
}

func (c sealedJSONCol) Scan(src any) error {
	var plain string
	if err := (sealedCol{c.keys, &plain}).Scan(src); err != nil {
		return err
	}
	return json.Unmarshal([]byte(plain), c.v)
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
// sealed with a previous key, and returns how many it rewrote. Run it after
// adding a new key in front of the ring; afterwards the old key can go.
func (db *DB) Reseal(ctx context.Context) (int, error) {
	if db.keys == nil {
		return 0, fmt.Errorf("sqlite: reseal: no keyring")
	}
	n := 0
	err := db.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, sc := range secretColumns {
			rows, err := tx.QueryContext(ctx, `SELECT id, `+sc.column+` FROM `+sc.table)
			if err != nil {
				return err
			}
			type row struct{ id, value string }
			var stale []row
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.id, &r.value); err != nil {
					rows.Close()
					return err
				}
				if r.value != "" && !db.keys.IsCurrent(r.value) {
					stale = append(stale, r)
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, r := range stale {
				plain, err := db.keys.Open(r.value)
				if err != nil {
					return fmt.Errorf("%s %s: %w", sc.table, r.id, err)
				}
				_, err = tx.ExecContext(ctx, `UPDATE `+sc.table+` SET `+sc.column+` = ? WHERE id = ?`,
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
		return 0, fmt.Errorf("sqlite: reseal: %w", err)
	}
	// Old page images in the write-ahead log still hold the previous
	// values; fold the log into the file and empty it. secure_delete (set
	// on the write connection) has zeroed the old cells in the file itself.
	// A reader (another process on the file) can hold the checkpoint off
	// past busy_timeout; SQLite then says so in the answer, not as an error.
	var busy, frames, done int
	err = db.write.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &done)
	if err != nil {
		return n, fmt.Errorf("sqlite: reseal: checkpoint: %w", err)
	}
	if busy != 0 {
		return n, ErrCheckpointBusy
	}
	return n, nil
}

// ErrCheckpointBusy is Reseal's answer when every secret was re-encrypted
// but a reader kept the write-ahead log from being folded in and emptied:
// until a later checkpoint, the -wal file may still hold the values as
// they were (under the previous key, or in clear).
var ErrCheckpointBusy = errors.New("sqlite: reseal: a reader held off the checkpoint; the -wal file may hold the previous values until the next one")
