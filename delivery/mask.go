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

// maskHeaders flattens headers for the log, masking sensitive values and
// the credentials in a redirect's Location.
func maskHeaders(h http.Header) map[string]string {
	out := flatten(h)
	for k := range out {
		switch {
		case sensitiveHeader(k):
			out[k] = masked
		case http.CanonicalHeaderKey(k) == "Location":
			out[k] = maskLocation(out[k])
		}
	}
	return out
}

// maskLocation is a Location header's URL with credentials masked as in
// maskURL (its query too: a redirect's query is the receiver's, not the
// envelope), or the mask when it is no URL at all.
func maskLocation(v string) string {
	u, err := url.Parse(v)
	if err != nil {
		return masked
	}
	return maskURL(u, true)
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
		// Pair by pair, so the rest of the query reads as it was sent.
		pairs := strings.Split(c.RawQuery, "&")
		for i, p := range pairs {
			k, _, hasValue := strings.Cut(p, "=")
			if name, err := url.QueryUnescape(k); hasValue && (err != nil || sensitiveHeader(name)) {
				pairs[i] = k + "=" + masked
			}
		}
		c.RawQuery = strings.Join(pairs, "&")
	}
	c.Fragment, c.RawFragment = "", "" // never sent
	if tokenUser {
		return strings.Replace(c.String(), "://", "://"+masked+"@", 1)
	}
	return c.String()
}
