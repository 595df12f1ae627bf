// Package storetest is the conformance suite every store.Store
// implementation must pass. An implementation's test calls Run with a
// function that opens a fresh, empty store:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "herald.db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { db.Close() })
//			return db
//		})
//	}
//
// The contract is in store.go's comments; the suite checks it, including
// what callers rely on beyond the method signatures: empty IDs and zero
// times are filled in and written back, UpdateWebhook sets UpdatedAt,
// keeps CreatedAt and refuses a copy older than the stored row, RecordAttempt fills empty log fields from the delivery,
// malformed cursors and unknown filters are invalid, ListLogs with AfterID
// follows recording order, not ID order, and times survive a round trip to
// at least the microsecond.
package storetest

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

// Run runs every conformance test as a subtest of t. open is called once per
// subtest and must return an empty store; it should close the store with
// t.Cleanup. Subtests do not run in parallel.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Ping", testPing},
		{"Webhook/CreateGet", testWebhookCreateGet},
		{"Webhook/FillsIDAndTimes", testWebhookFills},
		{"Webhook/DuplicateID", testWebhookDuplicate},
		{"Webhook/NotFound", testWebhookNotFound},
		{"Webhook/Update", testWebhookUpdate},
		{"Webhook/UpdateFromStaleCopy", testWebhookStaleEdit},
		{"Webhook/Delete", testWebhookDelete},
		{"Webhook/DeleteKeepsHistory", testWebhookDeleteKeepsHistory},
		{"Webhook/ListPages", testWebhookListPages},
		{"Webhook/ListEnabled", testWebhookListEnabled},
		{"Webhook/Disable", testWebhookDisable},
		{"Webhook/ResultCounts", testWebhookResultCounts},
		{"Webhook/ResultDisablesAtThreshold", testWebhookResultDisables},
		{"Webhook/ResultRace", testWebhookResultRace},
		{"Webhook/PreviousSecret", testWebhookPreviousSecret},
		{"Targets/Version", testTargetsVersion},
		{"Delivery/ListFailed", testFailedDeliveries},
		{"Delivery/Reopen", testDeliveryReopen},
		{"Delivery/CountFailureOnce", testCountDeliveryFailure},
		{"Delivery/UnstartedEvents", testUnstartedEvents},
		{"RateLimit/Holds", testRateHolds},
		{"Source/CreateGet", testSourceCreateGet},
		{"Connector/CRUD", testConnectorCRUD},
		{"Connector/ListPages", testConnectorListPages},
		{"Connector/ResultDisables", testConnectorResult},
		{"Connector/UpdateFromStaleCopy", testConnectorStaleEdit},
		{"Targets/DisablingStopsPending", testDisablingStopsPending},
		{"Event/CreateGet", testEventCreateGet},
		{"Event/FillsIDsAndTimes", testEventFills},
		{"Event/ClientIDIdempotent", testEventIdempotent},
		{"Event/EmptyClientIDs", testEventEmptyClientIDs},
		{"Event/ClientIDRace", testEventRace},
		{"Event/Conflicts", testEventConflicts},
		{"Event/NotFound", testEventNotFound},
		{"Event/Delete", testEventDelete},
		{"Event/ListPagesAndFilters", testEventList},
		{"Delivery/ListOrder", testDeliveryListOrder},
		{"Attempt/CountsAndStatuses", testAttemptCounts},
		{"Attempt/FillsLogFields", testAttemptFills},
		{"Attempt/Errors", testAttemptErrors},
		{"Attempt/StateOnlyKeepsLast", testAttemptStateOnlyKeepsLast},
		{"Attempt/LateWrites", testAttemptLateWrites},
		{"Attempt/SuccessResetsFailures", testAttemptSuccessResetsFailures},
		{"Attempt/StaleGeneration", testAttemptStaleGeneration},
		{"Log/GetRoundTrip", testLogRoundTrip},
		{"Log/Filters", testLogFilters},
		{"Log/ListPages", testLogPages},
		{"Log/AfterID", testLogAfterID},
		{"Log/AfterIDRecordingOrder", testLogAfterIDRecordingOrder},
		{"APIKey/CreateGetByHash", testKeyCreateGet},
		{"APIKey/Conflicts", testKeyConflicts},
		{"APIKey/ListDeleteCount", testKeyListDeleteCount},
		{"Writes/Cancelled", testCancelledWrites},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// t0 is the base time of fixtures: in the past, microsecond precision.
var t0 = time.Date(2024, 5, 17, 21, 4, 5, 401118000, time.UTC)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantCode fails unless err carries a *herald.Error with code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %s", what, code)
	}
	if got := herald.ErrorCode(err); got != code {
		t.Fatalf("%s: error %q has code %s, want %s", what, err, got, code)
	}
}

// sameTime fails unless got and want are within a microsecond.
func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if d := got.Sub(want); d >= time.Microsecond || d <= -time.Microsecond {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// recent fails unless tm is within a minute of now.
func recent(t *testing.T, what string, tm time.Time) {
	t.Helper()
	if d := time.Since(tm); d < -time.Minute || d > time.Minute {
		t.Errorf("%s = %v, want about now", what, tm)
	}
}

func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// sameJSON fails unless got and want are equivalent JSON (or both absent).
func sameJSON(t *testing.T, what string, got, want json.RawMessage) {
	t.Helper()
	if (got == nil) != (want == nil) {
		t.Errorf("%s = %s, want %s", what, got, want)
		return
	}
	if got == nil {
		return
	}
	var g, w any
	if json.Unmarshal(got, &g) != nil || json.Unmarshal(want, &w) != nil || !reflect.DeepEqual(g, w) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

func hasPrefix(t *testing.T, what, id, prefix string) {
	t.Helper()
	if !strings.HasPrefix(id, prefix) || len(id) <= len(prefix) {
		t.Errorf("%s = %q, want an ID starting with %q", what, id, prefix)
	}
}

// allPages walks a list with the given page size and returns each page.
func allPages[T any](t *testing.T, limit int, list func(store.Page) ([]T, string, error)) [][]T {
	t.Helper()
	var pages [][]T
	cursor := ""
	for range 100 {
		items, next, err := list(store.Page{Limit: limit, Cursor: cursor})
		must(t, err)
		if len(items) > limit {
			t.Fatalf("page of %d items, limit %d", len(items), limit)
		}
		pages = append(pages, items)
		if next == "" {
			return pages
		}
		cursor = next
	}
	t.Fatal("more than 100 pages")
	return nil
}

// pageIDs is the IDs of each page, and the page sizes.
func pageIDs[T any](pages [][]T, id func(T) string) (ids []string, sizes []int) {
	for _, p := range pages {
		sizes = append(sizes, len(p))
		for _, v := range p {
			ids = append(ids, id(v))
		}
	}
	return ids, sizes
}

// sortedDesc returns a sorted copy of ids, largest first.
func sortedDesc(ids []string) []string {
	s := slices.Clone(ids)
	slices.Sort(s)
	slices.Reverse(s)
	return s
}

// sortedAsc returns a sorted copy of ids.
func sortedAsc(ids []string) []string {
	s := slices.Clone(ids)
	slices.Sort(s)
	return s
}
