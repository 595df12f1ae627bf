package api

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// textParams makes every path parameter and query value valid text:
// invalid UTF-8 and NUL bytes become U+FFFD. Herald's IDs and names are
// plain ASCII, so a value that needed this names nothing: the handlers then
// answer as for any unknown ID or filter (404, 401 for an ingest source, an
// empty list) rather than passing bytes to a store that cannot hold them
// (PostgreSQL text refuses both).
//
// A query string that does not parse (a bad %-escape, a ';' separator) is
// a 400: Go's parser would drop the bad pair, and a cursor or filter lost
// that way would answer as if it had not been sent (the first page, an
// unfiltered log).
func textParams(c *gin.Context) {
	for i, p := range c.Params {
		c.Params[i].Value = asText(p.Value)
	}
	if q := c.Request.URL.RawQuery; q != "" {
		values, err := url.ParseQuery(q)
		if err != nil {
			writeProblem(c, http.StatusBadRequest, "malformed query string: "+asText(err.Error()), nil)
			c.Abort()
			return
		}
		changed := false
		for k, vs := range values {
			for i, v := range vs {
				if t := asText(v); t != v {
					vs[i], changed = t, true
				}
			}
			if t := asText(k); t != k {
				delete(values, k)
				values[t], changed = vs, true
			}
		}
		if changed {
			c.Request.URL.RawQuery = values.Encode()
		}
	}
	c.Next()
}

// asText is s with invalid UTF-8 and NUL bytes replaced by U+FFFD.
func asText(s string) string {
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
