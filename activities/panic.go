package activities

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"go.temporal.io/sdk/temporal"

	"github.com/heraldhub/herald/workflows"
)

// contain, deferred by an activity, turns its panic into a retryable
// failure of type workflows.ErrPanicked with a fixed message. Left to the
// SDK, the panic's value and stack would be written into the workflow's
// history, and a value may quote what the attempt held (a URL with a
// token in it, say). The worker's log gets the stack, and the value only
// when the runtime made it (a nil map, an index out of range), which
// quotes nothing of the data.
func (a *Activities) contain(activity, deliveryID string, err *error) {
	p := recover()
	if p == nil {
		return
	}
	attrs := []any{"activity", activity, "delivery_id", deliveryID, "panic_type", fmt.Sprintf("%T", p), "stack", string(debug.Stack())}
	if re, ok := p.(runtime.Error); ok {
		attrs = append(attrs, "panic", re.Error())
	}
	a.log.Error("activity panicked", attrs...)
	*err = temporal.NewApplicationErrorWithOptions(workflows.PanicReason, workflows.ErrPanicked, temporal.ApplicationErrorOptions{})
}
