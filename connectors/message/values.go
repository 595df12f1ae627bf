package message

import (
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxValue is the longest a field value gets, in characters, before it is
// cut with an ellipsis.
const maxValue = 200

// TimeLayout is how messages show a point in time: always UTC, to the minute.
const TimeLayout = "2006-01-02 15:04 UTC"

// lookup walks a dotted path ("user.rank.name") through nested objects and
// arrays; a numeric segment indexes an array. It returns nil when any step
// is missing or of the wrong kind.
func lookup(v any, path string) any {
	for seg := range strings.SplitSeq(path, ".") {
		switch c := v.(type) {
		case map[string]any:
			v = c[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}

// object returns the object at path, or nil.
func object(v any, path string) map[string]any {
	m, _ := lookup(v, path).(map[string]any)
	return m
}

// str returns the scalar at path as one line of plain text, or "" when it
// is missing, null, an object or an array.
func str(v any, path string) string {
	switch s := lookup(v, path).(type) {
	case string:
		return line(s)
	case map[string]any, []any, nil:
		return ""
	default:
		return display(s)
	}
}

// named returns how an object such as a rank, unit or award is called:
// "Staff Sergeant (SSG)", "Infantryman (11B)", "Operations".
func named(m map[string]any) string {
	name, abbr := str(m, "name"), str(m, "abbreviation")
	switch {
	case name == "":
		return abbr
	case abbr == "" || abbr == name:
		return name
	}
	return name + " (" + abbr + ")"
}

// display turns any decoded JSON value into text for a field: timestamps in
// TimeLayout, booleans as yes/no, objects by their name, arrays as a list.
// HTML markup is reduced to its text. Null and empty values give "".
func display(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		if t, ok := parseTime(v); ok {
			return t.Format(TimeLayout)
		}
		return line(v)
	case json.Number:
		return v.String()
	case bool:
		if v {
			return "yes"
		}
		return "no"
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case int, int64, int32, uint, uint64, uint32:
		return fmt.Sprint(v)
	case map[string]any:
		if n := named(v); n != "" {
			return n
		}
		if len(v) == 0 {
			return ""
		}
	case []any:
		parts := make([]string, 0, len(v))
		for _, e := range v {
			if s := display(e); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	}
	// An object without a name, or a Go value no decoder produces: show it
	// as compact JSON rather than Go's map[...] notation, without the
	// attributes that may hold a credential, at any depth.
	b, err := json.Marshal(withoutSecrets(v))
	if err != nil {
		return ""
	}
	return string(b)
}

// withoutSecrets is v with every object attribute whose name says it may
// hold a credential (secret) left out, at any depth.
func withoutSecrets(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			if !secret(k) {
				out[k] = withoutSecrets(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = withoutSecrets(e)
		}
		return out
	}
	return v
}

// parseTime recognises the RFC 3339 timestamps PERSCOM sends
// ("2026-05-23T19:00:00.000000Z") and returns them in UTC.
func parseTime(s string) (time.Time, bool) {
	if len(s) < 20 || s[4] != '-' || s[10] != 'T' {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// timeAt returns the timestamp at path in TimeLayout, or "".
func timeAt(v any, path string) string {
	s, _ := lookup(v, path).(string)
	if t, ok := parseTime(s); ok {
		return t.Format(TimeLayout)
	}
	return ""
}

var (
	// htmlTag is a start or end tag with well-formed attributes, so that
	// plain text such as "a<b in round 1, c>d" is not taken for markup.
	htmlTag   = regexp.MustCompile(`</?([a-zA-Z][a-zA-Z0-9]*)(?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>` + "`" + `]+))?)*\s*/?>`)
	blankRuns = regexp.MustCompile(`\n\s*\n+`)
)

// blockTags end a line when markup is reduced to text.
var blockTags = []string{"p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr"}

// plain reduces rich text (PERSCOM's editors store HTML) to plain text,
// keeping paragraph breaks. Text without markup is only trimmed.
func plain(s string) string {
	if htmlTag.MatchString(s) {
		s = htmlTag.ReplaceAllStringFunc(s, func(tag string) string {
			name := strings.ToLower(htmlTag.FindStringSubmatch(tag)[1])
			if slices.Contains(blockTags, name) {
				return "\n"
			}
			return ""
		})
		s = html.UnescapeString(s)
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.TrimSpace(blankRuns.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
}

// line is plain text folded onto one line.
func line(s string) string { return strings.Join(strings.Fields(plain(s)), " ") }

// cut shortens s to at most n characters, ending it with "…" if it had to
// be cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// humanise turns an attribute name into a label: "preferred_name" becomes
// "Preferred name", "secondary_unit_ids" "Secondary unit IDs".
func humanise(key string) string {
	words := strings.FieldsFunc(key, func(r rune) bool { return r == '_' || r == '-' || r == '.' })
	for i, w := range words {
		switch lw := strings.ToLower(w); lw {
		case "id", "url":
			words[i] = strings.ToUpper(lw)
		case "ids", "urls":
			words[i] = strings.ToUpper(lw[:len(lw)-1]) + "s"
		default:
			words[i] = lw
		}
	}
	if len(words) == 0 {
		return key
	}
	words[0] = upperFirst(words[0])
	return strings.Join(words, " ")
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return strings.ToUpper(string(r)) + s[n:]
}
