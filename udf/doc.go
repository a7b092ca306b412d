// Package udf owns the UDF contract and the run engine: buffer declarations
// (BufferSpec), Meta, the per-task Env with allocation-free typed views, aux data,
// the compiler from (dataset, UDFs, ROI) to a task graph, and the result wrappers.
//
// # The contract
//
// A UDF value holds parameters only. It implements UDF (ResultBuffers) and at least
// one of TileProcessor, FrameProcessor and PartitionProcessor; everything else is an
// optional one-method interface checked with a type assertion, like io.WriterTo:
// MethodChooser, TaskDataMaker, Preprocessor, Postprocessor, Cleaner, RunEnder, Merger,
// AllMerger, ResultsGetter, InputDTyper, TilingPreferrer, BackendLister, AuxProvider.
// The engine
// never mutates the UDF; all per-task state lives in the *Env passed to every method,
// so one UDF value is safe on many goroutines and may serve two runs at once.
//
// Buffers are best addressed by typed handles (Buf), which name a buffer, its kind
// and its element type once: Declare turns them into ResultBuffers' declarations,
// View gives the typed view during a call, Get the typed result after the run. Hot
// code fetches the view at the start of each call, which costs a map lookup and a type
// assertion and allocates nothing:
//
//	var out = udf.NavBuf[float32]("intensity")
//
//	func (SumSig) ResultBuffers(*udf.Meta) []udf.BufferSpec { return udf.Declare(out) }
//
//	func (SumSig) ProcessTile(env *udf.Env, tile array.Array) error {
//		o := out.View(env) // nav buffer: the tile's rows; never nil
//		...
//	}
//
// Buffers are also addressed by their index in the ResultBuffers order (View, F32,
// F64, Env.At) or by name (Env.Buffer, Views.Get). A failed typed access — a name not
// declared, another dtype or kind, a result_only buffer before Results — records a
// *BufferError naming the buffer and the file:line of the access and returns an empty
// array, never nil; the engine fails the UDF's call with it (see Check for what is
// found before any data is read). Views are valid during the call only: the engine
// re-points them between tiles and frames (in place where the array layout allows
// it). Tiles and frames are read-only.
//
// # Runs
//
// Run compiles a run into a graph — one task node per non-empty partition running
// all UDFs in one pass over its tiles, per UDF either an ordered merge chain
// (Merge, or the default nav merge) or, for a UDF with MergeAll and without Merge,
// one merge_all node, a get_results node and a finalize node — and computes it with
// the sched package. A chain frees each partial once merged, so at most the
// admission window (Options.Window) of partition results is alive at once; a
// merge_all node holds every partition's buffers until the end (O(partitions)
// memory), which is why Merge wins when a UDF has both. Run, RunLazy and RunIter
// merge the same way and give bit-identical results.
// A UDF without buffers gets a chain of no-op steps, so its results still depend on
// every task: side-effecting UDFs run every partition exactly once.
// Merges run in partition order: results are bit-identical for any worker count at
// a fixed number of partitions. RunIter yields a Snapshot after every merged
// partition (Results are computed lazily, only when asked); RunLazy returns the
// graph handles uncomputed, composable with package delayed; DryRun returns the zero
// results a run starts from; Map runs a plain frame function (AutoUDF).
//
// # Deviations from the reference
//
// Merges run in partition order, not completion order. A MergeAll-only UDF also runs
// in the eager Run (one engine); a UDF with both Merge and MergeAll is merged by
// Merge everywhere (the reference's delayed executor prefers MergeAll). Results returns a map, so result order is the
// declaration order of the returned buffers, then the passed-through ones. Errors are
// returned, never raised; a panic in user code becomes a *UDFError naming the UDF,
// partition and method.
//
// # Helpers
//
// AuxData carries per-frame parameters sliced to each unit of work; MaskContainer
// holds a mask stack (dense, or CSR when every mask is sparse), built from
// MaskFactory values — the one mask factory type, shared with udfs.ApplyMasks — and
// cut per signal box for tile × masks products; WithMask and
// WithValid attach valid masks to Results; DatasetChunks exposes a dataset as a lazy
// array, one chunk per partition; ROIFromCoords, ROIFromPairs and ROIFromArray build
// Options.ROI from the reference's other ROI forms.
//
// udf imports array, backends, dataset, graph, sched, delayed and mergeall; it must
// not import udfs or cmd.
package udf
