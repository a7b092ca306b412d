// Package graph owns stemflow's task graph: nodes with readable keys, their
// dependencies, validation (missing dependencies, cycles named edge by edge),
// topological order, culling to the requested outputs, composition of graphs
// that share keys, and DOT/SVG export.
//
// A graph is plain data, in the spirit of dask's graph specification: a set
// of [Node] values indexed by [Key]. Each node carries an [Op], the Go
// function that computes its value from the values of its dependencies, in
// the order of [Node.Deps].
//
// # Keys and identity
//
// Keys read "name-token", as in dask. Go functions cannot be hashed, so the
// identity of a node is always the caller's to give: [Token] derives a
// deterministic key from a name and the keys of the node's arguments, so
// building the same node twice yields one key, and [Graph.AddOrKeep] (or
// [Graph.Compose] of graphs sharing keys) keeps one node per key;
// [Graph.Add] instead rejects a repeated key with ErrDuplicateKey.
// [UniqueKey] returns a fresh key every call (dask's pure=False default).
//
// # Building graphs from package code
//
//	g := graph.New()
//	a := graph.Key("load-0")
//	g.Add(graph.Node{Key: a, Kind: graph.KindTask, Op: load, Admission: true, Order: 0})
//	g.Add(graph.Node{Key: "merge-0", Kind: graph.KindMerge, Op: merge, Deps: []graph.Key{a}})
//
// Dependencies may name keys that are added later; [Graph.Validate],
// [Graph.Compile] and [Graph.TopoOrder] report missing keys and cycles.
//
// # Hot path
//
// The scheduler never walks maps or interfaces per task: [Graph.Compile] culls
// the graph to what the requested outputs need and turns it into a [Plan],
// plain int32 adjacency slices (dependencies and dependents in CSR form)
// in topological order. Compiling or building a 100,000-node graph takes a
// few tens of milliseconds (see BenchmarkBuild100k).
//
// This package imports only the standard library; it must not import sched,
// delayed or anything above them.
package graph
