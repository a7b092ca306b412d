package dataset

import (
	"encoding/binary"
	"slices"

	"github.com/stemflow/stemflow/array"
)

// base holds what every format shares: the (overridden) shape, native dtype and byte
// order, image count, sync offset and the tiling hints. Formats embed it.
type base struct {
	format        string
	path          string
	shape         array.Shape
	native        array.DType
	order         binary.ByteOrder
	imageCount    int
	syncOffset    int
	numPartitions int   // user's num_partitions; 0 = generic rule
	baseShape     []int // nil = default
	tileShape     []int // forced tile shape (memory); nil = none
	maxIO         int64
	forceDecode   bool
	copyIO        bool // reads always copy (pread I/O)
	dataOffset    int64
	io            string
}

// Shape returns the dataset shape after overrides.
func (b *base) Shape() array.Shape { return b.shape }

// DType returns the native dtype.
func (b *base) DType() array.DType { return b.native }

// ImageCount returns the number of stored frames.
func (b *base) ImageCount() int { return b.imageCount }

// SyncOffset returns the sync offset.
func (b *base) SyncOffset() int { return b.syncOffset }

// Formats returns the dense format only.
func (b *base) Formats() []array.Format { return []array.Format{array.FormatDense} }

// BaseShape returns the base tile shape: the base_shape option, else (1,)+the forced
// tileshape's sig part, else whole rows (1, 1, ..., sig[-1]).
func (b *base) BaseShape() []int {
	if b.baseShape != nil {
		return slices.Clone(b.baseShape)
	}
	if b.tileShape != nil {
		return append([]int{1}, b.tileShape[1:]...)
	}
	sig := b.shape.Sig()
	out := make([]int, 1+len(sig))
	for i := range out {
		out[i] = 1
	}
	out[len(out)-1] = sig[len(sig)-1]
	return out
}

// AdjustTileShape returns the forced tile shape if the dataset has one, else tileshape.
func (b *base) AdjustTileShape(tileshape []int, roi []bool) []int {
	if b.tileShape != nil {
		return slices.Clone(b.tileShape)
	}
	return tileshape
}

// MaxIOSize returns the max_io_size option (0 = default).
func (b *base) MaxIOSize() int64 { return b.maxIO }

// NeedDecode is true when a ROI is given, the read dtype differs from the native dtype,
// the stored byte order is not the host's, the sync offset is negative, decoding is
// forced (negotiation step 1), or the dataset reads with pread (every read copies).
func (b *base) NeedDecode(read array.DType, roi []bool) bool {
	if !read.IsValid() {
		read = b.native
	}
	return roi != nil || read != b.native || needsSwap(b.native, b.order) || b.syncOffset < 0 || b.forceDecode || b.copyIO
}

// frameRange returns the flat-nav positions [lo, hi) of partition p whose stored frame
// exists (position i shows stored frame i+syncOffset). ok is false when there is nothing
// to read: no such position, or a ROI that selects none of them.
func (b *base) frameRange(p Partition, roi []bool) (lo, hi int, ok bool) {
	lo = max(p.Start(), -b.syncOffset)
	hi = min(p.Stop(), b.imageCount-b.syncOffset)
	if lo >= hi || roi != nil && countTrue(roi[lo:hi]) == 0 {
		return lo, hi, false
	}
	return lo, hi, true
}

// DefaultPartitions returns the num_partitions option (0 = generic rule).
func (b *base) DefaultPartitions(workers int) int { return b.numPartitions }

// Info describes the dataset.
func (b *base) Info() Info {
	var order binary.ByteOrder = b.order
	if order == nil && b.native.ItemSize() > 1 && b.native.Kind() != array.KindBool {
		order = binary.LittleEndian
		if hostBig {
			order = binary.BigEndian
		}
	}
	return Info{
		Format:     b.format,
		Path:       b.path,
		Shape:      b.shape,
		DType:      b.native,
		ByteOrder:  order,
		ImageCount: b.imageCount,
		SyncOffset: b.syncOffset,
		DataOffset: b.dataOffset,
		Bytes:      int64(b.imageCount) * int64(b.shape.SigSize()) * int64(b.native.ItemSize()),
		IO:         b.io,
	}
}

// ShapeOptions are the shape-related options every format accepts.
type ShapeOptions struct {
	// NavShape overrides the nav extents; its product may not exceed the stored
	// frames. nil keeps the stored nav shape.
	NavShape []int
	// SigShape overrides the sig extents; its product must equal the stored frame
	// size. nil keeps the stored sig shape.
	SigShape []int
	// SyncOffset is the sync offset k, -image_count < k < image_count.
	SyncOffset int
}

// checkExtents validates that every extent is positive.
func checkExtents(path, field string, dims []int) error {
	if len(dims) == 0 {
		return newErr(path, field, ErrShape, "no extents given")
	}
	for i, v := range dims {
		if v <= 0 {
			return newErr(path, field, ErrShape, "extent %d of axis %d is not positive (shape %v)", v, i, dims)
		}
	}
	return nil
}

// resolveShape applies nav/sig overrides to a stored layout of imageCount frames of
// sigShape, with storedNav the nav extents the storage declares (nil for headerless
// files, which must give NavShape). It returns the dataset shape.
func resolveShape(path string, storedNav, storedSig []int, imageCount int, o ShapeOptions) (array.Shape, error) {
	sig := storedSig
	if o.SigShape != nil {
		if err := checkExtents(path, "sig_shape", o.SigShape); err != nil {
			return array.Shape{}, err
		}
		if a, ok := array.CheckedProd(o.SigShape...); !ok {
			return array.Shape{}, newErr(path, "sig_shape", ErrShape, "sig_shape %v has more elements than fit in 64 bits", o.SigShape)
		} else if a != prodInts(storedSig) {
			return array.Shape{}, newErr(path, "sig_shape", ErrSigSize, "sig_shape %v has %d elements, the stored frame %v has %d", o.SigShape, a, storedSig, prodInts(storedSig))
		}
		sig = o.SigShape
	}
	nav := storedNav
	if o.NavShape != nil {
		if err := checkExtents(path, "nav_shape", o.NavShape); err != nil {
			return array.Shape{}, err
		}
		nav = o.NavShape
	}
	if nav == nil {
		return array.Shape{}, newErr(path, "nav_shape", ErrShape, "nav_shape is required")
	}
	if err := checkExtents(path, "nav_shape", nav); err != nil {
		return array.Shape{}, err
	}
	if err := checkExtents(path, "sig_shape", sig); err != nil {
		return array.Shape{}, err
	}
	dims := append(slices.Clone(nav), sig...)
	if _, ok := array.CheckedProd(dims...); !ok {
		field := "nav_shape"
		if o.NavShape == nil && o.SigShape != nil {
			field = "sig_shape"
		}
		return array.Shape{}, newErr(path, field, ErrShape, "nav %v × sig %v has more elements than fit in 64 bits", nav, sig)
	}
	return array.NewShape(dims, len(sig)), nil
}

// checkBytes returns the byte size of a shape's frames (frame) and of all of them
// (total) for items of isz bytes, or an ErrShape error when either overflows 64 bits.
func checkBytes(path string, shape array.Shape, isz int) (frame, total int64, err error) {
	f, ok1 := array.CheckedMul(shape.SigSize(), isz)
	t, ok2 := array.CheckedMul(shape.NavSize(), f)
	if !ok1 || !ok2 {
		return 0, 0, newErr(path, "nav_shape", ErrShape, "%v of %d-byte items is more bytes than fit in 64 bits", shape, isz)
	}
	return int64(f), int64(t), nil
}

// checkSync validates -imageCount < k < imageCount; with no stored frames (an empty
// raw_csr dataset) only k = 0 is valid.
func checkSync(path string, k, imageCount int) error {
	if imageCount == 0 {
		if k != 0 {
			return newErr(path, "sync_offset", ErrSyncOffset, "sync_offset %d with no stored frames", k)
		}
		return nil
	}
	if k <= -imageCount || k >= imageCount {
		return newErr(path, "sync_offset", ErrSyncOffset, "sync_offset %d outside (-%d, %d), the stored image count is %d", k, imageCount, imageCount, imageCount)
	}
	return nil
}
