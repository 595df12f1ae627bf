package devserver

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
)

// A new database puts HeraldEvent in the first keyword slot, whose index
// its filter uses. On older databases Temporal picked the slot at random:
// whichever slot a namespace uses keeps its index, slots nobody uses lose
// theirs, and an index dropped by an earlier start comes back once a
// namespace uses its slot.
// The data dir's name holds the characters that end or escape the path of
// an SQLite URI.
func TestVisibilityIndexesFollowSearchAttributes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data #1?%41")
	cfg := Config{
		DBPath: filepath.Join(dir, "temporal.db"), VisibilityDBPath: filepath.Join(dir, "temporal-visibility.db"),
		Namespace: "default", Retention: 7 * 24 * time.Hour,
		SearchAttributes: map[string]enumspb.IndexedValueType{
			"HeraldEvent":  enumspb.INDEXED_VALUE_TYPE_KEYWORD,
			"HeraldTarget": enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
		},
	}
	if err := prepareDB(cfg, sqlConfig(cfg.DBPath)); err != nil {
		t.Fatal(err)
	}
	if err := prepareSchema(cfg.VisibilityDBPath, sqlConfig(cfg.VisibilityDBPath), false); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) < 2 || !strings.HasPrefix(strings.Join(names, " "), "temporal") {
		t.Fatalf("files in the data dir: %q, want Temporal's two databases", names)
	}

	fields, err := searchAttributeFields(cfg.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	var keyword string
	for f := range fields {
		if keywordField.MatchString(f) {
			keyword = f
		}
	}
	if len(fields) != 2 || !fields["Keyword01"] || !fields["KeywordList01"] {
		t.Fatalf("search attribute slots %v, want Keyword01 (HeraldEvent) and KeywordList01 (HeraldTarget)", fields)
	}
	if err := indexSearchAttributes(cfg); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+uriPath(cfg.VisibilityDBPath)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var plan string
	rows, err := db.Query(`EXPLAIN QUERY PLAN SELECT run_id FROM executions_visibility WHERE namespace_id = 'ns' AND ` + keyword + ` = 'user.created'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan += detail + "; "
	}
	rows.Close()
	if !strings.Contains(plan, keywordIndex(keyword)) {
		t.Errorf("filter on %s (HeraldEvent) runs as %q, want it to use %s", keyword, plan, keywordIndex(keyword))
	}

	// Slot 05 alone in use, then slot 06 alone: 06 was dropped by the
	// first trim and comes back, over its own column.
	for _, f := range []string{"Keyword05", "Keyword06"} {
		if err := trimVisibilityIndexes(cfg.VisibilityDBPath, map[string]bool{f: true}); err != nil {
			t.Fatal(err)
		}
	}
	got := keywordIndexes(t, db)
	if got["by_keyword_05"] != "" || !strings.Contains(got["by_keyword_06"], "Keyword06,") || got["by_keyword_01"] == "" || len(got) != 2 {
		t.Errorf("keyword indexes %v, want by_keyword_01 and by_keyword_06 over Keyword06", got)
	}
}

// keywordIndexes maps the visibility database's by_keyword_NN indexes to
// their SQL.
func keywordIndexes(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	rows, err := db.Query(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name LIKE 'by_keyword_%'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, ddl string
		if err := rows.Scan(&name, &ddl); err != nil {
			t.Fatal(err)
		}
		out[name] = ddl
	}
	return out
}
