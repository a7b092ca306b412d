package udfs

import (
	"fmt"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/internal/kernels"
	"github.com/stemflow/stemflow/udf"
)

// sumGroup is the number of frames Sum adds in float32 before adding them to its
// float64 accumulators.
const sumGroup = 16

// Sum sums all frames: intensity (kind sig) = Σ over the ROI-selected frames. It is
// the reference's SumUDF. With DType set, DType is the preferred input dtype and
// intensity has the run's input dtype, exactly as in the reference. With the zero
// DType, Sum reads the stored dtype (integer data is not decoded to float32 first)
// and intensity has dtype result_type(input, float32): for the reference's default
// (float32) the same dtype and values, but a run of Sum alone on uint16 data reports
// an input dtype of uint16 (a deliberate deviation: the decode is fused into the sum).
//
// Partial sums are exact integer sums (uint16), float32 sums of at most 16 frames
// (dense tiles) or of at most 64 frames (float32 CSR tiles; integer CSR tiles of at
// most 16 bits sum exactly), accumulated in float64 (complex128) and rounded into intensity once per partition;
// partitions are merged in order, and MergeAll sums the partials in float64.
type Sum struct {
	// DType is the preferred input dtype; the zero value means the stored dtype with
	// a float32 result (see the type comment).
	DType array.DType
}

// Name returns "Sum".
func (Sum) Name() string { return "Sum" }

// PreferredInputDType returns s.DType, or udf.NativeDType when it is zero.
func (s Sum) PreferredInputDType() array.DType {
	if s.DType == (array.DType{}) {
		return udf.NativeDType
	}
	return s.DType
}

// dtype returns intensity's dtype for input dtype in.
func (s Sum) dtype(in array.DType) array.DType {
	if s.DType == (array.DType{}) {
		return array.ResultType(in, array.Float32)
	}
	return in
}

// ResultBuffers declares intensity: sig, input dtype (or result_type(input, float32)
// with the zero DType).
func (s Sum) ResultBuffers(m *udf.Meta) []udf.BufferSpec {
	return []udf.BufferSpec{udf.SigBuffer("intensity", s.dtype(m.InputDType)).OnDevice()}
}

// TilingPreferences asks for tile depths that are multiples of the 16-frame group (see
// the type comment), so that any such tiling gives bit-identical sums.
func (Sum) TilingPreferences(*udf.Meta) udf.TilingPrefs {
	return udf.TilingPrefs{DepthMultiple: sumGroup}
}

// sumTask is Sum's per-task scratch.
type sumTask struct {
	npix int          // signal pixels
	acc  []float64    // real input; nil until needed with uint16 input (see ensureAcc)
	accC []complex128 // complex input
	tmp  []float32    // float32 group sums
	// acc32 holds exact uint16 sums of n32 frames, flushed into acc before they
	// could overflow.
	acc32 []uint32
	n32   int
	// grp holds float32 sums of grpRows CSR rows (see sumCSRGrouped).
	grp     []float32
	grpRows int
	box     sigBox
	sig     []int
}

// TaskData allocates the float64 accumulators of the partition.
func (Sum) TaskData(env *udf.Env) (any, error) {
	sig := env.Meta.DatasetShape.Sig()
	t := &sumTask{sig: sig, npix: env.Meta.DatasetShape.SigSize()}
	switch {
	case env.Meta.InputDType.Kind() == array.KindComplex:
		t.accC = make([]complex128, t.npix)
	case env.Meta.InputDType != array.Uint16:
		t.ensureAcc()
	}
	return t, nil
}

// ensureAcc allocates the float64 accumulators on first use. Dense uint16 tiles sum
// into acc32 and, in a partition of fewer than maxU32Frames frames, never need them:
// Postprocess then rounds acc32 straight into intensity, which spares a pass over
// 8 bytes per pixel and, in a one-shot process, the page faults of fresh memory.
func (t *sumTask) ensureAcc() {
	if t.acc == nil {
		t.acc = make([]float64, t.npix)
	}
}

// ProcessTile adds the tile's frames to the accumulators.
func (Sum) ProcessTile(env *udf.Env, tile array.Array) error {
	t := env.TaskData().(*sumTask)
	t.box.set(t.sig, env.Meta.SigSlice)
	depth := env.Meta.Slice.Shape.Dim(0)
	if _, u16 := tile.(*array.Dense[uint16]); !u16 && t.accC == nil {
		t.ensureAcc()
	}
	switch d := tile.(type) {
	case *array.Dense[float32]:
		data := tileData(d)
		px := t.box.size()
		if t.box.full {
			// Sum up to sumGroup frames in float32 (SIMD column sums, four rows
			// per pass, sequential reads), then add the group to the float64
			// accumulators: the float32 error is bounded by the group, not by
			// the partition.
			acc := t.acc[t.box.start : t.box.start+px]
			if cap(t.tmp) < px {
				t.tmp = make([]float32, px)
			}
			tmp := t.tmp[:px]
			for f0 := 0; f0 < depth; f0 += sumGroup {
				k := min(sumGroup, depth-f0)
				if k == 1 {
					kernels.AddF32ToF64(acc, data[f0*px:(f0+1)*px])
					continue
				}
				clear(tmp)
				kernels.SumColsF32(tmp, data[f0*px:(f0+k)*px])
				kernels.AddF32ToF64(acc, tmp)
			}
			return nil
		}
		for f := 0; f < depth; f++ {
			for r := 0; r < t.box.runs; r++ {
				off := t.box.runOff(r)
				run := data[f*px+r*t.box.runLen : f*px+(r+1)*t.box.runLen]
				kernels.AddF32ToF64(t.acc[off:off+len(run)], run)
			}
		}
		return nil
	case *array.Dense[float64]:
		return sumTileReal(t, tileData(d), depth)
	case *array.Dense[uint16]:
		return sumTileU16(t, tileData(d), depth)
	case *array.Dense[bool]:
		c, err := array.Convert(d, array.Float32)
		if err != nil {
			return err
		}
		f, _ := flatOf[float32](c)
		return sumTileReal(t, f, depth)
	case *array.Dense[uint8]:
		return sumTileReal(t, tileData(d), depth)
	case *array.Dense[int8]:
		return sumTileReal(t, tileData(d), depth)
	case *array.Dense[int16]:
		return sumTileReal(t, tileData(d), depth)
	case *array.Dense[int32]:
		return sumTileReal(t, tileData(d), depth)
	case *array.Dense[uint32]:
		return sumTileReal(t, tileData(d), depth)
	case *array.Dense[int64]:
		return sumTileReal(t, tileData(d), depth)
	case *array.Dense[uint64]:
		return sumTileReal(t, tileData(d), depth)
	case *array.Dense[complex64]:
		return sumTileComplex(t, tileData(d), depth)
	case *array.Dense[complex128]:
		return sumTileComplex(t, tileData(d), depth)
	}
	return sumSparse(env, t, tile, depth)
}

// tileData returns the tile's elements in C order (box layout), copying only when
// the tile is not contiguous.
func tileData[T any](d *array.Dense[T]) []T {
	if c := contiguous(d); c != nil {
		return c
	}
	return contiguous(d.Copy())
}

// tileTypeError names an unsupported tile.
func tileTypeError(name string, tile array.Array) error {
	if tile.Format() != array.FormatDense {
		return fmt.Errorf("%w: %s: tile format %v (dense only)", ErrUnsupportedFormat, name, tile.Format())
	}
	return fmt.Errorf("%w: %s: tile dtype %v", ErrUnsupportedDType, name, tile.DType())
}

// maxU32Frames bounds the frames summed in uint32 before a flush (65535·65537 < 2³²).
const maxU32Frames = 65536

// sumTileU16 adds uint16 frames exactly in uint32 (SIMD widening adds).
func sumTileU16(t *sumTask, data []uint16, depth int) error {
	px := t.box.size()
	if t.acc32 == nil {
		t.acc32 = make([]uint32, t.npix)
	}
	for f := 0; f < depth; f++ {
		if t.n32 >= maxU32Frames-4 {
			t.flush32()
		}
		if t.box.full {
			acc := t.acc32[t.box.start : t.box.start+px]
			if f+4 <= depth {
				// Four frames per pass over the accumulators.
				addRows4U16ToU32(acc, data[f*px:(f+1)*px], data[(f+1)*px:(f+2)*px],
					data[(f+2)*px:(f+3)*px], data[(f+3)*px:(f+4)*px])
				f += 3
				t.n32 += 4
				continue
			}
			addU16ToU32(acc, data[f*px:(f+1)*px])
		} else {
			for r := 0; r < t.box.runs; r++ {
				off := t.box.runOff(r)
				run := data[f*px+r*t.box.runLen : f*px+(r+1)*t.box.runLen]
				addU16ToU32(t.acc32[off:off+len(run)], run)
			}
		}
		// Frames of different boxes count separately, but a box never sees more
		// frames than the partition, so counting per tile frame is an upper bound.
		t.n32++
	}
	return nil
}

// flush32 moves the exact uint32 sums into the float64 accumulators.
func (t *sumTask) flush32() {
	t.ensureAcc()
	for i, v := range t.acc32 {
		t.acc[i] += float64(v)
	}
	clear(t.acc32)
	t.n32 = 0
}

func sumTileReal[T realNumber](t *sumTask, data []T, depth int) error {
	px := t.box.size()
	for f := 0; f < depth; f++ {
		for r := 0; r < t.box.runs; r++ {
			off := t.box.runOff(r)
			run := data[f*px+r*t.box.runLen : f*px+(r+1)*t.box.runLen]
			addRowF64(t.acc[off:off+len(run)], run)
		}
	}
	return nil
}

func sumTileComplex[T complexNumber](t *sumTask, data []T, depth int) error {
	px := t.box.size()
	for f := 0; f < depth; f++ {
		for r := 0; r < t.box.runs; r++ {
			off := t.box.runOff(r)
			run := data[f*px+r*t.box.runLen : f*px+(r+1)*t.box.runLen]
			acc := t.accC[off : off+len(run)]
			for i, v := range run {
				acc[i] += complex128(v)
			}
		}
	}
	return nil
}

// Postprocess rounds the partition's accumulators into intensity.
func (Sum) Postprocess(env *udf.Env) error {
	t := env.TaskData().(*sumTask)
	if t.accC != nil {
		return storeC128(env.At(0), t.accC)
	}
	if t.acc == nil && t.acc32 != nil {
		// Only exact uint32 sums, never flushed: float32(s) is float32(0 + float64(s)),
		// the value the flush and storeF64 would give (one rounding of the same
		// integer), so it is stored directly.
		if d, ok := env.At(0).(*array.Dense[float32]); ok {
			if c := contiguous(d); c != nil && len(c) == len(t.acc32) {
				for i, v := range t.acc32 {
					c[i] = float32(v)
				}
				return nil
			}
		}
	}
	if t.acc32 != nil {
		t.flush32()
	}
	t.ensureAcc()
	t.flushGroup()
	return storeF64(env.At(0), t.acc)
}

// Merge adds src's intensity to dest's.
func (Sum) Merge(dest, src *udf.Views, _ *udf.Meta) error {
	return addInto(dest.At(0), src.At(0))
}

// MergeAll sums every partition's intensity in float64 (the reference's stack-sum).
func (s Sum) MergeAll(parts []udf.Partial, m *udf.Meta) (map[string]array.Array, error) {
	arrs := make([]array.Array, len(parts))
	for i, p := range parts {
		arrs[i] = p.Buffers.At(0)
	}
	out, err := sumParts(arrs, s.dtype(m.InputDType), m.DatasetShape.Sig())
	if err != nil {
		return nil, err
	}
	return map[string]array.Array{"intensity": out}, nil
}

// SumSig sums each frame: intensity (kind nav, dtype result_type(input, float32)) =
// Σ over the signal, per nav position (the reference's SumSigUDF). Sig-tiled frames
// accumulate (+=) over their boxes. Float32 frames are summed by the SIMD kernel in
// float64, uint16 frames by the SIMD uint16 kernel. SumSig reads the stored dtype
// (udf.NativeDType): the result dtype is the reference's, but a run of SumSig alone
// on integer data reports the stored input dtype (the decode is fused into the sum).
type SumSig struct{}

// Name returns "SumSig".
func (SumSig) Name() string { return "SumSig" }

// PreferredInputDType returns udf.NativeDType.
func (SumSig) PreferredInputDType() array.DType { return udf.NativeDType }

// ResultBuffers declares intensity: nav, result_type(input, float32).
func (SumSig) ResultBuffers(m *udf.Meta) []udf.BufferSpec {
	return []udf.BufferSpec{udf.NavBuffer("intensity", array.ResultType(m.InputDType, array.Float32)).OnDevice()}
}

// ProcessTile adds each frame's box sum to its nav entry.
func (SumSig) ProcessTile(env *udf.Env, tile array.Array) error {
	depth := env.Meta.Slice.Shape.Dim(0)
	out := env.At(0)
	switch d := tile.(type) {
	case *array.Dense[float32]:
		data := tileData(d)
		o, ok := out.(*array.Dense[float32])
		if !ok {
			return sumSigGeneric(out, data, depth)
		}
		ov := contiguous(o)
		if len(data) == 0 {
			return nil
		}
		px := len(data) / depth
		for f := range ov[:depth] {
			ov[f] += float32(kernels.SumF32To64(data[f*px : (f+1)*px]))
		}
		return nil
	case *array.Dense[float64]:
		return sumSigGeneric(out, tileData(d), depth)
	case *array.Dense[uint16]:
		data := tileData(d)
		o, ok := out.(*array.Dense[float32])
		if !ok || depth == 0 {
			return sumSigGeneric(out, data, depth)
		}
		ov := contiguous(o)
		px := len(data) / depth
		for f := range ov[:depth] {
			ov[f] += kernels.SumU16AsF32(data[f*px : (f+1)*px])
		}
		return nil
	case *array.Dense[bool]:
		c, err := array.Convert(d, array.Float32)
		if err != nil {
			return err
		}
		f, _ := flatOf[float32](c)
		return sumSigGeneric(out, f, depth)
	case *array.Dense[uint8]:
		return sumSigGeneric(out, tileData(d), depth)
	case *array.Dense[int8]:
		return sumSigGeneric(out, tileData(d), depth)
	case *array.Dense[int16]:
		return sumSigGeneric(out, tileData(d), depth)
	case *array.Dense[int32]:
		return sumSigGeneric(out, tileData(d), depth)
	case *array.Dense[uint32]:
		return sumSigGeneric(out, tileData(d), depth)
	case *array.Dense[int64]:
		return sumSigGeneric(out, tileData(d), depth)
	case *array.Dense[uint64]:
		return sumSigGeneric(out, tileData(d), depth)
	case *array.Dense[complex64]:
		return sumSigComplex(out, tileData(d), depth)
	case *array.Dense[complex128]:
		return sumSigComplex(out, tileData(d), depth)
	}
	return sumSigSparse(env, tile, depth)
}

func sumSigGeneric[T realNumber](out array.Array, data []T, depth int) error {
	if depth == 0 {
		return nil
	}
	px := len(data) / depth
	switch o := out.(type) {
	case *array.Dense[float32]:
		ov := contiguous(o)
		for f := 0; f < depth; f++ {
			ov[f] += float32(sumReal(data[f*px : (f+1)*px]))
		}
	case *array.Dense[float64]:
		ov := contiguous(o)
		for f := 0; f < depth; f++ {
			ov[f] += sumReal(data[f*px : (f+1)*px])
		}
	default:
		return fmt.Errorf("%w: SumSig: buffer %v", ErrUnsupportedDType, out.DType())
	}
	return nil
}

func sumSigComplex[T complexNumber](out array.Array, data []T, depth int) error {
	if depth == 0 {
		return nil
	}
	px := len(data) / depth
	for f := 0; f < depth; f++ {
		var s complex128
		for _, v := range data[f*px : (f+1)*px] {
			s += complex128(v)
		}
		switch o := out.(type) {
		case *array.Dense[complex64]:
			contiguous(o)[f] += complex64(s)
		case *array.Dense[complex128]:
			contiguous(o)[f] += s
		default:
			return fmt.Errorf("%w: SumSig: buffer %v", ErrUnsupportedDType, out.DType())
		}
	}
	return nil
}

// sumReal sums x in float64 with four accumulators.
func sumReal[T realNumber](x []T) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += float64(x[i])
		s1 += float64(x[i+1])
		s2 += float64(x[i+2])
		s3 += float64(x[i+3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// addRowF64 adds row to acc element-wise, converting to float64.
func addRowF64[T realNumber](acc []float64, row []T) {
	acc = acc[:len(row)]
	i := 0
	for ; i+4 <= len(row); i += 4 {
		acc[i] += float64(row[i])
		acc[i+1] += float64(row[i+1])
		acc[i+2] += float64(row[i+2])
		acc[i+3] += float64(row[i+3])
	}
	for ; i < len(row); i++ {
		acc[i] += float64(row[i])
	}
}
