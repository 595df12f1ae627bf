package devserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"go.temporal.io/server/common/log/tag"
)

func TestWarnLogger(t *testing.T) {
	canceled := fmt.Errorf("poll: %w", context.Canceled)
	tests := []struct {
		name      string
		log       func(l warnLogger)
		wantLevel string // "" means nothing is written
		wantAttrs map[string]any
	}{
		{"info dropped", func(l warnLogger) { l.Info("hello", tag.NewStringTag("k", "v")) }, "", nil},
		{"debug dropped", func(l warnLogger) { l.Debug("hello") }, "", nil},
		{"warn kept with tags", func(l warnLogger) {
			l.With(tag.NewStringTag("service", "history")).Warn("slow", tag.NewInt("shard", 1))
		}, "WARN", map[string]any{"component": "temporal", "service": "history", "shard": float64(1)}},
		{"error tag keeps its text", func(l warnLogger) { l.Error("boom", tag.Error(errors.New("disk full"))) },
			"ERROR", map[string]any{"error": "disk full"}},
		{"fatal neither exits nor panics", func(l warnLogger) { l.Fatal("bad") },
			"ERROR", map[string]any{"temporal_level": "fatal"}},
		{"cancelled poll is routine", func(l warnLogger) { l.Error("Unable to call matching", tag.Error(canceled)) },
			"DEBUG", nil},
		{"http api notice is routine", func(l warnLogger) { l.Warn("HTTP API port has not been set. Nexus ...") },
			"DEBUG", nil},
		{"everything is quiet once stopping", func(l warnLogger) { l.quiet(); l.Warn("Failed to poll for task.") },
			"DEBUG", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.log(newWarnLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))))
			if tt.wantLevel == "" {
				if buf.Len() != 0 {
					t.Fatalf("wrote %s, want nothing", buf.String())
				}
				return
			}
			var rec map[string]any
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatalf("decode %q: %v", buf.String(), err)
			}
			if rec["level"] != tt.wantLevel {
				t.Errorf("level = %v, want %s", rec["level"], tt.wantLevel)
			}
			for k, want := range tt.wantAttrs {
				if rec[k] != want {
					t.Errorf("%s = %#v, want %#v", k, rec[k], want)
				}
			}
		})
	}
}

func TestQuietIsSharedWithDerivedLoggers(t *testing.T) {
	var buf bytes.Buffer
	root := newWarnLogger(slog.New(slog.NewTextHandler(&buf, nil))) // info and above
	child := root.With(tag.NewStringTag("service", "worker"))
	root.quiet()
	child.Warn("Failed to poll for task.")
	if buf.Len() != 0 {
		t.Fatalf("derived logger wrote %q after quiet", buf.String())
	}
}

func TestFatalIsReported(t *testing.T) {
	root := newWarnLogger(slog.New(slog.DiscardHandler))
	child := root.With(tag.NewStringTag("service", "frontend"))
	s := &Server{logger: root}
	if s.Failure() != nil {
		t.Fatal("Failure before any record")
	}
	child.Error("not fatal", tag.Error(errors.New("x")))
	select {
	case <-s.Failed():
		t.Fatal("an Error record closed Failed")
	default:
	}

	cause := errors.New("use of closed network connection")
	child.Fatal("Failed to serve on frontend listener", tag.Error(cause))
	child.Fatal("a second record")
	select {
	case <-s.Failed():
	default:
		t.Fatal("Failed still open after a Fatal record")
	}
	err := s.Failure()
	if !errors.Is(err, cause) || err.Error() != "Failed to serve on frontend listener: use of closed network connection" {
		t.Errorf("Failure() = %v, want the first record with its cause", err)
	}
}

func TestFatalWhileStoppingIsNotReported(t *testing.T) {
	root := newWarnLogger(slog.New(slog.DiscardHandler))
	root.quiet()
	root.With(tag.NewStringTag("service", "matching")).Panic("listener closed")
	if err := (&Server{logger: root}).Failure(); err != nil {
		t.Errorf("Failure() = %v after a record during stop, want nil", err)
	}
}
