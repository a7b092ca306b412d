package udfs

import (
	"errors"
	"fmt"
	"math"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/internal/kernels"
	"github.com/stemflow/stemflow/udf"
)

// ErrFrameCounts reports that StdDev's per-sig-box frame counters disagree at the end
// of a partition (a tiling that did not deliver every box of every frame).
var ErrFrameCounts = errors.New("udfs: StdDev: signal boxes saw different frame counts")

// StdDev computes per-pixel sum, mean, population variance and standard deviation
// over the ROI-selected frames (the reference's StdDevUDF). Buffers:
//
//	varsum     sig, base dtype        Σ |x − mean|²
//	num_frames single int64           N
//	sum        sig, result_type(input, base)
//	var, std   sig, base, result-only varsum/N, sqrt(var)
//	mean       sig, result_type(input, base), result-only sum/N
//
// Frames are reduced in blocks of 64 frames of the partition, one pass per block with
// per-pixel shifted sums in float64 (see stdmath.go), and each full block is combined
// into the partition's accumulators with the pairwise formula of Chan et al.; a block
// may span tiles, so the statistics do not depend on the tiling. The frame count is
// kept per signal box of the tiling scheme and checked at Postprocess. Partitions
// merge with the same formula. Complex input uses |x − mean|².
type StdDev struct {
	// DType is the base dtype (float32 or float64); the zero value means float64.
	DType array.DType
}

// Name returns "StdDev".
func (StdDev) Name() string { return "StdDev" }

const (
	sdVarsum = iota
	sdNumFrames
	sdSum
	sdVar
	sdStd
	sdMean
)

func (s StdDev) base() array.DType {
	if s.DType == (array.DType{}) {
		return array.Float64
	}
	return s.DType
}

// ResultBuffers declares varsum, num_frames, sum, var, std and mean.
func (s StdDev) ResultBuffers(m *udf.Meta) []udf.BufferSpec {
	base := s.base()
	dt := array.ResultType(m.InputDType, base)
	return []udf.BufferSpec{
		udf.SigBuffer("varsum", base).OnDevice(),
		udf.SingleBuffer("num_frames", array.Int64),
		udf.SigBuffer("sum", dt).OnDevice(),
		udf.SigBuffer("var", base).ResultOnly(),
		udf.SigBuffer("std", base).ResultOnly(),
		udf.SigBuffer("mean", dt).ResultOnly(),
	}
}

// stdBox is the accumulator of one signal box of the tiling scheme: n frames folded
// into sum (sumC for complex input) and varsum, and an open block of bn frames with
// shift k (kC) and shifted sums s (sC) and q.
type stdBox struct {
	n      int64
	sum    []float64
	sumC   []complex128
	varsum []float64
	// direct reports that sum and varsum are the partition's own buffers (a box
	// of the whole signal with float64 buffers): Postprocess then copies nothing.
	direct bool
	bn     int
	k, s   []float64
	kC, sC []complex128
	q      []float64
}

// fold combines the open block into the accumulators.
func (b *stdBox) fold() {
	if b.bn == 0 {
		return
	}
	if b.sumC != nil {
		stdFoldComplex(b.sumC, b.varsum, b.n, b.kC, b.sC, b.q, int64(b.bn))
	} else {
		kernels.StdFold(b.sum, b.varsum, b.n, b.k, b.s, b.q, int64(b.bn))
	}
	b.n += int64(b.bn)
	b.bn = 0
}

type stdTask struct {
	boxes []*stdBox
	box   sigBox
	sig   []int
	cplx  bool
}

// TaskData allocates per-box accumulators lazily.
func (s StdDev) TaskData(env *udf.Env) (any, error) {
	if k := s.base(); k != array.Float64 && k != array.Float32 {
		return nil, fmt.Errorf("%w: StdDev base dtype %v, want float32 or float64", ErrUnsupportedDType, k)
	}
	return &stdTask{
		boxes: make([]*stdBox, len(env.Meta.TilingScheme)),
		sig:   env.Meta.DatasetShape.Sig(),
		cplx:  env.Meta.InputDType.Kind() == array.KindComplex,
	}, nil
}

// denseF64 returns a's n elements when a is a contiguous float64 array of n
// elements, else nil.
func denseF64(a array.Array, n int) []float64 {
	d, ok := a.(*array.Dense[float64])
	if !ok {
		return nil
	}
	if c := contiguous(d); len(c) == n && n > 0 {
		return c
	}
	return nil
}

// newBox allocates the accumulators of a box of px pixels. A box of the whole
// signal accumulates straight into the partition's float64 buffers when it can.
func (t *stdTask) newBox(env *udf.Env, px int) *stdBox {
	b := &stdBox{q: make([]float64, px)}
	if t.cplx {
		b.kC, b.sC = make([]complex128, px), make([]complex128, px)
		b.sumC, b.varsum = make([]complex128, px), make([]float64, px)
		return b
	}
	b.k, b.s = make([]float64, px), make([]float64, px)
	if px == env.Meta.DatasetShape.SigSize() {
		vs, sum := denseF64(env.At(sdVarsum), px), denseF64(env.At(sdSum), px)
		if vs != nil && sum != nil {
			b.sum, b.varsum, b.direct = sum, vs, true
			return b
		}
	}
	b.sum, b.varsum = make([]float64, px), make([]float64, px)
	return b
}

// stdAddReal adds depth frames of px pixels to b, folding every full block.
func stdAddReal[T realNumber](b *stdBox, x []T, depth, px int, shift func(k, s, q []float64, x []T, stride, rows int, start bool)) {
	for f := 0; f < depth; {
		m := min(depth-f, stdSubDepth-b.bn)
		shift(b.k, b.s, b.q, x[f*px:], px, m, b.bn == 0)
		b.bn += m
		f += m
		if b.bn == stdSubDepth {
			b.fold()
		}
	}
}

// stdAddComplex is stdAddReal for complex input.
func stdAddComplex[T complexNumber](b *stdBox, x []T, depth, px int) {
	for f := 0; f < depth; {
		m := min(depth-f, stdSubDepth-b.bn)
		stdShiftComplex(b.kC, b.sC, b.q, x[f*px:], px, m, b.bn == 0)
		b.bn += m
		f += m
		if b.bn == stdSubDepth {
			b.fold()
		}
	}
}

// ProcessTile adds the tile's frames to its box's open block.
func (StdDev) ProcessTile(env *udf.Env, tile array.Array) error {
	t := env.TaskData().(*stdTask)
	idx := env.Meta.TilingSchemeIdx
	if idx >= len(t.boxes) {
		grown := make([]*stdBox, idx+1)
		copy(grown, t.boxes)
		t.boxes = grown
	}
	t.box.set(t.sig, env.Meta.SigSlice)
	px := t.box.size()
	b := t.boxes[idx]
	if b == nil {
		b = t.newBox(env, px)
		t.boxes[idx] = b
	}
	depth := env.Meta.Slice.Shape.Dim(0)
	if px == 0 || depth == 0 {
		return nil
	}
	switch d := tile.(type) {
	case *array.Dense[float32]:
		stdAddReal(b, tileData(d)[:depth*px], depth, px, kernels.StdShiftF32)
	case *array.Dense[float64]:
		stdAddReal(b, tileData(d), depth, px, kernels.StdShiftReal[float64])
	case *array.Dense[uint16]:
		stdAddReal(b, tileData(d), depth, px, kernels.StdShiftReal[uint16])
	case *array.Dense[uint8]:
		stdAddReal(b, tileData(d), depth, px, kernels.StdShiftReal[uint8])
	case *array.Dense[int8]:
		stdAddReal(b, tileData(d), depth, px, kernels.StdShiftReal[int8])
	case *array.Dense[int16]:
		stdAddReal(b, tileData(d), depth, px, kernels.StdShiftReal[int16])
	case *array.Dense[uint32]:
		stdAddReal(b, tileData(d), depth, px, kernels.StdShiftReal[uint32])
	case *array.Dense[int32]:
		stdAddReal(b, tileData(d), depth, px, kernels.StdShiftReal[int32])
	case *array.Dense[uint64]:
		stdAddReal(b, tileData(d), depth, px, kernels.StdShiftReal[uint64])
	case *array.Dense[int64]:
		stdAddReal(b, tileData(d), depth, px, kernels.StdShiftReal[int64])
	case *array.Dense[complex64]:
		stdAddComplex(b, tileData(d), depth, px)
	case *array.Dense[complex128]:
		stdAddComplex(b, tileData(d), depth, px)
	default:
		return tileTypeError("StdDev", tile)
	}
	return nil
}

// Postprocess checks the per-box frame counts and scatters the box accumulators into
// the partition's buffers.
func (StdDev) Postprocess(env *udf.Env) error {
	t := env.TaskData().(*stdTask)
	var n int64 = -1
	boxes, direct := 0, true
	for _, b := range t.boxes {
		if b == nil {
			continue
		}
		b.fold()
		boxes++
		direct = direct && b.direct
		if n >= 0 && b.n != n {
			return fmt.Errorf("%w: %d and %d", ErrFrameCounts, n, b.n)
		}
		n = b.n
	}
	if n < 0 {
		n = 0
	}
	if boxes == 1 && direct {
		// sum and varsum were accumulated in place.
		return storeF64(env.At(sdNumFrames), []float64{float64(n)})
	}
	npx := env.Meta.DatasetShape.SigSize()
	varsum := make([]float64, npx)
	var sum []float64
	var sumC []complex128
	if t.cplx {
		sumC = make([]complex128, npx)
	} else {
		sum = make([]float64, npx)
	}
	for i, b := range t.boxes {
		if b == nil {
			continue
		}
		t.box.set(t.sig, env.Meta.TilingScheme[i])
		for r := 0; r < t.box.runs; r++ {
			off := t.box.runOff(r)
			src := r * t.box.runLen
			copy(varsum[off:off+t.box.runLen], b.varsum[src:src+t.box.runLen])
			if t.cplx {
				copy(sumC[off:off+t.box.runLen], b.sumC[src:src+t.box.runLen])
			} else {
				copy(sum[off:off+t.box.runLen], b.sum[src:src+t.box.runLen])
			}
		}
	}
	if err := storeF64(env.At(sdVarsum), varsum); err != nil {
		return err
	}
	if err := storeF64(env.At(sdNumFrames), []float64{float64(n)}); err != nil {
		return err
	}
	if t.cplx {
		return storeC128(env.At(sdSum), sumC)
	}
	return storeF64(env.At(sdSum), sum)
}

// stdAcc is one set of merged statistics.
type stdAcc struct {
	n      int64
	sum    []float64
	sumC   []complex128
	varsum []float64
}

// readStdIn reads v's statistics; with inPlace, float64 (complex128) buffers are
// used as they are, not copied, so changing the accumulator changes v. Merge reads
// both sides this way: it only reads src, and writes dest back onto itself.
func readStdIn(v udf.Viewer, inPlace bool) (stdAcc, error) {
	var a stdAcc
	nf, ok := flatOf[int64](v.At(sdNumFrames))
	if !ok || len(nf) != 1 {
		return a, fmt.Errorf("%w: StdDev num_frames %v", ErrUnsupportedDType, v.At(sdNumFrames).DType())
	}
	a.n = nf[0]
	f64 := func(x array.Array) ([]float64, error) {
		if f, ok := flatOf[float64](x); ok && inPlace {
			return f, nil
		}
		return toF64(x)
	}
	var err error
	if a.varsum, err = f64(v.At(sdVarsum)); err != nil {
		return a, err
	}
	if v.At(sdSum).DType().Kind() != array.KindComplex {
		a.sum, err = f64(v.At(sdSum))
	} else if c, ok := flatOf[complex128](v.At(sdSum)); ok && inPlace {
		a.sumC = c
	} else {
		a.sumC, err = toC128(v.At(sdSum))
	}
	return a, err
}

func (a *stdAcc) merge(b stdAcc) {
	if a.sumC != nil {
		a.n = stdMergeComplex(a.n, a.sumC, a.varsum, b.n, b.sumC, b.varsum)
		return
	}
	a.n = kernels.StdMerge(a.n, a.sum, a.varsum, b.n, b.sum, b.varsum)
}

// Merge combines src's statistics into dest's (pairwise formula).
func (StdDev) Merge(dest, src *udf.Views, _ *udf.Meta) error {
	d, err := readStdIn(dest, true)
	if err != nil {
		return err
	}
	s, err := readStdIn(src, true)
	if err != nil {
		return err
	}
	d.merge(s)
	return writeStd(dest.At(sdVarsum), dest.At(sdNumFrames), dest.At(sdSum), d)
}

func writeStd(varsum, numFrames, sum array.Array, a stdAcc) error {
	if err := storeF64(varsum, a.varsum); err != nil {
		return err
	}
	if err := storeF64(numFrames, []float64{float64(a.n)}); err != nil {
		return err
	}
	if a.sumC != nil {
		return storeC128(sum, a.sumC)
	}
	return storeF64(sum, a.sum)
}

// MergeAll folds every partition's statistics in partition order.
func (s StdDev) MergeAll(parts []udf.Partial, m *udf.Meta) (map[string]array.Array, error) {
	specs := s.ResultBuffers(m)
	sig := m.DatasetShape.Sig()
	varsum := array.New(specs[sdVarsum].ResolvedDType(), sig...)
	nf := array.New(array.Int64, 1)
	sum := array.New(specs[sdSum].ResolvedDType(), sig...)
	var acc stdAcc
	for i, p := range parts {
		// The first partial is copied (it becomes the accumulator); the others
		// are only read.
		a, err := readStdIn(p.Buffers, i > 0)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			acc = a
			continue
		}
		acc.merge(a)
	}
	if len(parts) > 0 {
		if err := writeStd(varsum, nf, sum, acc); err != nil {
			return nil, err
		}
	}
	return map[string]array.Array{"varsum": varsum, "num_frames": nf, "sum": sum}, nil
}

// Results computes var = varsum/N, std = sqrt(var) and mean = sum/N, straight into
// the result arrays when they are float64 (the default base dtype), reading the merged
// buffers in place.
func (s StdDev) Results(env *udf.Env) (map[string]array.Array, error) {
	a, err := readStdIn(env, true)
	if err != nil {
		return nil, err
	}
	sig := env.Meta.DatasetShape.Sig()
	specs := s.ResultBuffers(env.Meta)
	outV := array.New(specs[sdVar].ResolvedDType(), sig...)
	outS := array.New(specs[sdStd].ResolvedDType(), sig...)
	outM := array.New(specs[sdMean].ResolvedDType(), sig...)
	npx := len(a.varsum)
	n := float64(a.n)
	vr, sd := denseF64(outV, npx), denseF64(outS, npx)
	direct := vr != nil && sd != nil
	if !direct {
		vr, sd = make([]float64, npx), make([]float64, npx)
	}
	for i, v := range a.varsum {
		vr[i] = v / n
		sd[i] = math.Sqrt(vr[i])
	}
	if !direct {
		if err := storeF64(outV, vr); err != nil {
			return nil, err
		}
		if err := storeF64(outS, sd); err != nil {
			return nil, err
		}
	}
	if a.sumC != nil {
		mean := make([]complex128, len(a.sumC))
		for i, v := range a.sumC {
			mean[i] = v / complex(n, 0)
		}
		err = storeC128(outM, mean)
	} else if mean := denseF64(outM, len(a.sum)); mean != nil {
		for i, v := range a.sum {
			mean[i] = v / n
		}
	} else {
		mean := make([]float64, len(a.sum))
		for i, v := range a.sum {
			mean[i] = v / n
		}
		err = storeF64(outM, mean)
	}
	if err != nil {
		return nil, err
	}
	return map[string]array.Array{"var": outV, "std": outS, "mean": outM}, nil
}
