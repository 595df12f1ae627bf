package api

import (
	"bytes"
	_ "embed" // for the OpenAPI document
)

//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the OpenAPI 3.1 document of Herald's HTTP API, served as
// GET /openapi.json. Each call returns a fresh copy the caller may modify.
// openapi_test.go fails when a registered route is missing from it.
func OpenAPI() []byte { return bytes.Clone(openAPIDoc) }
