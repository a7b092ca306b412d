// Package sched owns stemflow's scheduler: it runs a compiled task graph
// ([graph.Plan]) on a pool of work-stealing worker goroutines, or inline on
// the calling goroutine.
//
// # Work stealing
//
// Each worker has its own deques; it pops its own work LIFO (depth first,
// cache-warm) and steals from other workers FIFO. A node made ready by a
// worker goes onto that worker's own deque, so a merge usually runs where
// its input was just produced. Idle workers park on a channel; nothing
// spins. Options.Workers sets the pool size (default GOMAXPROCS).
// Options.Inline runs the same algorithm on the calling goroutine in a
// deterministic order.
//
// # Priorities and the admission window
//
// Ready nodes of every kind but graph.KindTask (merge, merge_all,
// get_results, finalize, user) run before ready KindTask nodes, so partial
// results are consumed before new ones are produced. Nodes flagged
// graph.Node.Admission are partition tasks whose value is a live partial
// from the moment they start until all their dependents have finished; at
// most Options.Window of them (default 2 × workers) are live at once, and
// they start in increasing graph.Node.Order among those ready. Only flagged
// nodes are gated. A flagged node's slot is freed when its last dependent
// finishes, so a graph that gathers partials into one merge_all node puts a
// small per-partial node (a select) between them: the slot is freed after the
// select, and the selected values, held for the merge_all node, are outside
// the window. Should a graph's flags still leave every worker idle with gated
// nodes waiting, the scheduler admits the next one past the window rather
// than deadlock.
//
// # Resource lanes
//
// A node with graph.Node.Lane set runs only on that lane's dedicated
// workers (Options.Lanes), at most Lane.Slots at once — one worker per slot,
// for example per CUDA stream. Ops learn which worker and slot runs them
// from [Worker](ctx). A Hybrid lane's workers also take the general
// workers' nodes (injected, stolen or admitted, in the same order) whenever
// their own lane has nothing ready: that is how a GPU's streams and the CPU
// workers share the partition tasks of one run, each op choosing its device
// path from the worker it landed on.
//
// # Shared pools
//
// By default each run has its own workers. Runs given the same [Pool]
// (Options.Pool) share its slots instead: a general worker holds a slot while
// its node's op runs, so all those runs together run at most Pool.Size() ops at
// once (an interactive server runs every user's runs on one pool sized to the
// machine). Slots are granted first come, first served, so concurrent runs take
// turns; a worker waiting for a slot leaves the queue when its run is cancelled
// or fails, and a slot comes back as soon as its op returns. Lane workers take
// no slots.
//
// # Observing a run
//
// Options.Observer ([Observer]) is told the compiled plan before the first
// node starts, then each node's start (with the worker) and end (with its run
// time and error), from the worker goroutines. A live display of a running
// graph uses it; without an observer the scheduler reads no clock and
// allocates nothing for it.
//
// # Memory
//
// A node's value is dropped as soon as its last dependent has finished,
// unless it is a requested output.
//
// # Failure and cancellation
//
// The first op error or panic stops the run: no further node starts, the
// context passed to running ops is cancelled, and [Run] returns a
// *[NodeError] with the node's key, label and kind, wrapping the op's error
// or a *[PanicError] that keeps the panic's stack. Cancelling the caller's
// context likewise stops node starts; Run returns ctx.Err() once the
// running ops return. Run leaves no goroutine behind.
//
// # Progress
//
// Options.Progress receives done/total counts, overall and per kind, every
// Options.ProgressInterval and once at the end. Counting is one atomic add
// per node, cheap enough to leave on.
//
// # Cost
//
// Scheduling overhead is about half a microsecond per node on this
// project's 2-core machine, graph building included (BenchmarkTree10k,
// BenchmarkFlat10k).
//
// sched imports graph and the standard library only; it must not import
// delayed or anything above it.
package sched
