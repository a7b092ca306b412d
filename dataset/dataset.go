package dataset

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/stemflow/stemflow/array"
)

// Dataset is an n-dimensional detector dataset: nav axes (the scan) followed by sig axes
// (one frame), stored in some file format. Implementations are safe for concurrent use:
// many goroutines may call ReadTiles at once (on different or equal partitions).
type Dataset interface {
	// Shape is the dataset shape after nav_shape/sig_shape overrides.
	Shape() array.Shape
	// DType is the native (stored) dtype.
	DType() array.DType
	// ImageCount is the number of frames physically present in the storage.
	ImageCount() int
	// SyncOffset is the sync offset k: nav position i shows stored frame i+k.
	SyncOffset() int
	// Formats lists the array formats ReadTiles can produce, preferred first.
	Formats() []array.Format
	// BaseShape is the smallest sensible tile, (1,)+sig box (len = 1 + sig axes): tile
	// shapes are multiples of it. The default is whole rows (1, 1, ..., sig[-1]).
	BaseShape() []int
	// AdjustTileShape is the dataset's veto on a negotiated tile shape (it may force
	// a tile shape or whole frames); it returns the shape to use.
	AdjustTileShape(tileshape []int, roi []bool) []int
	// MaxIOSize is the largest read in bytes the dataset wants when a read needs a copy
	// or decode; 0 means no preference (DefaultIOSize).
	MaxIOSize() int64
	// NeedDecode tells whether delivering tiles in dtype read (with the given ROI, nil
	// for none) needs a copy or decode instead of zero-copy views into the storage.
	NeedDecode(read array.DType, roi []bool) bool
	// Info describes the dataset for `stemflow info`.
	Info() Info
	// ReadTiles delivers the tiles of partition p for req to fn in the order of spec
	// order: frames (ROI-selected, in flat order) cut into blocks of the scheme's depth,
	// and for each block every sig box in scheme order. A partition without frames in
	// the file or without ROI-selected frames delivers no tile. Tile.Data is read-only
	// and valid only during the call of fn; the *Tile and its buffers are reused. An
	// error from fn stops the iteration and is returned as is; ctx is checked between
	// tiles.
	ReadTiles(ctx context.Context, p Partition, req TileRequest, fn func(t *Tile) error) error
	// Close releases the storage (mappings, files). Reading after Close fails with
	// ErrClosed. Close is idempotent.
	Close() error
}

// PartitionCounter is implemented by datasets with their own default partition count
// (the memory dataset's num_partitions; a user's num_partitions option for files).
// NumPartitions uses it when the run passes no override.
type PartitionCounter interface {
	// DefaultPartitions returns the partition count for the given number of workers,
	// or 0 to use the generic rule.
	DefaultPartitions(workers int) int
}

// Tile is one tile handed to a UDF: a stack of consecutive (after ROI compression) frames
// restricted to one sig box of the tiling scheme.
//
// Tile data is READ-ONLY: it may be a view into a read-only memory mapping (writing
// faults) or into the caller's in-memory array, and its buffers are reused for the next
// tile. Never modify it and never keep it after the callback returns.
type Tile struct {
	// Data holds the tile in the requested dtype and format. For the dense format it
	// is a C-contiguous *array.Dense[T] of shape Slice.Shape: (depth,)+box.
	Data array.Array
	// Slice is the tile's place in flat-nav, ROI-compressed, dataset-global
	// coordinates: origin (first compressed frame index, box origin...), shape
	// (depth,)+box, sig dims = the dataset's. Its Origin slice is reused for the next
	// tile: copy it (array.NewSlice) to keep it.
	Slice array.Slice
	// SchemeIdx is the index of the tile's sig box in the tiling scheme.
	SchemeIdx int
}

// TileRequest says how to read a partition.
type TileRequest struct {
	// Scheme is the run's negotiated tiling scheme.
	Scheme TilingScheme
	// ROI selects nav positions (flat C order, len = nav size); nil selects all.
	ROI []bool
	// DType is the dtype of Tile.Data (the run's input dtype); the zero DType means the
	// native dtype.
	DType array.DType
	// Format is the array format of Tile.Data; it must be in Dataset.Formats().
	Format array.Format

	// fused, set only by the corrections wrapper through readFused, is the
	// *fusedCorr[T] a reader applies while it decodes.
	fused any
}

// Partition is a contiguous range of frames in flat nav order covering the full signal,
// the unit of work of a run (one task each).
type Partition struct {
	// Index is the partition's position in the dataset's partition list.
	Index int
	// Slice is the partition in flat-nav dataset coordinates (not ROI-adjusted):
	// origin (start, 0, ..., 0), shape (stop-start,)+sig.
	Slice array.Slice
	// StartFrame is the stored frame shown at nav position start: start + sync offset.
	// It may be negative or beyond the image count (those positions receive no data).
	// It is informational: readers use the dataset's sync offset.
	StartFrame int
}

// Start returns the first flat nav index of the partition.
func (p Partition) Start() int { return p.Slice.Origin[0] }

// Len returns the number of nav positions of the partition.
func (p Partition) Len() int { return p.Slice.Shape.Dim(0) }

// Stop returns one past the last flat nav index.
func (p Partition) Stop() int { return p.Start() + p.Len() }

// ROISlice returns the partition slice in ROI-compressed coordinates (roi nil: the
// slice itself).
func (p Partition) ROISlice(roi []bool) array.Slice {
	if roi == nil {
		return p.Slice
	}
	origin := countTrue(roi[:p.Start()])
	n := countTrue(roi[p.Start():p.Stop()])
	o := append([]int(nil), p.Slice.Origin...)
	o[0] = origin
	d := p.Slice.Shape.Dims()
	d[0] = n
	return array.Slice{Origin: o, Shape: array.NewShape(d, p.Slice.Shape.SigDims())}
}

// String formats as "Partition 3 [96, 128)".
func (p Partition) String() string {
	if len(p.Slice.Origin) == 0 || p.Slice.Shape.Len() == 0 {
		return fmt.Sprintf("Partition %d (no slice)", p.Index)
	}
	return fmt.Sprintf("Partition %d [%d, %d)", p.Index, p.Start(), p.Stop())
}

func countTrue(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

// Info describes a dataset for humans and the `info` command.
type Info struct {
	Format     string           // "memory", "raw", "npy", ...
	Path       string           // file path; empty for memory
	Shape      array.Shape      // nav + sig after overrides
	DType      array.DType      // native dtype
	ByteOrder  binary.ByteOrder // stored byte order; nil when it does not apply
	ImageCount int              // frames present
	SyncOffset int              // nav position i shows stored frame i+SyncOffset
	DataOffset int64            // byte offset of the first frame in the file
	Bytes      int64            // stored bytes of the frames present
	IO         string           // how tiles are read: "mmap", "memory", ...
	// Files lists every file the dataset reads, in frame order, when there is more than
	// the one at Path (sets of .mib files, sidecars, external HDF5 links, ...).
	Files []string
	// Details are format-specific facts for `stemflow info`, in display order: the
	// chosen HDF5 dataset and its chunking and filters, where the nav shape came from,
	// the counter depth, the corrections applied, ... Key is a short lower-case name.
	Details []InfoDetail
}

// InfoDetail is one format-specific line of Info: "key: value".
type InfoDetail struct {
	Key, Value string
}

// String returns a multi-line "key: value" description.
func (i Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "format: %s\n", i.Format)
	if i.Path != "" {
		fmt.Fprintf(&b, "path: %s\n", i.Path)
	}
	fmt.Fprintf(&b, "shape: %v (nav %v, sig %v)\n", i.Shape.Dims(), i.Shape.Nav(), i.Shape.Sig())
	fmt.Fprintf(&b, "dtype: %s\n", i.DType.TypeStr(i.ByteOrder))
	fmt.Fprintf(&b, "image_count: %d\n", i.ImageCount)
	fmt.Fprintf(&b, "sync_offset: %d\n", i.SyncOffset)
	if i.DataOffset != 0 {
		fmt.Fprintf(&b, "data_offset: %d\n", i.DataOffset)
	}
	fmt.Fprintf(&b, "bytes: %d\n", i.Bytes)
	if i.IO != "" {
		fmt.Fprintf(&b, "io: %s\n", i.IO)
	}
	if len(i.Files) > 0 {
		fmt.Fprintf(&b, "files: %d\n", len(i.Files))
		for _, f := range i.Files {
			fmt.Fprintf(&b, "  %s\n", f)
		}
	}
	for _, d := range i.Details {
		fmt.Fprintf(&b, "%s: %s\n", d.Key, d.Value)
	}
	return b.String()
}
