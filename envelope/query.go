package envelope

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Query returns the envelope as a query string in PHP's http_build_query
// bracket notation, the way PERSCOM sends GET webhooks:
//
//	event=user.created&created=...&request_id=...&trace_id=...&data%5Bid%5D=42&data%5Btags%5D%5B0%5D=a
//
// Keys follow the order of JSON, including the publisher's key order inside
// Data and Changes. Nested objects become key[name], arrays key[index].
// Nulls, empty arrays and empty objects produce nothing, true and false
// become 1 and 0, numbers keep their JSON text and strings are written as
// they are. Keys and values are escaped per RFC 3986: only A-Z a-z 0-9 - . _ ~
// stay literal, everything else (space, brackets, UTF-8 bytes) becomes %XX
// with upper-case hex.
//
// It fails when JSON fails, with the same errors, and with ErrQueryTooLong
// once the query passes MaxQuery bytes. Every leaf repeats its whole key
// path, so a small but deeply nested or wide document can encode to a query
// hundreds of times its size; the encoder stops at the limit instead of
// building that.
func (e Envelope) Query() (string, error) {
	data, changes, err := e.compacted()
	if err != nil {
		return "", err
	}
	var q query
	q.add([]byte("event"), e.Event)
	q.add([]byte("created"), e.created())
	q.add([]byte("request_id"), e.RequestID)
	q.add([]byte("trace_id"), e.TraceID)
	for _, part := range []struct {
		key string
		raw []byte
	}{{"data", data}, {"changes", changes}} {
		dec := json.NewDecoder(bytes.NewReader(part.raw))
		dec.UseNumber()
		if err := q.value(dec, []byte(part.key)); err != nil {
			return "", err
		}
	}
	if q.b.Len() > MaxQuery {
		return "", ErrQueryTooLong
	}
	return q.b.String(), nil
}

// MaxQuery is the longest query Query builds: as much as Herald accepts
// as a whole event body, and more than common servers take in a request
// line (Go's and nginx's defaults are 1 MiB and 8 KiB).
const MaxQuery = 1 << 20

// query accumulates key=value pairs.
type query struct{ b strings.Builder }

func (q *query) add(key []byte, value string) {
	if q.b.Len() > 0 {
		q.b.WriteByte('&')
	}
	escape(&q.b, string(key))
	q.b.WriteByte('=')
	escape(&q.b, value)
}

// value reads one JSON value from dec and adds its pairs under key. The
// input was validated beforehand, so errors here are unexpected. Children's
// keys are appended to key's backing array without copying; that is safe
// because each child is finished before its sibling's key overwrites it.
func (q *query) value(dec *json.Decoder, key []byte) error {
	if q.b.Len() > MaxQuery {
		return ErrQueryTooLong
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Delim: // '{' or '[': the closing one is consumed below
		for i := 0; dec.More(); i++ {
			child := append(key, '[')
			if v == '{' {
				name, err := dec.Token()
				if err != nil {
					return err
				}
				s, _ := name.(string) // object keys are always strings
				child = append(child, s...)
			} else {
				child = strconv.AppendInt(child, int64(i), 10)
			}
			if err := q.value(dec, append(child, ']')); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	case bool:
		if v {
			q.add(key, "1")
		} else {
			q.add(key, "0")
		}
	case json.Number:
		q.add(key, v.String())
	case string:
		q.add(key, v)
	}
	// nil (JSON null) adds nothing.
	return nil
}

const upperHex = "0123456789ABCDEF"

// escape writes s percent-encoded per RFC 3986, byte by byte.
func escape(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&0x0f])
	}
}
