package message

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"text/template"
	"time"
)

// funcs are the functions templates may call besides text/template's
// built-ins. Kept small on purpose:
//
//	get OBJECT PATH     the value at a dotted path ("user.rank.name",
//	                    "statuses.0.name") in .Data or .Changes, or ""
//	                    when any part is missing or null
//	default DEF VALUE   VALUE, or DEF when VALUE is missing, null, "" or
//	                    an empty list or object (0 and false are values)
//	upper VALUE         VALUE as text in upper case
//	lower VALUE         VALUE as text in lower case
//	date [LAYOUT] VALUE a time.Time or RFC 3339 string in UTC, formatted
//	                    with the Go LAYOUT, by default "2006-01-02 15:04 UTC";
//	                    "" for an empty value
//
// Example: {{get .Data "user.name" | default "Someone"}} made
// {{get .Data "rank.name"}} on {{date .Created}}.
//
// The built-ins that make text (printf, print, println, html, js,
// urlquery) are replaced by versions that refuse a result longer than
// MaxOutputBytes. The output cap alone only sees what is written: a value
// kept in a variable and fed back through printf or html grows
// geometrically without writing a byte, and a few lines of template could
// exhaust the worker's memory, which no recover catches.
func funcs() template.FuncMap {
	return template.FuncMap{
		"get":      get,
		"default":  orDefault,
		"upper":    func(v any) string { return strings.ToUpper(asText(v)) },
		"lower":    func(v any) string { return strings.ToLower(asText(v)) },
		"date":     date,
		"printf":   printf,
		"print":    bounded(fmt.Sprint),
		"println":  bounded(fmt.Sprintln),
		"html":     bounded(template.HTMLEscaper),
		"js":       bounded(template.JSEscaper),
		"urlquery": bounded(template.URLQueryEscaper),
	}
}

// bounded wraps a text built-in so that a result over MaxOutputBytes is an
// error. The check after the call bounds what a template keeps; the one
// before bounds what one call builds: its arguments may come from the
// event (whose data may be 256 KiB), repeated as often as the template
// likes, and a result built whole before it is measured could take
// hundreds of megabytes.
func bounded(f func(...any) string) func(...any) (string, error) {
	return func(args ...any) (string, error) {
		if argsSize(args) > maxFormatInput {
			return "", errTooLong
		}
		s := f(args...)
		if len(s) > MaxOutputBytes {
			return "", errTooLong
		}
		return s, nil
	}
}

// maxFormatInput is the most text one call of a text built-in is given.
// It is well over MaxOutputBytes: printf's precision ("%.200s") makes a
// short result of a long text.
const maxFormatInput = 64 * MaxOutputBytes

// argsSize estimates how much text args print as, without printing them,
// counting no further than just past maxFormatInput.
func argsSize(args []any) int {
	n := 0
	for _, a := range args {
		if n += textSize(a, maxFormatInput-n); n > maxFormatInput {
			break
		}
	}
	return n
}

// textSize estimates the printed length of v: its strings and numbers,
// with a few bytes for each element and anything else. It stops once the
// count passes limit.
func textSize(v any, limit int) int {
	switch x := v.(type) {
	case string:
		return len(x)
	case json.Number:
		return len(x)
	case map[string]any:
		n := 2
		for k, e := range x {
			if n += len(k) + 2 + textSize(e, limit-n); n > limit {
				break
			}
		}
		return n
	case []any:
		n := 2
		for _, e := range x {
			if n += 1 + textSize(e, limit-n); n > limit {
				break
			}
		}
		return n
	}
	return 32 // nil, numbers, booleans, times
}

// printf is fmt.Sprintf, refusing a width or precision over MaxOutputBytes
// before formatting (fmt allows up to a million per verb) and any result
// over it after.
func printf(format string, args ...any) (string, error) {
	if err := checkFormat(format); err != nil {
		return "", err
	}
	return bounded(func(a ...any) string { return fmt.Sprintf(format, a...) })(args...)
}

// checkFormat refuses widths and precisions above MaxOutputBytes, and
// ones taken from the arguments ("*"), in a printf format.
func checkFormat(format string) error {
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		for i < len(format) && strings.IndexByte("+-# 0[]123456789.*", format[i]) >= 0 {
			if format[i] == '*' {
				return errors.New("printf: widths from arguments (*) are not supported")
			}
			start := i
			for i < len(format) && format[i] >= '0' && format[i] <= '9' {
				i++
			}
			if i > start {
				if len(format[start:i]) > 6 || atoi(format[start:i]) > MaxOutputBytes {
					return errTooLong
				}
				continue
			}
			i++
		}
	}
	return nil
}

// atoi is the value of a short run of ASCII digits.
func atoi(digits string) int {
	n := 0
	for _, d := range digits {
		n = n*10 + int(d-'0')
	}
	return n
}

func get(v any, path string) any {
	if r := lookup(v, path); r != nil {
		return r
	}
	return ""
}

func orDefault(def, v any) any {
	switch x := v.(type) {
	case nil:
		return def
	case string:
		if x == "" {
			return def
		}
	case []any:
		if len(x) == 0 {
			return def
		}
	case map[string]any:
		if len(x) == 0 {
			return def
		}
	}
	return v
}

// asText is v as a template would print it, with nil as "".
func asText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return fmt.Sprint(v)
}

func date(args ...any) (string, error) {
	layout := TimeLayout
	switch len(args) {
	case 1:
	case 2:
		l, ok := args[0].(string)
		if !ok || l == "" {
			return "", errors.New("layout must be a non-empty string")
		}
		layout = l
	default:
		return "", errors.New("want a value, or a layout and a value")
	}
	switch v := args[len(args)-1].(type) {
	case nil:
		return "", nil
	case time.Time:
		return v.UTC().Format(layout), nil
	case string:
		if v == "" {
			return "", nil
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return "", fmt.Errorf("%q is not an RFC 3339 time", cut(v, 40))
		}
		return t.UTC().Format(layout), nil
	default:
		return "", fmt.Errorf("cannot format a %s as a time", reflect.TypeOf(v))
	}
}
