// Package dashboard serves Herald's web dashboard: a single page of plain
// HTML, CSS and JavaScript, embedded in the binary, that reads the /v1 API
// in the browser with the user's API key.
package dashboard

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
)

//go:embed static
var static embed.FS

// ContentSecurityPolicy is sent with every response. The page loads its
// script and style sheet from its own origin and calls the API there;
// nothing inline, nothing from elsewhere.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// contentTypes fixes the types of the files the dashboard ships, so they do
// not depend on the host's MIME tables.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

// Handler serves the dashboard's files, index.html at "/". It expects paths
// relative to where it is mounted, so mount it behind http.StripPrefix, for
// example http.StripPrefix("/dashboard", dashboard.Handler()) for
// "/dashboard/". Only GET and HEAD are allowed; unknown paths are 404. It is
// safe for concurrent use.
func Handler() http.Handler {
	files, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded directory always exists
	}
	fileServer := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := r.URL.Path
		if name == "" || name[len(name)-1] == '/' {
			name += "index.html"
		}
		if ct, ok := contentTypes[path.Ext(name)]; ok {
			h.Set("Content-Type", ct)
		}
		fileServer.ServeHTTP(w, r)
	})
}
