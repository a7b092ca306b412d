package dataset

import (
	"fmt"
	"math"
	"strings"

	"github.com/stemflow/stemflow/array"
)

// Method is how a UDF wants its data: tiles, single frames or whole partitions (the
// reference's processing methods). It is also a tiling scheme's intent.
type Method int

// The processing methods, in the reference's order of precedence tile > frame > partition.
const (
	MethodTile Method = iota
	MethodFrame
	MethodPartition
)

// String returns "tile", "frame" or "partition".
func (m Method) String() string {
	switch m {
	case MethodTile:
		return "tile"
	case MethodFrame:
		return "frame"
	case MethodPartition:
		return "partition"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// Tiling constants of the reference negotiator.
const (
	// DepthDefault is the tile depth (frames) a tile UDF asks for when it names none.
	DepthDefault = 32
	// DepthMax asks for tiles as deep as the partition (the reference's "MAX").
	DepthMax = math.MaxInt
	// BestFit is the total tile size in bytes that fits a CPU cache well (1 MiB); a
	// UDF passes it as TilingPrefs.TotalSize.
	BestFit = 1 << 20
	// DefaultIOSize is the I/O size used when a read needs a copy or decode and the
	// dataset states no maximum (1 MiB).
	DefaultIOSize = 1 << 20
	// MaxPartitionBytes is the target size of one partition in float32 bytes (512 MiB)
	// in the default partition-count rule.
	MaxPartitionBytes = 512 << 20
)

// TilingPrefs are one UDF's wishes for the tiling negotiation.
type TilingPrefs struct {
	// Method is the processing method the UDF will use.
	Method Method
	// Depth is the minimum tile depth in frames for MethodTile; 0 means DepthDefault,
	// DepthMax means the whole partition. Ignored for the other methods.
	Depth int
	// TotalSize is the largest tile in bytes the UDF wants for MethodTile; 0 means
	// unlimited (bounded by the dataset's I/O size). BestFit is a good choice.
	TotalSize int64
	// DepthMultiple, when positive, says the UDF reduces blocks of that many frames
	// counted from the partition's start, so that tiles whose depth is a multiple of
	// it (the last of a partition excepted) give bit-identical results to whole-
	// partition tiles. Only Negotiate's whole-frame rule (FullFrames) and its bound on
	// zero-copy tiles (MaxViewBytes) use it; the reference's rule ignores it.
	DepthMultiple int
}

// TilingScheme is the tiling of a run: every tile holds Depth frames (fewer at the end of
// a partition) of one signal box; the boxes tile the whole signal in C order, border boxes
// cropped. A TilingScheme is immutable once made; share it freely.
type TilingScheme struct {
	// Shape is the tile shape: depth followed by the (uncropped) sig box extents.
	Shape []int
	// Boxes are the sig boxes as slices with only sig axes (Shape.SigDims() == len).
	Boxes []array.Slice
	// Depth is Shape[0]. With Intent MethodPartition readers use each partition's
	// frame count instead.
	Depth int
	// Intent is the method the scheme was negotiated for.
	Intent Method
	// Sig is the dataset's signal shape the boxes tile.
	Sig []int
}

// NewTilingScheme makes the scheme with tile shape tileshape = (depth,)+box over a
// signal of extents sig. Box extents larger than sig are an error (wrapping ErrTiling),
// as are non-positive extents.
func NewTilingScheme(tileshape, sig []int, intent Method) (TilingScheme, error) {
	if len(tileshape) != len(sig)+1 {
		return TilingScheme{}, newErr("", "tileshape", ErrTiling, "tileshape %v needs %d axes (depth + %d sig axes)", tileshape, len(sig)+1, len(sig))
	}
	for i, v := range tileshape {
		if v <= 0 {
			return TilingScheme{}, newErr("", "tileshape", ErrTiling, "tileshape %v: extent %d of axis %d is not positive", tileshape, v, i)
		}
	}
	for i, v := range sig {
		if v <= 0 {
			return TilingScheme{}, newErr("", "sig", ErrTiling, "sig shape %v: extent of axis %d is not positive", sig, i)
		}
		if tileshape[i+1] > v {
			return TilingScheme{}, newErr("", "tileshape", ErrTiling, "tileshape %v: sig extent %d of axis %d exceeds the signal %v", tileshape, tileshape[i+1], i, sig)
		}
	}
	return TilingScheme{
		Shape:  append([]int(nil), tileshape...),
		Boxes:  sigBoxes(sig, tileshape[1:]),
		Depth:  tileshape[0],
		Intent: intent,
		Sig:    append([]int(nil), sig...),
	}, nil
}

// sigBoxes enumerates the boxes of extent box tiling sig, C order over the grid of
// boxes (last axis fastest), border boxes cropped.
func sigBoxes(sig, box []int) []array.Slice {
	n := len(sig)
	counts := make([]int, n)
	total := 1
	for i := range sig {
		counts[i] = (sig[i] + box[i] - 1) / box[i]
		total *= counts[i]
	}
	out := make([]array.Slice, 0, total)
	idx := make([]int, n)
	for k := 0; k < total; k++ {
		origin := make([]int, n)
		ext := make([]int, n)
		for i := range n {
			origin[i] = idx[i] * box[i]
			ext[i] = min(box[i], sig[i]-origin[i])
		}
		out = append(out, array.Slice{Origin: origin, Shape: array.NewShape(ext, n)})
		for i := n - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < counts[i] {
				break
			}
			idx[i] = 0
		}
	}
	return out
}

// Len returns the number of sig boxes.
func (s TilingScheme) Len() int { return len(s.Boxes) }

// Box returns sig box i.
func (s TilingScheme) Box(i int) array.Slice { return s.Boxes[i] }

// IsZero reports whether s is the zero TilingScheme (no boxes).
func (s TilingScheme) IsZero() bool { return len(s.Boxes) == 0 }

// FullSig reports whether the scheme has a single box covering the whole signal.
func (s TilingScheme) FullSig() bool {
	if len(s.Boxes) != 1 {
		return false
	}
	for i, v := range s.Sig {
		if s.Shape[i+1] != v {
			return false
		}
	}
	return true
}

// DepthFor returns the tile depth used for a partition of n frames: n for intent
// MethodPartition, else Depth.
func (s TilingScheme) DepthFor(n int) int {
	if s.Intent == MethodPartition {
		return max(1, n)
	}
	return s.Depth
}

// String formats the scheme as "TilingScheme(tile, (32, 32, 256), 8 boxes)".
func (s TilingScheme) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "TilingScheme(%s, %v, %d boxes)", s.Intent, s.Shape, len(s.Boxes))
	return b.String()
}
