package sqlite

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heraldhub/herald"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// timeLayout is RFC 3339 in UTC with a fixed nine-digit fraction, so that
// stored times compare correctly as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// formatTime is how every timestamp is bound as a parameter.
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// now is the current time as the store records it.
func now() time.Time { return herald.Now() }

// timeCol scans a stored timestamp into *t.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("timestamp column holds %T", src)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	*c.t = t.UTC()
	return nil
}

// jsonText encodes v for a JSON text column.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// jsonCol scans a JSON text column into v (a pointer); NULL leaves v alone.
type jsonCol struct{ v any }

func (c jsonCol) Scan(src any) error {
	switch s := src.(type) {
	case nil:
		return nil
	case string:
		return json.Unmarshal([]byte(s), c.v)
	case []byte:
		return json.Unmarshal(s, c.v)
	default:
		return fmt.Errorf("json column holds %T", src)
	}
}

// rawText binds a json.RawMessage as text, nil as NULL.
func rawText(m json.RawMessage) any {
	if m == nil {
		return nil
	}
	return string(m)
}

// rawCol scans a text column into a json.RawMessage; NULL gives nil.
type rawCol struct{ m *json.RawMessage }

func (c rawCol) Scan(src any) error {
	switch s := src.(type) {
	case nil:
		*c.m = nil
	case string:
		*c.m = json.RawMessage(s)
	case []byte:
		*c.m = append(json.RawMessage(nil), s...)
	default:
		return fmt.Errorf("raw json column holds %T", src)
	}
	return nil
}

// isUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY failure.
func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// encodeCursor makes the opaque cursor that resumes a list after id.
func encodeCursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// decodeCursor returns the ID a cursor resumes after ("" for no cursor), or
// an invalid *herald.Error.
func decodeCursor(cursor string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(b) == 0 || strings.ContainsRune(string(b), 0) || !utf8.Valid(b) {
		return "", invalidCursor()
	}
	return string(b), nil
}

// limitOf is the page size to use for p.Limit (already validated by the
// caller; a non-positive limit means the API default of 50).
func limitOf(limit int) int {
	if limit <= 0 {
		return 50
	}
	return limit
}

// cutPage trims a result fetched with limit+1 rows to limit and returns the
// cursor of the next page, "" when there is none.
func cutPage[T any](items []T, limit int, id func(T) string) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, encodeCursor(id(items[limit-1]))
}

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// querier is *sql.DB or *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryAll runs query on q and scans every row with scan.
func queryAll[T any](ctx context.Context, q querier, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// where collects SQL conditions joined with AND and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// String is "" or " WHERE c1 AND c2 ...".
func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// invalidCursor is the error of a cursor this store did not make.
func invalidCursor() error {
	return &herald.Error{Code: herald.EInvalid, Message: "invalid cursor",
		Fields: []herald.FieldError{{Field: "cursor", Message: "is not a valid cursor"}}}
}

// nullTimeCol scans a nullable timestamp column into a *time.Time.
type nullTimeCol struct{ t **time.Time }

func (c nullTimeCol) Scan(src any) error {
	if src == nil {
		*c.t = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{&t}).Scan(src); err != nil {
		return err
	}
	*c.t = &t
	return nil
}

// nullTime binds a *time.Time as text, nil as NULL.
func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}
