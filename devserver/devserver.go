// Package devserver runs a Temporal server and the Temporal Web UI inside
// the Herald process, for `herald dev` and `herald temporal`. State lives in
// one SQLite file and survives restarts.
//
// It is the only package in Herald that imports go.temporal.io/server.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/temporal"
)

// Config configures Start. Zero values take the defaults documented on
// each field; DBPath is required.
type Config struct {
	// DBPath is the SQLite file for Temporal's persistence. It and its
	// directory are created if absent.
	DBPath string
	// VisibilityDBPath, when set, keeps Temporal's visibility records (what
	// the UI lists and searches) in a second SQLite file. Each file has its
	// own connection, so visibility writes no longer queue behind history
	// writes. Empty keeps everything in DBPath.
	VisibilityDBPath string
	// IP is the address the frontend and UI bind to. Default 127.0.0.1.
	IP string
	// FrontendPort is the gRPC port clients dial; 0 picks a free port.
	FrontendPort int
	// UIPort is the Temporal UI's HTTP port; 0 picks a free port and -1
	// runs no UI.
	UIPort int
	// Namespace is created if missing. Default "default".
	Namespace string
	// Retention is how long closed workflows are kept; applied on every
	// start. Default 7 days; at least 1 hour (Temporal's minimum for a
	// local namespace).
	Retention time.Duration
	// SearchAttributes are registered on the namespace on every start.
	SearchAttributes map[string]enumspb.IndexedValueType
	// Logger receives Temporal's own logs at warn level and above.
	// Default slog.Default().
	Logger *slog.Logger
}

const (
	defaultRetention = 7 * 24 * time.Hour
	minRetention     = time.Hour
	// setupTimeout bounds the namespace and UI steps after the services are up.
	setupTimeout = 30 * time.Second
)

func (c *Config) applyDefaults() {
	if c.IP == "" {
		c.IP = "127.0.0.1"
	}
	if c.Namespace == "" {
		c.Namespace = "default"
	}
	if c.Retention == 0 {
		c.Retention = defaultRetention
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

func (c *Config) validate() error {
	var errs []error
	if c.DBPath == "" {
		errs = append(errs, errors.New("DBPath is required"))
	}
	if net.ParseIP(c.IP) == nil {
		errs = append(errs, fmt.Errorf("IP %q is not an IP address", c.IP))
	}
	if c.FrontendPort < 0 || c.FrontendPort > 65535 {
		errs = append(errs, fmt.Errorf("FrontendPort %d out of range", c.FrontendPort))
	}
	if c.UIPort < -1 || c.UIPort > 65535 {
		errs = append(errs, fmt.Errorf("UIPort %d out of range", c.UIPort))
	}
	if c.Retention < minRetention {
		errs = append(errs, fmt.Errorf("Retention %s is below Temporal's minimum of %s", c.Retention, minRetention))
	}
	return errors.Join(errs...)
}

// Server is a running Temporal server, with the UI unless it was disabled.
type Server struct {
	temporal     temporal.Server
	logger       warnLogger
	ports        *ports // their locks are held until Stop
	unlockDB     func() // releases the database file's lock, at Stop
	ui           *uiServer
	checkpoints  *checkpointer
	frontendAddr string

	stopOnce sync.Once
	stopErr  error
}

// Start prepares the database, starts the Temporal services, brings the
// namespace in line with cfg and starts the UI. It returns when all of them
// answer; the namespace then accepts workflows with cfg.SearchAttributes.
// On error, what Start started is stopped again. ctx bounds the namespace
// and UI steps (Temporal's own service start has fixed timeouts); cancelling
// it after Start returns does not stop the server: call Stop.
func Start(ctx context.Context, cfg Config) (_ *Server, err error) {
	cfg.applyDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("devserver: %w", err)
	}
	unlockDB, err := lockDB(cfg.DBPath)
	if err != nil {
		return nil, fmt.Errorf("devserver: %w", err)
	}
	defer func() {
		if err != nil {
			unlockDB()
		}
	}()
	p, err := pickPorts(cfg.IP, cfg.FrontendPort)
	if err != nil {
		return nil, fmt.Errorf("devserver: %w", err)
	}
	defer func() {
		if err != nil {
			p.release()
		}
	}()
	sql := sqlConfig(cfg.DBPath)
	if err := prepareDB(cfg, sql); err != nil {
		return nil, fmt.Errorf("devserver: %w", err)
	}
	var visSQL *config.SQL
	if cfg.VisibilityDBPath != "" {
		visSQL = sqlConfig(cfg.VisibilityDBPath)
		if err := prepareSchema(cfg.VisibilityDBPath, visSQL, false); err != nil {
			return nil, fmt.Errorf("devserver: %w", err)
		}
		if err := indexSearchAttributes(cfg); err != nil {
			return nil, fmt.Errorf("devserver: %w", err)
		}
	}

	logger := newWarnLogger(cfg.Logger)
	ts, err := temporal.NewServer(
		temporal.WithConfig(serverConfig(cfg, sql, visSQL, p)),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(staticHosts(cfg, p)),
		temporal.WithLogger(logger),
		temporal.WithDynamicConfigClient(devDynamicConfig()),
	)
	if err != nil {
		return nil, fmt.Errorf("devserver: build temporal server: %w", err)
	}
	s := &Server{temporal: ts, logger: logger, frontendAddr: hostPort(dialIP(cfg.IP), p.frontend), ports: &p, unlockDB: unlockDB}
	if err := ts.Start(); err != nil {
		// fx has rolled back the start hooks that had succeeded, and a later
		// Stop would do nothing. Services that Temporal's own start hook had
		// already brought up before failing stay up: the server gives no
		// handle to stop them (temporal/server_impl.go, startServices).
		return nil, fmt.Errorf("devserver: start temporal server: %w", err)
	}

	files := []string{cfg.DBPath}
	if cfg.VisibilityDBPath != "" {
		files = append(files, cfg.VisibilityDBPath)
	}
	if s.checkpoints, err = startCheckpointer(cfg.Logger, files...); err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("devserver: %w", err)
	}
	if err := s.setup(ctx, cfg); err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("devserver: %w", err)
	}
	return s, nil
}

// lockDB makes the database file at path this process's own until the
// returned function runs. A second Temporal server on the same files (a
// second "herald dev" on one data dir) would corrupt them.
func lockDB(path string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create directory for %s: %w", path, err)
	}
	unlock, ok, err := lockFile(path + ".lock")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%s is in use by another Herald process (herald dev or herald temporal on the same data dir)", path)
	}
	return unlock, nil
}

// setup runs the steps that need the running frontend.
func (s *Server) setup(ctx context.Context, cfg Config) error {
	ctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{
		HostPort:  s.frontendAddr,
		Namespace: cfg.Namespace,
		Logger:    sdklog.NewStructuredLogger(cfg.Logger.With(slog.String("component", "devserver"))),
	})
	if err != nil {
		return fmt.Errorf("connect to temporal frontend: %w", err)
	}
	defer c.Close()
	added, err := ensureNamespace(ctx, c, cfg)
	if err != nil {
		return err
	}
	if added && cfg.VisibilityDBPath != "" {
		// Slots picked just now, for an existing namespace, get their
		// index while the server runs.
		if err := indexSearchAttributes(cfg); err != nil {
			return err
		}
	}
	if cfg.UIPort != -1 {
		if s.ui, err = startUI(ctx, cfg.IP, cfg.UIPort, s.frontendAddr, cfg.Namespace); err != nil {
			return err
		}
	}
	return nil
}

// Failed is closed when Temporal logs a Panic or Fatal record while the
// server runs: a standalone Temporal would have exited there, and the
// embedded one may go on without a service it needs. The host should stop
// and report Failure. Records during Stop do not count.
func (s *Server) Failed() <-chan struct{} { return s.logger.fatal.done }

// Failure is the record that closed Failed, or nil while it is open.
func (s *Server) Failure() error {
	select {
	case <-s.logger.fatal.done:
		return s.logger.fatal.err
	default:
		return nil
	}
}

// FrontendAddress is the host:port of the Temporal frontend, for
// client.Options.HostPort.
func (s *Server) FrontendAddress() string { return s.frontendAddr }

// UIAddress is the Temporal UI's base URL, such as "http://127.0.0.1:8233",
// or "" when the UI is disabled.
func (s *Server) UIAddress() string {
	if s.ui == nil {
		return ""
	}
	return "http://" + s.ui.addr
}

// Stop stops the UI, then the Temporal services; it waits for them to
// finish. It is safe to call more than once and from several goroutines;
// later calls return the first call's result. From the moment Stop begins,
// Temporal's own log records go out at debug level: stopping makes its
// internal pollers report a burst of expected failures.
//
// Temporal's sqlite plugin keeps its connection to the file open for the
// life of the process, so Stop does not release the file; starting again on
// the same DBPath in the same process reuses that connection.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.logger.quiet()
		if s.ui != nil {
			s.ui.stop()
		}
		if err := s.temporal.Stop(); err != nil {
			s.stopErr = fmt.Errorf("devserver: stop temporal server: %w", err)
		}
		s.checkpoints.stop()
		s.ports.release()
		s.unlockDB()
	})
	return s.stopErr
}
