package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // served only with -pprof
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldhub/herald/api"
)

// benchOptions are the flags after "herald bench".
type benchOptions struct {
	events      int
	concurrency int
	pacedRate   int
	pacedFor    time.Duration
	only        string
	cpuProfile  string
	pprofAddr   string
}

func (o *benchOptions) flags(fs *flag.FlagSet) {
	fs.IntVar(&o.events, "events", 2000, "events per burst scenario")
	fs.IntVar(&o.concurrency, "concurrency", 32, "concurrent publishers")
	fs.IntVar(&o.pacedRate, "rate", 100, "events per second in the paced scenario")
	fs.DurationVar(&o.pacedFor, "paced-for", 10*time.Second, "length of the paced scenario")
	fs.StringVar(&o.only, "only", "", "run one scenario: fanout1, fanout10 or paced")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	fs.StringVar(&o.pprofAddr, "pprof", "", "serve net/http/pprof, with block and mutex profiles on, at this address")
}

func (o *benchOptions) validate() error {
	if o.events < 1 || o.concurrency < 1 || o.pacedRate < 1 || o.pacedFor <= 0 {
		return errors.New("--events, --concurrency, --rate and --paced-for must be positive")
	}
	switch o.only {
	case "", "fanout1", "fanout10", "paced":
		return nil
	}
	return fmt.Errorf("--only: want fanout1, fanout10 or paced, got %q", o.only)
}

// runBench starts Herald on the embedded default in a fresh data dir, a
// local receiver, and measures publishing and delivery (see README).
func runBench(ctx context.Context, cfg Config) error {
	o := cfg.Bench
	dir, err := os.MkdirTemp("", "herald-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg.DataDir, cfg.DatabaseURL = dir, ""
	cfg.HTTPAddr, cfg.TemporalPort, cfg.UIPort = "127.0.0.1:0", 0, -1
	cfg.AdminKey = api.NewKey()
	cfg.AllowPrivateTargets = true
	if err := cfg.Validate(); err != nil {
		return err
	}
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	m := NewMain(cfg, quiet, io.Discard)
	if err := m.Start(ctx); err != nil {
		return err
	}
	defer m.Close()

	rcv, err := newBenchReceiver()
	if err != nil {
		return err
	}
	defer rcv.close()
	b := &bench{url: m.HTTPURL, key: cfg.AdminKey, rcv: rcv, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}
	if o.pprofAddr != "" {
		runtime.SetBlockProfileRate(int(time.Microsecond))
		runtime.SetMutexProfileFraction(10)
		srv := &http.Server{Addr: o.pprofAddr, ReadHeaderTimeout: 10 * time.Second} // DefaultServeMux holds net/http/pprof
		go func() { _ = srv.ListenAndServe() }()
		defer srv.Close()
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	// Warm up (connections, caches, the first database pages) unmeasured.
	if err := b.subscribe(ctx, "calendar.deleted", 1); err != nil {
		return err
	}
	if _, err := b.burst(ctx, "calendar.deleted", 1, 300, o.concurrency); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	fmt.Printf("herald bench: %d events per burst, %d concurrent publishers (after 300 warm-up events)\n", o.events, o.concurrency)
	for _, sc := range []struct {
		key    string
		name   string
		event  string
		fanout int
		paced  bool
	}{
		// Paced first: the bursts leave Temporal with background work
		// (visibility, task cleanup) that would skew a latency run after them.
		{"paced", fmt.Sprintf("paced %d/s, fan-out 1", o.pacedRate), "awardrecord.created", 1, true},
		{"fanout1", "fan-out 1", "user.created", 1, false},
		{"fanout10", "fan-out 10", "rankrecord.created", 10, false},
	} {
		if o.only != "" && o.only != sc.key {
			continue
		}
		if err := b.subscribe(ctx, sc.event, sc.fanout); err != nil {
			return err
		}
		var r result
		if sc.paced {
			r, err = b.paced(ctx, sc.event, sc.fanout, o.pacedRate, o.pacedFor)
		} else {
			r, err = b.burst(ctx, sc.event, sc.fanout, o.events, o.concurrency)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", sc.name, err)
		}
		r.print(sc.name)
	}
	return nil
}

type bench struct {
	url, key string
	rcv      *benchReceiver
	client   *http.Client
}

type result struct {
	events, deliveries int
	publishTime        time.Duration
	deliverTime        time.Duration
	latencies          []time.Duration
	cpu                time.Duration // process CPU time (user and system) from start to the last arrival
}

func (r result) print(name string) {
	slices.Sort(r.latencies)
	pct := func(p float64) time.Duration {
		if len(r.latencies) == 0 {
			return 0
		}
		return r.latencies[min(len(r.latencies)-1, int(p*float64(len(r.latencies))))]
	}
	fmt.Printf("%-22s events accepted/s %7.0f   deliveries/s %7.0f   latency p50 %6.1fms p95 %6.1fms p99 %6.1fms   CPU/delivery %5.2fms   (%d events, %d deliveries)\n",
		name, float64(r.events)/r.publishTime.Seconds(), float64(r.deliveries)/r.deliverTime.Seconds(),
		ms(pct(0.50)), ms(pct(0.95)), ms(pct(0.99)), ms(r.cpu)/float64(max(r.deliveries, 1)), r.events, r.deliveries)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (b *bench) do(ctx context.Context, method, path string, body any) error {
	raw, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, method, b.url+path, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+b.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, out)
	}
	return nil
}

func (b *bench) subscribe(ctx context.Context, event string, n int) error {
	for range n {
		err := b.do(ctx, "POST", "/v1/webhooks", map[string]any{"url": b.rcv.url, "events": []string{event}})
		if err != nil {
			return err
		}
	}
	return nil
}

// publish sends one event whose data carries its publish time.
func (b *bench) publish(ctx context.Context, event string) error {
	sent := time.Now().UnixNano()
	return b.do(ctx, "POST", "/v1/events", map[string]any{"event": event, "data": map[string]any{"sent_ns": sent}})
}

func (b *bench) burst(ctx context.Context, event string, fanout, n, conc int) (result, error) {
	b.rcv.reset(n * fanout)
	start, cpu0 := time.Now(), processCPU()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, conc)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if err := b.publish(ctx, event); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	published := time.Since(start)
	select {
	case err := <-errs:
		return result{}, err
	default:
	}
	return b.collect(ctx, start, cpu0, published, n, fanout)
}

func (b *bench) paced(ctx context.Context, event string, fanout, rate int, d time.Duration) (result, error) {
	n := int(d.Seconds() * float64(rate))
	b.rcv.reset(n * fanout)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	start, cpu0 := time.Now(), processCPU()
	var wg sync.WaitGroup
	var failed atomic.Value
	for range n {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.publish(ctx, event); err != nil {
				failed.Store(err)
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return result{}, err
	}
	return b.collect(ctx, start, cpu0, time.Since(start), n, fanout)
}

func (b *bench) collect(ctx context.Context, start time.Time, cpu0 time.Duration, published time.Duration, n, fanout int) (result, error) {
	select {
	case <-b.rcv.done:
	case <-time.After(2 * time.Minute):
		return result{}, fmt.Errorf("only %d of %d deliveries arrived", len(b.rcv.snapshot()), n*fanout)
	case <-ctx.Done():
		return result{}, ctx.Err()
	}
	lat := b.rcv.snapshot()
	return result{events: n, deliveries: len(lat), publishTime: published, deliverTime: time.Since(start), latencies: lat, cpu: processCPU() - cpu0}, nil
}

// benchReceiver records, for each delivery, the time from publish call to
// arrival.
type benchReceiver struct {
	url  string
	srv  *http.Server
	mu   sync.Mutex
	lat  []time.Duration
	want int
	done chan struct{}
}

func newBenchReceiver() (*benchReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &benchReceiver{url: "http://" + ln.Addr().String() + "/hook"}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve)}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

func (r *benchReceiver) serve(w http.ResponseWriter, req *http.Request) {
	now := time.Now()
	var env struct {
		Data struct {
			SentNS int64 `json:"sent_ns"`
		} `json:"data"`
	}
	_ = json.NewDecoder(req.Body).Decode(&env)
	w.WriteHeader(http.StatusNoContent)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lat = append(r.lat, now.Sub(time.Unix(0, env.Data.SentNS)))
	if len(r.lat) == r.want {
		close(r.done)
	}
}

func (r *benchReceiver) reset(want int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lat, r.want, r.done = nil, want, make(chan struct{})
}

func (r *benchReceiver) snapshot() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.lat)
}

func (r *benchReceiver) close() { _ = r.srv.Close() }
