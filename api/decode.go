package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/envelope"
)

// MaxBodyBytes limits every JSON request body (SPEC §2).
const MaxBodyBytes = 1 << 20

// decode reads a JSON object request body into dst, a pointer to a struct
// whose fields carry json tags. It answers 415 for a content type other
// than JSON or a compressed body, 413 above MaxBodyBytes, 400 for malformed
// JSON or a body that is not an object, and 422 with one entry per bad
// field (its JSON path) for unknown fields, wrong types, keys given twice
// and text that is not UTF-8. When optional is true an empty body leaves
// dst as it is.
func (s *Server) decode(c *gin.Context, dst any, optional bool) error {
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		if optional {
			return nil
		}
		return &httpError{http.StatusBadRequest, "request body is empty; a JSON object is required"}
	}
	if err := checkEncoding(c); err != nil {
		return err
	}
	mt, params, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return &httpError{http.StatusUnsupportedMediaType, "Content-Type must be application/json"}
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		// JSON is UTF-8 (RFC 8259); a body declared otherwise would be
		// read as something its sender did not mean.
		return &httpError{http.StatusUnsupportedMediaType, "Content-Type charset must be utf-8 (JSON is UTF-8)"}
	}
	if !json.Valid(body) {
		var v any
		err := json.Unmarshal(body, &v)
		return &httpError{http.StatusBadRequest, "malformed JSON: " + err.Error()}
	}
	if body[0] != '{' {
		return &httpError{http.StatusBadRequest, "the body must be a JSON object"}
	}
	if errs := decodeObject(body, reflect.ValueOf(dst), ""); len(errs) > 0 {
		return invalid(errs...)
	}
	return nil
}

// checkEncoding answers 415 for a compressed body. Read as it is, such a
// body is malformed JSON (or fails its signature); the problem is the
// encoding (RFC 9110 §15.5.16).
func checkEncoding(c *gin.Context) error {
	if ce := strings.TrimSpace(c.GetHeader("Content-Encoding")); ce != "" && !strings.EqualFold(ce, "identity") {
		return &httpError{http.StatusUnsupportedMediaType, "Content-Encoding " + ce + " is not supported; send the body uncompressed"}
	}
	return nil
}

// decodeFields is decode for a handler that goes on to check the values it
// decoded. A 422 about the body's shape (unknown fields, wrong types) comes
// back as shape rather than err: the handler still checks the fields that
// did decode and joins both (joinShape), so that one answer names every bad
// field. Any other failure (413, 415, malformed JSON) is err.
func (s *Server) decodeFields(c *gin.Context, dst any, optional bool) (shape, err error) {
	err = s.decode(c, dst, optional)
	if _, ok := fieldErrors(err); ok {
		return err, nil
	}
	return nil, err
}

// joinShape returns the error of a request whose body decoded with the
// field errors shape (nil when it decoded whole) and whose check of the
// decoded values returned checked. Their field errors make one 422; a
// checked error about a field that did not decode is left out, since it
// only says again that the field is wrong (often as "is required"). A
// check that failed in another way (the store, DNS) counts only for a
// body that decoded whole.
func joinShape(shape, checked error) error {
	bad, ok := fieldErrors(shape)
	if !ok {
		return checked
	}
	more, ok := fieldErrors(checked)
	if !ok {
		return shape
	}
	fields := slices.Clone(bad)
	for _, f := range more {
		if !slices.ContainsFunc(bad, func(b herald.FieldError) bool { return within(f.Field, b.Field) }) {
			fields = append(fields, f)
		}
	}
	return invalid(fields...)
}

// fieldErrors returns the field errors of a 422 (an EInvalid error that
// names fields).
func fieldErrors(err error) ([]herald.FieldError, bool) {
	var e *herald.Error
	if errors.As(err, &e) && e.Code == herald.EInvalid && len(e.Fields) > 0 {
		return e.Fields, true
	}
	return nil, false
}

// within reports whether the field path p is path or lies below it
// ("retry.max_attempts" in "retry", "events[2]" in "events").
func within(p, path string) bool {
	return p == path || strings.HasPrefix(p, path+".") || strings.HasPrefix(p, path+"[")
}

// readBody reads the request body: at most MaxBodyBytes (413 above), and
// within BodyReadTimeout of the call (408 after), so that a client sending
// its body slowly cannot hold a handler for long.
func (s *Server) readBody(c *gin.Context) ([]byte, error) {
	rc := http.NewResponseController(c.Writer)
	_ = rc.SetReadDeadline(time.Now().Add(s.BodyReadTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes))
	_ = rc.SetReadDeadline(time.Time{})
	var mbe *http.MaxBytesError
	var timeout interface{ Timeout() bool }
	switch {
	case err == nil:
		return body, nil
	case errors.As(err, &mbe):
		return nil, &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", MaxBodyBytes)}
	case errors.As(err, &timeout) && timeout.Timeout():
		c.Header("Connection", "close")
		return nil, &httpError{http.StatusRequestTimeout, fmt.Sprintf("the request body did not arrive within %s", s.BodyReadTimeout)}
	}
	return nil, &httpError{http.StatusBadRequest, "could not read request body"}
}

// decodeObject fills the struct dst points to from the JSON object raw,
// field by field, so that every unknown field and every type error gets
// its own entry, named by its path (see memberPath) below path, "" for
// the body. Pointer-to-struct fields are decoded the same way, one level
// down.
func decodeObject(raw []byte, dst reflect.Value, path string) []herald.FieldError {
	obj, repeated, err := envelope.Members(raw)
	if err != nil {
		return []herald.FieldError{field(path, "must be an object")}
	}
	var errs []herald.FieldError
	for _, key := range slices.Sorted(maps.Keys(repeated)) {
		errs = append(errs, field(memberPath(path, key), repeatedKey))
	}
	sv := dst.Elem()
	index := map[string]int{}
	for i := range sv.NumField() {
		name, _, _ := strings.Cut(sv.Type().Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			index[name] = i
		}
	}
	for _, key := range slices.Sorted(maps.Keys(obj)) {
		if repeated[key] {
			continue
		}
		kp := memberPath(path, key)
		i, ok := index[key]
		if !ok {
			errs = append(errs, field(kp, "is not a known field"))
			continue
		}
		fv := sv.Field(i)
		value := obj[key]
		if string(value) == "null" && fv.Type() != rawMessage {
			// Not "absent": a client sending null to clear a field
			// (headers, description) must not be told it worked while
			// the old value stays. Raw fields (data, changes, config)
			// give null their own meaning.
			errs = append(errs, field(kp, "must not be null; leave the field out to keep its value or take the default"))
			continue
		}
		if fv.Type() != rawMessage {
			// Raw fields keep the text as sent, and their handlers check it.
			if err := envelope.CheckText(value); err != nil {
				errs = append(errs, field(kp, err.Error()))
				continue
			}
		}
		if isNested(fv.Type()) {
			fv.Set(reflect.New(fv.Type().Elem()))
			errs = append(errs, decodeObject(value, fv, kp)...)
			continue
		}
		if isStringMap(fv.Type()) {
			errs = append(errs, decodeStringMap(value, fv, kp)...)
			continue
		}
		if err := json.Unmarshal(value, fv.Addr().Interface()); err != nil {
			// Unset, not half-set: encoding/json may have allocated a
			// pointer before it failed, and checks of the decoded
			// fields must see the field as missing.
			fv.Set(reflect.Zero(fv.Type()))
			errs = append(errs, typeError(kp, err))
			continue
		}
		if path := nulAt(fv, kp); path != "" {
			errs = append(errs, field(path, noNUL))
		}
	}
	return errs
}

// memberPath is the path of member key of the object at path ("" for the
// body), in SPEC §2's dot-and-bracket form: retry.max_attempts, but
// templates["user.created"] for a key that is not a plain name (event
// names hold dots), which a client could not otherwise split.
func memberPath(path, key string) string {
	if key != "" && strings.IndexFunc(key, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
	}) < 0 {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(key) // a string always encodes
	return path + "[" + strings.TrimSuffix(b.String(), "\n") + "]"
}

// repeatedKey is the error of a key an object gives twice.
const repeatedKey = "is given more than once"

// rawMessage is the type of the fields kept as raw JSON.
var rawMessage = reflect.TypeFor[json.RawMessage]()

// noNUL is the error of a text field holding a NUL character, which no
// name, ID or setting needs and PostgreSQL text cannot store.
const noNUL = "must not contain NUL characters"

// nulAt returns the path of the first string in v (a decoded field: a
// string, or pointers, slices and maps of them) that holds a NUL, or "".
// Raw JSON, kept as the client wrote it (event data), is not searched.
func nulAt(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			return nulAt(v.Elem(), path)
		}
	case reflect.String:
		if strings.ContainsRune(v.String(), 0) {
			return path
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return "" // json.RawMessage, []byte
		}
		for i := range v.Len() {
			if p := nulAt(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	}
	return ""
}

// isStringMap reports whether t is *map[string]string, as headers and
// templates are.
func isStringMap(t reflect.Type) bool {
	return t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Map &&
		t.Elem().Key().Kind() == reflect.String && t.Elem().Elem().Kind() == reflect.String
}

// decodeStringMap sets dst, a *map[string]string, from the JSON object
// raw entry by entry, so that a value that is not a string is named by its
// own path (headers.X-Team) rather than the map's.
func decodeStringMap(raw []byte, dst reflect.Value, path string) []herald.FieldError {
	obj, repeated, err := envelope.Members(raw)
	if err != nil {
		return []herald.FieldError{field(path, "must be an object")}
	}
	m := make(map[string]string, len(obj))
	var errs []herald.FieldError
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if repeated[k] {
			errs = append(errs, field(memberPath(path, k), repeatedKey))
			continue
		}
		v, ok := jsonString(obj[k])
		if !ok {
			errs = append(errs, field(memberPath(path, k), "must be a string"))
			continue
		}
		if strings.ContainsRune(k, 0) || strings.ContainsRune(v, 0) {
			errs = append(errs, field(memberPath(path, k), noNUL))
			continue
		}
		m[k] = v
	}
	dst.Set(reflect.ValueOf(&m).Convert(dst.Type()))
	return errs
}

// isNested reports whether t is a pointer to one of the API's own input
// structs (decoded field by field).
func isNested(t reflect.Type) bool {
	return t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct && t.Elem().PkgPath() == reflect.TypeFor[webhookInput]().PkgPath()
}

func typeError(path string, err error) herald.FieldError {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			path += "." + te.Field
		}
		return field(path, "must be "+typeName(te.Type.Kind()))
	}
	return field(path, "is not valid")
}

func typeName(kind reflect.Kind) string {
	switch kind {
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "of another type"
}

// jsonString decodes a JSON string; null, which json.Unmarshal takes as
// "no change" and so as an empty string, is not one.
func jsonString(raw json.RawMessage) (string, bool) {
	var v string
	if string(bytes.TrimSpace(raw)) == "null" || json.Unmarshal(raw, &v) != nil {
		return "", false
	}
	return v, true
}
