package message

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald/catalog"
)

// FuzzTemplates registers arbitrary template text and renders it over a
// real event: registration either refuses it or Render returns a message
// with non-empty text (the template's, or the default with a note), never a
// panic.
func FuzzTemplates(f *testing.F) {
	for _, seed := range []string{
		`{{.Data.user.name}} got {{get .Data "rank.name"}}`,
		`{{index .Data.x 5}}`, `{{range .Changes}}{{.}}{{end}}`, `{{date "2006" .Created}}`,
		`{{`, `{{template "x"}}`, `{{define "a"}}{{template "a"}}{{end}}{{template "a"}}`,
		`{{upper (default "x" .Data.nope)}}`, strings.Repeat("{{.Event}}", 400),
	} {
		f.Add(seed)
	}
	et, _ := catalog.Lookup("rankrecord.created")
	env, err := NewEnvelope(et.Name, time.Date(2026, 5, 17, 21, 4, 5, 0, time.UTC), "evt_1", et.Example, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tpl, bad := ParseTemplates(map[string]string{et.Name: src})
		if len(bad) > 0 {
			return
		}
		// A template may use its whole time budget (a loop of large
		// printf calls); a short one keeps the fuzzer, and its input
		// minimization, moving.
		tpl.timeout = 20 * time.Millisecond
		msg := tpl.Render(env)
		if strings.TrimSpace(msg.Text) == "" {
			t.Fatalf("template %q rendered empty text (note %q)", src, msg.Note)
		}
	})
}
