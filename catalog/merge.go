package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// The helpers below run once, while the package initialises, on the
// examples written in this package. They panic on malformed JSON, which is a
// programming error that the package tests catch.

// field is one top-level member of a JSON object, its value kept verbatim.
type field struct {
	key   string
	value json.RawMessage
}

// mustCompact returns doc with insignificant whitespace removed.
func mustCompact(doc string) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(doc)); err != nil {
		panic(fmt.Sprintf("catalog: bad example JSON: %v", err))
	}
	return buf.Bytes()
}

// mustApply returns the object record with the members of the object changes
// written over it. Members keep their position in record; members new to
// record are appended. Key order matters here because users read these
// examples, so the objects are not round-tripped through a map.
func mustApply(record, changes json.RawMessage) json.RawMessage {
	fields := mustFields(record)
	for _, c := range mustFields(changes) {
		i := indexOf(fields, c.key)
		if i < 0 {
			fields = append(fields, c)
			continue
		}
		fields[i].value = c.value
	}

	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			buf.WriteByte(',')
		}
		key, _ := json.Marshal(f.key) // marshalling a string cannot fail
		buf.Write(key)
		buf.WriteByte(':')
		buf.Write(f.value)
	}
	buf.WriteByte('}')
	return mustCompact(buf.String())
}

func indexOf(fields []field, key string) int {
	for i, f := range fields {
		if f.key == key {
			return i
		}
	}
	return -1
}

// mustFields splits a JSON object into its top-level members, in order.
func mustFields(obj json.RawMessage) []field {
	dec := json.NewDecoder(strings.NewReader(string(obj)))
	fail := func(err error) { panic(fmt.Sprintf("catalog: bad example object: %v", err)) }

	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		fail(fmt.Errorf("want an object, got %v (%v)", tok, err))
	}
	var fields []field
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			fail(err)
		}
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			fail(err)
		}
		fields = append(fields, field{key: tok.(string), value: value})
	}
	if _, err := dec.Token(); err != nil {
		fail(err)
	}
	return fields
}
