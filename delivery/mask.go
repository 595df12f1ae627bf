package delivery

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
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
	for _, part := range []string{"token", "secret", "key", "pass", "pwd", "auth", "sig", "hmac", "credential", "session"} {
		if strings.Contains(n, part) {
			return true
		}
	}
	return false
}

// sensitiveQuery reports whether a URL query parameter's value must not be
// logged: one named like a credential header, or a name services use for
// a key (Azure Functions' code).
func sensitiveQuery(name string) bool {
	return sensitiveHeader(name) || strings.EqualFold(name, "code")
}

// maskHeaders flattens headers for the log, masking sensitive values and
// the credentials in a redirect's Location; secrets (see Redact) are
// redacted from the rest.
func maskHeaders(h http.Header, secrets []string) map[string]string {
	out := flatten(h)
	for k, v := range out {
		switch {
		case sensitiveHeader(k):
			out[k] = masked
		case http.CanonicalHeaderKey(k) == "Location":
			out[k] = maskLocation(Redact(v, masked, secrets...))
		default:
			out[k] = Redact(v, masked, secrets...)
		}
	}
	return out
}

// minRedacted is the shortest value Redact is given to hide in text a
// receiver sent back: shorter ones (a header "X-Env: prod") would mask
// innocent words, and are no credential worth the name.
const minRedacted = 8

// requestSecrets are the values of an outgoing request that a receiver
// might echo in its response (debug endpoints and error pages do): its
// signatures, the webhook's own header values that are credentials by
// name or look (credentialLike), and the URL's credentials.
func requestSecrets(req *http.Request, custom map[string]string) []string {
	var out []string
	add := func(v string) {
		if len(v) >= minRedacted {
			out = append(out, v)
		}
	}
	add(req.Header.Get("Signature"))
	for _, sig := range strings.Fields(req.Header.Get("webhook-signature")) {
		_, b64, _ := strings.Cut(sig, ",")
		add(b64)
	}
	for name, v := range custom {
		if sensitiveHeader(name) || credentialLike(v) {
			add(v)
		}
	}
	_, keys := maskPath(req.URL)
	for _, key := range keys {
		add(key)
	}
	if u := req.URL.User; u != nil {
		if pw, ok := u.Password(); ok {
			add(pw)
		} else {
			add(u.Username())
		}
	}
	if req.Method != http.MethodGet {
		// As written in the URL and decoded: an echo may show either.
		for _, p := range strings.Split(req.URL.RawQuery, "&") {
			k, v, _ := strings.Cut(p, "=")
			if name, err := url.QueryUnescape(k); err == nil && sensitiveQuery(name) {
				add(v)
				if dec, err := url.QueryUnescape(v); err == nil {
					add(dec)
				}
			}
		}
	}
	return out
}

// credentialLike reports whether a header value, under a name that does
// not say so, looks like a credential rather than a word or a date: it
// mixes letters and digits. "production", "application/json" or
// "2024-01-01" stay readable where a receiver repeats them;
// "tenant-7f3a9c" does not.
func credentialLike(v string) bool {
	return strings.ContainsAny(v, "0123456789") &&
		strings.ContainsFunc(v, func(r rune) bool { return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') })
}

// minPathToken is the shortest URL path segment pathToken takes for a key.
const minPathToken = 16

// pathToken reports whether a URL path segment (decoded) looks like a key
// rather than a name. It must be at least minPathToken long, and either
// change from a lower-case letter to an upper-case one or between a letter
// and a digit at least once per six characters (random mixed-case keys,
// as Slack's hooks.slack.com/services/T…/B…/<key> and Discord's
// api/webhooks/<id>/<key>), or hold a run of at least eight letters and
// digits, mixed, between separators (random lower-case keys, as
// Mattermost's and Make's, and UUIDs). Names of words with a version or a
// year ("notifications-v2", "github-webhook-2024",
// "perscom_handler_v1.php") stay readable; a camelCase name of many short
// words may be masked. Short keys (Zapier's) look like names and stay
// readable.
func pathToken(seg string) bool {
	if len(seg) < minPathToken {
		return false
	}
	changes := 0
	for i := 1; i < len(seg); i++ {
		a, b := seg[i-1], seg[i]
		lowerToUpper := isLower(a) && isUpper(b)
		letterDigit := isLetter(a) && isDigit(b) || isDigit(a) && isLetter(b)
		if lowerToUpper || letterDigit {
			changes++
		}
	}
	if changes*6 >= len(seg) {
		return true
	}
	for part := range strings.FieldsFuncSeq(seg, func(r rune) bool { return r == '-' || r == '_' || r == '.' || r == '~' }) {
		if len(part) >= minMixedRun && credentialLike(part) {
			return true
		}
	}
	return false
}

// minMixedRun is the shortest run between separators that pathToken
// takes for a key when it mixes letters and digits.
const minMixedRun = 8

func isLower(c byte) bool  { return c >= 'a' && c <= 'z' }
func isUpper(c byte) bool  { return c >= 'A' && c <= 'Z' }
func isLetter(c byte) bool { return isLower(c) || isUpper(c) }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// maskPath returns u's escaped path with each segment that pathToken takes
// for a key (decoded) replaced by the mask, and those keys, decoded.
func maskPath(u *url.URL) (path string, keys []string) {
	segs := strings.Split(u.EscapedPath(), "/")
	for i, seg := range segs {
		if dec, err := url.PathUnescape(seg); err == nil && pathToken(dec) {
			segs[i] = masked
			keys = append(keys, dec)
		}
	}
	return strings.Join(segs, "/"), keys
}

// Redact replaces every occurrence in s of each non-empty secret, as
// written or URL-, path- or JSON-escaped (also with "\/", as PHP writes
// a slash), with mask. Longer forms are replaced first, so a secret that
// contains another is masked whole.
func Redact(s, mask string, secrets ...string) string {
	return replaceForms(s, mask, secretForms(secrets))
}

// replaceForms replaces every occurrence in s of each form with mask, in
// the order given (longest first, as secretForms returns them).
func replaceForms(s, mask string, forms []string) string {
	for _, f := range forms {
		s = strings.ReplaceAll(s, f, mask)
	}
	return s
}

// secretForms are the distinct forms of the secrets Redact looks for,
// longest first.
func secretForms(secrets []string) []string {
	var forms []string
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		j, _ := json.Marshal(sec)
		js := string(j[1 : len(j)-1])
		forms = append(forms, sec, url.QueryEscape(sec), url.PathEscape(sec), js, strings.ReplaceAll(js, "/", `\/`))
	}
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	return slices.Compact(forms)
}

// ReadForLog is how much of a body to read for LoggedBody: more than a log
// entry keeps, so that a secret the receiver echoes across the cut is
// still whole, and so redacted, before the cut.
const ReadForLog = MaxLoggedBody + redactSlack

// LoggedBody is a body for the log: head, its first bytes read with a
// limit of ReadForLog, with secrets redacted, cut to MaxLoggedBody.
// Unless complete (the read reached the body's end), head may end in the
// first part of a secret, which redaction cannot recognise: the read hit
// its limit, or the body broke off (a timeout, a reset). That part is left
// out before the cut, since redaction may have shortened what comes before
// it enough to bring it within the cut.
func LoggedBody(head []byte, complete bool, mask string, secrets ...string) string {
	forms := secretForms(secrets)
	s := replaceForms(string(head), mask, forms)
	if !complete && len(forms) > 0 {
		// What redaction left of such a part ends s, and is shorter
		// than the longest form.
		s = cut(s, max(0, len(s)-(len(forms[0])-1)))
	}
	return cut(s, MaxLoggedBody)
}

// cut keeps at most n bytes of s, cut before a character that would not
// fit whole; bytes that are no UTF-8 are cut at n.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	c := n
	for i := 0; i < utf8.UTFMax && c > 0 && !utf8.RuneStart(s[c]); i++ {
		c--
	}
	if !utf8.RuneStart(s[c]) {
		c = n
	}
	return s[:c]
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

// truncate keeps at most MaxLoggedBody bytes of b, as cut does, copying
// no more of b than that.
func truncate(b []byte) string {
	return cut(string(b[:min(len(b), MaxLoggedBody+1)]), MaxLoggedBody)
}

// maskURL renders u for the log with credentials masked: the userinfo
// password, or the user name when it stands alone (a token given as
// https://TOKEN@host/), path segments that look like keys (pathToken), and,
// when maskQuery is set, the values of query parameters named like
// secrets. A GET's query is the envelope alone (SPEC §4: it replaces the
// URL's own), event data as a POST body carries it, so it is logged as
// sent: masking would hide data[author_id] for its "auth".
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
			if name, err := url.QueryUnescape(k); hasValue && (err != nil || sensitiveQuery(name)) {
				pairs[i] = k + "=" + masked
			}
		}
		c.RawQuery = strings.Join(pairs, "&")
	}
	if p, keys := maskPath(&c); len(keys) > 0 {
		// RawPath must be a valid escaping of Path, or String ignores it.
		c.RawPath = p
		c.Path, _ = url.PathUnescape(p)
	}
	c.Fragment, c.RawFragment = "", "" // never sent
	if tokenUser {
		return strings.Replace(c.String(), "://", "://"+masked+"@", 1)
	}
	return c.String()
}
