package dashboard_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/heraldhub/herald/dashboard"
)

// get serves one request for path, which may be "" as http.StripPrefix
// leaves it when the mount point itself is asked for.
func get(t *testing.T, h http.Handler, method, path string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, "/", nil)
	req.URL.Path = path
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestServesFiles(t *testing.T) {
	h := dashboard.Handler()
	tests := []struct {
		path        string
		contentType string
		contains    string
	}{
		{"/", "text/html; charset=utf-8", `<link rel="icon" href="favicon.svg" type="image/svg+xml">`},
		{"", "text/html; charset=utf-8", `<script src="app.js" defer></script>`},
		{"/app.js", "text/javascript; charset=utf-8", "createSSEParser"},
		{"/style.css", "text/css; charset=utf-8", ":root"},
		{"/favicon.svg", "image/svg+xml", "<svg"}, // index.html's icon: no 404 on every load
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := get(t, h, http.MethodGet, tt.path)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", res.StatusCode)
			}
			if got := res.Header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.contentType)
			}
			if got := res.Header.Get("Content-Security-Policy"); got != dashboard.ContentSecurityPolicy {
				t.Errorf("Content-Security-Policy = %q", got)
			}
			if got := res.Header.Get("Cache-Control"); got != "no-cache" {
				t.Errorf("Cache-Control = %q, want no-cache", got)
			}
			if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
			}
			if b := body(t, res); !strings.Contains(b, tt.contains) {
				t.Errorf("body does not contain %q", tt.contains)
			}
		})
	}
}

func TestPolicyIsStrict(t *testing.T) {
	csp := dashboard.ContentSecurityPolicy
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("policy lacks %q", want)
		}
	}
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "*", "http:", "https:", "data:"} {
		if strings.Contains(csp, bad) {
			t.Errorf("policy allows %q", bad)
		}
	}
}

// TestNoInlineCode keeps index.html free of inline scripts, styles and
// event handler attributes, which the policy would block.
func TestNoInlineCode(t *testing.T) {
	html := body(t, get(t, dashboard.Handler(), http.MethodGet, "/"))
	for _, re := range []string{`<script(\s[^>]*)?>[^<]`, `<style`, `\son[a-z]+\s*=`, `\sstyle\s*=`, `javascript:`} {
		if regexp.MustCompile(`(?i)` + re).MatchString(html) {
			t.Errorf("index.html matches %s", re)
		}
	}
}

// TestScriptRendersTextOnly guards against rendering untrusted data as
// markup or running it as code.
func TestScriptRendersTextOnly(t *testing.T) {
	js := body(t, get(t, dashboard.Handler(), http.MethodGet, "/app.js"))
	for _, re := range []string{
		`innerHTML`, `outerHTML`, `insertAdjacentHTML`, `document\.write`, `\beval\s*\(`,
		`new\s+Function\b`, `createContextualFragment`, `DOMParser`, `setTimeout\(\s*['"]`,
	} {
		if loc := regexp.MustCompile(re).FindStringIndex(js); loc != nil {
			t.Errorf("app.js uses %s at byte %d", re, loc[0])
		}
	}
}

func TestUnknownPathIs404(t *testing.T) {
	h := dashboard.Handler()
	for _, path := range []string{"/nope", "/nope.js", "/static/app.js", "/../dashboard.go"} {
		res := get(t, h, http.MethodGet, path)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status = %d, want 404", path, res.StatusCode)
		}
		if got := res.Header.Get("Content-Type"); strings.Contains(got, "javascript") {
			t.Errorf("GET %s: Content-Type = %q on a 404", path, got)
		}
	}
}

func TestOnlyGetAndHead(t *testing.T) {
	h := dashboard.Handler()
	if res := get(t, h, http.MethodHead, "/app.js"); res.StatusCode != http.StatusOK {
		t.Errorf("HEAD: status = %d, want 200", res.StatusCode)
	}
	res := get(t, h, http.MethodPost, "/")
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: status = %d, want 405", res.StatusCode)
	}
	if got := res.Header.Get("Allow"); got != "GET, HEAD" {
		t.Errorf("Allow = %q", got)
	}
}
