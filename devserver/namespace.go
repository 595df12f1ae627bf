package devserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/config"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"google.golang.org/protobuf/types/known/durationpb"
)

// prepareDB creates the schema when the file is new and the namespace when
// it is missing, both before the server starts. A namespace created here
// already has cfg.Retention and cfg.SearchAttributes, so a fresh database
// needs no catching up after start.
func prepareDB(cfg Config, sql *config.SQL) error {
	if err := prepareSchema(cfg.DBPath, sql, true); err != nil {
		return err
	}

	ns, err := sqliteschema.NewNamespaceConfig(clusterName, cfg.Namespace, false, cfg.SearchAttributes)
	if err != nil {
		return fmt.Errorf("namespace %q: %w", cfg.Namespace, err)
	}
	ns.Detail.Config.Retention = durationpb.New(cfg.Retention)
	// Temporal puts each attribute in a random free slot of its type;
	// the first slots instead keep a new database's layout the same on
	// every machine, with HeraldEvent on Keyword01.
	ns.Detail.Config.CustomSearchAttributeAliases = firstSlots(cfg.SearchAttributes)
	// A no-op when the namespace exists (schema/sqlite/setup.go,
	// createNamespaceIfNotExists); ensureNamespace settles the rest.
	if err := sqliteschema.CreateNamespaces(sql, ns); err != nil {
		return fmt.Errorf("create namespace %q: %w", cfg.Namespace, err)
	}
	return nil
}

// firstSlots maps search attributes, in name order, to the lowest-numbered
// visibility columns of their types: field name ("Keyword01") to alias.
func firstSlots(attrs map[string]enumspb.IndexedValueType) map[string]string {
	used := map[enumspb.IndexedValueType]int{}
	out := make(map[string]string, len(attrs))
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		typ := attrs[name]
		used[typ]++
		out[fmt.Sprintf("%s%02d", typ.String(), used[typ])] = name
	}
	return out
}

// prepareSchema creates Temporal's schema in the database at path when
// it holds nothing worth keeping (unusedDB): it is new, or a start was
// killed while it built the schema (a second Ctrl-C, the OOM killer, a
// power cut), which would otherwise stop every later start. The schema is
// built in place, over the connection the server then uses: Temporal's
// SQLite plugin keeps one per file name open for the life of the process,
// so a file built under another name and renamed would stay open twice. A
// new file is readable by its owner only: it will hold event data. main
// says whether path is the main database, which holds the namespaces.
func prepareSchema(path string, sql *config.SQL, main bool) error {
	if _, done := prepared.Load(sql.DatabaseName); done {
		// The plugin holds this file open since: a file removed now would
		// live on, written through that connection, until the process ends.
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create directory for %s: %w", path, err)
	}
	unused, err := unusedDB(path, main)
	if err != nil {
		return err
	}
	if unused {
		// What the interrupted build left; a WAL left without its
		// database must not be applied to the new one.
		removeDB(path)
		if err := createPrivate(path); err != nil {
			return err
		}
		if err := sqliteschema.SetupSchema(sql); err != nil {
			removeDB(path)
			return fmt.Errorf("create temporal schema in %s: %w", path, err)
		}
	}
	prepared.Store(sql.DatabaseName, true)
	return nil
}

// prepared holds the database names prepareSchema built or kept in this
// process: from then on it leaves them alone.
var prepared sync.Map

// unusedDB reports whether the database at path holds nothing worth
// keeping: there is none, or it has no tables (an empty file), or it has
// Temporal's first table, namespaces, and either (the main database) no
// row in it or (the visibility database) no executions_visibility table.
// No server ever ran on such a file: Herald creates its namespace, and the
// server its system one, before anything else is written, and only once
// the whole schema is there; the schema's visibility part comes last. A
// database without a namespaces table is not Temporal's, and is kept.
// (A Temporal upgrade that renamed these tables would have to revisit
// this.)
func unusedDB(path string, main bool) (bool, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return true, nil
	} else if err != nil {
		return false, fmt.Errorf("stat %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", "file:"+uriPath(path)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return false, fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	var tables, namespaceTables, visibilityTables int
	err = db.QueryRow(`SELECT count(*),
		count(*) FILTER (WHERE type = 'table' AND name = 'namespaces'),
		count(*) FILTER (WHERE type = 'table' AND name = 'executions_visibility')
		FROM sqlite_master`).Scan(&tables, &namespaceTables, &visibilityTables)
	switch {
	case err != nil:
		return false, fmt.Errorf("read %s: %w", path, err)
	case tables == 0:
		return true, nil
	case namespaceTables == 0:
		return false, nil
	case !main:
		return visibilityTables == 0, nil
	}
	var namespaces int
	if err := db.QueryRow(`SELECT count(*) FROM namespaces`).Scan(&namespaces); err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	return namespaces == 0, nil
}

// createPrivate creates an empty file at path with mode 0600. SQLite
// gives its WAL and shared-memory files the database file's mode.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	return f.Close()
}

func removeDB(path string) {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		_ = os.Remove(p)
	}
}

// ensureNamespace brings an existing namespace in line with cfg through the
// running frontend: retention set to cfg.Retention, and every configured
// search attribute registered. Waits until the frontend accepts newly added
// search attributes, so that workflows can be started with them as soon as
// Start returns. It reports whether it added any.
func ensureNamespace(ctx context.Context, c client.Client, cfg Config) (added bool, err error) {
	wf := c.WorkflowService()
	desc, err := wf.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: cfg.Namespace})
	if err != nil {
		return false, fmt.Errorf("describe namespace %q: %w", cfg.Namespace, err)
	}
	if desc.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration() != cfg.Retention {
		// CreateNamespaces leaves an existing namespace alone, so this is
		// how a changed retention reaches an old database.
		_, err := wf.UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
			Namespace: cfg.Namespace,
			Config: &namespacepb.NamespaceConfig{
				WorkflowExecutionRetentionTtl: durationpb.New(cfg.Retention),
			},
		})
		if err != nil {
			return false, fmt.Errorf("set retention of namespace %q: %w", cfg.Namespace, err)
		}
	}

	names, err := addSearchAttributes(ctx, c.OperatorService(), cfg)
	if err != nil {
		return false, err
	}
	return len(names) > 0, waitSearchAttributes(ctx, wf, cfg.Namespace, names)
}

// addSearchAttributes registers the configured search attributes that the
// namespace lacks and returns their names. One already registered with
// another type is an error: Temporal cannot change it in place.
func addSearchAttributes(ctx context.Context, op operatorservice.OperatorServiceClient, cfg Config) ([]string, error) {
	if len(cfg.SearchAttributes) == 0 {
		return nil, nil
	}
	list, err := op.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: cfg.Namespace})
	if err != nil {
		return nil, fmt.Errorf("list search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, want := range cfg.SearchAttributes {
		got, ok := list.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing[name] = want
		case got != want:
			return nil, fmt.Errorf("search attribute %s is registered as %s, want %s", name, got, want)
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	_, err = op.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        cfg.Namespace,
		SearchAttributes: missing,
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return nil, fmt.Errorf("add search attributes: %w", err)
	}
	names := make([]string, 0, len(missing))
	for name := range missing {
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// waitSearchAttributes polls until the frontend's namespace cache knows the
// given search attributes. A visibility query naming an unknown attribute
// is rejected as invalid, so a query that passes proves the alias is loaded.
func waitSearchAttributes(ctx context.Context, wf workflowservice.WorkflowServiceClient, namespace string, names []string) error {
	for _, name := range names {
		query := fmt.Sprintf("`%s` IS NULL", name)
		for {
			_, err := wf.CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{
				Namespace: namespace,
				Query:     query,
			})
			var invalid *serviceerror.InvalidArgument
			if err == nil {
				break
			}
			if !errors.As(err, &invalid) {
				return fmt.Errorf("check search attribute %s: %w", name, err)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("search attribute %s not visible yet: %w", name, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}
