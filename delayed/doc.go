// Package delayed owns stemflow's user-facing laziness: typed handles on
// graph nodes ([Delayed]), lifting of plain Go functions into the graph
// ([Call1], [Call2], …, [CallSlice], [Apply]), evaluation of many handles in
// one scheduler run ([Compute]), persistence ([Persist]) and graph export
// ([Graph], [WriteDOT]). It follows dask.delayed's model.
//
// # Building
//
// A handle is a node plus the handles it depends on; building allocates
// one node and computes nothing. Plain values enter through [Value]. Each
// Call makes a new node with a unique key unless the caller gives it an
// identity with [Pure] (key = name + argument keys + identity strings) or
// [Key]; equal keys are one node, computed once.
//
// # Computing
//
// [Compute] assembles the graph of all requested handles, culls it,
// and runs it once with the scheduler (package sched): every node shared
// between the handles runs exactly once. Results are read back typed with
// [Delayed.Get]. A later Compute recomputes everything, as in dask; to
// reuse values across Computes, [Persist] the handles first.
//
// # Package-built graphs (UDF runs)
//
// Code that builds a *graph.Graph directly — the UDF run compiler — works in
// three steps:
//
//  1. Add nodes with graph.Graph.Add: an explicit Key (graph.Token for a
//     deterministic identity, graph.UniqueKey otherwise), Label, Kind
//     (KindTask for partition tasks; KindMerge, KindMergeAll,
//     KindGetResults, KindFinalize for main-node work, which the scheduler
//     runs before ready tasks), an Op of type
//     func(ctx context.Context, args []any) (any, error) that receives the
//     dependency values in Deps order, Deps by key, an optional Lane (for
//     example "cuda:0"), and for partition tasks whose partials are merged
//     one by one, Admission: true with Order set to the partition index.
//     Leave Admission off when all partials feed one merge_all node: such
//     partials cannot be consumed before all exist.
//  2. Wrap result keys as typed handles with [FromNode]; they compose with
//     Call and Apply like any other handle.
//  3. Compute with [ComputeWith] (or [Delayed.ComputeWith]) and
//     sched.Options: Workers (default GOMAXPROCS), Inline, Window (default
//     2 × workers), Progress and ProgressInterval (done/total, per kind),
//     Lanes ([]sched.Lane{{Name: "cuda:0", Slots: 2}}). All handles of one
//     call share one run: every node runs once, values nobody needs any
//     more are dropped during the run.
//
// For example:
//
//	g := graph.New()
//	// ... g.Add(graph.Node{Key: ..., Kind: graph.KindTask, Admission: true, Order: i, ...})
//	sum := delayed.FromNode[*array.Dense](g, "sum-finalize-ab12")
//	scaled := delayed.Call2(scale, sum, delayed.Value(2.0))
//	res, err := delayed.ComputeWith(ctx, sched.Options{Workers: 4}, sum, scaled)
//	s, err := scaled.Get(res)
//
// Errors come back as *sched.NodeError (key, label, kind, wrapped cause;
// panics as *sched.PanicError with the stack); cancellation as ctx.Err().
//
// delayed imports graph and sched; it must not import dataset, udf or
// anything above them.
package delayed
