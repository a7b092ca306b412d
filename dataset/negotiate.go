package dataset

import (
	"math"
	"slices"

	"github.com/stemflow/stemflow/array"
)

// NegotiationInput holds everything the tiling negotiation depends on, as plain values, so
// that it can be computed and tested without a dataset. NegotiationFor fills it from a
// dataset.
type NegotiationInput struct {
	// UDFs are the preferences of every UDF of the run (at least one).
	UDFs []TilingPrefs
	// ReadDType is the dtype tiles are delivered in (the run's input dtype).
	ReadDType array.DType
	// NativeDType is the dataset's stored dtype; it sets the minimum sig size
	// (4·4096 bytes of native data).
	NativeDType array.DType
	// PartitionShape is the approximate partition shape (Pn,)+sig: the first partition's
	// flat shape.
	PartitionShape []int
	// BaseShape is the dataset's base tile shape (1,)+sig-base (len = 1 + sig axes);
	// nil means the default (1, 1, ..., 1, sig[-1]): whole rows.
	BaseShape []int
	// MaxIOSize is the dataset's largest I/O in bytes when a read needs a copy or
	// decode; 0 means DefaultIOSize.
	MaxIOSize int64
	// NeedDecode tells whether reading needs a copy or decode (Dataset.NeedDecode). If
	// false, tiles may be whole partitions (zero-copy; see MaxViewBytes).
	NeedDecode bool
	// FullFrames tells that tiles of whole frames cost nothing beyond the read itself
	// (the dataset's DirectFramer says so: a pread of native frames goes straight into
	// the tile buffer, while a sig box needs a second copy). Tile UDFs then get whole
	// frames when they fit the byte budget (see Negotiate).
	FullFrames bool
	// MaxViewBytes, when positive, bounds the tiles of tile UDFs on reads that need no
	// decode (zero-copy views of a mapping or of memory), which the reference's rule
	// makes whole partitions: their depth is cut so that a tile holds at most this many
	// bytes (see Negotiate). 0 keeps the reference's rule. NegotiationFor sets
	// ViewMaxBytes.
	MaxViewBytes int64
	// Adjust is the dataset's veto (Dataset.AdjustTileShape bound to the run's ROI):
	// it receives the negotiated tile shape and returns the one to use. nil keeps it.
	Adjust func(tileshape []int) []int
}

// FullFrameMaxBytes is the largest tile of whole frames negotiation hands tile UDFs
// with FullFrames when a UDF's explicit depth needs more than the byte budget (4 MiB).
const FullFrameMaxBytes = 4 << 20

// ViewMaxBytes is the largest zero-copy tile NegotiationFor lets negotiation hand tile
// UDFs (NegotiationInput.MaxViewBytes): 4 MiB, 64 frames of 128×128 float32. A view
// costs nothing to cut, and a bounded tile is what keeps cancellation prompt: the
// engine checks the context between tiles, and a whole-partition view of a large file
// (512 MiB per partition for 1 GiB on 2 workers) ran for seconds before the next
// check. Several UDFs of a run also find a small tile still in the CPU cache.
const ViewMaxBytes = 4 << 20

// Negotiate computes the run's tiling scheme from the inputs exactly as the reference's
// negotiator (without corrections): the depth preference of tile UDFs is a
// minimum, frame UDFs get multi-frame tiles, partition UDFs whole partitions, and without
// decoding a tile UDF gets the whole partition. The dataset's veto (Adjust) is applied
// last. Errors wrap ErrTiling.
//
// One deviation from the reference, only with FullFrames (reads that copy anyway but
// can put whole frames straight into the tile buffer): when every UDF processes tiles
// and one frame fits the byte budget, the tile holds whole frames instead of sig boxes
// — as many as fit the budget, at most the partition, rounded down to a multiple of
// the least common multiple of the UDFs' DepthMultiple (at least that) — so long as the
// tile stays within max(budget, FullFrameMaxBytes); otherwise the reference's shape
// stands. The rule also replaces a reference shape of whole frames whose depth is not
// such a multiple (small frames, small I/O size). Sig boxes would cost a second copy of
// every byte; whole frames also give the same tiles (and bit-identical results) as the
// zero-copy path, which hands tile UDFs whole frames too.
//
// A second deviation, only with MaxViewBytes: when no read needs a decode and every
// UDF processes tiles, the reference's tile (for UDFs without a byte budget, the whole
// partition) is cut to the depth that fits MaxViewBytes — at least one frame, at least
// the deepest explicit Depth any UDF asked for (DepthMax keeps the whole partition),
// and a multiple of the least common multiple of the UDFs' DepthMultiple (at least
// one such block, which may exceed MaxViewBytes), never deeper than before. A tile
// that fits is rounded down to whole blocks too, so that uneven partitions (longer
// than the first, which the shape is negotiated for) are still cut into whole blocks.
func Negotiate(in NegotiationInput) (TilingScheme, error) {
	if len(in.UDFs) == 0 {
		return TilingScheme{}, newErr("", "udfs", ErrTiling, "no UDF preferences given")
	}
	if len(in.PartitionShape) < 2 {
		return TilingScheme{}, newErr("", "partition_shape", ErrTiling, "partition shape %v needs a frame axis and at least one sig axis", in.PartitionShape)
	}
	for i, v := range in.PartitionShape {
		if v <= 0 {
			return TilingScheme{}, newErr("", "partition_shape", ErrTiling, "partition shape %v: axis %d is not positive", in.PartitionShape, i)
		}
	}
	b := int64(in.ReadDType.ItemSize())
	if b <= 0 || !in.ReadDType.IsNumeric() {
		return TilingScheme{}, newErr("", "read_dtype", ErrTiling, "read dtype %v is not numeric", in.ReadDType)
	}
	pn := in.PartitionShape[0]
	sig := in.PartitionShape[1:]
	sigSize := int64(prodInts(sig))
	partBytes := b * int64(pn) * sigSize

	// 2. I/O size.
	var ioMax int64
	if in.NeedDecode {
		ioMax = in.MaxIOSize
		if ioMax <= 0 {
			ioMax = DefaultIOSize
		}
	} else {
		ioMax = partBytes
	}

	// 3. depth, 5. intent.
	depth := 1
	anyFrame, anyPart := false, false
	for _, u := range in.UDFs {
		d := 1
		switch u.Method {
		case MethodPartition:
			d = pn
			anyPart = true
		case MethodFrame:
			d = 1
			anyFrame = true
		case MethodTile:
			d = u.Depth
			if d <= 0 {
				d = DepthDefault
			}
			d = min(d, pn)
		default:
			return TilingScheme{}, newErr("", "method", ErrTiling, "unknown method %v", u.Method)
		}
		depth = max(depth, d)
	}
	intent := MethodTile
	if anyPart {
		intent = MethodPartition
	} else if anyFrame {
		intent = MethodFrame
	}

	// 4. base shape (sig part only).
	var base []int
	if anyFrame || anyPart {
		base = append([]int(nil), sig...)
	} else if in.BaseShape != nil {
		if len(in.BaseShape) != len(sig)+1 {
			return TilingScheme{}, newErr("", "base_shape", ErrTiling, "base shape %v needs %d axes", in.BaseShape, len(sig)+1)
		}
		base = append([]int(nil), in.BaseShape[1:]...)
		for i, v := range base {
			if v <= 0 || v > sig[i] {
				return TilingScheme{}, newErr("", "base_shape", ErrTiling, "base shape %v does not fit the signal %v", in.BaseShape, sig)
			}
		}
	} else {
		base = make([]int, len(sig))
		for i := range base {
			base[i] = 1
		}
		base[len(base)-1] = sig[len(sig)-1]
	}
	baseBytes := b * int64(prodInts(base))

	// 6. size in bytes.
	var size int64
	for i, u := range in.UDFs {
		var s int64
		switch u.Method {
		case MethodFrame:
			s = max(int64(DefaultIOSize), b*sigSize)
		case MethodPartition:
			s = partBytes
		case MethodTile:
			s = ioMax
			if u.TotalSize > 0 {
				s = min(u.TotalSize, ioMax)
			}
			s = max(s, baseBytes)
		}
		if i == 0 {
			size = s
		} else if intent == MethodPartition {
			size = max(size, s)
		} else {
			size = min(size, s)
		}
	}
	sizePx := size / b

	// 8. depth cap from the minimum sig size.
	nativeSize := in.NativeDType.ItemSize()
	if nativeSize <= 0 {
		nativeSize = int(b)
	}
	minSig := int64(4 * 4096 / nativeSize)
	minFactors := scaleFactors(base, sig, nil, minSig)
	unit := int64(1)
	for i := range base {
		unit *= int64(base[i] * minFactors[i])
	}
	maxDepth := max(1, sizePx/unit)
	depth = int(min(int64(depth), maxDepth))

	// 9. scale the base up to the size.
	shape1 := append([]int{1}, base...)
	start := append([]int{depth}, minFactors...)
	factors := scaleFactors(shape1, in.PartitionShape, start, sizePx)
	tileshape := make([]int, len(shape1))
	for i := range shape1 {
		tileshape[i] = shape1[i] * factors[i]
	}

	// 11 (before the veto). size check.
	limit := max(size, ioMax) / b
	if int64(prodInts(tileshape)) > limit {
		return TilingScheme{}, newErr("", "tileshape", ErrTiling, "tile shape %v (%d elements) exceeds the size limit of %d elements", tileshape, prodInts(tileshape), limit)
	}
	for i := 1; i < len(tileshape); i++ {
		if tileshape[i]%base[i-1] != 0 && tileshape[i] != sig[i-1] {
			return TilingScheme{}, newErr("", "tileshape", ErrTiling, "tile shape %v: axis %d is neither a multiple of the base shape %v nor the full signal", tileshape, i, base)
		}
	}

	// 10a. whole frames when they cost no copy (the deviation above); also when the
	// reference's shape is whole frames already but too shallow for a DepthMultiple
	// (small frames and a small I/O size), which would break the bit-identity with
	// whole-partition tiles that DepthMultiple promises.
	if in.FullFrames && intent == MethodTile && (!slices.Equal(tileshape[1:], sig) || !depthMultipleOK(in.UDFs, tileshape[0], pn)) {
		if ts, ok := fullFrameShape(in.UDFs, b, sig, pn, size); ok {
			tileshape = ts
		}
	}

	// 10b. bounded zero-copy tiles (the second deviation above).
	if !in.NeedDecode && in.MaxViewBytes > 0 && intent == MethodTile {
		tileshape[0] = viewDepth(in.UDFs, tileshape, b, in.MaxViewBytes)
	}

	// 10. dataset veto.
	if in.Adjust != nil {
		tileshape = in.Adjust(append([]int(nil), tileshape...))
	}
	return NewTilingScheme(tileshape, sig, intent)
}

// fullFrameShape is the whole-frame tile shape of Negotiate's FullFrames rule for
// read dtype size b, signal sig, partition depth pn and byte budget size; ok is false
// when no such tile fits.
func fullFrameShape(udfs []TilingPrefs, b int64, sig []int, pn int, size int64) ([]int, bool) {
	fb := b * int64(prodInts(sig))
	fit := size / fb
	if fit < 1 {
		return nil, false
	}
	want := 1
	for _, u := range udfs {
		if u.DepthMultiple > 1 {
			want = lcm(want, u.DepthMultiple)
		}
	}
	d := int(min(fit, int64(pn)))
	if want > 1 && want < pn {
		d = want * max(1, d/want)
	} else if want > 1 {
		d = pn // a partition shallower than one block is one block
	}
	if int64(d)*fb > max(size, FullFrameMaxBytes) {
		return nil, false
	}
	return append([]int{d}, sig...), true
}

// viewDepth is the depth of Negotiate's bounded zero-copy rule for the negotiated tile
// shape ts of read dtype size b and the byte bound maxBytes: the deepest depth whose
// tile fits (at least 1), raised to the UDFs' explicit depths and rounded to a multiple
// of their DepthMultiple, at most ts[0]. A tile that fits keeps ts[0] when it is a whole
// number of blocks; otherwise it is rounded down to one too, so that a longer
// partition than the one negotiated for (uneven partitions) still gets whole blocks.
func viewDepth(udfs []TilingPrefs, ts []int, b, maxBytes int64) int {
	d := ts[0]
	slice := b * int64(prodInts(ts[1:]))
	fit := int(min(int64(d), max(1, maxBytes/slice)))
	deep, want := 0, 1
	for _, u := range udfs {
		if u.Depth >= d || u.DepthMultiple >= d {
			return d // an explicit depth (DepthMax) or one block covers the tile
		}
		deep = max(deep, u.Depth)
		if u.DepthMultiple > 1 {
			if want = lcm(want, u.DepthMultiple); want >= d {
				return d
			}
		}
	}
	n := max(fit, deep)
	if want > 1 {
		n = max(want, fit/want*want, (deep+want-1)/want*want)
	}
	return min(n, d)
}

// depthMultipleOK reports whether tiles of depth frames, in partitions of pn frames,
// respect every UDF's DepthMultiple: a multiple of their least common multiple, or the
// whole partition.
func depthMultipleOK(udfs []TilingPrefs, depth, pn int) bool {
	want := 1
	for _, u := range udfs {
		if u.DepthMultiple > 1 {
			want = lcm(want, u.DepthMultiple)
		}
	}
	return depth%want == 0 || depth >= pn
}

// lcm returns the least common multiple of two positive integers.
func lcm(a, b int) int {
	x, y := a, b
	for y != 0 {
		x, y = y, x%y
	}
	return a / x * b
}

// scaleFactors is the reference's scale(shape, containing, target, start): per-axis
// integer factors, starting from start (or ones), grown axis by axis so that
// prod(shape·factors) approaches target without exceeding containing.
func scaleFactors(shape, containing, start []int, target int64) []int {
	n := len(shape)
	factors := make([]int, n)
	for i := range factors {
		factors[i] = 1
		if start != nil {
			factors[i] = start[i]
		}
	}
	maxf := make([]int, n)
	for i := range n {
		maxf[i] = max(1, containing[i]/shape[i])
	}
	cur := func() int64 {
		p := int64(1)
		for i := range n {
			p *= int64(shape[i] * factors[i])
		}
		return p
	}
	rest := math.Max(1, float64(target)/float64(cur()))
	for i := range n {
		f := int(math.Floor(rest * float64(factors[i])))
		// numpy clip semantics: min(max(f, lo), hi)
		f = min(max(f, factors[i]), maxf[i])
		factors[i] = f
		rest = math.Max(1, math.Floor(float64(target)/float64(cur())))
	}
	return factors
}

// NegotiationFor builds the negotiation input for a run over ds: the UDFs' preferences,
// the run's read dtype, its ROI (nil for none) and the number of partitions the run uses
// (which sets the approximate partition shape).
func NegotiationFor(ds Dataset, udfs []TilingPrefs, read array.DType, roi []bool, numPartitions int) NegotiationInput {
	shape := ds.Shape()
	frames := shape.NavSize()
	bounds := PartitionBoundaries(frames, max(1, numPartitions))
	pn := bounds[1] - bounds[0]
	p := append([]int{pn}, shape.Sig()...)
	return NegotiationInput{
		UDFs:           udfs,
		ReadDType:      read,
		NativeDType:    ds.DType(),
		PartitionShape: p,
		BaseShape:      ds.BaseShape(),
		MaxIOSize:      ds.MaxIOSize(),
		NeedDecode:     ds.NeedDecode(read, roi),
		FullFrames:     directFrames(ds, read, roi),
		MaxViewBytes:   ViewMaxBytes,
		Adjust: func(ts []int) []int {
			return ds.AdjustTileShape(ts, roi)
		},
	}
}

func prodInts(d []int) int {
	p := 1
	for _, v := range d {
		p *= v
	}
	return p
}

// DirectFramer is implemented by datasets whose copying reads put whole stored frames
// straight into the tile buffer (pread of native-dtype frames): for them a tile of
// whole frames costs the read alone, while a tile of sig boxes costs a second copy.
// Negotiation then prefers whole frames (NegotiationInput.FullFrames).
type DirectFramer interface {
	// DirectFrames reports whether tiles of whole frames in dtype read, with the
	// ROI roi (nil for none), are read straight into the tile buffer.
	DirectFrames(read array.DType, roi []bool) bool
}

// directFrames reports whether ds is a DirectFramer that reads whole frames in dtype
// read directly.
func directFrames(ds Dataset, read array.DType, roi []bool) bool {
	df, ok := ds.(DirectFramer)
	return ok && df.DirectFrames(read, roi)
}
