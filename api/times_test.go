package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald/api"
)

// createdAt returns the created_at of the JSON object in r, or of the
// element of its data list with id.
func createdAt(t *testing.T, r response, id string) string {
	t.Helper()
	var one struct {
		ID        string `json:"id"`
		CreatedAt string `json:"created_at"`
		Data      []struct {
			ID        string `json:"id"`
			CreatedAt string `json:"created_at"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.body, &one); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	if one.ID == id {
		return one.CreatedAt
	}
	for _, d := range one.Data {
		if d.ID == id {
			return d.CreatedAt
		}
	}
	t.Fatalf("%s has no %s", r.body, id)
	return ""
}

// A record's times are kept to the microsecond, as PostgreSQL keeps them
// and as the webhook envelope shows them: the answer to a create and a
// later read show the same instant, whichever store holds the record.
func TestCreatedTimesKeepMicroseconds(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ create, body, read string }{
		{"/v1/webhooks", `{"url":"https://example.com/hook","events":["*"]}`, "/v1/webhooks/"},
		{"/v1/connectors", connectorBody(nil), "/v1/connectors/"},
		{"/v1/sources", `{"name":"perscom"}`, "/v1/sources/"},
		{"/v1/api-keys", `{"name":"ci","scopes":["view:log"]}`, "/v1/api-keys"},
	} {
		r := e.do(t, "POST", tc.create, adminKey, tc.body)
		wantStatus(t, r, http.StatusCreated)
		id := decodeAs[struct {
			ID string `json:"id"`
		}](t, r).ID
		created := createdAt(t, r, id)
		if _, frac, _ := strings.Cut(strings.TrimSuffix(created, "Z"), "."); len(frac) > 6 {
			t.Errorf("POST %s: created_at %s has more than microseconds", tc.create, created)
		}
		read := tc.read
		if strings.HasSuffix(read, "/") {
			read += id
		}
		if got := createdAt(t, e.do(t, "GET", read, adminKey, ""), id); got != created {
			t.Errorf("GET %s: created_at %s, the create answered %s", read, got, created)
		}
	}
}

// A since finer than the stored microseconds is rounded up: the records
// at or after it are those at or after the next microsecond, on every
// store.
func TestSinceRoundsUpToMicroseconds(t *testing.T) {
	for in, want := range map[string]string{
		"2026-05-17T21:04:05.4011185Z":      "2026-05-17T21:04:05.401119Z",
		"2026-05-17T21:04:05.401118001Z":    "2026-05-17T21:04:05.401119Z",
		"2026-05-17T21:04:05.401118Z":       "2026-05-17T21:04:05.401118Z",
		"2026-05-17T23:04:05.4011180+02:00": "2026-05-17T21:04:05.401118Z",
		"2026-05-17T21:04:05Z":              "2026-05-17T21:04:05Z",
	} {
		got, ok := api.ParseTime(in)
		if !ok || got.Format(time.RFC3339Nano) != want {
			t.Errorf("ParseTime(%s) = %v, %v; want %s", in, got.Format(time.RFC3339Nano), ok, want)
		}
	}
	if _, ok := api.ParseTime("9999-12-31T23:59:59.9999999Z"); ok {
		t.Error("a since rounded up past year 9999 is accepted")
	}
}
