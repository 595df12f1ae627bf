package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/heraldhub/herald"
)

// MaxBodyBytes limits every JSON request body (SPEC §2).
const MaxBodyBytes = 1 << 20

// decode reads a JSON request body into dst. It answers 415 for a content
// type other than JSON, 413 above MaxBodyBytes, 400 for malformed JSON, and
// 422 (with the field's JSON path) for wrong types and unknown fields. When
// optional is true an empty body leaves dst as it is.
func decode(c *gin.Context, dst any, optional bool) error {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", MaxBodyBytes)}
		}
		return &httpError{http.StatusBadRequest, "could not read request body"}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return &httpError{http.StatusBadRequest, "request body is empty; a JSON object is required"}
	}
	if ct := c.GetHeader("Content-Type"); ct != "" || !optional {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &httpError{http.StatusUnsupportedMediaType, "Content-Type must be application/json"}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return &httpError{http.StatusBadRequest, "malformed JSON: unexpected data after the object"}
	}
	return nil
}

func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		name := typeErr.Field
		if name == "" {
			return &httpError{http.StatusBadRequest, "malformed JSON: the body must be a JSON object"}
		}
		return invalid(field(name, "must be "+typeName(typeErr.Type.Kind().String())))
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return &httpError{http.StatusBadRequest, "malformed JSON: " + err.Error()}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return invalid(field(name, "is not a known field"))
	}
	var he *herald.Error
	if errors.As(err, &he) {
		return err
	}
	return &httpError{http.StatusBadRequest, "malformed JSON: " + err.Error()}
}

func typeName(kind string) string {
	switch kind {
	case "int", "int32", "int64", "uint", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	return "of another type"
}
