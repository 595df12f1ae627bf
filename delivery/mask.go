package delivery

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

const masked = "********"

// sensitiveHeader reports whether a header's value must not be logged:
// Herald's signatures and anything that looks like a credential.
func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "signature", "webhook-signature", "authorization", "proxy-authorization", "cookie", "set-cookie":
		return true
	}
	for _, part := range []string{"token", "secret", "key", "password", "auth", "signature"} {
		if strings.Contains(n, part) {
			return true
		}
	}
	return false
}

// maskHeaders flattens request headers for the log, masking sensitive values.
func maskHeaders(h http.Header) map[string]string {
	out := flatten(h)
	for k := range out {
		if sensitiveHeader(k) {
			out[k] = masked
		}
	}
	return out
}

// flatten joins repeated header values with ", ".
func flatten(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = strings.Join(v, ", ")
	}
	return out
}

// truncate keeps at most MaxLoggedBody bytes, cut on a rune boundary.
func truncate(b []byte) string {
	if len(b) <= MaxLoggedBody {
		return string(b)
	}
	cut := MaxLoggedBody
	for i := 0; i < utf8.UTFMax && cut > 0 && !utf8.RuneStart(b[cut]); i++ {
		cut--
	}
	return string(b[:cut])
}

// maskURL renders u for the log with credentials masked: the userinfo
// password, or the user name when it stands alone (a token given as
// https://TOKEN@host/), and, when maskQuery is set, the values of query parameters
// named like secrets. A GET's query is the envelope alone (SPEC §4: it
// replaces the URL's own), event data as a POST body carries it, so it is
// logged as sent: masking would hide data[author_id] for its "auth".
func maskURL(u *url.URL, maskQuery bool) string {
	c := *u
	tokenUser := false
	if c.User != nil {
		if _, ok := c.User.Password(); ok {
			c.User = url.UserPassword(c.User.Username(), masked)
		} else {
			// url.User would percent-encode the mask's asterisks.
			c.User, tokenUser = nil, true
		}
	}
	if maskQuery && c.RawQuery != "" {
		q := c.Query()
		changed := false
		for k := range q {
			if sensitiveHeader(k) {
				q[k] = []string{masked}
				changed = true
			}
		}
		if changed {
			c.RawQuery = q.Encode()
		}
	}
	if tokenUser {
		return strings.Replace(c.String(), "://", "://"+masked+"@", 1)
	}
	return c.String()
}
