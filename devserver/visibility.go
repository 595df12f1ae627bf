package devserver

import (
	"database/sql"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/persistence/serialization"

	_ "modernc.org/sqlite" // the "sqlite" driver Temporal's plugin also uses
)

// unusedVisibilityIndexes are secondary indexes of Temporal's SQLite
// visibility table that serve only list filters Herald's users never need
// on a laptop: custom search-attribute slots no namespace uses, and system
// attributes of schedules, batches, deployments and child workflows.
// Every visibility write maintains each of them (most over JSON-extracted
// generated columns): in a CPU profile of `herald bench` the visibility
// upsert was the most expensive statement of the whole process. Queries on
// these columns still work, by scanning. The keyword slots (by_keyword_02
// to _10) are dropped only while no namespace maps a search attribute to
// them; Temporal picks the slot of each attribute at random, so
// HeraldEvent may sit in any of them.
var unusedVisibilityIndexes = strings.Fields(`
	by_history_length by_history_size_bytes by_execution_duration by_state_transition_count
	by_parent_workflow_id by_parent_run_id by_root_workflow_id by_root_run_id
	by_batcher_user by_temporal_scheduled_start_time by_temporal_scheduled_by_id
	by_temporal_schedule_paused by_temporal_namespace_division by_temporal_pause_info
	by_temporal_worker_deployment_version by_temporal_workflow_versioning_behavior
	by_temporal_worker_deployment
	by_bool_01 by_bool_02 by_bool_03 by_datetime_01 by_datetime_02 by_datetime_03
	by_double_01 by_double_02 by_double_03 by_int_01 by_int_02 by_int_03
	by_keyword_02 by_keyword_03 by_keyword_04 by_keyword_05 by_keyword_06
	by_keyword_07 by_keyword_08 by_keyword_09 by_keyword_10
	by_temporal_bool_01 by_temporal_bool_02 by_temporal_datetime_01 by_temporal_datetime_02
	by_temporal_double_01 by_temporal_double_02 by_temporal_int_01 by_temporal_int_02
	by_temporal_keyword_01 by_temporal_keyword_02 by_temporal_keyword_03 by_temporal_keyword_04
	by_temporal_low_cardinality_keyword_01`)

// indexSearchAttributes trims the visibility indexes to those of the
// search attribute slots the namespaces in cfg.DBPath use.
func indexSearchAttributes(cfg Config) error {
	fields, err := searchAttributeFields(cfg.DBPath)
	if err != nil {
		return err
	}
	return trimVisibilityIndexes(cfg.VisibilityDBPath, fields)
}

// keywordIndex is the visibility index over the Keyword column field
// ("Keyword03"): by_keyword_03.
func keywordIndex(field string) string {
	return "by_keyword_" + strings.TrimPrefix(field, "Keyword")
}

// trimVisibilityIndexes drops unusedVisibilityIndexes from the visibility
// database at path, except the indexes of the keyword columns in inUse
// (field names such as "Keyword03"), which it creates again where an
// earlier trim dropped them. It runs before the server opens the file and
// is a no-op once done.
func trimVisibilityIndexes(path string, inUse map[string]bool) error {
	db, err := sql.Open("sqlite", "file:"+uriPath(path)+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(wal)")
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	keep := map[string]bool{}
	for field := range inUse {
		keep[keywordIndex(field)] = true
	}
	for _, name := range unusedVisibilityIndexes {
		if keep[name] {
			continue
		}
		if _, err := db.Exec(`DROP INDEX IF EXISTS ` + name); err != nil {
			return fmt.Errorf("drop visibility index %s: %w", name, err)
		}
	}
	// The keyword indexes differ only in their column; by_keyword_01,
	// never dropped, is the model for one that has to come back.
	var model string
	if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'by_keyword_01'`).Scan(&model); err != nil {
		return fmt.Errorf("read visibility index by_keyword_01: %w", err)
	}
	for _, field := range slices.Sorted(maps.Keys(inUse)) {
		if !keywordField.MatchString(field) || field == "Keyword01" {
			continue
		}
		ddl := strings.NewReplacer("by_keyword_01", keywordIndex(field), "Keyword01", field).Replace(model)
		ddl = strings.Replace(ddl, "CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1)
		if _, err := db.Exec(ddl); err != nil {
			return fmt.Errorf("create visibility index %s: %w", keywordIndex(field), err)
		}
	}
	return nil
}

// keywordField matches the visibility table's custom Keyword columns.
var keywordField = regexp.MustCompile(`^Keyword(0[1-9]|10)$`)

// searchAttributeFields returns the visibility columns that the custom
// search attributes of any namespace in the Temporal database at path are
// mapped to.
func searchAttributeFields(path string) (map[string]bool, error) {
	db, err := sql.Open("sqlite", "file:"+uriPath(path)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT data, data_encoding FROM namespaces`)
	if err != nil {
		return nil, fmt.Errorf("read namespaces: %w", err)
	}
	defer rows.Close()
	fields := map[string]bool{}
	ser := serialization.NewSerializer()
	for rows.Next() {
		var data []byte
		var encoding string
		if err := rows.Scan(&data, &encoding); err != nil {
			return nil, fmt.Errorf("read namespaces: %w", err)
		}
		enc, err := enumspb.EncodingTypeFromString(encoding)
		if err != nil {
			return nil, fmt.Errorf("decode namespace: %w", err)
		}
		detail, err := ser.NamespaceDetailFromBlob(&commonpb.DataBlob{Data: data, EncodingType: enc})
		if err != nil {
			return nil, fmt.Errorf("decode namespace: %w", err)
		}
		for field := range detail.GetConfig().GetCustomSearchAttributeAliases() {
			fields[field] = true
		}
	}
	return fields, rows.Err()
}
