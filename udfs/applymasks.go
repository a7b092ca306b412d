package udfs

import (
	"fmt"
	"slices"
	"sync"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends/blas"
	"github.com/stemflow/stemflow/internal/kernels"
	"github.com/stemflow/stemflow/udf"
)

// MaskFactory is udf.MaskFactory: for ApplyMasks, one mask for a signal of shape sig,
// a dense array of shape sig (or of sig's size, any real or bool dtype) or a sparse
// matrix.
type MaskFactory = udf.MaskFactory

// DiskMask returns a factory for Disk(sy, sx, cy, cx, r) (float32).
func DiskMask(cy, cx, r float64) MaskFactory {
	return func(sig []int) (array.Array, error) {
		if len(sig) != 2 {
			return nil, fmt.Errorf("%w: disk mask needs 2 signal dims, got %v", ErrShape, sig)
		}
		return array.Wrap(Disk(sig[0], sig[1], cy, cx, r), sig...), nil
	}
}

// RingMask returns a factory for Ring(sy, sx, cy, cx, r, ri) (float32).
func RingMask(cy, cx, r, ri float64) MaskFactory {
	return func(sig []int) (array.Array, error) {
		if len(sig) != 2 {
			return nil, fmt.Errorf("%w: ring mask needs 2 signal dims, got %v", ErrShape, sig)
		}
		return array.Wrap(Ring(sig[0], sig[1], cy, cx, r, ri), sig...), nil
	}
}

// PointMask returns a factory for Point(sy, sx, cy, cx) (float32).
func PointMask(cy, cx int) MaskFactory {
	return func(sig []int) (array.Array, error) {
		if len(sig) != 2 {
			return nil, fmt.Errorf("%w: point mask needs 2 signal dims, got %v", ErrShape, sig)
		}
		return array.Wrap(Point(sig[0], sig[1], cy, cx), sig...), nil
	}
}

// ArrayMask returns a factory that hands out a fixed mask array.
func ArrayMask(a array.Array) MaskFactory {
	return func([]int) (array.Array, error) { return a, nil }
}

// ApplyMasks computes, per frame, the dot product of the frame with each mask of a
// stack (the reference's ApplyMasksUDF, dense masks): intensity (kind nav, extra
// (n_masks,), dtype result_type(input, mask dtype)). Without shifts it is a tile UDF
// whose tile step is a matrix product, tile (depth × box pixels) · masks cut to the
// tile's signal box (box pixels × n_masks), added to the tile's rows, in blocks of 32
// frames: up to 32 float32 masks by the FMA kernel of internal/kernels (faster than
// OpenBLAS for these thin products), more by OpenBLAS when it is installed and pure
// Go otherwise; float64 products always go through backends/blas. With a constant Shift or per-frame Shifts it
// processes frames: the masks move by (dy, dx) relative to the frame (positive dy moves
// a mask down), and pixels where they no longer overlap the frame contribute nothing.
type ApplyMasks struct {
	// Factories each return one mask (list form).
	Factories []MaskFactory
	// Stack, when Factories is empty, returns all masks at once: shape (n,)+sig.
	Stack MaskFactory
	// MaskCount and MaskDType, when set, let the main node declare the buffer without
	// computing the masks. MaskDType defaults to the masks' dtype (result_type over
	// them); bool masks count as float32 for the product.
	MaskCount int
	MaskDType array.DType
	// Shift is a constant (dy, dx) shift of all masks; nil means none.
	Shift *[2]int
	// Shifts is per-frame (dy, dx) aux data (kind nav, extra (2,), an integer dtype).
	Shifts *udf.AuxData

	// The masks, their float copies and their per-box transposed cuts are computed
	// once per signal shape and kept for later tasks and runs (repeated runs allocate
	// no mask memory): the factories must return the same masks for the same shape.
	mu   sync.Mutex
	prep *maskPrep
}

// maskPrep is what ApplyMasks keeps between tasks and runs for one signal shape. It is
// read-only once built; cuts grow under ApplyMasks.mu.
type maskPrep struct {
	sig    []int
	ms     []array.Array
	m32    [][]float32 // built on first use
	m64    [][]float64
	cuts32 map[string][]float32 // box key -> box px × n
	cuts64 map[string][]float64
}

// cachedMasks returns the masks for sig, evaluating the factories on first use.
func (a *ApplyMasks) cachedMasks(sig []int) (*maskPrep, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.prep != nil && slices.Equal(a.prep.sig, sig) {
		return a.prep, nil
	}
	ms, err := a.masks(sig)
	if err != nil {
		return nil, err
	}
	a.prep = &maskPrep{sig: slices.Clone(sig), ms: ms, cuts32: map[string][]float32{}, cuts64: map[string][]float64{}}
	return a.prep, nil
}

// floats returns the masks of p as float32 or float64 rows, converting them once.
func (a *ApplyMasks) floats(p *maskPrep, f32 bool) ([][]float32, [][]float64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if f32 && p.m32 != nil || !f32 && p.m64 != nil {
		return p.m32, p.m64, nil
	}
	var m32 [][]float32
	var m64 [][]float64
	for _, m := range p.ms {
		v, err := toF64(m)
		if err != nil {
			return nil, nil, err
		}
		if f32 {
			w := make([]float32, len(v))
			for i, x := range v {
				w[i] = float32(x)
			}
			m32 = append(m32, w)
		} else {
			m64 = append(m64, v)
		}
	}
	if f32 {
		p.m32 = m32
	} else {
		p.m64 = m64
	}
	return p.m32, p.m64, nil
}

// Name returns "ApplyMasks".
func (*ApplyMasks) Name() string { return "ApplyMasks" }

// AuxData lists Shifts when set.
func (a *ApplyMasks) AuxData() []*udf.AuxData {
	if a.Shifts != nil {
		return []*udf.AuxData{a.Shifts}
	}
	return nil
}

// Method is tile, or frame when shifts are given.
func (a *ApplyMasks) Method(*udf.Meta) udf.Method {
	if a.Shift != nil || a.Shifts != nil {
		return udf.MethodFrame
	}
	return udf.MethodTile
}

// masks evaluates the factories into a (n, px) list of arrays.
func (a *ApplyMasks) masks(sig []int) ([]array.Array, error) {
	px := 1
	for _, s := range sig {
		px *= s
	}
	var out []array.Array
	if len(a.Factories) > 0 {
		for i, f := range a.Factories {
			m, err := f(sig)
			if err != nil {
				return nil, fmt.Errorf("udfs: ApplyMasks: mask %d: %w", i, err)
			}
			if m.Size() != px {
				return nil, fmt.Errorf("%w: ApplyMasks: mask %d has %d elements, signal %v has %d", ErrShape, i, m.Size(), sig, px)
			}
			out = append(out, m)
		}
		return out, nil
	}
	if a.Stack == nil {
		return nil, fmt.Errorf("%w: ApplyMasks: neither Factories nor Stack given", ErrShape)
	}
	st, err := a.Stack(sig)
	if err != nil {
		return nil, fmt.Errorf("udfs: ApplyMasks: mask stack: %w", err)
	}
	if px == 0 || st.Size()%px != 0 {
		return nil, fmt.Errorf("%w: ApplyMasks: stack of %d elements for signal %v", ErrShape, st.Size(), sig)
	}
	if st.Format() != array.FormatDense {
		return splitSparseStack(st, sig)
	}
	n := st.Size() / px
	v, err := toF64(st)
	if err != nil {
		return nil, err
	}
	dt := st.DType()
	for i := 0; i < n; i++ {
		m := array.New(dt, px)
		if err := storeF64(m, v[i*px:(i+1)*px]); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// maskInfo returns the mask count and mask dtype.
func (a *ApplyMasks) maskInfo(sig []int) (int, array.DType, error) {
	n, dt := a.MaskCount, a.MaskDType
	if n > 0 && dt != (array.DType{}) {
		return n, dt, nil
	}
	p, err := a.cachedMasks(sig)
	if err != nil {
		return 0, array.DType{}, err
	}
	ms := p.ms
	if n == 0 {
		n = len(ms)
	}
	if dt == (array.DType{}) {
		ds := make([]array.DType, len(ms))
		for i, m := range ms {
			ds[i] = m.DType()
		}
		dt = array.ResultType(ds...)
	}
	return n, dt, nil
}

// ResultBuffers declares intensity: nav, extra (n_masks,). When the masks cannot be
// computed here, the count is 0 and TaskData reports the error.
func (a *ApplyMasks) ResultBuffers(m *udf.Meta) []udf.BufferSpec {
	n, mdt, err := a.maskInfo(m.DatasetShape.Sig())
	if err != nil {
		n, mdt = 0, array.Float32
	}
	if mdt == array.Bool {
		mdt = array.Float32
	}
	return []udf.BufferSpec{udf.NavBuffer("intensity", array.ResultType(m.InputDType, mdt), n).OnDevice()}
}

// masksTask holds the mask stack and its per-box transposed cuts.
type masksTask struct {
	n, px   int
	sig     []int
	f32     bool
	m32     [][]float32 // n masks × px (float32 product)
	m64     [][]float64 // n masks × px (float64 product)
	cut32   [][]float32 // per scheme index: box px × n
	cut64   [][]float64
	box     sigBox
	owner   *ApplyMasks           // holds prep's lock
	prep    *maskPrep             // shared cuts
	frame64 *array.Dense[float64] // shifted path: the frame as float64
	res     []float64
}

// TaskData computes the masks once per task.
func (a *ApplyMasks) TaskData(env *udf.Env) (any, error) {
	if err := refuseComplex("ApplyMasks", env.Meta); err != nil {
		return nil, err
	}
	sig := env.Meta.DatasetShape.Sig()
	prep, err := a.cachedMasks(sig)
	if err != nil {
		return nil, err
	}
	ms, st, err := a.sparseTaskData(env, prep.ms)
	if st != nil || err != nil {
		return st, err
	}
	spec := env.Specs()[0]
	if len(spec.ExtraShape) != 1 || spec.ExtraShape[0] != len(ms) {
		return nil, fmt.Errorf("%w: ApplyMasks: %d masks, buffer declared for %v", ErrShape, len(ms), spec.ExtraShape)
	}
	// threads_per_worker sets the native BLAS's thread count; unlimited (0, the
	// inline engine) uses one thread too: the products are per tile and small, and
	// idle OpenBLAS threads spinning between calls were measured to halve the
	// throughput of the following parallel runs on this 2-core machine.
	blas.SetThreads(max(1, env.Meta.ThreadsPerWorker))
	if len(ms) > 0 && (len(prep.ms) != len(ms) || &ms[0] != &prep.ms[0]) {
		// densified sparse masks: this task's own, not kept
		prep = &maskPrep{sig: sig, ms: ms, cuts32: map[string][]float32{}, cuts64: map[string][]float64{}}
	}
	t := &masksTask{n: len(ms), px: env.Meta.DatasetShape.SigSize(), sig: sig,
		f32: spec.ResolvedDType() == array.Float32, owner: a, prep: prep}
	if t.m32, t.m64, err = a.floats(prep, t.f32); err != nil {
		return nil, err
	}
	ns := len(env.Meta.TilingScheme)
	t.cut32 = make([][]float32, ns)
	t.cut64 = make([][]float64, ns)
	return t, nil
}

// cut returns the masks cut to the current box, transposed (box px × n), cached per
// scheme index.
func (t *masksTask) cut(idx int) {
	for idx >= len(t.cut32) {
		t.cut32 = append(t.cut32, nil)
		t.cut64 = append(t.cut64, nil)
	}
	if t.f32 && t.cut32[idx] != nil || !t.f32 && t.cut64[idx] != nil {
		return
	}
	// shared between tasks and runs: look the box up once per task and scheme index
	key := fmt.Sprint(t.box.origin, t.box.shape)
	t.owner.mu.Lock()
	defer t.owner.mu.Unlock()
	if c, ok := t.prep.cuts32[key]; ok && t.f32 {
		t.cut32[idx] = c
		return
	}
	if c, ok := t.prep.cuts64[key]; ok && !t.f32 {
		t.cut64[idx] = c
		return
	}
	bp := t.box.size()
	if t.f32 {
		c := make([]float32, bp*t.n)
		for k, m := range t.m32 {
			for r := 0; r < t.box.runs; r++ {
				off := t.box.runOff(r)
				for i := 0; i < t.box.runLen; i++ {
					c[(r*t.box.runLen+i)*t.n+k] = m[off+i]
				}
			}
		}
		t.cut32[idx] = c
		t.prep.cuts32[key] = c
		return
	}
	c := make([]float64, bp*t.n)
	for k, m := range t.m64 {
		for r := 0; r < t.box.runs; r++ {
			off := t.box.runOff(r)
			for i := 0; i < t.box.runLen; i++ {
				c[(r*t.box.runLen+i)*t.n+k] = m[off+i]
			}
		}
	}
	t.cut64[idx] = c
	t.prep.cuts64[key] = c
}

// ProcessTile adds tile · masks to the tile's rows.
func (a *ApplyMasks) ProcessTile(env *udf.Env, tile array.Array) error {
	if done, err := a.processSparse(env, tile); done {
		return err
	}
	t := env.TaskData().(*masksTask)
	if t.n == 0 {
		return nil
	}
	t.box.set(t.sig, env.Meta.SigSlice)
	idx := env.Meta.TilingSchemeIdx
	t.cut(idx)
	depth := env.Meta.Slice.Shape.Dim(0)
	bp := t.box.size()
	out := env.At(0)
	if d, ok := tile.(*array.Dense[float32]); ok && t.f32 {
		o, ok := out.(*array.Dense[float32])
		if !ok {
			return fmt.Errorf("%w: ApplyMasks: buffer %v", ErrUnsupportedDType, out.DType())
		}
		gemm32(depth, t.n, bp, tileData(d), t.cut32[idx], contiguous(o))
		return nil
	}
	if t.f32 {
		// Non-float32 tile with a float32 result (e.g. bool masks, int16 input): convert.
		c, err := array.Convert(tile, array.Float32)
		if err != nil {
			return err
		}
		o, _ := out.(*array.Dense[float32])
		cd, _ := flatOf[float32](c)
		gemm32(depth, t.n, bp, cd, t.cut32[idx], contiguous(o))
		return nil
	}
	var td []float64
	if d, ok := tile.(*array.Dense[float64]); ok {
		td = tileData(d)
	} else {
		var err error
		if tile.DType().Kind() == array.KindComplex {
			return fmt.Errorf("%w: ApplyMasks: complex input", ErrUnsupportedDType)
		}
		if td, err = toF64(tile); err != nil {
			return err
		}
	}
	o, ok := out.(*array.Dense[float64])
	if !ok {
		return fmt.Errorf("%w: ApplyMasks: buffer %v", ErrUnsupportedDType, out.DType())
	}
	for f0 := 0; f0 < depth; f0 += gemmFrames {
		k := min(gemmFrames, depth-f0)
		blas.Dgemm(false, false, k, t.n, bp, 1, td[f0*bp:(f0+k)*bp], bp, t.cut64[idx], t.n, 1, contiguous(o)[f0*t.n:(f0+k)*t.n], t.n)
	}
	return nil
}

// gemmFrames is the number of frames per matrix product: deep tiles (whole
// partitions of a zero-copy dataset) are cut so that each product's rows stay in
// cache; a single product over 2048 frames ran 2–3× slower.
const gemmFrames = 32

// kernelMasks is the largest mask count the register-blocked FMA kernel
// (kernels.GemmF32) handles instead of the BLAS: for 16 masks on 128×128 frames it
// ran at 8.1 GB/s on one core here against OpenBLAS's 5.4 (single-threaded, the same
// blocks).
const kernelMasks = 32

// gemm32 computes out (depth × n) += tile (depth × bp) · cut (bp × n) in blocks of
// gemmFrames frames.
func gemm32(depth, n, bp int, tile, cut, out []float32) {
	if n == 1 {
		// One mask (a virtual detector): a dot product per frame, its lanes
		// across the pixels. The matrix kernel would pad the single column to 8
		// and run one sequential FMA chain per frame (measured 2.4× slower in
		// whole `stemflow run --udf disk` processes).
		for f := range depth {
			out[f] += kernels.DotF32(tile[f*bp:(f+1)*bp], cut)
		}
		return
	}
	for f0 := 0; f0 < depth; f0 += gemmFrames {
		k := min(gemmFrames, depth-f0)
		if n <= kernelMasks {
			kernels.GemmF32(out[f0*n:(f0+k)*n], tile[f0*bp:(f0+k)*bp], cut, k, bp, n)
			continue
		}
		blas.Sgemm(false, false, k, n, bp, 1, tile[f0*bp:(f0+k)*bp], bp, cut, n, 1, out[f0*n:(f0+k)*n], n)
	}
}

// ProcessFrame applies the shifted masks to one frame.
func (a *ApplyMasks) ProcessFrame(env *udf.Env, frame array.Array) error {
	t := env.TaskData().(*masksTask)
	if len(t.sig) != 2 {
		return fmt.Errorf("%w: ApplyMasks shifts need 2 signal dims, got %v", ErrShape, t.sig)
	}
	var dy, dx int
	if a.Shift != nil {
		dy, dx = a.Shift[0], a.Shift[1]
	} else {
		var err error
		if dy, dx, err = auxShift(env.Aux(a.Shifts)); err != nil {
			return err
		}
	}
	sy, sx := t.sig[0], t.sig[1]
	if t.frame64 == nil {
		t.frame64 = array.Zeros[float64](sy, sx)
		t.res = make([]float64, t.n)
	}
	if err := array.ConvertInto(t.frame64, frame); err != nil {
		return fmt.Errorf("udfs: ApplyMasks: frame: %w", err)
	}
	fd := t.frame64.Data()
	res := t.res
	x0, x1 := max(0, dx), min(sx, sx+dx)
	for k := 0; k < t.n; k++ {
		var s float64
		for y := max(0, dy); y < min(sy, sy+dy) && x0 < x1; y++ {
			my := y - dy
			row := fd[y*sx+x0 : y*sx+x1]
			if t.f32 {
				m := t.m32[k][my*sx+x0-dx : my*sx+x1-dx]
				for i, v := range row {
					s += v * float64(m[i])
				}
			} else {
				m := t.m64[k][my*sx+x0-dx : my*sx+x1-dx]
				for i, v := range row {
					s += v * m[i]
				}
			}
		}
		res[k] = s
	}
	switch o := env.At(0).(type) {
	case *array.Dense[float32]:
		for k, v := range contiguous(o) {
			contiguous(o)[k] = v + float32(res[k])
		}
	case *array.Dense[float64]:
		for k, v := range contiguous(o) {
			contiguous(o)[k] = v + res[k]
		}
	default:
		return fmt.Errorf("%w: ApplyMasks: buffer %v", ErrUnsupportedDType, o.DType())
	}
	return nil
}

// auxShift reads one (dy, dx) row of shift aux data without allocating.
func auxShift(v array.Array) (int, int, error) {
	bad := func() (int, int, error) {
		if v == nil {
			return 0, 0, fmt.Errorf("%w: ApplyMasks: no shifts row", ErrShape)
		}
		return 0, 0, fmt.Errorf("%w: ApplyMasks: shifts row of %v %v, want 2 integers", ErrShape, v.DType(), v.Shape())
	}
	if v == nil || v.Size() != 2 {
		return bad()
	}
	switch d := v.(type) {
	case *array.Dense[int64]:
		return pair(d)
	case *array.Dense[int32]:
		return pair(d)
	case *array.Dense[int16]:
		return pair(d)
	case *array.Dense[int8]:
		return pair(d)
	case *array.Dense[int]:
		return pair(d)
	case *array.Dense[uint8]:
		return pair(d)
	case *array.Dense[uint16]:
		return pair(d)
	case *array.Dense[uint32]:
		return pair(d)
	}
	return bad()
}

func pair[T ~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32](d *array.Dense[T]) (int, int, error) {
	c := contiguous(d)
	if len(c) != 2 {
		return 0, 0, fmt.Errorf("%w: ApplyMasks: shifts row %v, want 2 integers", ErrShape, d.Shape())
	}
	return int(c[0]), int(c[1]), nil
}
