package dataset

import (
	"context"
	"slices"
	"strconv"
	"sync"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/internal/kernels"
)

// Corrections are detector corrections applied to every frame as its tiles are
// decoded: the dark frame is subtracted, the result multiplied by the gain map, then
// every excluded pixel is replaced by the mean of the non-excluded pixels of its 3×3
// neighbourhood (in N-d: its 3^N−1 neighbours) inside the frame. Each field is optional;
// arrays are flat C-order over the dataset's signal shape (after a sig_shape override).
type Corrections struct {
	// Dark is subtracted from every frame (len = sig size), nil for none.
	Dark []float64
	// Gain multiplies every frame after the dark subtraction (len = sig size), nil
	// for none.
	Gain []float64
	// Excluded marks the pixels to replace (len = sig size), nil for none.
	Excluded []bool
}

// Active reports whether c changes any value.
func (c *Corrections) Active() bool {
	return c != nil && (c.Dark != nil || c.Gain != nil || slices.Contains(c.Excluded, true))
}

// ExcludedFromCoords builds an excluded-pixel mask for sig from coordinates: coords[d][i]
// is the axis-d coordinate of excluded pixel i (the (ndim, k) layout of a coordinate
// array). Errors wrap ErrShape.
func ExcludedFromCoords(sig []int, coords [][]int) ([]bool, error) {
	if len(coords) != len(sig) {
		return nil, newErr("", "excluded", ErrShape, "coordinates have %d rows, the signal %v has %d axes", len(coords), sig, len(sig))
	}
	mask := make([]bool, prodInts(sig))
	k := len(coords[0])
	for d := range coords {
		if len(coords[d]) != k {
			return nil, newErr("", "excluded", ErrShape, "coordinate rows have different lengths")
		}
	}
	for i := range k {
		off := 0
		for d := range sig {
			c := coords[d][i]
			if c < 0 || c >= sig[d] {
				return nil, newErr("", "excluded", ErrShape, "excluded pixel %d: coordinate %d on axis %d outside the signal %v", i, c, d, sig)
			}
			off = off*sig[d] + c
		}
		mask[off] = true
	}
	return mask, nil
}

// corrected wraps a dataset and applies Corrections to its tiles.
type corrected struct {
	Dataset
	c    Corrections
	sig  []int
	out  array.DType
	excl []int // flat indices of excluded pixels

	mu       sync.Mutex
	plans    map[string]*corrPlan // by scheme shape
	last     *corrPlan            // the plan of the last scheme asked for
	lastKey  []int                // its scheme shape
	lastBoxs int                  // and number of boxes
	pool     sync.Pool            // *corrBuf[T]
}

// corrPlan holds, for each box of a scheme, the dark and gain values of its elements in
// tile order and the excluded pixels with their neighbours (box-local indices).
type corrPlan struct {
	dark, gain [][]float64
	dark32     [][]float32
	gain32     [][]float32
	patches    [][]corrPatch
	sizes      []int

	// The fused readers' form of the plan, built on first use per tile dtype.
	once32, once64 sync.Once
	f32            *fusedCorr[float32]
	f64            *fusedCorr[float64]
}

// fusedCorr is what a reader needs to correct frames while it decodes them into
// tiles of dtype T: per box of the scheme, the dark and gain values in tile order
// (zeros and ones for a correction that is off, which change no value) and the
// excluded pixels with their neighbours.
type fusedCorr[T any] struct {
	dark, gain [][]T
	patches    [][]corrPatch
	// patchOnly: no dark and no gain, the plain decoder runs and only the excluded
	// pixels are repaired.
	patchOnly bool
}

// fused returns the plan's fused form for T, building it on first use.
func fusedOf[T float32 | float64](p *corrPlan) *fusedCorr[T] {
	build := func(dk, gn [][]float64) *fusedCorr[T] {
		fc := &fusedCorr[T]{patches: p.patches, patchOnly: p.dark[0] == nil && p.gain[0] == nil}
		for bi, n := range p.sizes {
			d, g := make([]T, n), make([]T, n)
			for i := range g {
				g[i] = 1
			}
			for i, v := range dk[bi] {
				d[i] = T(v)
			}
			for i, v := range gn[bi] {
				g[i] = T(v)
			}
			fc.dark = append(fc.dark, d)
			fc.gain = append(fc.gain, g)
		}
		return fc
	}
	switch any(T(0)).(type) {
	case float32:
		p.once32.Do(func() { p.f32 = any(build(p.dark, p.gain)).(*fusedCorr[float32]) })
		return any(p.f32).(*fusedCorr[T])
	default:
		p.once64.Do(func() { p.f64 = any(build(p.dark, p.gain)).(*fusedCorr[float64]) })
		return any(p.f64).(*fusedCorr[T])
	}
}

// fusingReader is a reader that applies corrections while it decodes: it reads like
// ReadTiles with req's dtype float32 or float64 and fc the matching *fusedCorr[T].
// The dense, framed, K2IS and chunked HDF5 readers implement it; a type that embeds one of them and
// changes what ReadTiles delivers must not expose it.
type fusingReader interface {
	readFused(ctx context.Context, p Partition, req TileRequest, fc any, fn func(t *Tile) error) error
}

// readFused reads with the corrections fc applied in the decode loop.
func (d *dense) readFused(ctx context.Context, p Partition, req TileRequest, fc any, fn func(t *Tile) error) error {
	req.fused = fc
	return d.ReadTiles(ctx, p, req, fn)
}

// readFused reads with the corrections fc applied in the decode loop (frames back to
// back: the dense reader's).
func (f *Framed) readFused(ctx context.Context, p Partition, req TileRequest, fc any, fn func(t *Tile) error) error {
	req.fused = fc
	return f.ReadTiles(ctx, p, req, fn)
}

// readFused reads with the corrections fc applied while each chunk's part of a frame is
// converted to the tile dtype.
func (d *hdf5Chunked) readFused(ctx context.Context, p Partition, req TileRequest, fc any, fn func(t *Tile) error) error {
	req.fused = fc
	return d.ReadTiles(ctx, p, req, fn)
}

// readFused reads with the corrections fc applied while each frame's unpacked 12-bit
// values are converted to the tile dtype.
func (k *K2IS) readFused(ctx context.Context, p Partition, req TileRequest, fc any, fn func(t *Tile) error) error {
	req.fused = fc
	return k.ReadTiles(ctx, p, req, fn)
}

// useFused points st at the fused corrections of req (nil: none) and makes its
// corrected decoder on first use (native stored dtype, byte swap, stored order).
func (st *readState[T]) useFused(req *TileRequest, path string, native array.DType, swap, big bool) error {
	fc, err := bindFused(req, path, native, swap, big, st.dec, &st.cdec)
	st.corr = fc
	return err
}

// bindFused returns the fused corrections of req for tiles of T (nil: none) and makes
// *cdec, the corrected decoder from native (byte swap, stored order) with plain
// decoder dec, if it is not made yet.
func bindFused[T elem](req *TileRequest, path string, native array.DType, swap, big bool, dec decoder[T], cdec *func(dst []T, src []byte, dark, gain []T)) (*fusedCorr[T], error) {
	if req.fused == nil {
		return nil, nil
	}
	fc, ok := req.fused.(*fusedCorr[T])
	if !ok {
		return nil, newErr(path, "dtype", ErrDType, "corrections apply to float32 or float64 tiles, not %v", req.DType)
	}
	if *cdec == nil {
		cd, err := newCorrDecoder[T](native, swap, big, dec)
		if err != nil {
			return nil, err
		}
		*cdec = cd
	}
	return fc, nil
}

// newCorrDecoder returns the corrected decoder into T (float32 or float64): the fused
// SIMD kernels of internal/kernels for the dtypes they take, else dec on a strip of
// stageLen elements corrected in place while it is in cache.
func newCorrDecoder[T elem](native array.DType, swap, big bool, dec decoder[T]) (func(dst []T, src []byte, dark, gain []T), error) {
	var z T
	switch any(z).(type) {
	case float32:
		if kernelDType(native) {
			if f, err := kernels.CorrDecoderF32(native, big); err == nil {
				return any(f).(func(dst []T, src []byte, dark, gain []T)), nil
			}
		}
		inPlace, err := kernels.CorrDecoderF32(array.Float32, hostBig)
		if err != nil {
			return nil, err
		}
		return any(stripCorr(any(dec).(decoder[float32]), native.ItemSize(), inPlace)).(func(dst []T, src []byte, dark, gain []T)), nil
	case float64:
		if kernelDType(native) {
			if f, err := kernels.CorrDecoderF64(native, big); err == nil {
				return any(f).(func(dst []T, src []byte, dark, gain []T)), nil
			}
		}
		inPlace, err := kernels.CorrDecoderF64(array.Float64, hostBig)
		if err != nil {
			return nil, err
		}
		return any(stripCorr(any(dec).(decoder[float64]), native.ItemSize(), inPlace)).(func(dst []T, src []byte, dark, gain []T)), nil
	}
	return nil, newErr("", "dtype", ErrDType, "corrections apply to float32 or float64 tiles, not %v", array.DTypeOf[T]())
}

// stripCorr decodes stageLen elements at a time with dec and corrects them in place
// with the same-dtype corrected kernel.
func stripCorr[T float32 | float64](dec decoder[T], isz int, inPlace func(dst []T, src []byte, dark, gain []T)) func(dst []T, src []byte, dark, gain []T) {
	return func(dst []T, src []byte, dark, gain []T) {
		for len(dst) > 0 {
			n := min(len(dst), stageLen)
			dec(dst[:n], src[:n*isz])
			inPlace(dst[:n], bytesOf(dst[:n]), dark[:n], gain[:n])
			dst, src, dark, gain = dst[n:], src[n*isz:], dark[n:], gain[n:]
		}
	}
}

// corrChunk is the number of elements of a run the fused loop decodes for every frame
// of a block before it moves on: 4 KiB of float32 dark and gain values each, which stay
// in the L1 cache while the block's frames pass.
const corrChunk = 1024

// fusedBlock decodes with corrections the part of box bi of the frames srcs (stored or
// frame-decoded bytes, one per frame) into buf (len(srcs) frames of size elements):
// run by run and chunk by chunk, each chunk for every frame, so that the chunk's dark
// and gain values are read from cache; then it repairs each frame's excluded pixels.
// The box's runs are sruns (element offset, length in the frame) or, when sruns is
// nil, runLen elements at each of offs.
func (st *readState[T]) fusedBlock(bi int, buf []T, size, isz int, srcs [][]byte, offs []int, runLen int, sruns []srun) {
	dark, gain := st.corr.dark[bi], st.corr.gain[bi]
	nr := len(sruns)
	if sruns == nil {
		nr = len(offs)
	}
	at := 0
	for k := range nr {
		off, rl := 0, runLen
		if sruns != nil {
			off, rl = sruns[k].off, sruns[k].n
		} else {
			off = offs[k]
		}
		for c := 0; c < rl; c += corrChunk {
			m := min(corrChunk, rl-c)
			dk, gn := dark[at+c:at+c+m], gain[at+c:at+c+m]
			s0, s1 := (off+c)*isz, (off+c+m)*isz
			for j, src := range srcs {
				d := buf[j*size+at+c:]
				if st.corr.patchOnly {
					st.dec(d[:m], src[s0:s1])
				} else {
					st.cdec(d[:m], src[s0:s1], dk, gn)
				}
			}
		}
		at += rl
	}
	for j := range srcs {
		st.endFrame(bi, buf[j*size:(j+1)*size])
	}
}

// endFrame repairs the excluded pixels of one frame's part of box bi (seg), once the
// fused loop has corrected all of it.
func (st *readState[T]) endFrame(bi int, seg []T) {
	if st.corr != nil {
		repairFrame(st.corr, bi, seg)
	}
}

// repairFrame repairs the excluded pixels of one frame's part of box bi (seg) with the
// fused corrections fc.
func repairFrame[T elem](fc *fusedCorr[T], bi int, seg []T) {
	switch s := any(seg).(type) {
	case []float32:
		patchFrame(s, fc.patches[bi])
	case []float64:
		patchFrame(s, fc.patches[bi])
	}
}

// correctFrames applies the fused corrections fc of box bi to the plain-decoded
// frames of size elements in buf, in a pass of its own (readers that cannot correct
// while they decode, such as HDF5 with a signal-shape override).
func correctFrames[T elem](fc *fusedCorr[T], bi int, buf []T, size int) {
	switch b := any(buf).(type) {
	case []float32:
		f := any(fc).(*fusedCorr[float32])
		correctBlock(b, size, f.dark[bi], f.gain[bi], f.patches[bi])
	case []float64:
		f := any(fc).(*fusedCorr[float64])
		correctBlock(b, size, f.dark[bi], f.gain[bi], f.patches[bi])
	}
}

// patchFrame replaces every excluded pixel of seg by the mean of its neighbours.
func patchFrame[T float32 | float64](seg []T, patches []corrPatch) {
	for _, p := range patches {
		if len(p.nb) == 0 {
			continue
		}
		var s T
		for _, n := range p.nb {
			s += seg[n]
		}
		seg[p.idx] = s / T(len(p.nb))
	}
}

type corrPatch struct {
	idx int
	nb  []int
}

// WithCorrections returns ds reading through the corrections c: tiles are float32 (or
// float64 for float64 data), its DType reports that dtype, and the tiling veto keeps
// excluded pixels off inner tile edges so that every repair sees its whole
// neighbourhood. Errors (wrapping ErrShape or ErrOption) name the wrong array; an excluded
// pixel without a non-excluded neighbour is an error. With no active correction ds is
// returned as is.
func WithCorrections(ds Dataset, c Corrections) (Dataset, error) {
	if !c.Active() {
		return ds, nil
	}
	path := ds.Info().Path
	sig := ds.Shape().Sig()
	n := prodInts(sig)
	for _, a := range []struct {
		name string
		l    int
		set  bool
	}{{"dark", len(c.Dark), c.Dark != nil}, {"gain", len(c.Gain), c.Gain != nil}, {"excluded", len(c.Excluded), c.Excluded != nil}} {
		if a.set && a.l != n {
			return nil, newErr(path, a.name, ErrShape, "%s has %d elements, the signal %v has %d", a.name, a.l, sig, n)
		}
	}
	out := array.Float32
	switch ds.DType().Kind() {
	case array.KindComplex:
		return nil, newErr(path, "corrections", ErrDType, "corrections of complex data (%v) are not supported", ds.DType())
	}
	if ds.DType() == array.Float64 || ds.DType() == array.Int64 || ds.DType() == array.Uint64 || ds.DType() == array.Int32 || ds.DType() == array.Uint32 {
		out = array.Float64
	}
	w := &corrected{Dataset: ds, c: c, sig: sig, out: out, plans: map[string]*corrPlan{}}
	for i, e := range c.Excluded {
		if e {
			w.excl = append(w.excl, i)
		}
	}
	full := make([]array.Slice, 1)
	full[0] = array.Slice{Origin: make([]int, len(sig)), Shape: array.NewShape(sig, len(sig))}
	for _, p := range w.patchesFor(full[0]) {
		if len(p.nb) == 0 {
			return nil, newErr(path, "excluded", ErrOption, "excluded pixel at flat index %d has no non-excluded neighbour", p.idx)
		}
	}
	return w, nil
}

// DType is the corrected dtype: float32, or float64 for data wider than 16 bits.
func (w *corrected) DType() array.DType { return w.out }

// NeedDecode is always true: corrections copy.
func (w *corrected) NeedDecode(array.DType, []bool) bool { return true }

// Info adds the corrections to the wrapped dataset's description.
func (w *corrected) Info() Info {
	i := w.Dataset.Info()
	var parts []string
	if w.c.Dark != nil {
		parts = append(parts, "dark")
	}
	if w.c.Gain != nil {
		parts = append(parts, "gain")
	}
	if len(w.excl) > 0 {
		parts = append(parts, strconv.Itoa(len(w.excl))+" excluded pixels")
	}
	v := ""
	for k, p := range parts {
		if k > 0 {
			v += ", "
		}
		v += p
	}
	i.Details = append(i.Details, InfoDetail{Key: "corrections", Value: v + " (read as " + w.out.String() + ")"})
	return i
}

// AdjustTileShape applies the wrapped veto, then changes split sig extents so that no
// excluded pixel lies on an inner tile edge (the next smaller extent that works, else a
// larger one, else the whole axis).
func (w *corrected) AdjustTileShape(ts []int, roi []bool) []int {
	ts = w.Dataset.AdjustTileShape(ts, roi)
	if len(w.excl) == 0 {
		return ts
	}
	ts = slices.Clone(ts)
	coords := make([][]int, len(w.sig))
	for d := range w.sig {
		for _, e := range w.excl {
			coords[d] = append(coords[d], coordOf(e, w.sig, d))
		}
	}
	for d, s := range w.sig {
		t := ts[1+d]
		if t >= s {
			continue
		}
		ok := func(t int) bool {
			for _, c := range coords[d] {
				if c%t == 0 && c > 0 || c%t == t-1 && c < s-1 {
					return false
				}
			}
			return true
		}
		best := s
		for c := t; c >= 2; c-- {
			if ok(c) {
				best = c
				break
			}
		}
		if best == s {
			for c := t + 1; c < s; c++ {
				if ok(c) {
					best = c
					break
				}
			}
		}
		ts[1+d] = best
	}
	return ts
}

func coordOf(flat int, sig []int, d int) int {
	for k := len(sig) - 1; k > d; k-- {
		flat /= sig[k]
	}
	return flat % sig[d]
}

// patchesFor lists the excluded pixels inside box with their non-excluded neighbours
// inside box, as box-local flat indices.
func (w *corrected) patchesFor(box array.Slice) []corrPatch {
	nd := len(w.sig)
	dims := box.Shape.Dims()
	var out []corrPatch
	local := make([]int, nd)
	nbc := make([]int, nd)
	for _, e := range w.excl {
		in := true
		for d := range nd {
			c := coordOf(e, w.sig, d) - box.Origin[d]
			if c < 0 || c >= dims[d] {
				in = false
				break
			}
			local[d] = c
		}
		if !in {
			continue
		}
		p := corrPatch{idx: flatIn(local, dims)}
		// every offset in {-1,0,1}^nd except 0
		total := 1
		for range nd {
			total *= 3
		}
		for k := range total {
			kk, zero, inside := k, true, true
			for d := nd - 1; d >= 0; d-- {
				o := kk%3 - 1
				kk /= 3
				if o != 0 {
					zero = false
				}
				nbc[d] = local[d] + o
				if nbc[d] < 0 || nbc[d] >= dims[d] {
					inside = false
				}
			}
			if zero || !inside {
				continue
			}
			g := 0
			for d := range nd {
				g = g*w.sig[d] + nbc[d] + box.Origin[d]
			}
			if w.c.Excluded[g] {
				continue
			}
			p.nb = append(p.nb, flatIn(nbc, dims))
		}
		out = append(out, p)
	}
	return out
}

func flatIn(c, dims []int) int {
	f := 0
	for d := range dims {
		f = f*dims[d] + c[d]
	}
	return f
}

// plan returns the cached corrections plan for a scheme.
func (w *corrected) plan(s *TilingScheme) *corrPlan {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last != nil && w.lastBoxs == len(s.Boxes) && slices.Equal(w.lastKey, s.Shape) {
		return w.last
	}
	p := w.planLocked(s)
	w.last, w.lastKey, w.lastBoxs = p, slices.Clone(s.Shape), len(s.Boxes)
	return p
}

func (w *corrected) planLocked(s *TilingScheme) *corrPlan {
	key := ""
	for _, v := range s.Shape {
		key += strconv.Itoa(v) + ","
	}
	if p, ok := w.plans[key]; ok {
		return p
	}
	p := &corrPlan{}
	for _, b := range s.Boxes {
		var dk, gn []float64
		forEachBoxOffset(w.sig, b, func(off int) {
			if w.c.Dark != nil {
				dk = append(dk, w.c.Dark[off])
			}
			if w.c.Gain != nil {
				gn = append(gn, w.c.Gain[off])
			}
		})
		p.dark = append(p.dark, dk)
		p.gain = append(p.gain, gn)
		p.dark32 = append(p.dark32, f32of(dk))
		p.gain32 = append(p.gain32, f32of(gn))
		p.patches = append(p.patches, w.patchesFor(b))
		p.sizes = append(p.sizes, b.Shape.Size())
	}
	if len(w.plans) > 16 {
		clear(w.plans)
	}
	w.plans[key] = p
	return p
}

func f32of(v []float64) []float32 {
	if v == nil {
		return nil
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// forEachBoxOffset calls f with the flat sig offset of every element of box, C order.
func forEachBoxOffset(sig []int, box array.Slice, f func(off int)) {
	dims := box.Shape.Dims()
	idx := make([]int, len(dims))
	for range prodInts(dims) {
		off := 0
		for i := range dims {
			off = off*sig[i] + box.Origin[i] + idx[i]
		}
		f(off)
		for i := len(dims) - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < dims[i] {
				break
			}
			idx[i] = 0
		}
	}
}

// ReadTiles reads the wrapped dataset's tiles in the corrected dtype. Readers that
// fuse corrections into decoding (the dense, framed, K2IS and chunked HDF5 readers) compute
// (v − dark)·gain in their decode loop and repair excluded pixels once per frame;
// others deliver plain tiles, corrected here right after they are decoded.
func (w *corrected) ReadTiles(ctx context.Context, p Partition, req TileRequest, fn func(t *Tile) error) error {
	if !req.DType.IsValid() {
		req.DType = w.out
	}
	pl := w.plan(&req.Scheme)
	if fr, ok := w.Dataset.(fusingReader); ok {
		switch req.DType {
		case array.Float32:
			return fr.readFused(ctx, p, req, fusedOf[float32](pl), fn)
		case array.Float64:
			return fr.readFused(ctx, p, req, fusedOf[float64](pl), fn)
		}
	}
	// A tile in the wrapped dataset's own dtype may be a view of its storage: copy it.
	copyTile := req.DType == w.Dataset.DType()
	switch req.DType {
	case array.Float32:
		return correctTiles[float32](ctx, w, pl, p, req, fn, copyTile)
	case array.Float64:
		return correctTiles[float64](ctx, w, pl, p, req, fn, copyTile)
	}
	return newErr(w.Info().Path, "dtype", ErrDType, "corrected tiles are float32 or float64, not %v", req.DType)
}

type corrBuf[T float32 | float64] struct {
	buf []T
	arr array.Dense[T]
}

func correctTiles[T float32 | float64](ctx context.Context, w *corrected, pl *corrPlan, p Partition, req TileRequest, fn func(t *Tile) error, copyTile bool) error {
	var cb *corrBuf[T]
	if copyTile {
		if v, ok := w.pool.Get().(*corrBuf[T]); ok {
			cb = v
		} else {
			cb = &corrBuf[T]{}
		}
		defer w.pool.Put(cb)
	}
	var dark, gain [][]T
	switch any(T(0)).(type) {
	case float32:
		dark, gain = any(pl.dark32).([][]T), any(pl.gain32).([][]T)
	default:
		dark, gain = any(pl.dark).([][]T), any(pl.gain).([][]T)
	}
	return w.Dataset.ReadTiles(ctx, p, req, func(t *Tile) error {
		d, ok := t.Data.(*array.Dense[T])
		if !ok {
			return newErr(w.Info().Path, "dtype", ErrDType, "wrapped dataset delivered %T", t.Data)
		}
		data := d.Data()
		if copyTile {
			if cap(cb.buf) < len(data) {
				cb.buf = make([]T, len(data))
			}
			cb.buf = cb.buf[:len(data)]
			copy(cb.buf, data)
			data = cb.buf
			cb.arr.Rewrap(data, d.Shape()...)
			t.Data = &cb.arr
		}
		bi := t.SchemeIdx
		correctBlock(data, pl.sizes[bi], dark[bi], gain[bi], pl.patches[bi])
		return fn(t)
	})
}

// correctBlock corrects the frames of bs elements in data: (v − dark)·gain, then the
// excluded pixels from their neighbours.
func correctBlock[T float32 | float64](data []T, bs int, dark, gain []T, patches []corrPatch) {
	for ; len(data) >= bs && bs > 0; data = data[bs:] {
		seg := data[:bs]
		switch {
		case dark != nil && gain != nil:
			g, dk := gain[:bs], dark[:bs]
			for i := range seg {
				seg[i] = (seg[i] - dk[i]) * g[i]
			}
		case dark != nil:
			dk := dark[:bs]
			for i := range seg {
				seg[i] -= dk[i]
			}
		case gain != nil:
			g := gain[:bs]
			for i := range seg {
				seg[i] *= g[i]
			}
		}
		for _, p := range patches {
			if len(p.nb) == 0 {
				continue
			}
			var s T
			for _, n := range p.nb {
				s += seg[n]
			}
			seg[p.idx] = s / T(len(p.nb))
		}
	}
}
