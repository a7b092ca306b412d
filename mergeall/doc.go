// Package mergeall owns the merge strategies of a run as graph builders over
// partition-ordered partial results: ordered merge chains (one merge node per
// partition, applied in partition order, owning and mutating one accumulator),
// single merge_all nodes (one node receiving every partial in partition order), and
// the default concatenation of flat-nav partial arrays along axis 0.
//
// Merging in partition order makes results bit-identical whatever the worker count
// or completion order, for a fixed number of partitions. Partition tasks whose
// partials feed only ordered chains may carry the scheduler's admission flag; partials
// feeding a merge_all node must not (the node needs them all at once).
//
// The package knows nothing of UDFs: values are opaque (any) except for ConcatRows,
// which works on arrays. It imports array and graph only; it must not import udf,
// udfs or cmd (they sit above it), nor dataset, sched or delayed (it builds graph
// nodes and leaves running them to its caller).
package mergeall
