package api

import (
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

const (
	defaultLimit = 50
	maxLimit     = 200
)

// page reads ?limit= and ?cursor=.
func page(c *gin.Context) (store.Page, error) {
	p := store.Page{Limit: defaultLimit, Cursor: c.Query("cursor")}
	var bad []herald.FieldError
	if v, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			bad = append(bad, field("limit", "must be an integer from 1 to 200"))
		}
		p.Limit = n
	}
	if len(p.Cursor) > 512 {
		bad = append(bad, field("cursor", "is not a valid cursor"))
	}
	return p, invalidIf(bad)
}

// collect joins errs, each nil or a 422, into one 422 naming all their
// fields; an error of another kind is returned as it is.
func collect(errs ...error) error {
	var fields []herald.FieldError
	for _, err := range errs {
		if err == nil {
			continue
		}
		fe, ok := fieldErrors(err)
		if !ok {
			return err
		}
		fields = append(fields, fe...)
	}
	return invalidIf(fields)
}

// since reads an optional RFC 3339 ?since= parameter.
func since(c *gin.Context) (time.Time, error) {
	v := c.Query("since")
	if v == "" {
		return time.Time{}, nil
	}
	t, ok := parseTime(v)
	if i := len(v) - len(" 00:00"); !ok && i > 0 && v[i] == ' ' {
		// An offset's "+" left unescaped in the URL, which query
		// decoding turned into a space.
		t, ok = parseTime(v[:i] + "+" + v[i+1:])
	}
	if !ok {
		return time.Time{}, invalid(field("since", "must be an RFC 3339 time (escape a + in its offset as %2B)"))
	}
	return t, nil
}

// parseTime reads an RFC 3339 time as UTC, its "T" and "Z" in either case
// (RFC 3339 §5.6 allows both; Go's layout takes upper case only). A time
// whose UTC year falls outside 1 to 9999 is refused: an offset can carry
// 9999-12-31T23:30-02:00 into year 10000, which the stores' text encoding
// would sort before 2026.
func parseTime(v string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(v))
	if err != nil {
		return time.Time{}, false
	}
	// Stored times have microseconds. A finer since is rounded up, so
	// that every store keeps exactly the records at or after it
	// (PostgreSQL would cut it down to the microsecond, SQLite compare
	// all its digits).
	if r := t.Truncate(time.Microsecond); !r.Equal(t) {
		t = r.Add(time.Microsecond)
	}
	t = t.UTC()
	return t, t.Year() >= 1 && t.Year() <= 9999
}

type listBody[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

func listResponse[T any](items []T, next string) listBody[T] {
	b := listBody[T]{Data: items}
	if b.Data == nil {
		b.Data = []T{}
	}
	if next != "" {
		b.NextCursor = &next
	}
	return b
}
