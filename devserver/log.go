package devserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
	"go.uber.org/zap/zapcore"
)

// warnLogger hands Temporal's server logs to slog. Debug and Info are
// dropped before their tags are evaluated: the embedded server is chatty
// and Herald only wants to hear about trouble.
//
// Warn and Error records that are expected in a development server are
// logged at debug instead (see routine). DPanic, Panic and Fatal are logged
// at error level and neither panic nor exit: an embedded development server
// must not end the host process on its own. Their severity is kept in
// temporal_level. A Panic or Fatal record before the server stops is where
// a standalone Temporal would have died (a listener that stopped serving,
// a task queue in an impossible state), so it is also reported through
// fatal for the host to shut down in order.
type warnLogger struct {
	log      *slog.Logger
	tags     []tag.Tag    // from With, evaluated only when a record is emitted
	stopping *atomic.Bool // shared by every logger derived from one server
	fatal    *fatalReport // shared likewise
}

// fatalReport holds the first Panic or Fatal record of a running server.
type fatalReport struct {
	once sync.Once
	done chan struct{}
	err  error
}

func (f *fatalReport) report(err error) {
	f.once.Do(func() {
		f.err = err
		close(f.done)
	})
}

var (
	_ tlog.Logger     = warnLogger{}
	_ tlog.WithLogger = warnLogger{}
)

func newWarnLogger(l *slog.Logger) warnLogger {
	return warnLogger{
		log:      l.With(slog.String("component", "temporal")),
		stopping: new(atomic.Bool),
		fatal:    &fatalReport{done: make(chan struct{})},
	}
}

// quiet makes every later record from this logger and its descendants a
// debug record. The server calls it when it starts stopping: shutdown
// makes Temporal's internal pollers and clients log a burst of failures.
func (l warnLogger) quiet() { l.stopping.Store(true) }

func (warnLogger) Debug(string, ...tag.Tag) {}
func (warnLogger) Info(string, ...tag.Tag)  {}

func (l warnLogger) Warn(msg string, tags ...tag.Tag) { l.emit(slog.LevelWarn, "", msg, tags) }
func (l warnLogger) Error(msg string, tags ...tag.Tag) {
	l.emit(slog.LevelError, "", msg, tags)
}
func (l warnLogger) DPanic(msg string, tags ...tag.Tag) {
	l.emit(slog.LevelError, "dpanic", msg, tags)
}
func (l warnLogger) Panic(msg string, tags ...tag.Tag) {
	l.emit(slog.LevelError, "panic", msg, tags)
	l.die(msg, tags)
}
func (l warnLogger) Fatal(msg string, tags ...tag.Tag) {
	l.emit(slog.LevelError, "fatal", msg, tags)
	l.die(msg, tags)
}

// die reports a record that would have ended a standalone Temporal, unless
// the server is stopping anyway.
func (l warnLogger) die(msg string, tags []tag.Tag) {
	if l.stopping.Load() {
		return
	}
	err := errors.New(msg)
	for _, t := range append(l.tags[:len(l.tags):len(l.tags)], tags...) {
		if cause, ok := tagValue(t).(error); ok {
			err = fmt.Errorf("%s: %w", msg, cause)
			break
		}
	}
	l.fatal.report(err)
}

// With returns a logger that adds tags to every record.
func (l warnLogger) With(tags ...tag.Tag) tlog.Logger {
	l.tags = append(l.tags[:len(l.tags):len(l.tags)], tags...)
	return l
}

func (l warnLogger) emit(level slog.Level, severity, msg string, tags []tag.Tag) {
	attrs := make([]slog.Attr, 0, len(l.tags)+len(tags)+1)
	if severity != "" {
		attrs = append(attrs, slog.String("temporal_level", severity))
	}
	for _, t := range append(l.tags[:len(l.tags):len(l.tags)], tags...) {
		attrs = append(attrs, slog.Any(t.Key(), tagValue(t)))
	}
	if severity == "" && (l.stopping.Load() || routine(msg, attrs)) {
		level = slog.LevelDebug
	}
	ctx := context.Background()
	if l.log.Enabled(ctx, level) {
		l.log.LogAttrs(ctx, level, msg, attrs...)
	}
}

// routine reports whether a warning or error is expected in normal
// development use and needs no attention:
//   - the notice that the frontend's HTTP API is off (Herald uses gRPC);
//   - failures caused by a cancelled context, which is how a client that
//     stops its workers, or a server that is stopping, ends long polls.
func routine(msg string, attrs []slog.Attr) bool {
	if strings.HasPrefix(msg, "HTTP API port has not been set") {
		return true
	}
	for _, a := range attrs {
		if err, ok := a.Value.Any().(error); ok && strings.Contains(err.Error(), context.Canceled.Error()) {
			return true
		}
	}
	return false
}

// tagValue returns an error tag's error itself, so slog handlers render it
// as usual; other tags give their plain value.
func tagValue(t tag.Tag) any {
	if zt, ok := t.(tag.ZapTag); ok {
		f := zt.Field()
		if err, isErr := f.Interface.(error); isErr && f.Type == zapcore.ErrorType {
			return err
		}
	}
	return t.Value()
}
