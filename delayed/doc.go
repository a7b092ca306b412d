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
// Code that builds a *graph.Graph directly (the UDF run compiler) wraps its
// result keys with [FromNode]; such handles compose with Call and are
// computed together with any other handle in one run:
//
//	g := graph.New()
//	// ... g.Add(graph.Node{Key: ..., Kind: graph.KindTask, Admission: true, Order: i, ...})
//	sum := delayed.FromNode[*array.Dense](g, "sum-finalize-ab12")
//	scaled := delayed.Call2(scale, sum, delayed.Value(2.0))
//	res, err := delayed.ComputeWith(ctx, sched.Options{Workers: 4}, sum, scaled)
//
// delayed imports graph and sched; it must not import dataset, udf or
// anything above them.
package delayed
