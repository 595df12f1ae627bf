package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/activities"
	"github.com/heraldhub/herald/api"
	"github.com/heraldhub/herald/connectors/dispatch"
	"github.com/heraldhub/herald/connectors/kinds"
	"github.com/heraldhub/herald/dashboard"
	"github.com/heraldhub/herald/delivery"
	"github.com/heraldhub/herald/devserver"
	"github.com/heraldhub/herald/metrics"
	"github.com/heraldhub/herald/netguard"
	"github.com/heraldhub/herald/publish"
	"github.com/heraldhub/herald/secretbox"
	"github.com/heraldhub/herald/store"
	"github.com/heraldhub/herald/store/postgres"
	"github.com/heraldhub/herald/store/sqlite"
	"github.com/heraldhub/herald/worker"
)

// searchAttributes are registered on the namespace (SPEC §9).
var searchAttributes = map[string]enumspb.IndexedValueType{
	"HeraldEvent":  enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"HeraldTarget": enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
}

// Main owns every long-lived part of a herald process. Run starts what the
// command needs; Close stops it in reverse order: HTTP, worker, client, UI
// and Temporal server, database.
type Main struct {
	cfg Config
	log *slog.Logger
	out io.Writer

	temporal *devserver.Server
	db       database
	client   client.Client
	worker   sdkworker.Worker
	acts     *activities.Activities
	http     *http.Server
	stopping chan struct{} // closed when the HTTP server starts to shut down
	httpLn   net.Listener
	metrics  *metrics.Metrics

	// workerFailed is closed once the worker stopped by itself, with
	// workerErr saying why.
	workerFailed chan struct{}
	workerOnce   sync.Once
	workerErr    error

	// stopSweeps ends the sweeps for events stored without a workflow and
	// waits for the one running.
	stopSweeps func()
	// retention is the Temporal namespace's, zero when it could not be
	// read.
	retention time.Duration

	// HTTPURL and UIURL are where the API and Temporal UI listen, once
	// Start returned.
	HTTPURL string
	UIURL   string
	// AdminKey is the bootstrap admin key when this run created one.
	AdminKey string
	// noKey: the API has no key it would accept (see startHTTP).
	noKey bool
}

// NewMain returns a Main for cfg; out receives the start-up banner.
func NewMain(cfg Config, log *slog.Logger, out io.Writer) *Main {
	return &Main{cfg: cfg, log: log, out: out, stopping: make(chan struct{}), workerFailed: make(chan struct{})}
}

func (m *Main) runs(parts ...string) bool {
	for _, p := range parts {
		if m.cfg.Command == p {
			return true
		}
	}
	return false
}

// Start brings up the command's parts. On error, whatever started is
// stopped again.
func (m *Main) Start(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	if m.cfg.Command != "temporal" {
		if err := m.listen(); err != nil {
			return err
		}
	}
	if m.runs("dev", "temporal", "bench") {
		if err := m.startTemporal(ctx); err != nil {
			return err
		}
	}
	if m.cfg.Command == "temporal" {
		m.banner()
		return nil
	}
	if err := m.openStore(ctx); err != nil {
		return err
	}
	opts := client.Options{
		HostPort:  m.cfg.TemporalAddress,
		Namespace: m.cfg.TemporalNamespace,
		Logger:    sdklog.NewStructuredLogger(m.log.With("component", "temporal-sdk")),
	}
	if m.temporal != nil {
		// The embedded server is reached over loopback, where gzip (the
		// SDK's default) only costs CPU: about 4% of `herald bench`.
		opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	} else if err := m.cfg.TemporalTLS.apply(&opts); err != nil {
		return err
	}
	m.client, err = client.DialContext(ctx, opts)
	reachable := err == nil
	if err != nil && m.cfg.Command == "api" && unreachable(err) {
		// An API process serves reads and settings without Temporal, and
		// answers publishes 503 (and /readyz) until it can reach it; a
		// worker has nothing to do without it, and fails to start.
		m.log.Warn("Temporal is not reachable; the API starts without it, and publishes get 503 until it is"+m.cfg.TemporalTLS.hint(),
			"address", m.cfg.TemporalAddress, "error", err)
		m.client, err = client.NewLazyClient(opts)
	}
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s: %w%s", m.cfg.TemporalAddress, err, m.cfg.TemporalTLS.hint())
	}
	if reachable {
		if err := m.checkNamespace(ctx); err != nil {
			return err
		}
		if m.temporal == nil {
			m.registerSearchAttributes(ctx)
		}
	}
	m.metrics = metrics.New()
	httpClient := delivery.NewHTTPClient(m.cfg.AllowPrivateTargets)
	sender := delivery.NewSender(httpClient, nil)
	chat := dispatch.New(kinds.New(kinds.Options{
		HTTPClient: httpClient,
		// The API base URLs are the operator's choice (defaults: the
		// services' public APIs), so a private gateway is allowed there.
		APIClient:      delivery.NewHTTPClient(true),
		SlackAPIURL:    m.cfg.SlackAPIURL,
		DiscordAPIURL:  m.cfg.DiscordAPIURL,
		TelegramAPIURL: m.cfg.TelegramAPIURL,
	}))
	if m.runs("dev", "serve", "worker", "bench") {
		acts := activities.New(activities.Config{
			Store: m.db, Sender: sender, Chat: chat,
			Logger: m.log.With("component", "activities"), Metrics: m.metrics, DisableAfter: m.cfg.DisableAfterFailures,
		})
		m.acts = acts
		m.worker = worker.New(m.client, m.cfg.TaskQueue, acts, worker.Options{
			StopTimeout: m.cfg.WorkerStopTimeout,
			OnFatalError: func(err error) {
				m.workerOnce.Do(func() {
					m.workerErr = err
					close(m.workerFailed)
				})
			},
		})
		if err := m.worker.Start(); err != nil {
			return fmt.Errorf("start worker: %w", err)
		}
	}
	if m.runs("dev", "serve", "api", "bench") {
		if err := m.startHTTP(ctx, sender, chat); err != nil {
			return err
		}
	} else if err := m.startWorkerHTTP(); err != nil {
		return err
	}
	if m.cfg.AllowPrivateTargets {
		m.log.Warn("private targets allowed: webhooks may point at loopback and private addresses")
	}
	m.banner()
	return nil
}

func (m *Main) startTemporal(ctx context.Context) error {
	if err := os.MkdirAll(m.cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	srv, err := devserver.Start(ctx, devserver.Config{
		DBPath:           filepath.Join(m.cfg.DataDir, "temporal.db"),
		VisibilityDBPath: filepath.Join(m.cfg.DataDir, "temporal-visibility.db"),
		FrontendPort:     m.cfg.TemporalPort,
		UIPort:           m.cfg.UIPort,
		Namespace:        m.cfg.TemporalNamespace,
		Retention:        m.cfg.TemporalRetention,
		SearchAttributes: searchAttributes,
		Logger:           m.log.With("component", "temporal-server"),
	})
	if err != nil {
		return fmt.Errorf("start embedded Temporal: %w", err)
	}
	m.temporal = srv
	m.cfg.TemporalAddress = srv.FrontendAddress()
	m.UIURL = srv.UIAddress()
	return nil
}

// database is Herald's store, SQLite or PostgreSQL.
type database interface {
	store.Store
	// Reseal re-encrypts secrets not sealed with the current key.
	Reseal(ctx context.Context) (int, error)
}

func (m *Main) openStore(ctx context.Context) error {
	keys, err := m.keyring()
	if err != nil {
		return err
	}
	var db database
	if m.cfg.isPostgres() {
		db, err = postgres.Open(ctx, m.cfg.DatabaseURL, postgres.WithKeyring(keys))
	} else {
		path := m.cfg.sqlitePath()
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return fmt.Errorf("create database dir: %w", err)
		}
		db, err = sqlite.Open(ctx, path, sqlite.WithKeyring(keys))
	}
	if err != nil {
		return fmt.Errorf("open database %s: %w", redactURL(m.cfg.DatabaseURL), err)
	}
	m.db = db
	// Rows in clear (older databases) or under the previous key are
	// re-encrypted with the current key: a rotation needs only a restart.
	n, err := db.Reseal(ctx)
	if errors.Is(err, sqlite.ErrCheckpointBusy) {
		// The rows are re-encrypted; only old copies in the log remain,
		// and only this run's re-encryption is worth a warning.
		if n > 0 {
			m.log.Warn("secrets re-encrypted, but old copies may stay in the database's -wal file until its next checkpoint; restart when no other process has the file open", "rows", n)
		}
		err = nil
	}
	if errors.Is(err, secretbox.ErrNoKey) {
		return fmt.Errorf("re-encrypt secrets: %w: start with the key this database was written with in HERALD_ENCRYPTION_KEY (herald dev uses <data dir>/encryption.key only when it is unset)", err)
	}
	if err != nil {
		return fmt.Errorf("re-encrypt secrets: %w", err)
	}
	if n > 0 {
		m.log.Info("re-encrypted secrets with the current key", "rows", n)
	}
	return nil
}

// unreachable reports whether a failed dial found no Temporal server
// (refused, unresolvable, timed out), rather than one it could not talk
// to: a TLS handshake that failed is a setting to fix, not an outage.
func unreachable(err error) bool {
	var unavailable *serviceerror.Unavailable
	return errors.As(err, &unavailable) && !strings.Contains(err.Error(), "handshake")
}

// checkNamespace refuses to start on a Temporal namespace that does not
// exist. The SDK's client connects without looking at it, so an API
// process would otherwise report ready and answer every publish with 503.
// (A worker fails on its own when it starts polling.)
func (m *Main) checkNamespace(ctx context.Context) error {
	// Bounded: the SDK retries an unreachable server until ctx ends.
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ns, err := m.client.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: m.cfg.TemporalNamespace})
	var missing *serviceerror.NamespaceNotFound
	if errors.As(err, &missing) {
		return fmt.Errorf("temporal namespace %q does not exist at %s: create it, or set --temporal-namespace", m.cfg.TemporalNamespace, m.cfg.TemporalAddress)
	}
	if err != nil {
		// No permission to describe it, say: left to the calls that need
		// it. The sweep asks again each time.
		m.log.Warn("could not read the Temporal namespace", "namespace", m.cfg.TemporalNamespace, "error", err)
	}
	m.retention = ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration()
	return nil
}

// registerSearchAttributes adds Herald's search attributes an external
// cluster lacks (asking for all of them each start would log warnings in
// the server); failure (for example missing permissions) is only a
// warning.
func (m *Main) registerSearchAttributes(ctx context.Context) {
	op := m.client.OperatorService()
	missing := maps.Clone(searchAttributes)
	list, err := op.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: m.cfg.TemporalNamespace})
	if err == nil {
		for name, got := range list.GetCustomAttributes() {
			if want, ok := missing[name]; ok && got != want {
				// Temporal cannot change a type in place: every start
				// naming it would be refused.
				m.log.Warn("search attribute has the wrong type; remove it and restart Herald", "name", name, "type", got, "want", want)
			}
			delete(missing, name)
		}
		if len(missing) == 0 {
			return
		}
	}
	_, err = op.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: m.cfg.TemporalNamespace, SearchAttributes: missing,
	})
	if err != nil {
		m.log.Warn("could not register search attributes; add HeraldEvent (Keyword) and HeraldTarget (KeywordList) yourself", "error", err)
	}
}

func (m *Main) startHTTP(ctx context.Context, sender *delivery.Sender, chat *dispatch.Dispatcher) error {
	adminKey := m.cfg.AdminKey
	switch {
	case adminKey == "" && m.cfg.Command == "dev":
		key, err := m.bootstrapKey(ctx)
		if err != nil {
			return err
		}
		m.AdminKey = key
	case adminKey == "" && m.runs("serve", "api"):
		// Only dev creates the first key: an API on a fresh database
		// would refuse every call, and nothing would say why.
		n, err := m.db.CountAPIKeys(ctx)
		if err != nil {
			return fmt.Errorf("count API keys: %w", err)
		}
		if n == 0 {
			m.noKey = true
			m.log.Warn("no API key exists and HERALD_ADMIN_KEY is not set: every API call is refused until it is")
		}
	}
	tester := publish.NewTester(m.db, sender, chat)
	publisher := publish.New(m.db, m.client, m.cfg.TaskQueue, m.log.With("component", "publish"), m.metrics)
	handler := api.New(api.Deps{
		Webhooks:            m.db,
		Events:              m.db,
		Logs:                m.db,
		Keys:                m.db,
		Publisher:           publisher,
		Deliveries:          m.db,
		Sources:             m.db,
		Redeliverer:         redeliverer{publisher, m.db},
		Metrics:             m.metrics,
		Dashboard:           dashboard.Handler(),
		Tester:              tester,
		Connectors:          m.db,
		Kinds:               apiKinds(),
		ConnectorTester:     tester,
		CheckTemplates:      checkTemplates,
		AdminKey:            adminKey,
		Guard:               &netguard.Guard{},
		AllowPrivateTargets: m.cfg.AllowPrivateTargets,
		Ready:               m.readyChecks(),
		Stopping:            m.stopping,
		Logger:              m.log.With("component", "api"),
	})
	m.startSweeps(publisher)
	return m.serve(handler)
}

// defaultSweepInterval is how often an API process sweeps for events
// stored without a workflow.
const defaultSweepInterval = 30 * time.Second

// fallbackRetention stands for a namespace retention that could not be
// read: the least Temporal allows (devserver's minimum), so that the
// sweep never takes a workflow removed after its retention for one that
// never started.
const fallbackRetention = time.Hour

// startSweeps runs publisher's sweeps until Close: every API process does,
// since any of them may have stored an event and died before starting its
// workflow. Two at once are harmless (a start under one ID happens once).
// The sweep's horizon is nine tenths of the namespace's retention (see
// publish.Publisher.Sweep), leaving room for clocks that differ; it is
// read again before each sweep, as an operator may change it, and the last
// value read stands while it cannot be.
func (m *Main) startSweeps(publisher *publish.Publisher) {
	retention := m.retention
	horizon := func(ctx context.Context) time.Duration {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		ns, err := m.client.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: m.cfg.TemporalNamespace})
		if r := ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); err == nil && r > 0 {
			retention = r
		}
		return cmp.Or(retention, fallbackRetention) / 10 * 9
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		publisher.RunSweeps(ctx, m.db, cmp.Or(m.cfg.SweepInterval, defaultSweepInterval), horizon)
	}()
	m.stopSweeps = func() {
		cancel()
		<-done
	}
}

// readyChecks are the checks of GET /readyz: Herald's database and Temporal.
func (m *Main) readyChecks() map[string]api.Checker {
	return map[string]api.Checker{
		"database": api.CheckFunc(m.db.Ping),
		"temporal": api.CheckFunc(func(ctx context.Context) error {
			if _, err := m.client.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
				return err
			}
			// A namespace deleted since the start refuses every publish.
			_, err := m.client.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: m.cfg.TemporalNamespace})
			var missing *serviceerror.NamespaceNotFound
			if errors.As(err, &missing) {
				return err
			}
			return nil
		}),
	}
}

// startWorkerHTTP serves what a worker-only process has to show on the
// HTTP address: its metrics (delivery attempts are counted where the
// activities run) and the liveness and readiness checks of SPEC §1.
func (m *Main) startWorkerHTTP() error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.metrics.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	})
	mux.Handle("GET /readyz", api.Ready(m.readyChecks(), m.log.With("component", "worker")))
	return m.serve(mux)
}

// listen takes the HTTP address, first thing in Start: a port that is
// taken fails the start before Temporal or the worker are up.
func (m *Main) listen() error {
	ln, err := net.Listen("tcp", m.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.cfg.HTTPAddr, err)
	}
	m.httpLn = ln
	m.HTTPURL = "http://" + ln.Addr().String()
	return nil
}

// serve serves handler on the listener until Close.
func (m *Main) serve(handler http.Handler) error {
	ln := m.httpLn
	// No ReadTimeout or WriteTimeout: the live log stream is long-lived and
	// sets its own write deadlines.
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	m.http = srv
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Error("http server stopped", "error", err)
		}
	}()
	return nil
}

func (m *Main) banner() {
	if m.out == nil {
		return
	}
	fmt.Fprintf(m.out, "Herald %s (%s)\n", herald.Version, m.cfg.Command)
	switch {
	case m.HTTPURL != "" && m.cfg.Command == "worker":
		fmt.Fprintf(m.out, "  Metrics:     %s/metrics\n", m.HTTPURL)
	case m.HTTPURL != "":
		fmt.Fprintf(m.out, "  API:         %s\n", m.HTTPURL)
	}
	conn := ""
	if m.temporal == nil {
		if d := m.cfg.TemporalTLS.describe(); d != "" {
			conn = ", " + d
		}
	}
	fmt.Fprintf(m.out, "  Temporal:    %s (namespace %s, task queue %s%s)\n", m.cfg.TemporalAddress, m.cfg.TemporalNamespace, m.cfg.TaskQueue, conn)
	if m.UIURL != "" {
		fmt.Fprintf(m.out, "  Temporal UI: %s\n", m.UIURL)
	}
	switch {
	case m.AdminKey != "":
		fmt.Fprintf(m.out, "  Admin key:   %s (shown once; also in %s)\n", m.AdminKey, filepath.Join(m.cfg.DataDir, "admin.key"))
	case m.cfg.AdminKey != "":
		fmt.Fprintln(m.out, "  Admin key:   from HERALD_ADMIN_KEY")
	case m.cfg.Command == "dev":
		fmt.Fprintf(m.out, "  Admin key:   see %s\n", filepath.Join(m.cfg.DataDir, "admin.key"))
	case m.noKey:
		fmt.Fprintln(m.out, "  Admin key:   none yet; set HERALD_ADMIN_KEY to create the first keys")
	}
}

// WorkerFailed is closed when the worker stopped by itself, after an
// error it cannot go on from (WorkerFailure); a process that goes on
// serving would accept events it never delivers.
func (m *Main) WorkerFailed() <-chan struct{} { return m.workerFailed }

// WorkerFailure is why the worker stopped, once WorkerFailed is closed.
func (m *Main) WorkerFailure() error {
	select {
	case <-m.workerFailed:
		return m.workerErr
	default:
		return nil
	}
}

// TemporalFailed is closed when the embedded Temporal server reports a
// failure a standalone server would have exited on (devserver.Server.Failed);
// it is never closed when Temporal is not embedded.
func (m *Main) TemporalFailed() <-chan struct{} {
	if m.temporal == nil {
		return nil
	}
	return m.temporal.Failed()
}

// stopWorker stops the worker, giving in-flight deliveries the stop
// timeout once. The SDK waits it out for each of its internal workers in
// turn (workflow tasks, local activities, activities), two or three times
// in all; past the bound, shutdown goes on, and the deliveries still
// running are retried after the next start.
func (m *Main) stopWorker() {
	w, done := m.worker, make(chan struct{})
	go func() {
		defer close(done)
		w.Stop()
	}()
	timeout := cmp.Or(m.cfg.WorkerStopTimeout, worker.DefaultStopTimeout)
	select {
	case <-done:
	case <-time.After(timeout + stopGrace):
		m.log.Warn("in-flight deliveries did not finish within the stop timeout; they are retried after the next start", "timeout", timeout)
	}
}

// attemptsGrace bounds the wait for attempts cut short by the worker's
// stop: their store writes have 10 s (activities' record timeout).
const attemptsGrace = 12 * time.Second

// stopGrace is what the worker may take beyond the stop timeout to wind
// down once nothing is running.
const stopGrace = time.Second

// Close stops everything Start started, in order. It is safe to call more
// than once.
func (m *Main) Close() {
	if m.http != nil {
		close(m.stopping) // live log streams end; Shutdown waits for the rest
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := m.http.Shutdown(ctx); err != nil {
			m.log.Warn("http shutdown", "error", err)
		}
		cancel()
		m.http = nil
	} else if m.httpLn != nil {
		_ = m.httpLn.Close() // Start failed before serving
	}
	m.httpLn = nil
	if m.stopSweeps != nil {
		m.stopSweeps() // before the client and the store close
		m.stopSweeps = nil
	}
	if m.worker != nil {
		m.stopWorker()
		m.worker = nil
	}
	if m.acts != nil {
		// Attempts still running are cut short now (the SDK would do it
		// later, after each of its internal workers' wait), and record
		// what they sent before the store closes: every request is a log
		// entry (SPEC §7).
		ctx, cancel := context.WithTimeout(context.Background(), attemptsGrace)
		if !m.acts.Stop(ctx) {
			m.log.Warn("attempts cut short by the stop did not finish recording", "waited", attemptsGrace)
		}
		cancel()
		m.acts = nil
	}
	if m.client != nil {
		m.client.Close()
		m.client = nil
	}
	if m.temporal != nil {
		if err := m.temporal.Stop(); err != nil {
			m.log.Warn("stop embedded Temporal", "error", err)
		}
		m.temporal = nil
	}
	if m.db != nil {
		if err := m.db.Close(); err != nil {
			m.log.Warn("close database", "error", err)
		}
		m.db = nil
	}
}
