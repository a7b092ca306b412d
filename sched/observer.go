package sched

import (
	"time"

	"github.com/stemflow/stemflow/graph"
)

// Observer watches one run node by node, for live displays of a running graph
// (the web view colours each node waiting, running, done or failed). Set it in
// Options.Observer. Its methods are called from the run's worker goroutines,
// concurrently for different nodes, and must return quickly; nodes are named by
// their index into Plan.Nodes. With no observer a run pays nothing for the
// feature: the scheduler then neither reads the clock nor allocates per node.
type Observer interface {
	// RunStarted is called once, before any node starts, with the plan the run
	// executes (the compiled graph: Plan.Nodes, Plan.Deps). The plan must not be
	// changed.
	RunStarted(p *graph.Plan)
	// NodeStarted is called on the worker that runs node i, just before its op.
	NodeStarted(i int32, w WorkerInfo)
	// NodeFinished is called when node i's op has returned, with the op's run
	// time and error (nil on success; a *PanicError for a panic). A node that
	// never starts (the run failed or was cancelled first) is never reported;
	// neither is one whose op called runtime.Goexit.
	NodeFinished(i int32, d time.Duration, err error)
}
