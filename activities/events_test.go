package activities

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/heraldhub/herald"
)

func TestEventCache(t *testing.T) {
	loads := map[string]int{}
	big := `"` + strings.Repeat("x", eventCacheMaxBytes) + `"`
	c := newEventCache(func(_ context.Context, id string) (*herald.Event, error) {
		loads[id]++
		switch id {
		case "evt_missing":
			return nil, errors.New("not found")
		case "evt_big":
			return &herald.Event{ID: id, Data: []byte(big)}, nil
		}
		return &herald.Event{ID: id, Data: []byte(`{}`)}, nil
	})
	ctx := context.Background()
	for range 3 {
		for _, id := range []string{"evt_small", "evt_big"} {
			ev, err := c.get(ctx, id)
			if err != nil || ev.ID != id {
				t.Fatalf("get(%s) = %v, %v", id, ev, err)
			}
		}
		if _, err := c.get(ctx, "evt_missing"); err == nil {
			t.Fatal("get(evt_missing) succeeded")
		}
	}
	want := map[string]int{"evt_small": 1, "evt_big": 3, "evt_missing": 3}
	for id, n := range want {
		if loads[id] != n {
			t.Errorf("%s loaded %d times, want %d (small events cached, large ones and errors not)", id, loads[id], n)
		}
	}
}
