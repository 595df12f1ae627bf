package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Errors of Check.
var (
	ErrDuplicateKey   = errors.New("has an object with the same key twice")
	ErrLoneSurrogate  = errors.New(`has a \u escape of half a UTF-16 surrogate pair`)
	errNotJSONToCheck = errors.New("is not valid JSON")
)

// Check returns an error wrapping ErrDuplicateKey or ErrLoneSurrogate when
// the JSON value raw holds something receivers read in different ways:
//
//   - A key twice in one object. JSON parsers keep the last value, but a
//     GET query lists both, and Go's url.Values.Get reads the first.
//   - A \u escape of an unpaired surrogate. The body keeps it as sent, but
//     the query turns it into U+FFFD, and PHP's json_decode refuses the
//     whole body, leaving a PHP receiver without its data.
//
// Neither occurs in what a JSON encoder writes, so refusing them when an
// event is published costs no real publisher anything.
func Check(raw []byte) error {
	if err := checkSurrogates(raw); err != nil {
		return err
	}
	return checkKeys(raw)
}

// errNotObject is Members' error for a value that is no JSON object, or
// one followed by more than white space.
var errNotObject = errors.New("is not a JSON object")

// Members reads the members of the JSON object raw, and returns the set of
// keys it gives more than once. encoding/json would keep the last value
// without a word: {"event": "user.created", "event": "user.deleted"}
// would publish user.deleted, where other readers take the first.
func Members(raw []byte) (map[string]json.RawMessage, map[string]bool, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, errNotObject
	}
	obj := map[string]json.RawMessage{}
	repeated := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		key, _ := t.(string) // what comes before a member's value is its key
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		if _, seen := obj[key]; seen {
			repeated[key] = true
		}
		obj[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, errNotObject // more after the object
	}
	return obj, repeated, nil
}

// ErrNotUTF8 is CheckText's error for bytes that are not UTF-8.
var ErrNotUTF8 = errors.New("must be valid UTF-8")

// CheckText returns ErrNotUTF8, or an error wrapping ErrLoneSurrogate,
// when the JSON value raw holds text that decoding would not keep as
// written: bytes that are not UTF-8, or a \u escape of half a surrogate
// pair. encoding/json turns both into U+FFFD, so two different values
// (two idempotency keys, two secrets) would decode as the same one.
func CheckText(raw []byte) error {
	if !utf8.Valid(raw) {
		return ErrNotUTF8
	}
	return checkSurrogates(raw)
}

// checkSurrogates finds an unpaired surrogate escape. In valid JSON a
// backslash only occurs inside a string, as an escape, so no string
// tracking is needed.
func checkSurrogates(raw []byte) error {
	for i := bytes.IndexByte(raw, '\\'); i >= 0 && i+1 < len(raw); {
		if raw[i+1] != 'u' {
			i = next(raw, i+2)
			continue
		}
		r := hex4(raw, i+2)
		switch {
		case utf16.IsSurrogate(r) && r < 0xDC00: // high: a low one must follow
			if i+7 < len(raw) && raw[i+6] == '\\' && raw[i+7] == 'u' {
				if low := hex4(raw, i+8); low >= 0xDC00 && low <= 0xDFFF {
					i = next(raw, i+12)
					continue
				}
			}
			return fmt.Errorf("%w at byte %d", ErrLoneSurrogate, i)
		case utf16.IsSurrogate(r): // low without a high one before it
			return fmt.Errorf("%w at byte %d", ErrLoneSurrogate, i)
		}
		i = next(raw, i+6)
	}
	return nil
}

// next is the index of the next backslash at or after from, or -1.
func next(raw []byte, from int) int {
	if from >= len(raw) {
		return -1
	}
	if j := bytes.IndexByte(raw[from:], '\\'); j >= 0 {
		return from + j
	}
	return -1
}

// hex4 reads the four hex digits at raw[at:], or returns -1.
func hex4(raw []byte, at int) rune {
	if at+4 > len(raw) {
		return -1
	}
	v, err := strconv.ParseUint(string(raw[at:at+4]), 16, 16)
	if err != nil {
		return -1
	}
	return rune(v)
}

// checkKeys finds an object with a key twice (compared after decoding, as
// parsers compare them).
func checkKeys(raw []byte) error {
	type frame struct {
		object bool
		key    bool // the next token of this object is a key
		keys   map[string]struct{}
	}
	var stack []*frame
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %v", errNotJSONToCheck, err)
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		if top != nil && top.object {
			if top.key {
				k, _ := tok.(string)
				if _, dup := top.keys[k]; dup {
					return fmt.Errorf("%w (%q)", ErrDuplicateKey, k)
				}
				top.keys[k] = struct{}{}
				top.key = false
				continue
			}
			top.key = true // this is the value; a key comes next
		}
		if d, ok := tok.(json.Delim); ok {
			f := &frame{object: d == '{', key: d == '{'}
			if f.object {
				f.keys = map[string]struct{}{}
			}
			stack = append(stack, f)
		}
	}
}
