package message

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"text/template"
	"text/template/parse"
	"time"

	"github.com/heraldhub/herald/catalog"
	"github.com/heraldhub/herald/connectors"
)

// Limits on connector templates.
const (
	// MaxTemplateBytes is the longest template source accepted.
	MaxTemplateBytes = 4096
	// MaxOutputBytes is the most text one template execution may produce.
	MaxOutputBytes = 16 << 10
	// RenderTimeout is how long one template execution may take.
	RenderTimeout = time.Second
	// MaxSteps is how many range iterations and template calls, together,
	// one execution may make.
	MaxSteps = 10000
)

// Templates are a connector's per-event text templates, parsed and
// checked. The zero value and nil have no templates. A Templates is never
// modified after ParseTemplates and is safe for concurrent use.
type Templates struct {
	byEvent map[string]*template.Template
	timeout time.Duration
}

// ParseTemplates parses a connector's templates: event name to Go
// text/template source, executed with an Envelope as its data and the
// functions documented in funcs.go. A missing key in .Data is an error at
// render time; the get function looks up optional fields.
//
// It returns the templates that are valid and, keyed by event name, one
// message for each that is not: an event outside the catalog, a source
// that is empty or longer than MaxTemplateBytes, one that does not parse,
// or one that ranges over a number literal. The messages are safe to show
// to the API client. The error map is nil when every template is valid.
func ParseTemplates(src map[string]string) (*Templates, map[string]string) {
	t := &Templates{byEvent: make(map[string]*template.Template, len(src)), timeout: RenderTimeout}
	var bad map[string]string
	for event, text := range src {
		tmpl, err := parseOne(event, text)
		if err != nil {
			if bad == nil {
				bad = map[string]string{}
			}
			bad[event] = err.Error()
			continue
		}
		t.byEvent[event] = tmpl
	}
	return t, bad
}

func parseOne(event, text string) (*template.Template, error) {
	if _, ok := catalog.Lookup(event); !ok {
		return nil, errors.New("unknown event")
	}
	if len(text) > MaxTemplateBytes {
		return nil, fmt.Errorf("template is longer than %d bytes", MaxTemplateBytes)
	}
	if strings.TrimSpace(text) == "" {
		return nil, errors.New("template is empty")
	}
	tmpl, err := template.New(event).Funcs(funcs()).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, errors.New(tidy(event, err))
	}
	for _, t := range tmpl.Templates() {
		if t.Tree == nil {
			continue
		}
		if rangesOverNumber(t.Tree.Root) {
			return nil, errors.New("range over a number is not allowed")
		}
		addSteps(t.Tree.Root)
	}
	return tmpl, nil
}

// stepFunc is the function the injected step actions call. Templates
// cannot call it themselves: it is not defined when they are parsed, only
// in the per-execution clone made by execute.
const stepFunc = "_step"

// stepAction is the action {{_step}}, parsed once and shared by every
// template: execution never modifies parse nodes.
var stepAction = func() parse.Node {
	t := template.Must(template.New("step").Funcs(template.FuncMap{stepFunc: func() string { return "" }}).Parse("{{" + stepFunc + "}}"))
	return t.Tree.Root.Nodes[0]
}()

// addSteps puts a step action at the start of root and of the body of
// every range below it, so that each template call and each iteration
// costs one step. Loops and recursion are the only ways a template of
// bounded length can run for long, so a step budget bounds the whole
// execution, and the execution ends itself when it runs out: a timeout
// alone would leave it running in the background.
func addSteps(root *parse.ListNode) {
	var walk func(list *parse.ListNode)
	walk = func(list *parse.ListNode) {
		if list == nil {
			return
		}
		for _, n := range list.Nodes {
			switch n := n.(type) {
			case *parse.RangeNode:
				walk(n.List)
				walk(n.ElseList)
				n.List.Nodes = append([]parse.Node{stepAction}, n.List.Nodes...)
			case *parse.IfNode:
				walk(n.List)
				walk(n.ElseList)
			case *parse.WithNode:
				walk(n.List)
				walk(n.ElseList)
			}
		}
	}
	walk(root)
	root.Nodes = append([]parse.Node{stepAction}, root.Nodes...)
}

// rangesOverNumber reports whether a range action below n iterates over a
// number literal ({{range 1000000000}}), which loops without touching any
// data. It catches the obvious case when the template is registered; the
// step budget bounds the rest when it runs.
func rangesOverNumber(n parse.Node) bool {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return false
		}
		for _, c := range n.Nodes {
			if rangesOverNumber(c) {
				return true
			}
		}
	case *parse.RangeNode:
		return isNumber(n.Pipe) || rangesOverNumber(n.List) || rangesOverNumber(n.ElseList)
	case *parse.IfNode:
		return rangesOverNumber(n.List) || rangesOverNumber(n.ElseList)
	case *parse.WithNode:
		return rangesOverNumber(n.List) || rangesOverNumber(n.ElseList)
	}
	return false
}

// isNumber reports whether a pipeline is a number literal, possibly in
// parentheses.
func isNumber(p *parse.PipeNode) bool {
	if p == nil || len(p.Cmds) == 0 {
		return false
	}
	last := p.Cmds[len(p.Cmds)-1]
	if len(last.Args) != 1 {
		return false
	}
	switch a := last.Args[0].(type) {
	case *parse.NumberNode:
		return true
	case *parse.PipeNode:
		return isNumber(a)
	}
	return false
}

// Render returns Default(env) with its Text replaced by the output of the
// template for env.Event, if there is one. When that template fails, runs
// longer than RenderTimeout or MaxSteps, writes more than MaxOutputBytes or produces
// only whitespace, the default text stays and Note says what went wrong,
// for the delivery's log entry.
//
// After a timeout the execution may still be reading env in the
// background until it finishes; callers must not modify env's maps after
// Render returns.
func (t *Templates) Render(env Envelope) connectors.Message {
	msg := Default(env)
	if t == nil {
		return msg
	}
	tmpl, ok := t.byEvent[env.Event]
	if !ok {
		return msg
	}
	text, err := t.execute(tmpl, env)
	if err != nil {
		msg.Note = fmt.Sprintf("template for %s failed: %s; default text used", env.Event, cut(tidy(env.Event, err), 300))
		return msg
	}
	msg.Text = text
	return msg
}

var (
	errTooLong  = fmt.Errorf("output is longer than %d bytes", MaxOutputBytes)
	errTooMany  = fmt.Errorf("more than %d loop iterations and template calls", MaxSteps)
	errOvertime = errors.New("deadline passed")
)

// budget counts one execution's steps.
type budget struct {
	steps    int
	deadline time.Time
}

func (b *budget) step() (string, error) {
	b.steps++
	if b.steps > MaxSteps {
		return "", errTooMany
	}
	if b.steps%32 == 0 && time.Now().After(b.deadline) {
		return "", errOvertime
	}
	return "", nil
}

// execute runs a clone of tmpl that carries this execution's step budget,
// in its own goroutine so that even one slow step cannot hold the caller
// past the timeout; the budget then ends the execution soon after.
func (t *Templates) execute(tmpl *template.Template, env Envelope) (string, error) {
	timeout := t.timeout
	if timeout <= 0 {
		timeout = RenderTimeout
	}
	deadline := time.Now().Add(timeout)
	b := &budget{deadline: deadline}
	run, err := tmpl.Clone()
	if err != nil {
		return "", err
	}
	run.Funcs(template.FuncMap{stepFunc: b.step})
	w := &capped{max: MaxOutputBytes, deadline: deadline}
	done := make(chan error, 1) // buffered: the goroutine never blocks on a late result
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("template panicked: %v", p)
			}
		}()
		done <- run.Execute(w, env)
	}()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		for _, known := range []error{errTooLong, errTooMany} {
			if errors.Is(err, known) {
				return "", known
			}
		}
		if errors.Is(err, errOvertime) {
			return "", fmt.Errorf("took longer than %s", timeout)
		}
		if err != nil {
			return "", err
		}
	case <-timer.C:
		return "", fmt.Errorf("took longer than %s", timeout)
	}
	text := strings.TrimSpace(w.buf.String())
	if text == "" {
		return "", errors.New("template produced no text")
	}
	return text, nil
}

// capped is the template's output buffer: it refuses writes beyond max
// bytes or after the deadline, which ends the execution.
type capped struct {
	buf      bytes.Buffer
	max      int
	deadline time.Time
}

func (c *capped) Write(p []byte) (int, error) {
	if c.buf.Len()+len(p) > c.max {
		return 0, errTooLong
	}
	if time.Now().After(c.deadline) {
		return 0, errOvertime
	}
	return c.buf.Write(p)
}

var errorPosition = regexp.MustCompile(`^(\d+)(?::(\d+))?: `)

// tidy rewrites a text/template error for a reader who knows the template
// but not Go: `template: rankrecord.created:1:7: executing "rankrecord.created"
// at <...>: ...` becomes `line 1, column 7: at <...>: ...`.
func tidy(name string, err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "template: ")
	s = strings.TrimPrefix(s, name+":")
	s = strings.Replace(s, `executing "`+name+`" `, "", 1)
	if m := errorPosition.FindStringSubmatch(s); m != nil {
		where := "line " + m[1]
		if m[2] != "" {
			where += ", column " + m[2]
		}
		s = where + ": " + s[len(m[0]):]
	}
	return s
}
