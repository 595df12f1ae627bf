package devserver

import (
	"database/sql"
	"fmt"
	"strings"

	_ "modernc.org/sqlite" // the "sqlite" driver Temporal's plugin also uses
)

// unusedVisibilityIndexes are secondary indexes of Temporal's SQLite
// visibility table that serve only list filters Herald's users never need
// on a laptop: custom search-attribute slots beyond the first keyword, and
// system attributes of schedules, batches, deployments and child workflows.
// Every visibility write maintains each of them (most over JSON-extracted
// generated columns): in a CPU profile of `herald bench` the visibility
// upsert was the most expensive statement of the whole process. Queries on
// these columns still work, by scanning. Herald's own search attributes
// map to Keyword01 and KeywordList01 (a full-text table), which keep their
// indexes.
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

// trimVisibilityIndexes drops unusedVisibilityIndexes from the visibility
// database at path. It runs before the server opens the file and is a no-op
// once done.
func trimVisibilityIndexes(path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(wal)")
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	for _, name := range unusedVisibilityIndexes {
		if _, err := db.Exec(`DROP INDEX IF EXISTS ` + name); err != nil {
			return fmt.Errorf("drop visibility index %s: %w", name, err)
		}
	}
	return nil
}
