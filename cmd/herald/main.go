// Command herald runs the Herald webhook hub. See the README and SPEC §1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	cfg, err := parseConfig(os.Args[1:], os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		if !errors.As(err, new(reportedError)) {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(2) // usage error
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(cfg Config) error {
	log := newLogger(cfg.LogLevel)
	base, hangUp := context.WithCancel(context.Background())
	defer hangUp()
	ctx, stop := signal.NotifyContext(base, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if !signal.Ignored(syscall.SIGHUP) {
		// A closed terminal stops Herald in order too, unless it was
		// started to ignore that (nohup), which asking for it would undo.
		// The channel stays registered: a closing terminal often sends
		// SIGHUP twice, and the second must not end the shutdown.
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		go func() {
			<-hup
			hangUp()
		}()
	}
	go func() {
		// After the first signal, a second SIGINT or SIGTERM ends the
		// process at once, without waiting for in-flight deliveries or a
		// start-up's cleanup.
		<-ctx.Done()
		stop()
	}()
	if cfg.Command == "bench" {
		return runBench(ctx, cfg)
	}
	m := NewMain(cfg, log, os.Stdout)
	if err := m.Start(ctx); err != nil {
		if ctx.Err() != nil {
			log.Info("interrupted during start-up")
			return nil
		}
		return err
	}
	select {
	case <-ctx.Done():
		log.Info("shutting down; interrupt again to stop at once")
		m.Close()
		return nil
	case <-m.TemporalFailed():
		err := m.temporal.Failure()
		log.Error("embedded Temporal server failed; shutting down", "error", err)
		m.Close()
		return fmt.Errorf("embedded Temporal server failed: %w", err)
	case <-m.WorkerFailed():
		// A supervisor restarts the process; one that went on would
		// accept events and deliver none.
		err := m.WorkerFailure()
		log.Error("the Temporal worker stopped; shutting down", "error", err)
		m.Close()
		return fmt.Errorf("temporal worker stopped: %w", err)
	}
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level)) // checked by Validate
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}
