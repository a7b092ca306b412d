package udf

import (
	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends"
)

// Meta describes the run and the unit of work being processed. A task's Meta
// is updated in place as the engine moves from tile to tile and frame to frame: read
// it during a call, do not keep its slices across calls.
type Meta struct {
	// DatasetShape is the full dataset shape (nav + sig), not affected by the ROI.
	DatasetShape array.Shape
	// ROI is the run's region of interest, flat in C order over the nav positions
	// (one entry per nav position), or nil. The run owns a copy; do not modify it.
	ROI []bool
	// DatasetDType is the dataset's native dtype.
	DatasetDType array.DType
	// InputDType is the dtype of every array handed to ProcessTile/Frame/Partition;
	// one for the whole run.
	InputDType array.DType
	// Slice is the current unit in flat-nav, ROI-compressed, dataset-global
	// coordinates: the partition slice in TaskData, Preprocess, Postprocess and
	// ProcessPartition; the tile slice in ProcessTile; a (1,)+sig slice in
	// ProcessFrame. It is the zero Slice on the main node.
	Slice array.Slice
	// SigSlice is the signal box of the current tile (the whole signal for frame and
	// partition processing); zero on the main node.
	SigSlice array.Slice
	// TileShape is the negotiated tile shape, depth first; nil on the main node.
	TileShape []int
	// TilingScheme lists the signal boxes of the negotiated tiling scheme; nil on the
	// main node.
	TilingScheme []array.Slice
	// TilingSchemeIdx is the index of the current tile's signal box in TilingScheme.
	TilingSchemeIdx int
	// DeviceClass is "cpu" (or "cuda" on GPU tasks later).
	DeviceClass string
	// ArrayBackend is the array backend the UDF receives (backends.Dense, printed
	// "numpy", unless it lists others); the zero Backend on the main node.
	ArrayBackend backends.Backend
	// ThreadsPerWorker is the thread budget for user code on a task (1 on the
	// parallel engine, 0 = unlimited).
	ThreadsPerWorker int
	// Partition is the index of the task's partition; -1 on the main node.
	Partition int

	partShape    array.Shape
	hasPartition bool
	validNav     []bool // damage so far (main node, merge and Results), nil in processing
	haveValid    bool
	coords       coordFunc
	coordCache   *array.Dense[int64]
	coordKey     [2]int
}

// coordFunc fills dst (n rows of navDims) with the true nav coordinates of the frames
// [start, start+n) in ROI-compressed flat-nav coordinates.
type coordFunc func(start, n int, dst []int64)

// PartitionShape returns the shape of the ROI-adjusted partition, (Rp,)+sig (or
// (Np,)+sig), and ErrNoPartition on the main node.
func (m *Meta) PartitionShape() (array.Shape, error) {
	if !m.hasPartition {
		return array.Shape{}, ErrNoPartition
	}
	return m.partShape, nil
}

// NavCount returns the number of nav rows of dataset-level nav buffers: the number of
// selected positions with a ROI, else the nav size.
func (m *Meta) NavCount() int {
	if m.ROI == nil {
		return m.DatasetShape.NavSize()
	}
	n := 0
	for _, v := range m.ROI {
		if v {
			n++
		}
	}
	return n
}

// ValidNavMask returns which nav positions hold merged data: nil during processing
// (TaskData, Preprocess, Process*, Postprocess); in Merge the damage before the
// partition being merged; in Results the damage so far. The mask is flat and
// ROI-compressed; with fullNav it has one entry per nav position (false outside the
// ROI). The returned slice is a copy.
func (m *Meta) ValidNavMask(fullNav bool) []bool {
	if !m.haveValid {
		return nil
	}
	if !fullNav || m.ROI == nil {
		return append([]bool(nil), m.validNav...)
	}
	out := make([]bool, len(m.ROI))
	j := 0
	for i, v := range m.ROI {
		if v {
			out[i] = m.validNav[j]
			j++
		}
	}
	return out
}

// Coordinates returns the true nav coordinates (ROI- and sync-offset-aware) of the
// frames in Slice, shape (n, navDims), int64. It is nil on the main node. The array
// is cached for the current slice and reused: do not keep it across calls.
func (m *Meta) Coordinates() *array.Dense[int64] {
	if m.coords == nil || m.Slice.Shape.Len() == 0 {
		return nil
	}
	start, n := m.Slice.Origin[0], m.Slice.Shape.Dim(0)
	nd := m.DatasetShape.NavDims()
	if m.coordCache != nil && m.coordKey == [2]int{start, n} {
		return m.coordCache
	}
	buf := make([]int64, n*nd)
	m.coords(start, n, buf)
	m.coordCache = array.Wrap(buf, n, nd)
	m.coordKey = [2]int{start, n}
	return m.coordCache
}

// clone returns a copy of m safe to modify independently (scalars and headers only).
func (m *Meta) clone() *Meta {
	c := *m
	c.coordCache = nil
	return &c
}
