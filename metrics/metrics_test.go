package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRequestMethodsAreBounded(t *testing.T) {
	m := New()
	m.Request("/v1/webhooks", "GET", 200)
	m.Request("/v1/webhooks", "BREW", 405)
	m.Request("/v1/webhooks", "X-"+strings.Repeat("A", 50), 405)
	m.Request("", "GET", 404)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	var series []string
	for line := range strings.Lines(string(body)) {
		if strings.HasPrefix(line, "herald_http_requests_total{") {
			series = append(series, strings.TrimSpace(line))
		}
	}
	want := []string{
		`herald_http_requests_total{code="200",method="GET",route="/v1/webhooks"} 1`,
		`herald_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`herald_http_requests_total{code="405",method="other",route="/v1/webhooks"} 2`,
	}
	if strings.Join(series, "\n") != strings.Join(want, "\n") {
		t.Errorf("series:\n%s\nwant:\n%s", strings.Join(series, "\n"), strings.Join(want, "\n"))
	}
}
