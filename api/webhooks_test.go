package api_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald/api"
)

// omit removes a key from the base webhook body in hookBody.
type omitted struct{}

var omit = omitted{}

// hookBody is a valid create body with over applied on top.
func hookBody(over map[string]any) string {
	m := map[string]any{"url": "https://hooks.example.com/in", "events": []any{"user.created"}}
	for k, v := range over {
		if v == omit {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func TestCreateWebhookValidation(t *testing.T) {
	longURL := func(n int) string {
		p := "https://hooks.example.com/"
		return p + strings.Repeat("a", n-len(p))
	}
	tests := []struct {
		name   string
		body   string
		status int
		fields []string
	}{
		{name: "url and events missing", body: `{}`, status: 422, fields: []string{"url", "events"}},
		{name: "url twice", body: `{"url": "ftp://files.example.com/in", "events": ["*"], "url": "https://hooks.example.com/in"}`, status: 422, fields: []string{"url"}},
		{name: "header and retry setting twice", body: `{"url": "https://hooks.example.com/in", "events": ["*"], "headers": {"X-Team": "a", "X-Team": "b", "X-Env": "prod"}, "retry": {"max_attempts": 3, "max_attempts": 5}}`, status: 422, fields: []string{"headers.X-Team", "retry.max_attempts"}},
		{name: "relative url", body: hookBody(map[string]any{"url": "/hooks/in"}), status: 422, fields: []string{"url"}},
		{name: "ftp url", body: hookBody(map[string]any{"url": "ftp://files.example.com/in"}), status: 422, fields: []string{"url"}},
		{name: "url of 2049 chars", body: hookBody(map[string]any{"url": longURL(2049)}), status: 422, fields: []string{"url"}},
		{name: "url of 2048 chars", body: hookBody(map[string]any{"url": longURL(2048)}), status: 201},
		{name: "url with credentials", body: hookBody(map[string]any{"url": "https://user:pass@hooks.example.com/in"}), status: 422, fields: []string{"url"}},
		{name: "blocked host", body: hookBody(map[string]any{"url": "https://blocked.example/in"}), status: 422, fields: []string{"url"}},
		{name: "method PUT", body: hookBody(map[string]any{"method": "PUT"}), status: 422, fields: []string{"method"}},
		{name: "events empty", body: hookBody(map[string]any{"events": []any{}}), status: 422, fields: []string{"events"}},
		{name: "events bad entries", body: hookBody(map[string]any{"events": []any{"nope.created", 5, "user.*"}}), status: 422, fields: []string{"events[0]", "events[1]"}},
		{name: "events not an array", body: hookBody(map[string]any{"events": "user.created"}), status: 422, fields: []string{"events"}},
		{name: "patterns accepted", body: hookBody(map[string]any{"events": []any{"user.created", "rankrecord.*", "*.deleted", "*"}}), status: 201},
		{name: "secret of 15", body: hookBody(map[string]any{"secret": strings.Repeat("s", 15)}), status: 422, fields: []string{"secret"}},
		{name: "secret of 256", body: hookBody(map[string]any{"secret": strings.Repeat("s", 256)}), status: 422, fields: []string{"secret"}},
		{name: "secret of 16", body: hookBody(map[string]any{"secret": strings.Repeat("s", 16)}), status: 201},
		{name: "secret of 255", body: hookBody(map[string]any{"secret": strings.Repeat("s", 255)}), status: 201},
		{name: "secret of 8 two-byte characters", body: hookBody(map[string]any{"secret": strings.Repeat("é", 8)}), status: 422, fields: []string{"secret"}},
		{name: "secret of 255 two-byte characters", body: hookBody(map[string]any{"secret": strings.Repeat("é", 255)}), status: 201},
		{name: "whsec_ secret not base64", body: hookBody(map[string]any{"secret": "whsec_my-own-secret-value!"}), status: 422, fields: []string{"secret"}},
		{name: "whsec_ secret of nothing", body: hookBody(map[string]any{"secret": "whsec_==========="}), status: 422, fields: []string{"secret"}},
		{name: "whsec_ secret in base64", body: hookBody(map[string]any{"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}), status: 201},
		{name: "port above 65535", body: hookBody(map[string]any{"url": "https://hooks.example.com:99999/in"}), status: 422, fields: []string{"url"}},
		{name: "port 0", body: hookBody(map[string]any{"url": "https://hooks.example.com:0/in"}), status: 422, fields: []string{"url"}},
		{name: "port 8443", body: hookBody(map[string]any{"url": "https://hooks.example.com:8443/in"}), status: 201},
		{name: "timeout 0", body: hookBody(map[string]any{"timeout_seconds": 0}), status: 422, fields: []string{"timeout_seconds"}},
		{name: "timeout 61", body: hookBody(map[string]any{"timeout_seconds": 61}), status: 422, fields: []string{"timeout_seconds"}},
		{name: "timeout 60", body: hookBody(map[string]any{"timeout_seconds": 60}), status: 201},
		{name: "backoff 0.5", body: hookBody(map[string]any{"retry": map[string]any{"backoff_coefficient": 0.5}}), status: 422, fields: []string{"retry.backoff_coefficient"}},
		{name: "max interval below initial", body: hookBody(map[string]any{"retry": map[string]any{"initial_interval_seconds": 60, "max_interval_seconds": 30}}), status: 422, fields: []string{"retry.max_interval_seconds"}},
		{name: "max age 0", body: hookBody(map[string]any{"retry": map[string]any{"max_age_seconds": 0}}), status: 422, fields: []string{"retry.max_age_seconds"}},
		{name: "max attempts -1", body: hookBody(map[string]any{"retry": map[string]any{"max_attempts": -1}}), status: 422, fields: []string{"retry.max_attempts"}},
		{name: "several retry fields", body: hookBody(map[string]any{"retry": map[string]any{"backoff_coefficient": 0.5, "max_attempts": -1}}), status: 422, fields: []string{"retry.backoff_coefficient", "retry.max_attempts"}},
		{name: "rate limit -1", body: hookBody(map[string]any{"rate_limit_per_second": -1}), status: 422, fields: []string{"rate_limit_per_second"}},
		{name: "bad headers", body: hookBody(map[string]any{"headers": map[string]any{
			"Signature": "x", "webhook-id": "x", "Host": "x", "Bad Header": "x", "X-Split": "a\r\nb", "X-Bell": "a\u0007b", "X-Tab": "a\tb", "X-Team": "ops",
		}}), status: 422, fields: []string{"headers.Signature", "headers.webhook-id", "headers.Host", `headers["Bad Header"]`, "headers.X-Split", "headers.X-Bell"}},
		{name: "hop-by-hop headers", body: hookBody(map[string]any{"headers": map[string]any{
			"Upgrade": "websocket", "connection": "close", "Keep-Alive": "5", "TE": "trailers", "X-Team": "ops",
		}}), status: 422, fields: []string{"headers.Upgrade", "headers.connection", "headers.Keep-Alive", "headers.TE"}},
		{name: "header values of the wrong type", body: hookBody(map[string]any{"headers": map[string]any{"X-Team": "ops", "X-Count": 1, "X-List": []any{"a"}}}),
			status: 422, fields: []string{"headers.X-Count", "headers.X-List"}},
		{name: "null header value", body: hookBody(map[string]any{"headers": map[string]any{"X-A": nil, "X-B": "b"}}), status: 422, fields: []string{"headers.X-A"}},
		{name: "null event", body: hookBody(map[string]any{"events": []any{"user.created", nil}}), status: 422, fields: []string{"events[1]"}},
		{name: "null method", body: hookBody(map[string]any{"method": nil}), status: 422, fields: []string{"method"}},
		{name: "description of 1024 two-byte characters", body: hookBody(map[string]any{"description": strings.Repeat("é", 1024)}), status: 201},
		{name: "description of 1025 characters", body: hookBody(map[string]any{"description": strings.Repeat("é", 1025)}), status: 422, fields: []string{"description"}},
		{name: "header value of 1024 two-byte characters", body: hookBody(map[string]any{"headers": map[string]any{"X-Team": strings.Repeat("é", 1024)}}), status: 201},
		{name: "headers not an object", body: hookBody(map[string]any{"headers": []any{"X-Team"}}), status: 422, fields: []string{"headers"}},
		{name: "header names equal but for case", body: hookBody(map[string]any{"headers": map[string]any{"x-team": "a", "X-TEAM": "b"}}), status: 422, fields: []string{"headers.x-team"}},
		{name: "every field bad at once", body: hookBody(map[string]any{
			"url": "ftp://x", "method": "PUT", "events": []any{}, "secret": "short", "timeout_seconds": 0, "rate_limit_per_second": -1,
		}), status: 422, fields: []string{"url", "method", "events", "secret", "timeout_seconds", "rate_limit_per_second"}},
		// The misspelt url is unknown, and so url is missing.
		{name: "unknown field", body: `{"urll": "https://hooks.example.com/in", "events": ["user.created"]}`, status: 422, fields: []string{"urll", "url"}},
		// A wrong type does not hide the other fields' errors.
		{name: "wrong type and bad values", body: `{"url": "ftp://x", "events": ["nope"], "timeout_seconds": "10"}`, status: 422, fields: []string{"timeout_seconds", "url", "events[0]"}},
		{name: "wrong type of a required field", body: `{"url": 5, "events": "user.created"}`, status: 422, fields: []string{"events", "url"}},
		{name: "string for integer", body: hookBody(map[string]any{"timeout_seconds": "10"}), status: 422, fields: []string{"timeout_seconds"}},
		{name: "nested wrong type", body: hookBody(map[string]any{"retry": map[string]any{"max_attempts": "x"}}), status: 422, fields: []string{"retry.max_attempts"}},
		{name: "nested unknown field", body: hookBody(map[string]any{"retry": map[string]any{"max_attemps": 3}}), status: 422, fields: []string{"retry.max_attemps"}},
		{name: "two wrong types", body: hookBody(map[string]any{"url": 5, "timeout_seconds": "10"}), status: 422, fields: []string{"url", "timeout_seconds"}},
	}
	e := newEnv(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, "POST", "/v1/webhooks", adminKey, tc.body)
			if tc.status == http.StatusCreated {
				wantStatus(t, r, http.StatusCreated)
				e.do(t, "DELETE", "/v1/webhooks/"+decodeAs[webhookJSON](t, r).ID, adminKey, "")
				return
			}
			wantProblem(t, r, tc.status, tc.fields...)
		})
	}
	t.Run("nothing was stored", func(t *testing.T) {
		r := e.do(t, "GET", "/v1/webhooks", adminKey, "")
		wantStatus(t, r, http.StatusOK)
		if list := decodeAs[listPage[webhookJSON]](t, r); len(list.Data) != 0 {
			t.Errorf("list = %d webhooks after failed creates, want 0: %s", len(list.Data), r.body)
		}
	})
}

func TestPrivateTargetsAllowed(t *testing.T) {
	e := newEnv(t, func(d *api.Deps) { d.AllowPrivateTargets = true })
	r := e.do(t, "POST", "/v1/webhooks", adminKey, hookBody(map[string]any{"url": "https://blocked.example/in"}))
	wantStatus(t, r, http.StatusCreated)
}

func TestRequestBodyProblems(t *testing.T) {
	big := `{"url": "https://hooks.example.com/in", "events": ["user.created"], "description": "` +
		strings.Repeat("x", 1<<20) + `"}`
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
	}{
		{"malformed JSON", "application/json", `{"url": "https://hooks.example.com/in",`, 400},
		{"not JSON at all", "application/json", `url=https://hooks.example.com`, 400},
		{"array body", "application/json", `[]`, 400},
		{"string body", "application/json", `"hello"`, 400},
		{"two objects", "application/json", hookBody(nil) + hookBody(nil), 400},
		{"empty body", "application/json", "", 400},
		{"whitespace body", "application/json", " \n\t", 400},
		{"text/plain", "text/plain", hookBody(nil), 415},
		{"form content type", "application/x-www-form-urlencoded", hookBody(nil), 415},
		{"no content type", "", hookBody(nil), 415},
		{"JSON in another charset", "application/json; charset=latin1", hookBody(nil), 415},
		{"body over 1 MiB", "application/json", big, 413},
		{"null body", "application/json", "null", 400},
	}
	e := newEnv(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.send(t, "POST", "/v1/webhooks", adminKey, tc.contentType, tc.body)
			wantProblem(t, r, tc.status)
			// The server keeps serving and stored nothing.
			r = e.do(t, "GET", "/v1/webhooks", adminKey, "")
			wantStatus(t, r, http.StatusOK)
			if list := decodeAs[listPage[webhookJSON]](t, r); len(list.Data) != 0 {
				t.Errorf("list = %s after a failed create, want empty", r.body)
			}
		})
	}
	t.Run("compressed body", func(t *testing.T) {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		_, _ = zw.Write([]byte(hookBody(nil)))
		_ = zw.Close()
		req, err := http.NewRequest("POST", e.srv.URL+"/v1/webhooks", &gz)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+adminKey)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Content-Encoding", "gzip")
		p := wantProblem(t, e.request(t, req), http.StatusUnsupportedMediaType)
		if !strings.Contains(p.Detail, "Content-Encoding gzip") {
			t.Errorf("detail %q does not name the encoding", p.Detail)
		}
		req.Header.Set("Content-Encoding", "identity")
		req.Body = io.NopCloser(strings.NewReader(hookBody(nil)))
		req.ContentLength = int64(len(hookBody(nil)))
		wantStatus(t, e.request(t, req), http.StatusCreated)
	})
	t.Run("JSON with charset", func(t *testing.T) {
		r := e.send(t, "POST", "/v1/webhooks", adminKey, "application/json; charset=utf-8", hookBody(nil))
		wantStatus(t, r, http.StatusCreated)
	})
	t.Run("PATCH body over 1 MiB", func(t *testing.T) {
		w := e.createWebhook(t, hookBody(nil))
		r := e.do(t, "PATCH", "/v1/webhooks/"+w.ID, adminKey, big)
		wantProblem(t, r, http.StatusRequestEntityTooLarge)
	})
}

// A client that sends its body too slowly gets a 408 once BodyReadTimeout
// has passed, instead of holding the handler as long as it likes.
func TestSlowBodyTimesOut(t *testing.T) {
	e := newEnv(t, func(d *api.Deps) { d.BodyReadTimeout = 200 * time.Millisecond })
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/webhooks HTTP/1.1\r\nHost: herald\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"url\": ", adminKey)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	wantProblem(t, response{status: resp.StatusCode, header: resp.Header, body: body}, http.StatusRequestTimeout)
}
