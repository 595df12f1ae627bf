package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

func testWebhookDisable(t *testing.T, s store.Store) {
	ctx := t.Context()
	w := createWebhook(t, s, newWebhook())
	other := createWebhook(t, s, newWebhook())
	stale, err := s.GetWebhook(ctx, w.ID) // what a delivery worker loaded earlier
	must(t, err)
	// Meanwhile the webhook is edited through the API.
	edited := *stale
	edited.URL, edited.ConsecutiveFailures = "https://moved.example/hooks", 4
	must(t, s.UpdateWebhook(ctx, &edited))

	must(t, s.DisableWebhook(ctx, stale.ID, "receiver answered 410 Gone"))
	got, err := s.GetWebhook(ctx, w.ID)
	must(t, err)
	recent(t, "UpdatedAt after DisableWebhook", got.UpdatedAt)
	want := edited
	want.Enabled, want.DisabledReason, want.UpdatedAt = false, strp("receiver answered 410 Gone"), got.UpdatedAt
	checkWebhook(t, got, &want)

	got, err = s.GetWebhook(ctx, other.ID)
	must(t, err)
	checkWebhook(t, got, other)
	wantCode(t, "DisableWebhook of a missing webhook",
		s.DisableWebhook(ctx, herald.NewID(herald.PrefixWebhook), "gone"), herald.ENotFound)
}

// resultStep is one RecordWebhookResult call and the webhook after it.
type resultStep struct {
	success      bool
	disableAfter int
	disabled     bool // what the call returns
	failures     int
	enabled      bool
}

// runResultSteps applies steps to webhook id in order.
func runResultSteps(t *testing.T, s store.Store, id string, steps []resultStep) {
	t.Helper()
	for i, st := range steps {
		disabled, err := s.RecordWebhookResult(t.Context(), id, st.success, st.disableAfter)
		must(t, err)
		got, err := s.GetWebhook(t.Context(), id)
		must(t, err)
		equal(t, fmt.Sprintf("step %d: disabled, failures, enabled", i),
			[]any{disabled, got.ConsecutiveFailures, got.Enabled}, []any{st.disabled, st.failures, st.enabled})
	}
}

func testWebhookResultCounts(t *testing.T, s store.Store) {
	w := createWebhook(t, s, newWebhook())
	runResultSteps(t, s, w.ID, []resultStep{
		{success: false, disableAfter: 0, failures: 1, enabled: true},
		{success: false, disableAfter: 0, failures: 2, enabled: true},
		{success: true, disableAfter: 0, failures: 0, enabled: true},
		{success: true, disableAfter: 3, failures: 0, enabled: true},
		{success: false, disableAfter: 3, failures: 1, enabled: true},
		{success: false, disableAfter: 3, failures: 2, enabled: true},
		{success: true, disableAfter: 3, failures: 0, enabled: true},
		{success: false, disableAfter: 3, failures: 1, enabled: true},
	})
	got, err := s.GetWebhook(t.Context(), w.ID)
	must(t, err)
	sameTime(t, "UpdatedAt after counting", got.UpdatedAt, w.UpdatedAt)
	equal(t, "disabled reason", got.DisabledReason, (*string)(nil))

	zero := createWebhook(t, s, newWebhook())
	for range 30 {
		disabled, err := s.RecordWebhookResult(t.Context(), zero.ID, false, 0)
		must(t, err)
		if disabled {
			t.Fatal("disableAfter 0 disabled the webhook")
		}
	}
	got, err = s.GetWebhook(t.Context(), zero.ID)
	must(t, err)
	equal(t, "disableAfter 0: failures, enabled", []any{got.ConsecutiveFailures, got.Enabled}, []any{30, true})

	for _, success := range []bool{false, true} {
		disabled, err := s.RecordWebhookResult(t.Context(), herald.NewID(herald.PrefixWebhook), success, 1)
		must(t, err)
		if disabled {
			t.Errorf("RecordWebhookResult(missing, %v) disabled something", success)
		}
	}
}

func testWebhookResultDisables(t *testing.T, s store.Store) {
	ctx := t.Context()
	w := createWebhook(t, s, newWebhook())
	runResultSteps(t, s, w.ID, []resultStep{
		{disableAfter: 3, failures: 1, enabled: true},
		{disableAfter: 3, failures: 2, enabled: true},
		{disableAfter: 3, failures: 3, disabled: true},
		{disableAfter: 3, failures: 4}, // already disabled: not again
	})
	got, err := s.GetWebhook(ctx, w.ID)
	must(t, err)
	recent(t, "UpdatedAt after disabling", got.UpdatedAt)
	if got.DisabledReason == nil || !strings.Contains(*got.DisabledReason, "3") {
		t.Errorf("disabled reason = %v, want one naming the 3 failures", got.DisabledReason)
	}

	// PATCH enabled: true resets the count through UpdateWebhook.
	got.Enabled, got.DisabledReason, got.ConsecutiveFailures = true, nil, 0
	must(t, s.UpdateWebhook(ctx, got))
	runResultSteps(t, s, w.ID, []resultStep{
		{disableAfter: 3, failures: 1, enabled: true},
		{disableAfter: 3, failures: 2, enabled: true},
		{disableAfter: 3, failures: 3, disabled: true},
	})

	// A webhook disabled for another reason keeps that reason.
	gone := createWebhook(t, s, newWebhook())
	must(t, s.DisableWebhook(ctx, gone.ID, "receiver answered 410 Gone"))
	runResultSteps(t, s, gone.ID, []resultStep{{disableAfter: 1, failures: 1}})
	got, err = s.GetWebhook(ctx, gone.ID)
	must(t, err)
	equal(t, "disabled reason", got.DisabledReason, strp("receiver answered 410 Gone"))
}

// testWebhookResultRace has n workers record a failure at once with
// disableAfter n: every failure counts and exactly one call disables.
func testWebhookResultRace(t *testing.T, s store.Store) {
	const n = 8
	w := createWebhook(t, s, newWebhook())
	var (
		wg       sync.WaitGroup
		start    = make(chan struct{})
		disabled [n]bool
		errs     [n]error
	)
	for i := range n {
		wg.Go(func() {
			<-start
			disabled[i], errs[i] = s.RecordWebhookResult(t.Context(), w.ID, false, n)
		})
	}
	close(start)
	wg.Wait()
	count := 0
	for i := range n {
		must(t, errs[i])
		if disabled[i] {
			count++
		}
	}
	got, err := s.GetWebhook(t.Context(), w.ID)
	must(t, err)
	equal(t, "calls that disabled, failures, enabled",
		[]any{count, got.ConsecutiveFailures, got.Enabled}, []any{1, n, false})
}
