package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browserPath finds a Chromium to drive: HERALD_TEST_CHROMIUM, else one on
// PATH. Without one the browser tests are skipped, except under CI=true
// (.ci/run installs Debian's chromium), where that is a failure.
func browserPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("HERALD_TEST_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium found (install Debian's chromium or set HERALD_TEST_CHROMIUM)")
	}
	t.Skip("no chromium found; install Debian's chromium or set HERALD_TEST_CHROMIUM")
	return ""
}

// page is a headless Chromium tab. Every uncaught exception and every
// error or warning the page logs (a Content-Security-Policy violation is
// one) is collected; the test fails on any at the end.
type page struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	problems []string
	allowed  []string
}

func openPage(t *testing.T, url string) *page {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browserPath(t)),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	p := &page{t: t, ctx: ctx}
	err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			p.problem(fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber, msg))
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				p.problem(fmt.Sprintf("console %s: %s", e.Type, strings.Join(parts, " ")))
			}
		case *cdplog.EventEntryAdded:
			// A 404 for /favicon.ico, which the browser asks for unless
			// the page names an icon, is a problem too.
			if e.Entry.Level == cdplog.EntryLevelError {
				p.problem(fmt.Sprintf("log %s: %s (%s)", e.Entry.Source, e.Entry.Text, e.Entry.URL))
			}
		}
	})
	if err != nil {
		t.Fatalf("start browser: %v", err)
	}
	p.run(chromedp.Navigate(url))
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, s := range p.problems {
			t.Errorf("page reported %s", s)
		}
	})
	return p
}

func (p *page) problem(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range p.allowed {
		if strings.Contains(s, a) {
			return
		}
	}
	p.problems = append(p.problems, s)
}

// allow lets the page report problems containing s from now on: errors a
// test causes on purpose.
func (p *page) allow(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.allowed = append(p.allowed, s)
}

func (p *page) run(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("browser: %v", err)
	}
}

// eval runs a JavaScript expression and returns its value.
func eval[T any](p *page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript expression until it is truthy.
func (p *page) waitFor(what, expr string) {
	p.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		state, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.getElementById('logs').innerText + ' | ' + document.getElementById('live-state').textContent + ' | ' + document.getElementById('alert').innerText`))
		p.t.Fatalf("waiting for %s: %v (page shows: %q)", what, err, state)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// setStatusFilter picks a status in the log's filter, as a user does.
func setStatusFilter(p *page, status string) {
	p.t.Helper()
	eval[bool](p, `(() => {
		const s = document.getElementById('filter-status');
		s.value = `+jsString(status)+`;
		s.dispatchEvent(new Event('change'));
		return true;
	})()`)
}

// logRows describes the request log on screen, newest first: status
// class, status text and attempt of each entry.
const logRows = `[...document.querySelectorAll('#logs > li')].map(li =>
	(li.classList.contains('ok') ? 'ok' : 'fail') + ' ' +
	li.querySelector('.entry-status').textContent + ' ' +
	li.querySelector('.entry-attempt').textContent)`

// TestDashboardShowsLogLiveAndActs drives the dashboard in Chromium
// against a running Herald: it picks a webhook with the admin key, reads
// its request log, filters it, follows the live view while an event is
// published, a failed delivery is retried and a test is sent, and checks
// that a receiver's HTML stays text.
func TestDashboardShowsLogLiveAndActs(t *testing.T) {
	// The first request fails for good (400); every later one succeeds
	// with an HTML body, as an error page or debug endpoint might send.
	var mu sync.Mutex
	calls := 0
	// A test send fails too (500), so that its entry is a failure.
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if strings.Contains(string(body), `"event":"webhook.test"`) {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		_, _ = fmt.Fprintf(w, `<img id="injected" src="x"><p>call %d</p>`, n)
	}))
	t.Cleanup(rcv.Close)
	received := func() int {
		mu.Lock()
		defer mu.Unlock()
		return calls
	}
	hookURL := rcv.URL + "/dashboard-hook"
	id, _ := createWebhook(t, shared, map[string]any{"url": hookURL, "events": []string{"user.created"}, "description": "the dashboard's hook"})
	for i := 1; i <= 2; i++ {
		if status, out := publishEvent(t, shared, map[string]any{"event": "user.created", "data": map[string]any{"id": i}}); status != http.StatusAccepted {
			t.Fatalf("publish: %d %v", status, out)
		}
		eventually(t, 20*time.Second, "delivery", func() bool { return received() == i })
	}
	// Both attempts are logged before the page reads the log.
	eventually(t, 20*time.Second, "two log entries", func() bool {
		_, out := call(t, shared, "GET", "/v1/webhooks/"+id+"/logs", nil)
		data, _ := out["data"].([]any)
		return len(data) == 2
	})

	p := openPage(t, shared.HTTPURL+"/dashboard/")
	p.run(
		chromedp.WaitVisible(chromedp.ID("key-input")),
		chromedp.SendKeys(chromedp.ID("key-input"), testAdminKey),
		chromedp.Click(chromedp.CSS(`#key-form button[type="submit"]`)),
	)
	// The shared Herald has many webhooks: page through the list until
	// this one shows, then pick it. A long URL is cut short on screen, so
	// the whole of it is the name's tooltip.
	p.waitFor("the webhook in the list", `(() => {
		const b = [...document.querySelectorAll('#webhooks .target')]
			.find(b => b.querySelector('.target-name').textContent === `+jsString(hookURL)+`);
		if (b && b.querySelector('.target-name').title === `+jsString(hookURL)+`
			&& b.querySelector('.target-description').textContent === "the dashboard's hook") { b.click(); return true; }
		const more = document.getElementById('webhooks-more');
		if (!more.hidden && !more.disabled) more.click();
		return false;
	})()`)

	p.waitFor("two entries", `document.querySelectorAll('#logs > li').length === 2`)

	// A reload that fails (here a key the server refuses) keeps the
	// entries on screen.
	p.allow("status of 401 (Unauthorized)")
	eval[bool](p, `sessionStorage.setItem('herald.apiKey', 'not-a-key'); document.getElementById('logs-refresh').click(); true`)
	p.waitFor("the refused reload", `document.getElementById('key-state').textContent.includes('refused')`)
	if n := eval[int](p, `document.querySelectorAll('#logs > li').length`); n != 2 {
		t.Errorf("after a failed reload the log shows %d entries, want the 2 it had", n)
	}
	eval[bool](p, `sessionStorage.setItem('herald.apiKey', `+jsString(testAdminKey)+`); document.getElementById('alert').hidden = true; true`)
	rows := eval[[]string](p, logRows)
	if want := []string{"ok 200 attempt 1", "fail 400 attempt 1"}; strings.Join(rows, "|") != strings.Join(want, "|") {
		t.Fatalf("log shows %q, want %q", rows, want)
	}

	// The receiver's HTML is shown as text, never as markup.
	shown := eval[string](p, `(() => {
		document.querySelector('#logs > li.ok .entry-toggle').click();
		return document.querySelector('#logs > li.ok .entry-detail').innerText;
	})()`)
	injected := eval[bool](p, `document.getElementById('injected') !== null`)
	if injected || !strings.Contains(shown, `<img id="injected" src="x">`) {
		t.Errorf("response body rendered as markup (element present: %v); detail shows %q", injected, shown)
	}

	// Filtering on failures asks the API again and shows only the 400.
	setStatusFilter(p, "failure")
	p.waitFor("the failure filter", `(() => {
		const li = document.querySelectorAll('#logs > li');
		return li.length === 1 && li[0].classList.contains('fail');
	})()`)
	setStatusFilter(p, "")
	p.waitFor("the unfiltered log", `document.querySelectorAll('#logs > li').length === 2`)

	// Live: a newly published event appears at the top without a reload.
	p.run(chromedp.Click(chromedp.ID("live-toggle")))
	p.waitFor("the live view to connect", `document.getElementById('live-state').textContent.includes('waiting')`)
	// A 64-bit ID, which a JavaScript number would round.
	const snowflake = "12345678901234567891"
	if status, out := publishEvent(t, shared, map[string]any{"event": "user.created", "data": map[string]any{"id": 3, "snowflake": json.Number(snowflake)}}); status != http.StatusAccepted {
		t.Fatalf("publish: %d %v", status, out)
	}
	p.waitFor("the live entry", `(() => {
		const li = document.querySelectorAll('#logs > li');
		return li.length === 3 && li[0].classList.contains('fresh') && li[0].classList.contains('ok');
	})()`)
	// Its request body shows the ID as sent.
	body := eval[string](p, `(() => {
		document.querySelector('#logs > li .entry-toggle').click();
		return document.querySelector('#logs > li .entry-detail pre.body').textContent;
	})()`)
	if !strings.Contains(body, `"snowflake": `+snowflake) {
		t.Errorf("request body shown as %q, want the snowflake %s as sent", body, snowflake)
	}
	liveState := eval[string](p, `document.getElementById('live-state').textContent`)
	if liveState != "Live · 1 new" {
		t.Errorf("live state %q", liveState)
	}

	// Retry on the failed entry sends its delivery again; the new attempt
	// (the receiver now answers 200) arrives through the live view.
	before := received()
	eval[bool](p, `(() => {
		document.querySelector('#logs > li.fail .entry-row button.secondary').click();
		return true;
	})()`)
	p.waitFor("the retried attempt", `document.querySelectorAll('#logs > li').length === 4`)
	rows = eval[[]string](p, logRows)
	if rows[0] != "ok 200 attempt 2" {
		t.Errorf("after retry the log shows %q, want the retry's attempt 2 on top", rows)
	}
	if got := received(); got != before+1 {
		t.Errorf("receiver got %d requests after the retry, want %d", got, before+1)
	}

	// Send test shows its result and adds the entry to the list once,
	// although the live view streams it too.
	p.run(chromedp.Click(chromedp.ID("send-test")))
	p.waitFor("the test result", `!document.getElementById('test-result').hidden`)
	testEvent := eval[string](p, `document.querySelector('#test-result-entry .entry-event').textContent`)
	if testEvent != "webhook.test" {
		t.Errorf("test result shows event %q", testEvent)
	}
	// A failed test send offers no Retry: its delivery cannot be retried.
	testRetry := eval[bool](p, `(() => {
		const li = document.querySelector('#test-result-entry li.entry.fail');
		return li === null || li.querySelector('.entry-row > button.secondary') !== null;
	})()`)
	if testRetry {
		t.Errorf("the failed test send's entry is not shown as a failure, or offers Retry: %s", eval[string](p, `document.getElementById('test-result-entry').innerHTML`))
	}
	p.waitFor("the test entry in the list", `document.querySelectorAll('#logs > li').length === 5`)
	// The stream polls every 200 ms: give it time to (wrongly) add the
	// entry a second time.
	time.Sleep(time.Second)
	count := eval[int](p, `document.querySelectorAll('#logs > li').length`)
	liveNow := eval[string](p, `document.getElementById('live-state').textContent`)
	if count != 5 {
		t.Errorf("list has %d entries after the test send, want 5 (the test entry once)", count)
	}
	if !strings.HasPrefix(liveNow, "Live") {
		t.Errorf("live view stopped: %q", liveNow)
	}

	// A refresh shows the webhook as it is now, disabled elsewhere.
	if status, out := call(t, shared, "PATCH", "/v1/webhooks/"+id, map[string]any{"enabled": false}); status != http.StatusOK {
		t.Fatalf("disable: %d %v", status, out)
	}
	p.run(chromedp.Click(chromedp.ID("webhooks-refresh")))
	p.waitFor("the panel to show the webhook disabled", `document.getElementById('detail-meta').textContent.includes('Disabled')`)
}

// A key with only view:log cannot list targets, but may read a log: the
// dashboard says so where the lists would be, opens a webhook by its ID,
// and follows its log live.
func TestDashboardWithAViewLogKeyOpensALogByID(t *testing.T) {
	rcv := newReceiver(t, 200)
	id, _ := createWebhook(t, shared, map[string]any{"url": rcv.URL + "/view-log-only", "events": []string{"user.created"}})
	if status, out := publishEvent(t, shared, map[string]any{"event": "user.created", "data": map[string]any{"id": 1}}); status != http.StatusAccepted {
		t.Fatalf("publish: %d %v", status, out)
	}
	eventually(t, 20*time.Second, "the first log entry", func() bool {
		_, out := call(t, shared, "GET", "/v1/webhooks/"+id+"/logs", nil)
		data, _ := out["data"].([]any)
		return len(data) == 1
	})
	status, out := call(t, shared, "POST", "/v1/api-keys", map[string]any{"name": "log reader", "scopes": []string{"view:log"}})
	key, _ := out["key"].(string)
	if status != http.StatusCreated || key == "" {
		t.Fatalf("create key: %d %v", status, out)
	}
	rememberSecret(key)

	p := openPage(t, shared.HTTPURL+"/dashboard/")
	p.allow("status of 403 (Forbidden)") // the lists, refused
	p.allow("status of 404 (Not Found)") // the unknown ID below
	p.run(
		chromedp.WaitVisible(chromedp.ID("key-input")),
		chromedp.SendKeys(chromedp.ID("key-input"), key),
		chromedp.Click(chromedp.CSS(`#key-form button[type="submit"]`)),
	)
	p.waitFor("the lists to say the key cannot list them", `(() => {
		const w = document.getElementById('webhooks-empty'), c = document.getElementById('connectors-empty');
		return !w.hidden && w.textContent.includes('cannot list webhooks') && !c.hidden && c.textContent.includes('cannot list connectors');
	})()`)
	if shown := eval[bool](p, `!document.getElementById('alert').hidden`); shown {
		t.Errorf("an error shows for the refused lists: %s", eval[string](p, `document.getElementById('alert').innerText`))
	}

	open := func(s string) {
		eval[bool](p, `(() => {
			document.getElementById('open-id').value = `+jsString(s)+`;
			document.querySelector('#open-form button[type="submit"]').click();
			return true;
		})()`)
	}
	open("not-an-id")
	p.waitFor("the ID refused", `document.getElementById('alert-title').textContent === 'Not a target ID'`)
	open("wh_0123456789abcdef0123456789abcdef")
	p.waitFor("the unknown webhook", `document.getElementById('alert-title').textContent.startsWith('404')`)

	open(" " + id + " ")
	p.waitFor("the webhook's log", `document.querySelectorAll('#logs > li').length === 1`)
	meta := eval[string](p, `document.getElementById('detail-kind').textContent + ' | ' + document.getElementById('detail-meta').textContent`)
	if !strings.Contains(meta, "Webhook "+id) || !strings.Contains(meta, "manage:webhook") {
		t.Errorf("panel shows %q, want the webhook's ID and why its settings are missing", meta)
	}
	if shown := eval[bool](p, `!document.getElementById('alert').hidden`); shown {
		t.Errorf("an error still shows after opening the log: %s", eval[string](p, `document.getElementById('alert').innerText`))
	}

	// A reload that cannot reach Herald shows a network error, which goes
	// once the live view connects again.
	eval[bool](p, `(() => {
		window.realFetch = window.fetch;
		window.fetch = () => Promise.reject(new TypeError('Failed to fetch'));
		document.getElementById('logs-refresh').click();
		return true;
	})()`)
	p.waitFor("the network error", `document.getElementById('alert-title').textContent === 'Network error' && !document.getElementById('alert').hidden`)
	eval[bool](p, `(() => { window.fetch = window.realFetch; return true; })()`)
	p.run(chromedp.Click(chromedp.ID("live-toggle")))
	p.waitFor("the live view to connect", `document.getElementById('live-state').textContent.includes('waiting')`)
	if shown := eval[bool](p, `!document.getElementById('alert').hidden`); shown {
		t.Errorf("the network error still shows once the live view is connected: %s", eval[string](p, `document.getElementById('alert').innerText`))
	}
	if status, out := publishEvent(t, shared, map[string]any{"event": "user.created", "data": map[string]any{"id": 2}}); status != http.StatusAccepted {
		t.Fatalf("publish: %d %v", status, out)
	}
	p.waitFor("the live entry", `document.querySelectorAll('#logs > li').length === 2 && document.querySelector('#logs > li').classList.contains('fresh')`)
}
