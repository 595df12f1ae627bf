// Package worker builds the Temporal worker that runs Herald's event
// workflows and delivery activities.
package worker

import (
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/heraldhub/herald/activities"
	"github.com/heraldhub/herald/workflows"
)

// DefaultStopTimeout is how long in-flight deliveries may finish on
// shutdown unless Options say otherwise.
const DefaultStopTimeout = 10 * time.Second

// Options tune the worker. Zero values take the defaults below.
type Options struct {
	// StopTimeout is how long in-flight activities may finish on shutdown
	// (default DefaultStopTimeout; the SDK's own default cancels them at
	// once). The SDK waits it out once per internal worker, one after
	// another, so a caller that wants one overall bound applies it itself.
	StopTimeout time.Duration
	// MaxConcurrentActivities bounds parallel deliveries (default 200).
	MaxConcurrentActivities int
	// OnFatalError hears of an error that made the worker stop by itself
	// (the SDK does so when a poll finds the namespace gone, for one):
	// nothing is delivered from then on, so the caller should not go on
	// as if it were.
	OnFatalError func(error)
}

// New returns a worker on taskQueue with Herald's workflow and activities
// registered under their stable names. The caller starts and stops it.
// Build it from the same client the API starts workflows with to let eager
// workflow start hand new workflows straight to this worker.
func New(c client.Client, taskQueue string, acts *activities.Activities, opts Options) sdkworker.Worker {
	if opts.StopTimeout == 0 {
		opts.StopTimeout = DefaultStopTimeout
	}
	if opts.MaxConcurrentActivities == 0 {
		opts.MaxConcurrentActivities = 200
	}
	w := sdkworker.New(c, taskQueue, sdkworker.Options{
		WorkerStopTimeout:                       opts.StopTimeout,
		MaxConcurrentActivityExecutionSize:      opts.MaxConcurrentActivities,
		MaxConcurrentLocalActivityExecutionSize: opts.MaxConcurrentActivities,
		// Eager start hands a new workflow's first task to this worker only
		// while it has a free workflow task slot, and each event's task
		// stays open while its local delivery runs. Without room, starts
		// fall back to the matching service, which on the embedded SQLite
		// server added 10-15 s at 64 concurrent publishers (herald bench).
		MaxConcurrentWorkflowTaskExecutionSize: 1000,
		OnFatalError:                           opts.OnFatalError,
	})
	Register(w, acts)
	return w
}

// Register adds the workflow and activities to any registry (a worker or a
// test environment).
func Register(r sdkworker.Registry, acts *activities.Activities) {
	r.RegisterWorkflowWithOptions(workflows.EventWorkflow, workflow.RegisterOptions{Name: workflows.EventWorkflowName})
	r.RegisterActivityWithOptions(acts.Deliver, activity.RegisterOptions{Name: workflows.DeliverActivityName})
	r.RegisterActivityWithOptions(acts.FinishDelivery, activity.RegisterOptions{Name: workflows.FinishActivityName})
}
