package activities

import (
	"context"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/heraldhub/herald"
)

// Bounds of the event cache.
const (
	eventCacheSize = 1024
	// eventCacheMaxBytes is the largest payload (data plus changes) of an
	// event the cache keeps, which bounds it to eventCacheSize times this.
	eventCacheMaxBytes = 64 << 10
)

// eventCache keeps recently loaded events. An event never changes once
// stored, and every delivery of an event loads it: with ten targets, nine
// of the ten loads come from here. hashicorp/golang-lru is a small,
// well-kept LRU that is safe for concurrent use (and already in Temporal's
// dependency tree).
type eventCache struct {
	load  func(ctx context.Context, id string) (*herald.Event, error)
	cache *lru.Cache[string, *herald.Event]
}

func newEventCache(load func(ctx context.Context, id string) (*herald.Event, error)) *eventCache {
	c, err := lru.New[string, *herald.Event](eventCacheSize)
	if err != nil {
		panic(err) // only for a size below 1
	}
	return &eventCache{load: load, cache: c}
}

// get returns the event with id. Callers must not modify it: it may be
// shared with other deliveries.
func (c *eventCache) get(ctx context.Context, id string) (*herald.Event, error) {
	if ev, ok := c.cache.Get(id); ok {
		return ev, nil
	}
	ev, err := c.load(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(ev.Data)+len(ev.Changes) <= eventCacheMaxBytes {
		c.cache.Add(id, ev)
	}
	return ev, nil
}
