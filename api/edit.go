package api

import (
	"context"

	"github.com/heraldhub/herald"
)

// editAttempts bounds how often one request applies its change to a
// resource that keeps changing underneath it.
const editAttempts = 3

// edit applies change to v (a resource as just read) and writes it with
// put. The stores write an edit only while the stored resource is still the
// one read (same updated_at) and answer conflict otherwise, so an admin's
// edit never undoes a write that landed in between, such as a delivery
// worker disabling a failing webhook. On that conflict edit reads the
// resource again with get and applies change anew; after editAttempts tries
// it returns the conflict. change may therefore run more than once, on
// fresh copies, and must depend only on its argument and the request.
func edit[T any](ctx context.Context, v T, get func(context.Context) (T, error), change func(T) error, put func(context.Context, T) error) (T, error) {
	for attempt := 1; ; attempt++ {
		if err := change(v); err != nil {
			return v, err
		}
		err := put(ctx, v)
		if err == nil || herald.ErrorCode(err) != herald.EConflict || attempt == editAttempts {
			return v, err
		}
		if v, err = get(ctx); err != nil {
			return v, err
		}
	}
}
