package cuda

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync/atomic"
	"unsafe"
)

// Emulator is an Exec that runs every kernel on the CPU, in plain Go, one element at a
// time in the same order of accumulation as the CUDA kernels' per-thread loops. It is
// the definition the CUDA kernels are checked against, and lets the engine's device
// path run (slowly) and be tested on machines without a GPU.
type Emulator struct {
	// Label names it in Name; "" means "emulator".
	Label string
	// Allocated counts the bytes currently allocated (for tests of buffer release).
	Allocated atomic.Int64
}

var _ Exec = (*Emulator)(nil)

type hostBuf struct {
	b     []byte
	freed bool
	view  bool
}

func (h *hostBuf) Size() int64 { return int64(len(h.b)) }

func (x *Emulator) buf(b Buf) (*hostBuf, error) {
	h, ok := b.(*hostBuf)
	if !ok || h == nil {
		return nil, fmt.Errorf("cuda: %T is not a buffer of the emulator", b)
	}
	if h.freed {
		return nil, fmt.Errorf("cuda: emulator buffer used after Free")
	}
	return h, nil
}

// Name returns the label or "emulator".
func (x *Emulator) Name() string {
	if x.Label != "" {
		return x.Label
	}
	return "emulator"
}

// Alloc returns n bytes of host memory, filled with a pattern (memory is not cleared on
// a device either).
func (x *Emulator) Alloc(n int64) (Buf, error) {
	if n <= 0 || n > math.MaxInt32*16 {
		return nil, fmt.Errorf("cuda: emulator Alloc(%d): want a positive size", n)
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = 0xA5
	}
	x.Allocated.Add(n)
	return &hostBuf{b: b}, nil
}

// Free releases b.
func (x *Emulator) Free(b Buf) error {
	h, err := x.buf(b)
	if err != nil {
		return err
	}
	if h.view {
		return fmt.Errorf("cuda: Free of a view")
	}
	x.Allocated.Add(-int64(len(h.b)))
	h.freed, h.b = true, nil
	return nil
}

// CopyIn copies src into b at off.
func (x *Emulator) CopyIn(b Buf, off int64, src []byte) error {
	h, err := x.buf(b)
	if err != nil {
		return err
	}
	if err := checkOut("CopyIn", b, off, int64(len(src))); err != nil {
		return err
	}
	copy(h.b[off:], src)
	return nil
}

// CopyOut copies bytes of b from off into dst.
func (x *Emulator) CopyOut(dst []byte, b Buf, off int64) error {
	h, err := x.buf(b)
	if err != nil {
		return err
	}
	if err := checkOut("CopyOut", b, off, int64(len(dst))); err != nil {
		return err
	}
	copy(dst, h.b[off:])
	return nil
}

// View returns bytes [off, off+n) of b.
func (x *Emulator) View(b Buf, off, n int64) (Buf, error) {
	h, err := x.buf(b)
	if err != nil {
		return nil, err
	}
	if err := checkOut("View", b, off, n); err != nil {
		return nil, err
	}
	return &hostBuf{b: h.b[off : off+n : off+n], view: true}, nil
}

// Zero clears n bytes from off.
func (x *Emulator) Zero(b Buf, off, n int64) error {
	h, err := x.buf(b)
	if err != nil {
		return err
	}
	if err := checkOut("Zero", b, off, n); err != nil {
		return err
	}
	clear(h.b[off : off+n])
	return nil
}

// elemAt returns element i of a tile of type e as float64.
func elemAt(b []byte, e Elem, i int) float64 {
	ne := binary.NativeEndian
	switch e {
	case F32:
		return float64(math.Float32frombits(ne.Uint32(b[4*i:])))
	case F64:
		return math.Float64frombits(ne.Uint64(b[8*i:]))
	case U8:
		return float64(b[i])
	case I8:
		return float64(int8(b[i]))
	case U16:
		return float64(ne.Uint16(b[2*i:]))
	case I16:
		return float64(int16(ne.Uint16(b[2*i:])))
	case U32:
		return float64(ne.Uint32(b[4*i:]))
	case I32:
		return float64(int32(ne.Uint32(b[4*i:])))
	case U64:
		return float64(ne.Uint64(b[8*i:]))
	case I64:
		return float64(int64(ne.Uint64(b[8*i:])))
	}
	panic("cuda: bad Elem")
}

// f64s views b from byte offset off as n float64 values.
func f64s(b []byte, off int64, n int) []float64 {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*float64)(unsafe.Pointer(&b[off])), n)
}

func f32s(b []byte, off int64, n int) []float32 {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[off])), n)
}

// tileArgs validates a tile and returns the buffers' memory.
func (x *Emulator) tileArgs(in Buf, e Elem, nf, npix int, outs ...struct {
	b    Buf
	off  int64
	size int64
}) ([]byte, [][]byte, error) {
	if err := checkTile(in, e, nf, npix); err != nil {
		return nil, nil, err
	}
	h, err := x.buf(in)
	if err != nil {
		return nil, nil, err
	}
	var bs [][]byte
	for _, o := range outs {
		hb, err := x.buf(o.b)
		if err != nil {
			return nil, nil, err
		}
		if err := checkOut("kernel argument", o.b, o.off, o.size); err != nil {
			return nil, nil, err
		}
		bs = append(bs, hb.b)
	}
	return h.b, bs, nil
}

type arg = struct {
	b    Buf
	off  int64
	size int64
}

// SumFrames emulates sum_frames.
func (x *Emulator) SumFrames(in Buf, e Elem, acc Buf, nf, npix int) error {
	t, o, err := x.tileArgs(in, e, nf, npix, arg{acc, 0, 8 * int64(npix)})
	if err != nil {
		return err
	}
	a := f64s(o[0], 0, npix)
	for p := 0; p < npix; p++ {
		s := 0.0
		for f := 0; f < nf; f++ {
			s += elemAt(t, e, f*npix+p)
		}
		a[p] += s
	}
	return nil
}

// SumSig emulates sum_sig.
func (x *Emulator) SumSig(in Buf, e Elem, out Buf, outOff int64, nf, npix int) error {
	t, o, err := x.tileArgs(in, e, nf, npix, arg{out, outOff, 8 * int64(nf)})
	if err != nil {
		return err
	}
	r := f64s(o[0], outOff, nf)
	for f := 0; f < nf; f++ {
		s := 0.0
		for p := 0; p < npix; p++ {
			s += elemAt(t, e, f*npix+p)
		}
		r[f] = s
	}
	return nil
}

// StdFrames emulates std_frames.
func (x *Emulator) StdFrames(in Buf, e Elem, sum, varsum Buf, nf, npix int, n0 int64) error {
	t, o, err := x.tileArgs(in, e, nf, npix, arg{sum, 0, 8 * int64(npix)}, arg{varsum, 0, 8 * int64(npix)})
	if err != nil {
		return err
	}
	s, v := f64s(o[0], 0, npix), f64s(o[1], 0, npix)
	for p := 0; p < npix; p++ {
		mean, m2 := 0.0, 0.0
		for f := 0; f < nf; f++ {
			xv := elemAt(t, e, f*npix+p)
			d := xv - mean
			mean += d / float64(f+1)
			m2 += d * (xv - mean)
		}
		if n0 == 0 {
			s[p], v[p] = mean*float64(nf), m2
			continue
		}
		d := mean - s[p]/float64(n0)
		v[p] += m2 + d*d*float64(n0)*float64(nf)/float64(n0+int64(nf))
		s[p] += mean * float64(nf)
	}
	return nil
}

// CoMFrames emulates com_frames.
func (x *Emulator) CoMFrames(in Buf, e Elem, mask Buf, out Buf, outOff int64, nf, npix, sx int) error {
	if sx <= 0 || npix%sx != 0 {
		return fmt.Errorf("cuda: CoMFrames: %d pixels are not rows of %d", npix, sx)
	}
	t, o, err := x.tileArgs(in, e, nf, npix, arg{mask, 0, 4 * int64(npix)}, arg{out, outOff, 24 * int64(nf)})
	if err != nil {
		return err
	}
	m, r := f32s(o[0], 0, npix), f64s(o[1], outOff, 3*nf)
	for f := 0; f < nf; f++ {
		var tt, ty, tx float64
		for p := 0; p < npix; p++ {
			v := float64(m[p]) * elemAt(t, e, f*npix+p)
			tt += v
			ty += v * float64(p/sx)
			tx += v * float64(p%sx)
		}
		r[3*f], r[3*f+1], r[3*f+2] = tt, ty, tx
	}
	return nil
}

// RingMoments emulates ring_moments.
func (x *Emulator) RingMoments(in Buf, e Elem, mask Buf, out Buf, outOff int64, nf, npix int) error {
	t, o, err := x.tileArgs(in, e, nf, npix, arg{mask, 0, 4 * int64(npix)}, arg{out, outOff, 24 * int64(nf)})
	if err != nil {
		return err
	}
	m, r := f32s(o[0], 0, npix), f64s(o[1], outOff, 3*nf)
	for f := 0; f < nf; f++ {
		var c, s, s2 float64
		for p := 0; p < npix; p++ {
			w, v := float64(m[p]), elemAt(t, e, f*npix+p)
			c += w
			s += w * v
			s2 += w * v * v
		}
		r[3*f], r[3*f+1], r[3*f+2] = c, s, s2
	}
	return nil
}

// FrameMin emulates frame_min.
func (x *Emulator) FrameMin(in Buf, e Elem, out Buf, nf, npix int) error {
	t, o, err := x.tileArgs(in, e, nf, npix, arg{out, 0, 8 * int64(nf)})
	if err != nil {
		return err
	}
	r := f64s(o[0], 0, nf)
	for f := 0; f < nf; f++ {
		m := math.Inf(1)
		for p := 0; p < npix; p++ {
			m = math.Min(m, elemAt(t, e, f*npix+p))
		}
		r[f] = m
	}
	return nil
}

// LogSum emulates log_sum.
func (x *Emulator) LogSum(in Buf, e Elem, mins Buf, acc Buf, nf, npix int) error {
	t, o, err := x.tileArgs(in, e, nf, npix, arg{mins, 0, 8 * int64(nf)}, arg{acc, 0, 8 * int64(npix)})
	if err != nil {
		return err
	}
	mn, a := f64s(o[0], 0, nf), f64s(o[1], 0, npix)
	for p := 0; p < npix; p++ {
		s := 0.0
		for f := 0; f < nf; f++ {
			s += math.Log(elemAt(t, e, f*npix+p) - mn[f] + 1)
		}
		a[p] += s
	}
	return nil
}

// ToF32 emulates to_f32.
func (x *Emulator) ToF32(in Buf, e Elem, out Buf, n int) error {
	t, o, err := x.tileArgs(in, e, 1, max(n, 1), arg{out, 0, 4 * int64(n)})
	if err != nil {
		return err
	}
	r := f32s(o[0], 0, n)
	for i := 0; i < n; i++ {
		r[i] = float32(elemAt(t, e, i))
	}
	return nil
}

// PickFrames emulates pick_frames: element i of the tile to element i of out (from
// byte offset outOff), copied as its bytes.
func (x *Emulator) PickFrames(in Buf, e Elem, out Buf, outOff int64, nf, npix int) error {
	n := nf * npix
	t, o, err := x.tileArgs(in, e, nf, npix, arg{out, outOff, int64(n) * int64(e.Size())})
	if err != nil {
		return err
	}
	es := e.Size()
	r := o[0][outOff:]
	for i := 0; i < n; i++ {
		copy(r[i*es:(i+1)*es], t[i*es:(i+1)*es])
	}
	return nil
}

// GatherFrames emulates gather_frames; an index past the frames in holds is an error
// here (the kernel would read out of bounds: callers build the indices).
func (x *Emulator) GatherFrames(in Buf, e Elem, idx Buf, out Buf, nk, npix int) error {
	if err := checkGather(in, e, out, nk, npix); err != nil {
		return err
	}
	hi, err := x.buf(in)
	if err != nil {
		return err
	}
	hx, err := x.buf(idx)
	if err != nil {
		return err
	}
	ho, err := x.buf(out)
	if err != nil {
		return err
	}
	if err := checkOut("GatherFrames idx", idx, 0, 8*int64(nk)); err != nil {
		return err
	}
	es := e.Size()
	frames := int64(len(hi.b) / (npix * es))
	ix := unsafe.Slice((*int64)(unsafe.Pointer(&hx.b[0])), nk)
	for k := 0; k < nk; k++ {
		if ix[k] < 0 || ix[k] >= frames {
			return fmt.Errorf("cuda: GatherFrames: index %d = %d outside the %d frames of the buffer", k, ix[k], frames)
		}
	}
	for i := 0; i < nk*npix; i++ {
		src := int(ix[i/npix])*npix + i%npix
		copy(ho.b[i*es:(i+1)*es], hi.b[src*es:(src+1)*es])
	}
	return nil
}

// CSRMasks emulates csr_masks; a malformed CSR (indptr not non-decreasing from 0, an
// index outside the frame, arrays too short) is an error here.
func (x *Emulator) CSRMasks(in Buf, e Elem, indptr, indices, values Buf, out Buf, outOff int64, nf, npix, nm int) error {
	if nm <= 0 {
		return fmt.Errorf("cuda: CSRMasks: %d masks", nm)
	}
	t, o, err := x.tileArgs(in, e, nf, npix, arg{indptr, 0, 4 * int64(nm+1)}, arg{out, outOff, 8 * int64(nf) * int64(nm)},
		arg{indices, 0, 0}, arg{values, 0, 0})
	if err != nil {
		return err
	}
	ptr := unsafe.Slice((*int32)(unsafe.Pointer(&o[0][0])), nm+1)
	nnz := int(ptr[nm])
	if ptr[0] != 0 || nnz < 0 || int64(nnz)*4 > int64(len(o[2])) || int64(nnz)*8 > int64(len(o[3])) {
		return fmt.Errorf("cuda: CSRMasks: indptr [%d … %d] does not fit %d indices and %d values", ptr[0], nnz, len(o[2])/4, len(o[3])/8)
	}
	var idx []int32
	var val []float64
	if nnz > 0 {
		idx = unsafe.Slice((*int32)(unsafe.Pointer(&o[2][0])), nnz)
		val = f64s(o[3], 0, nnz)
	}
	for m := 0; m < nm; m++ {
		if ptr[m+1] < ptr[m] {
			return fmt.Errorf("cuda: CSRMasks: indptr decreases at mask %d", m)
		}
	}
	for j, c := range idx {
		if c < 0 || int(c) >= npix {
			return fmt.Errorf("cuda: CSRMasks: index %d = %d outside a frame of %d pixels", j, c, npix)
		}
	}
	r := f64s(o[1], outOff, nf*nm)
	for f := 0; f < nf; f++ {
		fr := f * npix
		for m := 0; m < nm; m++ {
			s := 0.0
			for j := ptr[m]; j < ptr[m+1]; j++ {
				s += val[j] * elemAt(t, e, fr+int(idx[j]))
			}
			r[f*nm+m] = s
		}
	}
	return nil
}

// SwapBytes emulates swap_bytes: each element's bytes reversed (in may be out).
func (x *Emulator) SwapBytes(in Buf, e Elem, out Buf, n int) error {
	t, o, err := x.tileArgs(in, e, 1, max(n, 1), arg{out, 0, int64(n) * int64(e.Size())})
	if err != nil {
		return err
	}
	es := e.Size()
	var v [8]byte
	for i := 0; i < n; i++ {
		copy(v[:es], t[i*es:(i+1)*es])
		for k := 0; k < es; k++ {
			o[0][i*es+k] = v[es-1-k]
		}
	}
	return nil
}

// GemmNT32 computes C = A·Bᵀ in float32 with float64 accumulation.
func (x *Emulator) GemmNT32(m, n, k int, a, b, c Buf, cOff int64) error {
	if m <= 0 || n <= 0 || k <= 0 {
		return fmt.Errorf("cuda: gemm %d×%d×%d", m, n, k)
	}
	ha, err := x.buf(a)
	if err != nil {
		return err
	}
	hb, err := x.buf(b)
	if err != nil {
		return err
	}
	hc, err := x.buf(c)
	if err != nil {
		return err
	}
	for _, ck := range []struct {
		name string
		b    Buf
		off  int64
		n    int64
	}{{"A", a, 0, 4 * int64(m) * int64(k)}, {"B", b, 0, 4 * int64(n) * int64(k)}, {"C", c, cOff, 4 * int64(m) * int64(n)}} {
		if err := checkOut("gemm "+ck.name, ck.b, ck.off, ck.n); err != nil {
			return err
		}
	}
	A, B, C := f32s(ha.b, 0, m*k), f32s(hb.b, 0, n*k), f32s(hc.b, cOff, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for l := 0; l < k; l++ {
				s += float64(A[i*k+l]) * float64(B[j*k+l])
			}
			C[i*n+j] = float32(s)
		}
	}
	return nil
}

// Sync does nothing: the emulator runs every call to completion.
func (x *Emulator) Sync() error { return nil }

// Close does nothing.
func (x *Emulator) Close() error { return nil }
