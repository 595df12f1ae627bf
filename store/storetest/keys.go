package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/heraldhub/herald"
	"github.com/heraldhub/herald/store"
)

func newAPIKey(secret string) *herald.APIKey {
	sum := sha256.Sum256([]byte(secret))
	return &herald.APIKey{
		ID:        herald.NewID(herald.PrefixKey),
		Name:      "ci publisher",
		Scopes:    []string{herald.ScopePublishEvent, herald.ScopeViewLog},
		Hash:      hex.EncodeToString(sum[:]),
		CreatedAt: t0,
	}
}

func checkAPIKey(t *testing.T, got, want *herald.APIKey) {
	t.Helper()
	sameTime(t, "key CreatedAt", got.CreatedAt, want.CreatedAt)
	g, w := *got, *want
	g.CreatedAt, w.CreatedAt = time.Time{}, time.Time{}
	equal(t, "api key", g, w)
}

func testKeyCreateGet(t *testing.T, s store.Store) {
	ctx := t.Context()
	k := newAPIKey("hk_secret_one")
	must(t, s.CreateAPIKey(ctx, k))
	got, err := s.GetAPIKeyByHash(ctx, k.Hash)
	must(t, err)
	checkAPIKey(t, got, k)

	filled := newAPIKey("hk_secret_two")
	filled.ID, filled.CreatedAt, filled.Scopes = "", time.Time{}, []string{herald.ScopeAdmin}
	must(t, s.CreateAPIKey(ctx, filled))
	hasPrefix(t, "key ID", filled.ID, herald.PrefixKey)
	recent(t, "key CreatedAt", filled.CreatedAt)
	got, err = s.GetAPIKeyByHash(ctx, filled.Hash)
	must(t, err)
	checkAPIKey(t, got, filled)

	_, err = s.GetAPIKeyByHash(ctx, newAPIKey("unknown").Hash)
	wantCode(t, "GetAPIKeyByHash of an unknown key", err, herald.ENotFound)
}

func testKeyConflicts(t *testing.T, s store.Store) {
	ctx := t.Context()
	k := newAPIKey("hk_secret")
	must(t, s.CreateAPIKey(ctx, k))
	sameHash := newAPIKey("hk_secret")
	wantCode(t, "CreateAPIKey with a taken hash", s.CreateAPIKey(ctx, sameHash), herald.EConflict)
	sameID := newAPIKey("hk_other")
	sameID.ID = k.ID
	wantCode(t, "CreateAPIKey with a taken ID", s.CreateAPIKey(ctx, sameID), herald.EConflict)
	n, err := s.CountAPIKeys(ctx)
	must(t, err)
	equal(t, "key count", n, 1)
}

func testKeyListDeleteCount(t *testing.T, s store.Store) {
	ctx := t.Context()
	n, err := s.CountAPIKeys(ctx)
	must(t, err)
	equal(t, "key count of an empty store", n, 0)

	want := map[string]*herald.APIKey{}
	var ids []string
	for _, secret := range []string{"a", "b", "c", "d", "e"} {
		k := newAPIKey(secret)
		must(t, s.CreateAPIKey(ctx, k))
		want[k.ID] = k
		ids = append(ids, k.ID)
	}
	pages := allPages(t, 2, func(p store.Page) ([]*herald.APIKey, string, error) { return s.ListAPIKeys(ctx, p) })
	got, sizes := pageIDs(pages, func(k *herald.APIKey) string { return k.ID })
	equal(t, "page sizes", sizes, []int{2, 2, 1})
	equal(t, "IDs in order", got, sortedAsc(ids))
	for _, p := range pages {
		for _, k := range p {
			checkAPIKey(t, k, want[k.ID])
		}
	}
	_, _, err = s.ListAPIKeys(ctx, store.Page{Limit: 2, Cursor: "!"})
	wantCode(t, "ListAPIKeys with a malformed cursor", err, herald.EInvalid)

	n, err = s.CountAPIKeys(ctx)
	must(t, err)
	equal(t, "key count", n, 5)

	gone := want[ids[0]]
	must(t, s.DeleteAPIKey(ctx, gone.ID))
	_, err = s.GetAPIKeyByHash(ctx, gone.Hash)
	wantCode(t, "GetAPIKeyByHash after delete", err, herald.ENotFound)
	wantCode(t, "second DeleteAPIKey", s.DeleteAPIKey(ctx, gone.ID), herald.ENotFound)
	n, err = s.CountAPIKeys(ctx)
	must(t, err)
	equal(t, "key count after delete", n, 4)
}
