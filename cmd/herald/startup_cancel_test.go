package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/heraldhub/herald/devserver"
)

// reservePort returns a free port on 127.0.0.1 that stays reserved (see
// devserver.ReservePort) until the test ends: the test binds it again and
// again, and an outgoing connection must not take it in between.
func reservePort(t *testing.T) int {
	t.Helper()
	port, release, err := devserver.ReservePort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	return port
}

// TestInterruptDuringStartUpLeavesDataUsable is Ctrl-C at different
// moments of `herald dev` starting up (main cancels Start's context on
// SIGINT): each start gives up or finishes, releases the HTTP, Temporal
// and UI ports and the data directory, and the next start on the same
// directory finds the webhook made before and delivers to it.
func TestInterruptDuringStartUpLeavesDataUsable(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	httpPort, temporalPort, uiPort := reservePort(t), reservePort(t), reservePort(t)
	cfg.HTTPAddr = "127.0.0.1:" + strconv.Itoa(httpPort)
	cfg.TemporalPort, cfg.TemporalAddress, cfg.UIPort = temporalPort, "127.0.0.1:"+strconv.Itoa(temporalPort), uiPort
	log := slog.New(slog.DiscardHandler)

	first, err := start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t)
	id, _ := createWebhook(t, first, map[string]any{"url": rcv.URL, "events": []string{"user.created"}})
	first.Close()

	// How long a start on this directory takes here; the interrupts fall
	// at even steps across it, from before anything starts to its end.
	m := NewMain(cfg, log, io.Discard)
	began := time.Now()
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	full := time.Since(began)
	m.Close()

	failed := 0
	const steps = 10
	for k := range steps + 1 {
		after := full * time.Duration(k) / steps
		m := NewMain(cfg, log, io.Discard)
		ctx, cancel := context.WithCancel(context.Background())
		timer := time.AfterFunc(after, cancel)
		began := time.Now()
		err := m.Start(ctx)
		took := time.Since(began)
		timer.Stop()
		switch {
		case err == nil:
			m.Close() // it was up before the interrupt: main closes it
		case ctx.Err() == nil:
			t.Fatalf("interrupt after %s: start failed on its own: %v", after, err)
		default:
			failed++
			// Start closes what it started before it returns.
			if took > after+10*time.Second {
				t.Errorf("interrupt after %s: start gave up only after %s", after, took)
			}
		}
		cancel()
		for name, port := range map[string]int{"HTTP": httpPort, "Temporal": temporalPort, "UI": uiPort} {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
			if err != nil {
				t.Errorf("interrupt after %s: %s port still taken: %v", after, name, err)
				continue
			}
			l.Close()
		}
	}
	if failed == 0 {
		t.Errorf("no interrupt fell inside a start (a full start took %s)", full)
	}
	t.Logf("%d of %d interrupts fell inside a start of %s", failed, steps+1, full)

	last, err := start(cfg)
	if err != nil {
		t.Fatalf("start after the interrupts: %v", err)
	}
	defer last.Close()
	if status, out := call(t, last, "GET", "/v1/webhooks/"+id, nil); status != http.StatusOK {
		t.Fatalf("webhook after the interrupts: %d %v", status, out)
	}
	if status, out := publishEvent(t, last, map[string]any{"event": "user.created", "data": map[string]any{"id": 1}}); status != http.StatusAccepted {
		t.Fatalf("publish: %d %v", status, out)
	}
	rcv.wait(t, 1, 20*time.Second)
}

// A worker that stops by itself (the SDK stops it when its polls have
// found the namespace gone for two minutes) ends the process with an
// error, rather than leaving it accepting events it never delivers. The
// test waits out the SDK's two minutes beside the package's other tests.
func TestWorkerFailureStopsTheProcess(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.TemporalNamespace = "doomed"
	m, err := start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c, err := client.Dial(client.Options{HostPort: m.cfg.TemporalAddress})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.OperatorService().DeleteNamespace(context.Background(), &operatorservice.DeleteNamespaceRequest{Namespace: "doomed"}); err != nil {
		t.Fatal(err)
	}
	t.Parallel() // waits for the sequential tests, while the SDK's grace period runs
	select {
	case <-m.WorkerFailed():
		var missing *serviceerror.NamespaceNotFound
		if err := m.WorkerFailure(); !errors.As(err, &missing) {
			t.Errorf("worker stopped with %v, want the namespace's absence", err)
		}
	case <-time.After(4 * time.Minute):
		t.Fatal("the worker did not report that it stopped")
	}
}
