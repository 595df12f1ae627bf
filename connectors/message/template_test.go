package message

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald/catalog"
)

func TestParseTemplatesRejectsBadEntries(t *testing.T) {
	src := map[string]string{
		"rankrecord.created":  `{{get .Data "user.name"}} is now {{.Data.rank.name}}`,
		"webhook.test":        `Testing {{.Event}}`,
		"awardrecord.created": `{{.Data.award.name`,
		"award.created":       `Award`,
		"rankrecord.*":        `Rank`,
		"user.created":        strings.Repeat("x", MaxTemplateBytes+1),
		"user.deleted":        " \n ",
		"event.created":       `{{range 1000000000}}{{end}}`,
		"event.deleted":       `{{if .Data}}{{range (5)}}x{{end}}{{end}}`,
		"calendar.created":    `{{nosuchfunc .Data}}`,
	}
	tmpls, errs := ParseTemplates(src)
	want := map[string]string{
		"awardrecord.created": "line 1: unclosed action",
		"award.created":       "unknown event",
		"rankrecord.*":        "unknown event",
		"user.created":        "template is longer than 4096 bytes",
		"user.deleted":        "template is empty",
		"event.created":       "range over a number is not allowed",
		"event.deleted":       "range over a number is not allowed",
		"calendar.created":    `line 1: function "nosuchfunc" not defined`,
	}
	if len(errs) != len(want) {
		t.Errorf("errors = %q\nwant keys of %q", errs, want)
	}
	for event, msg := range want {
		if errs[event] != msg {
			t.Errorf("error for %s = %q, want %q", event, errs[event], msg)
		}
	}
	for _, event := range []string{"rankrecord.created", "webhook.test"} {
		if _, ok := tmpls.byEvent[event]; !ok || errs[event] != "" {
			t.Errorf("%s: valid template not kept (error %q)", event, errs[event])
		}
	}
	if len(tmpls.byEvent) != 2 {
		t.Errorf("kept %d templates, want only the 2 valid ones", len(tmpls.byEvent))
	}
}

func TestParseTemplatesAllValid(t *testing.T) {
	src := map[string]string{}
	for _, et := range catalog.All() {
		src[et.Name] = `{{.Event}}: {{get .Data "id"}}`
	}
	tmpls, errs := ParseTemplates(src)
	if errs != nil {
		t.Fatalf("errors = %q, want nil", errs)
	}
	for _, et := range catalog.All() {
		msg := tmpls.Render(exampleEnvelope(t, et))
		if !strings.HasPrefix(msg.Text, et.Name+":") || msg.Note != "" {
			t.Errorf("%s: Text, Note = %q, %q", et.Name, msg.Text, msg.Note)
		}
	}
}

func TestRenderUsesTemplate(t *testing.T) {
	tmpls, errs := ParseTemplates(map[string]string{
		"rankrecord.created": "  {{get .Data \"user.name\"}} is now {{.Data.rank.name}} ({{.Data.rank.abbreviation}}), {{date .Created}}.\n",
	})
	if errs != nil {
		t.Fatal(errs)
	}
	et, _ := catalog.Lookup("rankrecord.created")
	env := exampleEnvelope(t, et)
	want := Default(env)
	want.Text = "Jordan Reyes is now Staff Sergeant (SSG), 2026-05-17 21:04 UTC."

	got := tmpls.Render(env)
	if got.Text != want.Text || got.Title != want.Title || got.Note != "" || !equalFields(got.Fields, want.Fields) {
		t.Errorf("Render =\n%+v\nwant\n%+v", got, want)
	}

	// Events without a template, and a nil *Templates, give the default.
	other, _ := catalog.Lookup("awardrecord.created")
	if got, want := tmpls.Render(exampleEnvelope(t, other)), Default(exampleEnvelope(t, other)); got.Text != want.Text || got.Note != "" {
		t.Errorf("event without template: Text = %q, want default %q", got.Text, want.Text)
	}
	var none *Templates
	if got := none.Render(env); got.Text != Default(env).Text {
		t.Errorf("nil Templates: Text = %q, want the default", got.Text)
	}
}

func TestRenderFallsBackWhenTemplateFails(t *testing.T) {
	tests := []struct {
		name, src string
		note      string // expected in Note
	}{
		{"missing key", `{{index .Data.x 5}}`, `map has no entry for key "x"`},
		{"index out of range", `{{index .Data.user.rank 5}}`, "line 1, column 2: at <index .Data.user.rank 5>"},
		{"field of a string", `{{.Data.text.first}}`, "text"},
		{"not a time", `{{date .Data.text}}`, "is not an RFC 3339 time"},
		{"bad layout argument", `{{date 5 .Created}}`, "layout must be a non-empty string"},
		{"too much output", `{{printf "%20000s" "x"}}`, "output is longer than 16384 bytes"},
		{"only whitespace", `{{if false}}x{{end}}   `, "template produced no text"},
	}
	et, _ := catalog.Lookup("rankrecord.created")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpls, errs := ParseTemplates(map[string]string{et.Name: tt.src})
			if errs != nil {
				t.Fatal(errs)
			}
			env := exampleEnvelope(t, et)
			msg := tmpls.Render(env)
			if def := Default(env); msg.Text != def.Text || msg.Title != def.Title {
				t.Errorf("Text = %q, want the default %q", msg.Text, def.Text)
			}
			if !strings.HasPrefix(msg.Note, "template for rankrecord.created failed: ") ||
				!strings.HasSuffix(msg.Note, "; default text used") || !strings.Contains(msg.Note, tt.note) {
				t.Errorf("Note = %q, want it to mention %q", msg.Note, tt.note)
			}
			if strings.Contains(msg.Note, "template: ") || len(msg.Note) > 400 {
				t.Errorf("Note = %q is not tidy", msg.Note)
			}
		})
	}
}

func TestRenderTimesOut(t *testing.T) {
	tmpls, errs := ParseTemplates(map[string]string{
		// Each iteration builds a 16 KB string and prints nothing.
		"message.created": `{{range .Data.items}}{{$x := printf "%016000d" 1}}{{end}}done`,
	})
	if errs != nil {
		t.Fatal(errs)
	}
	tmpls.timeout = time.Millisecond
	items := make([]any, 3000) // far over a millisecond, far under MaxSteps
	env := Envelope{Event: "message.created", Created: created, Data: map[string]any{"message": "Hello", "items": items}}

	before := runtime.NumGoroutine()
	start := time.Now()
	msg := tmpls.Render(env)
	if elapsed := time.Since(start); elapsed > 500*time.Millisecond {
		t.Errorf("Render took %s, want it to return soon after the 1ms timeout", elapsed)
	}
	if msg.Text != "Hello" || msg.Note != "template for message.created failed: took longer than 1ms; default text used" {
		t.Errorf("Text, Note = %q, %q", msg.Text, msg.Note)
	}
	waitForGoroutines(t, before)
}

// TestRenderStepBudget runs templates that would take hours: nested loops
// and doubling recursion. Each must end by itself after MaxSteps steps,
// not keep running in the background after Render gives up on it.
func TestRenderStepBudget(t *testing.T) {
	for name, src := range map[string]string{
		"nested loops":              `{{range .Data.items}}{{range $.Data.items}}{{range $.Data.items}}{{end}}{{end}}{{end}}done`,
		"number from a function":    `{{range len (printf "%016000d" 1)}}{{range len (printf "%016000d" 1)}}{{end}}{{end}}done`,
		"recursion":                 `{{define "a"}}{{range .}}{{template "a" .}}{{template "a" .}}{{end}}{{end}}{{template "a" .Data.tree}}done`,
		"loop in a called template": `{{define "a"}}{{range $.Data.items}}{{end}}{{end}}{{range .Data.items}}{{template "a" $}}{{end}}done`,
	} {
		t.Run(name, func(t *testing.T) {
			tmpls, errs := ParseTemplates(map[string]string{"message.created": src})
			if errs != nil {
				t.Fatal(errs)
			}
			tree := []any{}
			for range 40 {
				tree = []any{tree}
			}
			env := Envelope{Event: "message.created", Created: created, Data: map[string]any{
				"message": "Hello", "items": make([]any, 3000), "tree": tree,
			}}
			before := runtime.NumGoroutine()
			msg := tmpls.Render(env)
			want := "template for message.created failed: more than 10000 loop iterations and template calls; default text used"
			if msg.Text != "Hello" || msg.Note != want {
				t.Errorf("Text, Note = %q, %q\nwant note %q", msg.Text, msg.Note, want)
			}
			waitForGoroutines(t, before)
		})
	}

	// Within the budget, loops and calls work as usual.
	tmpls, errs := ParseTemplates(map[string]string{
		"message.created": `{{define "a"}}{{len .}}{{end}}{{range .Data.items}}{{range $.Data.items}}{{end}}{{end}}{{template "a" .Data.items}}`,
	})
	if errs != nil {
		t.Fatal(errs)
	}
	env := Envelope{Event: "message.created", Created: created, Data: map[string]any{"message": "Hello", "items": make([]any, 90)}}
	if msg := tmpls.Render(env); msg.Text != "90" || msg.Note != "" {
		t.Errorf("within budget: Text, Note = %q, %q", msg.Text, msg.Note)
	}
}

// waitForGoroutines fails the test unless the goroutine count falls back
// to n within a second: a template execution left running would hold it up.
func waitForGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines a second after Render, want %d: the execution kept running", runtime.NumGoroutine(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestTemplateFuncs(t *testing.T) {
	data := `{"user": {"name": "Casey Morgan", "rank": null}, "statuses": [{"name": "Accepted"}],
		"start": "2026-05-23T19:00:00.000000Z", "empty": "", "zero": 0, "no": false, "list": []}`
	tests := []struct{ src, want string }{
		{`{{get .Data "user.name"}}`, "Casey Morgan"},
		{`{{get .Data "statuses.0.name"}}`, "Accepted"},
		{`[{{get .Data "user.rank.name"}}]`, "[]"},
		{`{{get .Data "user.rank.name" | default "no rank"}}`, "no rank"},
		{`{{get .Data "nothing.here" | default "none"}}`, "none"},
		{`{{default "x" .Data.empty}} {{default "x" .Data.list}} {{default "x" .Data.zero}} {{default "x" .Data.no}}`, "x x 0 false"},
		{`{{upper .Data.user.name}} {{lower .Data.user.name}} {{upper .Data.zero}}`, "CASEY MORGAN casey morgan 0"},
		{`{{date .Data.start}}`, "2026-05-23 19:00 UTC"},
		{`{{.Data.start | date "Mon 2 Jan 15:04"}}`, "Sat 23 May 19:00"},
		{`{{date .Created}}`, "2026-05-17 21:04 UTC"},
		{`[{{date .Data.empty}}]`, "[]"},
		{`{{with get .Changes "approved"}}approved{{else}}unchanged{{end}}`, "approved"},
		{`{{.RequestID}} {{.Event}}`, "evt_01TEST submission.created"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			tmpls, errs := ParseTemplates(map[string]string{"submission.created": tt.src})
			if errs != nil {
				t.Fatal(errs)
			}
			msg := tmpls.Render(envelope(t, "submission.created", data, `{"approved": true}`))
			if msg.Text != tt.want || msg.Note != "" {
				t.Errorf("Text, Note = %q, %q; want %q", msg.Text, msg.Note, tt.want)
			}
		})
	}
}

// Text built in variables never reaches the output cap, so the text
// built-ins refuse big results themselves: each of these would otherwise
// grow a value geometrically (gigabytes within a few lines).
func TestRenderRefusesGrowingValues(t *testing.T) {
	grow := func(step string) string {
		return `{{$x := printf "%016000d" 0}}` + strings.Repeat(`{{$x = `+step+`}}`, 8) + `{{len $x}}`
	}
	for name, src := range map[string]string{
		"printf":         grow(`printf "%s%s%s%s%s%s%s%s%s%s" $x $x $x $x $x $x $x $x $x $x`),
		"print":          grow(`print $x $x $x $x $x $x $x $x $x $x`),
		"println":        grow(`println $x $x $x`),
		"html":           `{{$x := .Data.lt}}` + strings.Repeat(`{{$x = html $x}}`, 8) + `{{len $x}}`,
		"js":             `{{$x := .Data.lt}}` + strings.Repeat(`{{$x = js $x}}`, 8) + `{{len $x}}`,
		"urlquery":       `{{$x := .Data.lt}}` + strings.Repeat(`{{$x = urlquery $x}}`, 8) + `{{len $x}}`,
		"a huge width":   `{{$x := printf "%0999999d" 0}}{{len $x}}`,
		"width from arg": `{{$x := printf "%0*d" 999999 0}}{{len $x}}`,
	} {
		t.Run(name, func(t *testing.T) {
			tmpls, errs := ParseTemplates(map[string]string{"message.created": src})
			if errs != nil {
				t.Fatal(errs)
			}
			env := Envelope{Event: "message.created", Created: created, Data: map[string]any{"message": "Hello", "lt": strings.Repeat("<", 3000)}}
			if msg := tmpls.Render(env); msg.Text != "Hello" || msg.Note == "" {
				t.Errorf("Text, Note = %q, %q; want the default text and a note", msg.Text, msg.Note)
			}
		})
	}
	// Within the limit they work as before.
	tmpls, _ := ParseTemplates(map[string]string{"message.created": `{{printf "%05.1f|%-4s|%x" 3.14159 "ab" 255}} {{html "<b>"}} {{print 1 2}}`})
	env := Envelope{Event: "message.created", Created: created, Data: map[string]any{}}
	if msg := tmpls.Render(env); msg.Text != "003.1|ab  |ff &lt;b&gt; 1 2" {
		t.Errorf("Text = %q", msg.Text)
	}
}

// A text built-in's arguments are measured before the call: repeating a
// large event value many times in one call (the template is small, the
// data up to 256 KiB) is refused without building the text, which would
// take hundreds of megabytes. Truncating a long value still works.
func TestRenderRefusesHugeArguments(t *testing.T) {
	big := strings.Repeat("x", 250<<10)
	env := Envelope{Event: "message.created", Created: created, Data: map[string]any{"message": "Hello", "s": big, "list": []any{big, big}}}
	for name, src := range map[string]string{
		"print":  `{{print` + strings.Repeat(" .Data.s", 500) + `}}`,
		"printf": `{{printf "%.5s"` + strings.Repeat(" .Data.s", 500) + `}}`,
		"html":   `{{html` + strings.Repeat(" .Data.list", 200) + `}}`,
	} {
		t.Run(name, func(t *testing.T) {
			tmpls, errs := ParseTemplates(map[string]string{"message.created": src})
			if errs != nil {
				t.Fatal(errs)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			msg := tmpls.Render(env)
			runtime.ReadMemStats(&after)
			if msg.Text != "Hello" || msg.Note == "" {
				t.Errorf("Text, Note = %q, %q; want the default text and a note", msg.Text, msg.Note)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
				t.Errorf("rendering allocated %d MiB", alloc>>20)
			}
		})
	}
	tmpls, _ := ParseTemplates(map[string]string{"message.created": `{{printf "%.5s" .Data.s}}`})
	if msg := tmpls.Render(env); msg.Text != "xxxxx" {
		t.Errorf("a truncated long value: Text = %q, want xxxxx", msg.Text)
	}
}
