package udf

import (
	"fmt"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends"
	"github.com/stemflow/stemflow/dataset"
)

// UDF is a user-defined function over a dataset. The value holds parameters only: the
// engine never mutates it, and everything per task lives in the *Env passed to each
// method, so one value is safe on many goroutines and may serve two runs at once.
//
// ResultBuffers declares the result buffers in a fixed order. It is called on the
// main node and once per task, so it must be pure and cheap; m.PartitionShape fails
// on the main node.
//
// A UDF must also implement at least one of TileProcessor, FrameProcessor and
// PartitionProcessor; every other interface of this package is optional and checked
// with a type assertion, like io.WriterTo.
type UDF interface {
	ResultBuffers(m *Meta) []BufferSpec
}

// Method is a processing method: by tile, by frame or by partition. It is the
// dataset package's type, so negotiation needs no conversion.
type Method = dataset.Method

// The processing methods, in order of precedence.
const (
	// MethodTile calls ProcessTile once per tile: a stack of frames restricted to one
	// signal box of the tiling scheme.
	MethodTile = dataset.MethodTile
	// MethodFrame calls ProcessFrame once per frame (full signal).
	MethodFrame = dataset.MethodFrame
	// MethodPartition calls ProcessPartition once per partition (all its ROI-selected
	// frames, full signal).
	MethodPartition = dataset.MethodPartition
)

// TileProcessor processes one tile: tile has shape (depth,)+sigBox. env.Meta.Slice is
// the tile's slice (flat nav, ROI-compressed, dataset-global) and env.Meta.SigSlice its
// signal box. Nav buffer views hold the tile's rows, sig buffer views the tile's signal
// box. Tiles are read-only: they may be views into the dataset's memory.
type TileProcessor interface {
	ProcessTile(env *Env, tile array.Array) error
}

// FrameProcessor processes one frame of shape sig. Nav buffer views hold the frame's
// row: shape (1,) without extra shape, ExtraShape otherwise (the reference's
// asymmetry). The frame is read-only.
type FrameProcessor interface {
	ProcessFrame(env *Env, frame array.Array) error
}

// PartitionProcessor processes all ROI-selected frames of a partition at once
// (shape (Rp,)+sig). The partition array is read-only.
type PartitionProcessor interface {
	ProcessPartition(env *Env, partition array.Array) error
}

// MethodChooser overrides the default method precedence (tile > frame > partition).
// The main node validates the answer: a method the UDF does not implement fails the
// run with ErrInvalidMethod.
type MethodChooser interface {
	Method(m *Meta) Method
}

// TaskDataMaker builds per-task scratch data (mask stacks, plans, counters), once per
// task, after buffers are allocated and with Meta.Slice set to the partition slice and
// Meta.Coordinates valid. The value is available as env.TaskData() in Preprocess,
// processing and Postprocess of that task only.
type TaskDataMaker interface {
	TaskData(env *Env) (any, error)
}

// Preprocessor initialises buffers before processing. It runs on the main node once
// with dataset-sized buffers (flat, ROI-compressed) and once per task with
// partition-sized buffers.
type Preprocessor interface {
	Preprocess(env *Env) error
}

// Postprocessor runs once per task after all its tiles, with partition-sized views.
type Postprocessor interface {
	Postprocess(env *Env) error
}

// Cleaner runs once per task right after the UDF's own Postprocess (before the next
// UDF's), or when processing failed.
type Cleaner interface {
	Cleanup(env *Env) error
}

// Merger merges one partition's results (src, whole partition buffers) into the
// dataset-level buffers (dest: nav buffers restricted to the partition's rows,
// sig/single buffers whole). Result-only buffers are absent from both. Merges run in
// partition order. m.ValidNavMask reports the damage before this partition.
//
// Without Merger the default merge copies nav buffers (after a safe-cast check) and
// fails with ErrCustomMergeRequired if any other buffer needs merging.
type Merger interface {
	Merge(dest, src *Views, m *Meta) error
}

// AllMerger merges every partition's results in one step. parts is in partition order
// and covers every processed partition once; all arrays are flat-nav and
// ROI-compressed. The returned arrays replace the dataset-level buffers and must have
// exactly their dtype and shape ((R or N,)+extra, sig+extra, extra); names not
// declared fail with ErrUndeclaredBuffer, mismatches with ErrMergeAllResult. Buffers
// not returned keep their zero initialisation.
//
// A UDF with both Merger and AllMerger is merged by Merger, whose ordered chain frees
// each partial once merged; MergeAll is used only by UDFs without Merger, and such a
// run holds every partition's buffers until MergeAll runs (O(partitions) memory).
type AllMerger interface {
	MergeAll(parts []Partial, m *Meta) (map[string]array.Array, error)
}

// ResultsGetter computes the final results on the main node from the merged,
// dataset-level buffers (env.At / View: flat, ROI-compressed; env.Meta.ValidNavMask:
// the damage so far). It returns arrays, or arrays wrapped by WithMask / WithValid.
// Buffers with UseNormal that are not returned pass through unchanged; private buffers
// must not be returned; result-only buffers must be. A nav result may be returned
// flat ((R or N,)+extra) or nav-shaped (nav+extra), in which case Data returns it
// unchanged.
type ResultsGetter interface {
	Results(env *Env) (map[string]array.Array, error)
}

// InputDTyper states the lowest dtype the UDF can work with. The run's input dtype is
// array.ResultType over the dataset dtype and every UDF's preference; the
// default preference is float32, and NativeDType is neutral.
type InputDTyper interface {
	PreferredInputDType() array.DType
}

// NativeDType is the neutral preferred input dtype: a UDF returning it from
// PreferredInputDType receives the dataset's native dtype (unless another UDF of the
// run asks for more). It is bool, as in the reference.
var NativeDType = array.Bool

// TilingPrefs are a tile UDF's tiling preferences: Depth (0 = 32,
// DepthMax = whole partition) and TotalSize (bytes, 0 = unlimited, BestFit = 1 MiB).
// The engine sets Method itself.
type TilingPrefs = dataset.TilingPrefs

const (
	// DepthMax asks for tiles as deep as the partition.
	DepthMax = dataset.DepthMax
	// BestFit is the reference's cache-friendly tile size, 1 MiB.
	BestFit = dataset.BestFit
)

// TilingPreferrer reports tiling preferences; it may depend on m (main node).
type TilingPreferrer interface {
	TilingPreferences(m *Meta) TilingPrefs
}

// BackendLister lists the array backends (formats) the UDF can process, preferred
// first; without it a UDF receives dense arrays (backends.Dense) only. The run's plan
// (backends.NewPlan) gives each UDF one backend with the least conversion from the
// dataset's format; Meta.ArrayBackend tells which. 2-D-only backends (CSR, CSC) deliver
// tiles as (depth, prod(sig box)) matrices and frames as (1, prod(sig)) rows.
type BackendLister interface {
	Backends() []backends.Backend
}

// AuxProvider lists the UDF's auxiliary per-frame data. The engine slices
// each one to the task's partition and ROI (a partition-local copy, so writing to a
// view never reaches the caller's array) and keeps its view in step with the current
// unit; read it with Env.Aux.
type AuxProvider interface {
	AuxData() []*AuxData
}

// RunEnder is told how a run ended, once per run computed by Run, RunOne, RunIter,
// DryRun or LazyRun.Compute, on the calling goroutine after every task, merge and
// Results call of the run has returned: err is nil when the run succeeded and the
// run's error otherwise (a failed UDF, a cancelled context, or ErrIterationStopped when
// the consumer of RunIter broke out of the loop). UDFs with side effects use it to
// undo half-done work (Record removes its temporary file). m is the main-node Meta.
// Handles of a LazyRun computed through package delayed do not call it. A panic in
// EndRun fails an otherwise successful run with a *UDFError.
type RunEnder interface {
	EndRun(m *Meta, err error)
}

// Partial is one partition's results as handed to MergeAll.
type Partial struct {
	// Index is the partition's index in the dataset.
	Index int
	// Slice is the partition slice adjusted for the ROI (flat nav, compressed).
	Slice array.Slice
	// Buffers are the partition's buffers (not result-only ones).
	Buffers *Views
}

// defaultMethod returns the precedence choice; ok is false if u implements no method.
func defaultMethod(u UDF) (m Method, ok bool) {
	switch {
	case implements(u, MethodTile):
		return MethodTile, true
	case implements(u, MethodFrame):
		return MethodFrame, true
	case implements(u, MethodPartition):
		return MethodPartition, true
	}
	return 0, false
}

func implements(u UDF, m Method) bool {
	switch m {
	case MethodTile:
		_, ok := u.(TileProcessor)
		return ok
	case MethodFrame:
		_, ok := u.(FrameProcessor)
		return ok
	case MethodPartition:
		_, ok := u.(PartitionProcessor)
		return ok
	}
	return false
}

// udfName names a UDF in errors.
func udfName(u UDF) string {
	if n, ok := u.(interface{ Name() string }); ok {
		return n.Name()
	}
	return fmt.Sprintf("%T", u)
}
