package devserver_test

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/heraldhub/herald/devserver"
)

func start(t *testing.T, cfg devserver.Config) *devserver.Server {
	t.Helper()
	cfg.Logger = testLogger()
	begin := time.Now()
	s, err := devserver.Start(ctxT(t), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("Start took %s", time.Since(begin).Round(time.Millisecond))
	return s
}

// TestRestart stops a server and starts another on the same file, as
// `herald dev` does across runs. The second start asks for a longer
// retention and one more search attribute than the first, as an upgraded
// Herald would.
func TestRestart(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "data", "temporal.db")
	first := map[string]enumspb.IndexedValueType{"HeraldEvent": enumspb.INDEXED_VALUE_TYPE_KEYWORD}

	s := start(t, devserver.Config{DBPath: dbPath, UIPort: -1, SearchAttributes: first})
	if s.UIAddress() != "" {
		t.Errorf("UIAddress() = %q with the UI disabled", s.UIAddress())
	}
	c := dial(t, s.FrontendAddress())
	checkNamespace(t, c, 7*24*time.Hour, first)
	if _, err := c.ExecuteWorkflow(ctxT(t), client.StartWorkflowOptions{
		ID: "before-restart", TaskQueue: "nobody-polls",
	}, "Nothing"); err != nil {
		t.Fatalf("start workflow: %v", err)
	}
	c.Close()
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	// Neither running nor stopping is a failure for the host.
	if err := s.Failure(); err != nil {
		t.Errorf("Failure() = %v after a normal run and stop", err)
	}

	s = start(t, devserver.Config{DBPath: dbPath, UIPort: -1, SearchAttributes: searchAttrs, Retention: 30 * 24 * time.Hour})
	t.Cleanup(func() { _ = s.Stop() })
	c = dial(t, s.FrontendAddress())
	checkNamespace(t, c, 30*24*time.Hour, searchAttrs)

	// The workflow from the first run survived.
	desc, err := c.DescribeWorkflowExecution(ctxT(t), "before-restart", "")
	if err != nil {
		t.Fatalf("describe workflow from before the restart: %v", err)
	}
	if st := desc.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t.Errorf("status = %v, want running", st)
	}

	// The attribute added on this start is usable as soon as Start returns.
	if _, err := c.ExecuteWorkflow(ctxT(t), client.StartWorkflowOptions{
		ID: "after-restart", TaskQueue: "nobody-polls",
		TypedSearchAttributes: temporal.NewSearchAttributes(heraldTarget.ValueSet([]string{"wh_1"})),
	}, "Nothing"); err != nil {
		t.Fatalf("start workflow with the new search attribute: %v", err)
	}
}

// TestStartFailureCleansUp makes the UI's port busy so that Start fails
// after the Temporal server is up, and checks that the frontend port is
// released again.
func TestStartFailureCleansUp(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	frontend := freePort(t)

	_, err = devserver.Start(ctxT(t), devserver.Config{
		DBPath:       filepath.Join(t.TempDir(), "temporal.db"),
		FrontendPort: frontend,
		UIPort:       busy.Addr().(*net.TCPAddr).Port,
		Logger:       testLogger(),
	})
	if err == nil {
		t.Fatal("Start succeeded with the UI port taken")
	}
	t.Logf("Start failed as expected: %v", err)
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(frontend)))
	if err != nil {
		t.Fatalf("frontend port still in use after a failed Start: %v", err)
	}
	l.Close()
}

// A second server on files another one uses is refused before it touches
// them.
func TestDatabaseInUse(t *testing.T) {
	s, err := devserver.Start(ctxT(t), devserver.Config{DBPath: sharedDB, UIPort: -1, Logger: testLogger()})
	if err == nil {
		_ = s.Stop()
		t.Fatal("a second server started on the shared server's database")
	}
	if !strings.Contains(err.Error(), "in use") {
		t.Errorf("Start error = %v, want one saying the database is in use", err)
	}
}

func TestFrontendPortBusy(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	_, err = devserver.Start(ctxT(t), devserver.Config{
		DBPath:       filepath.Join(t.TempDir(), "temporal.db"),
		FrontendPort: port,
		UIPort:       -1,
		Logger:       testLogger(),
	})
	if err == nil || !strings.Contains(err.Error(), strconv.Itoa(port)) {
		t.Fatalf("Start error = %v, want one naming port %d", err, port)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  devserver.Config
		want string
	}{
		{"no db path", devserver.Config{}, "DBPath"},
		{"bad ip", devserver.Config{DBPath: dir + "/a.db", IP: "localhost"}, "not an IP"},
		{"ui port", devserver.Config{DBPath: dir + "/a.db", UIPort: -2}, "UIPort"},
		{"frontend port", devserver.Config{DBPath: dir + "/a.db", FrontendPort: 70000}, "FrontendPort"},
		{"retention", devserver.Config{DBPath: dir + "/a.db", Retention: time.Minute}, "Retention"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := devserver.Start(context.Background(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Start error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
