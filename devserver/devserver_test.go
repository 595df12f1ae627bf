package devserver_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/grpc"

	"github.com/heraldhub/herald/devserver"
)

var (
	heraldEvent  = temporal.NewSearchAttributeKeyKeyword("HeraldEvent")
	heraldTarget = temporal.NewSearchAttributeKeyKeywordList("HeraldTarget")
	searchAttrs  = map[string]enumspb.IndexedValueType{
		"HeraldEvent":  enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"HeraldTarget": enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
	}
)

const sharedRetention = 10 * 24 * time.Hour

// shared is the one server most tests in this package use, on the
// database file sharedDB.
var (
	shared   *devserver.Server
	sharedDB string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "devserver-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)

	begin := time.Now()
	sharedDB = filepath.Join(dir, "temporal.db")
	shared, err = devserver.Start(context.Background(), devserver.Config{
		DBPath:           sharedDB,
		Retention:        sharedRetention,
		SearchAttributes: searchAttrs,
		Logger:           testLogger(),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start dev server:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "dev server on a new file started in %s\n", time.Since(begin).Round(time.Millisecond))
	defer func() {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop dev server:", err)
		}
	}()
	return m.Run()
}

func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func dial(t *testing.T, addr string, opts ...grpc.DialOption) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{
		HostPort:          addr,
		Logger:            sdklog.NewStructuredLogger(testLogger()),
		ConnectionOptions: client.ConnectionOptions{DialOptions: opts},
	})
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(c.Close)
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// checkNamespace asserts the retention and the custom search attributes of
// the default namespace.
func checkNamespace(t *testing.T, c client.Client, retention time.Duration, want map[string]enumspb.IndexedValueType) {
	t.Helper()
	ctx := ctxT(t)
	desc, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	if err != nil {
		t.Fatalf("describe namespace: %v", err)
	}
	if got := desc.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); got != retention {
		t.Errorf("retention = %s, want %s", got, retention)
	}
	list, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "default"})
	if err != nil {
		t.Fatalf("list search attributes: %v", err)
	}
	for name, typ := range want {
		if got, ok := list.GetCustomAttributes()[name]; !ok || got != typ {
			t.Errorf("search attribute %s = %v (present %t), want %v", name, got, ok, typ)
		}
	}
}

func TestNamespaceRetentionAndSearchAttributes(t *testing.T) {
	checkNamespace(t, dial(t, shared.FrontendAddress()), sharedRetention, searchAttrs)
}

func TestUIServesHTML(t *testing.T) {
	if !strings.HasPrefix(shared.UIAddress(), "http://127.0.0.1:") {
		t.Fatalf("UIAddress() = %q", shared.UIAddress())
	}
	resp, err := http.Get(shared.UIAddress() + "/")
	if err != nil {
		t.Fatalf("GET /: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q, want text/html", ct)
	}
	if !strings.Contains(strings.ToLower(string(body)), "<html") {
		t.Errorf("body is not an HTML page: %.200s", body)
	}
}

func greet(ctx workflow.Context, name string) (string, error) {
	return "hello " + name, nil
}

// eagerSpy records whether StartWorkflowExecution answered with an eager
// workflow task, which is how the server confirms eager start.
type eagerSpy struct{ eager atomic.Bool }

func (s *eagerSpy) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	err := invoker(ctx, method, req, reply, cc, opts...)
	if r, ok := reply.(*workflowservice.StartWorkflowExecutionResponse); ok && r.GetEagerWorkflowTask() != nil {
		s.eager.Store(true)
	}
	return err
}

func TestEagerStartWithSearchAttributes(t *testing.T) {
	var spy eagerSpy
	c := dial(t, shared.FrontendAddress(), grpc.WithChainUnaryInterceptor(spy.intercept))
	w := worker.New(c, "devserver-test", worker.Options{})
	w.RegisterWorkflow(greet)
	if err := w.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	t.Cleanup(w.Stop)

	ctx := ctxT(t)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:               "event/evt_test",
		TaskQueue:        "devserver-test",
		EnableEagerStart: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			heraldEvent.ValueSet("user.created"),
			heraldTarget.ValueSet([]string{"wh_1", "con_2"}),
		),
	}, greet, "herald")
	if err != nil {
		t.Fatalf("start workflow: %v", err)
	}
	var got string
	if err := run.Get(ctx, &got); err != nil {
		t.Fatalf("workflow result: %v", err)
	}
	if got != "hello herald" {
		t.Errorf("result = %q", got)
	}
	if !spy.eager.Load() {
		t.Error("the server did not start the workflow eagerly")
	}

	// The attributes are queryable, as the UI's filters need.
	query := `HeraldEvent = "user.created" AND HeraldTarget = "con_2"`
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err != nil {
			t.Fatalf("list workflows: %v", err)
		}
		if len(resp.GetExecutions()) == 1 && resp.GetExecutions()[0].GetExecution().GetWorkflowId() == "event/evt_test" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("query %q found %d executions", query, len(resp.GetExecutions()))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
