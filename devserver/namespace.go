package devserver

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
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
	if err := prepareSchema(cfg.DBPath, sql); err != nil {
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

// prepareSchema creates Temporal's schema when the file at path is new.
func prepareSchema(path string, sql *config.SQL) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create directory for %s: %w", path, err)
	}
	_, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := sqliteschema.SetupSchema(sql); err != nil {
			// Leave no half-built file behind: the next start would take
			// it for a complete database.
			removeDB(path)
			return fmt.Errorf("create temporal schema in %s: %w", path, err)
		}
	case err != nil:
		return fmt.Errorf("stat %s: %w", path, err)
	}
	return nil
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
