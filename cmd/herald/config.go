package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is everything the herald command can be told, filled once from
// flags and then from HERALD_* environment variables for flags not given.
type Config struct {
	Command              string
	DataDir              string
	HTTPAddr             string
	TemporalPort         int
	UIPort               int
	TemporalAddress      string
	TemporalNamespace    string
	TaskQueue            string
	DatabaseURL          string
	AdminKey             string
	EncryptionKey        string
	PreviousKey          string
	AllowPrivateTargets  bool
	DisableAfterFailures int
	WorkerStopTimeout    time.Duration
	// TemporalRetention is the embedded namespace's retention (dev and
	// temporal); zero takes the embedded server's default.
	TemporalRetention time.Duration
	// TemporalTLS secures the connection to an external Temporal (serve,
	// api, worker).
	TemporalTLS    TemporalTLS
	LogLevel       string
	SlackAPIURL    string
	DiscordAPIURL  string
	TelegramAPIURL string
	Bench          benchOptions // herald bench only

	// SweepInterval is how often an API process looks for events stored
	// without a workflow (publish.Publisher.Sweep); zero is every 30 s.
	SweepInterval time.Duration
}

var commands = map[string]string{
	"dev":      "everything in one process with an embedded Temporal server",
	"serve":    "API and worker against an external Temporal",
	"api":      "the HTTP API alone",
	"worker":   "the Temporal worker alone",
	"temporal": "only the embedded Temporal server and UI",
	"bench":    "measure delivery throughput and latency on the embedded server",
}

// parseConfig reads args (without the program name) and the environment.
func parseConfig(args []string, getenv func(string) string) (Config, error) {
	if len(args) == 0 || commands[args[0]] == "" {
		return Config{}, errors.New(usage())
	}
	c := Config{
		Command: args[0], DataDir: "./herald-data", HTTPAddr: "127.0.0.1:8080",
		TemporalPort: 7233, UIPort: 8233, TemporalAddress: "127.0.0.1:7233",
		TemporalNamespace: "default", TaskQueue: "herald", LogLevel: "info",
		AllowPrivateTargets:  args[0] == "dev" || args[0] == "bench",
		DisableAfterFailures: 20, WorkerStopTimeout: 10 * time.Second,
		TemporalRetention: 7 * 24 * time.Hour,
	}
	fs := flag.NewFlagSet("herald "+c.Command, flag.ContinueOnError)
	// Each command takes only the flags it reads, so -h lists what matters
	// and HERALD_* variables meant for another command are not consulted.
	// Bench runs its own embedded Herald and takes only its own flags.
	takes := func(cmds string) bool { return slices.Contains(strings.Fields(cmds), c.Command) }
	if takes("dev serve api worker temporal") {
		fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory of Herald's and Temporal's databases and dev's key files")
		fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error")
		fs.StringVar(&c.TemporalNamespace, "temporal-namespace", c.TemporalNamespace, "Temporal namespace")
	}
	if takes("dev temporal") {
		fs.IntVar(&c.TemporalPort, "temporal-port", c.TemporalPort, "embedded Temporal frontend port")
		fs.IntVar(&c.UIPort, "ui-port", c.UIPort, "Temporal UI port; -1 disables it")
		fs.DurationVar(&c.TemporalRetention, "temporal-retention", c.TemporalRetention, "how long the embedded Temporal keeps closed workflows (set on every start)")
	}
	if takes("serve api worker") {
		fs.StringVar(&c.TemporalAddress, "temporal-address", c.TemporalAddress, "Temporal frontend host:port")
		t := &c.TemporalTLS
		fs.BoolVar(&t.Enabled, "temporal-tls", false, "connect to Temporal over TLS (implied by the other --temporal-tls-* flags and --temporal-api-key)")
		fs.StringVar(&t.CAFile, "temporal-tls-ca", "", "PEM file of the CA certificates that sign Temporal's (default: the system's roots)")
		fs.StringVar(&t.CertFile, "temporal-tls-cert", "", "PEM client certificate for mTLS, with --temporal-tls-key")
		fs.StringVar(&t.KeyFile, "temporal-tls-key", "", "PEM private key of --temporal-tls-cert")
		fs.StringVar(&t.ServerName, "temporal-tls-server-name", "", "the name Temporal's certificate must carry, if not the address's host")
		fs.StringVar(&t.APIKey, "temporal-api-key", "", "Temporal API key, sent as a bearer token over TLS (prefer HERALD_TEMPORAL_API_KEY)")
	}
	if takes("dev serve api worker") {
		fs.StringVar(&c.HTTPAddr, "http-addr", c.HTTPAddr, "address of the HTTP API (worker: /metrics, /healthz and /readyz only)")
		fs.StringVar(&c.TaskQueue, "task-queue", c.TaskQueue, "Temporal task queue")
		fs.StringVar(&c.DatabaseURL, "database-url", "", "sqlite:///path/herald.db or postgres://user@host/db (default sqlite in <data dir>/herald.db)")
		fs.StringVar(&c.EncryptionKey, "encryption-key", "", "base64 AES-256 key for secrets at rest (prefer HERALD_ENCRYPTION_KEY; dev creates <data dir>/encryption.key)")
		fs.StringVar(&c.PreviousKey, "encryption-key-previous", "", "the key before a rotation: still decrypts, while start-up re-encrypts with the new one")
		fs.BoolVar(&c.AllowPrivateTargets, "allow-private-targets", c.AllowPrivateTargets, "allow webhooks to loopback and private addresses")
		fs.StringVar(&c.SlackAPIURL, "slack-api-url", "", "Slack Web API base URL (default https://slack.com/api/)")
		fs.StringVar(&c.DiscordAPIURL, "discord-api-url", "", "Discord API base URL (default https://discord.com/api/v9/)")
		fs.StringVar(&c.TelegramAPIURL, "telegram-api-url", "", "Telegram Bot API base URL (default https://api.telegram.org)")
	}
	if takes("dev serve api") {
		fs.StringVar(&c.AdminKey, "admin-key", "", "an API key with the admin scope (prefer HERALD_ADMIN_KEY)")
	}
	if takes("dev serve worker") {
		fs.IntVar(&c.DisableAfterFailures, "disable-after-failures", c.DisableAfterFailures, "disable a webhook after this many consecutive failed deliveries")
		fs.DurationVar(&c.WorkerStopTimeout, "worker-stop-timeout", c.WorkerStopTimeout, "how long in-flight deliveries may finish on shutdown")
	}
	if c.Command == "bench" {
		c.Bench.flags(fs)
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, reportedError{err}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		env := "HERALD_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(env); v != "" && !set[f.Name] {
			if err := f.Value.Set(v); err != nil && envErr == nil {
				envErr = fmt.Errorf("%s: %w", env, err)
			}
		}
	})
	if envErr != nil {
		return c, envErr
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return c, c.Validate()
}

// Validate checks the combination of settings.
func (c *Config) Validate() error {
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite://" + filepath.Join(c.DataDir, "herald.db")
	}
	if !strings.HasPrefix(c.DatabaseURL, "sqlite://") && !c.isPostgres() {
		return fmt.Errorf("--database-url: want sqlite:///path or postgres://..., got %q", redactURL(c.DatabaseURL))
	}
	if c.TemporalPort < 0 || c.TemporalPort > 65535 || c.UIPort < -1 || c.UIPort > 65535 {
		return errors.New("--temporal-port and --ui-port must be valid ports")
	}
	if c.TaskQueue == "" || c.TemporalNamespace == "" {
		return errors.New("--task-queue and --temporal-namespace must not be empty")
	}
	if c.DisableAfterFailures < 0 {
		return errors.New("--disable-after-failures must not be negative")
	}
	if c.WorkerStopTimeout <= 0 {
		return errors.New("--worker-stop-timeout must be positive")
	}
	if c.TemporalRetention != 0 && c.TemporalRetention < time.Hour {
		return errors.New("--temporal-retention must be at least 1h (Temporal's minimum)")
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return fmt.Errorf("--log-level: want debug, info, warn or error, got %q", c.LogLevel)
	}
	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil || !validPort(port) {
		return fmt.Errorf("--http-addr: want host:port (port 0 to 65535), got %q", c.HTTPAddr)
	}
	// Keys pasted into environment files often carry a trailing newline.
	c.AdminKey = strings.TrimSpace(c.AdminKey)
	c.EncryptionKey = strings.TrimSpace(c.EncryptionKey)
	c.PreviousKey = strings.TrimSpace(c.PreviousKey)
	c.TemporalTLS.APIKey = strings.TrimSpace(c.TemporalTLS.APIKey)
	if err := c.TemporalTLS.validate(); err != nil {
		return err
	}
	if c.Command == "bench" {
		return c.Bench.validate()
	}
	return nil
}

func validPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 0 && n <= 65535
}

// isPostgres reports whether the database URL names PostgreSQL.
func (c *Config) isPostgres() bool {
	return strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://")
}

// sqlitePath is the file of a sqlite:// URL.
func (c *Config) sqlitePath() string { return strings.TrimPrefix(c.DatabaseURL, "sqlite://") }

// redactURL shows a database URL without what could be a password: the
// user information and every query value.
func redactURL(s string) string {
	scheme, _, isURL := strings.Cut(s, "://")
	u, err := url.Parse(s)
	switch {
	case !isURL:
		// A key=value DSN or a MySQL-style one: any part may be the
		// password.
		return "(not a URL)"
	case err != nil:
		return scheme + "://(unparsable)"
	}
	if u.User != nil {
		u.User = url.User("***")
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			q[k] = []string{"***"}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

func usage() string {
	var b strings.Builder
	b.WriteString("usage: herald <command> [flags]\n\ncommands:\n")
	for _, name := range []string{"dev", "serve", "api", "worker", "temporal", "bench"} {
		fmt.Fprintf(&b, "  %-9s %s\n", name, commands[name])
	}
	b.WriteString("\nrun 'herald <command> -h' for its flags; every flag also reads HERALD_<FLAG>.")
	return b.String()
}

// reportedError is a command-line error the flag package has printed
// already, with the usage: main exits without printing it again.
type reportedError struct{ error }

func (e reportedError) Unwrap() error { return e.error }
