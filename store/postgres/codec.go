package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heraldhub/herald"
)

// jsonText encodes v for a JSON or JSONB parameter. pgx sends a string
// argument of a JSON column as JSON text, so a nil slice or map is stored
// as JSON null (not SQL NULL), as the SQLite store does.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// decodeJSON decodes a scanned JSON column into v (a pointer); SQL NULL
// (nil) leaves v alone.
func decodeJSON(b []byte, v any) error {
	if b == nil {
		return nil
	}
	return json.Unmarshal(b, v)
}

// rawParam binds a json.RawMessage to a JSON column as its exact text, nil
// as SQL NULL.
func rawParam(m json.RawMessage) any {
	if m == nil {
		return nil
	}
	return string(m)
}

// rawValue is a scanned JSON column as a json.RawMessage; NULL gives nil.
func rawValue(b []byte) json.RawMessage {
	if b == nil {
		return nil
	}
	return json.RawMessage(b)
}

// encodeCursor makes the opaque cursor that resumes a list after id.
func encodeCursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// decodeCursor returns the ID a cursor resumes after ("" for no cursor), or
// an invalid *herald.Error with field "cursor". A NUL byte, which
// PostgreSQL text cannot hold, is malformed too.
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

// invalidCursor is the error of a cursor this store did not make.
func invalidCursor() error {
	return &herald.Error{Code: herald.EInvalid, Message: "invalid cursor",
		Fields: []herald.FieldError{{Field: "cursor", Message: "is not a valid cursor"}}}
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

// rowScanner is pgx.Row or pgx.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// querier is the pool or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// queryAll runs query on q and scans every row with scan.
func queryAll[T any](ctx context.Context, q querier, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
}

// where collects SQL conditions joined with AND and their arguments,
// numbering the placeholders.
type where struct {
	conds []string
	args  []any
}

// add appends a condition whose one placeholder is written %s, for arg.
func (w *where) add(cond string, arg any) {
	w.args = append(w.args, arg)
	w.conds = append(w.conds, fmt.Sprintf(cond, fmt.Sprintf("$%d", len(w.args))))
}

// next is the placeholder of the argument after those added so far.
func (w *where) next() string { return fmt.Sprintf("$%d", len(w.args)+1) }

// String is "" or " WHERE c1 AND c2 ...".
func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// storableText is *s with NUL bytes and invalid UTF-8, which PostgreSQL
// text cannot hold, replaced by U+FFFD. It is for error messages, which
// may quote a service's answer; nil stays nil.
func storableText(s *string) *string {
	if s == nil || (utf8.ValidString(*s) && !strings.ContainsRune(*s, 0)) {
		return s
	}
	t := strings.ReplaceAll(strings.ToValidUTF8(*s, "\uFFFD"), "\x00", "\uFFFD")
	return &t
}
