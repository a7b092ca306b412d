package cuda

import (
	"errors"
	"fmt"
)

// stagingSize is the size of each of a stream's two pinned staging buffers: CopyIn
// copies host memory into one while the other's upload may still run.
const stagingSize = 8 << 20

// streamExec is the Exec of one CUDA stream.
type streamExec struct {
	s       *Stream
	ks      *KernelSet
	blas    *BLAS
	stage   [2]*HostBuffer
	events  [2]uintptr // recorded after each staging buffer's last upload
	pending [2]bool
	next    int
}

var _ Exec = (*streamExec)(nil)

// NewStreamExec creates a stream on d with the built-in kernels loaded and two pinned
// staging buffers; Close releases them.
func NewStreamExec(d *Device) (Exec, error) {
	ks, err := Builtins(d)
	if err != nil {
		return nil, err
	}
	s, err := d.NewStream()
	if err != nil {
		return nil, err
	}
	x := &streamExec{s: s, ks: ks}
	for i := range x.stage {
		if x.stage[i], err = d.AllocHost(stagingSize); err != nil {
			return nil, errors.Join(err, x.Close())
		}
		const disableTiming = 2
		if err := d.a.err("cuEventCreate", d.a.eventCreate(&x.events[i], disableTiming)); err != nil {
			return nil, errors.Join(err, x.Close())
		}
	}
	return x, nil
}

func (x *streamExec) Name() string { return fmt.Sprintf("cuda:%d/stream %#x", x.s.d.Ordinal, x.s.h) }

func (x *streamExec) Alloc(n int64) (Buf, error) { return x.s.d.Alloc(n) }

func (x *streamExec) Free(b Buf) error {
	db, err := x.dev(b)
	if err != nil {
		return err
	}
	return db.Free()
}

func (x *streamExec) dev(b Buf) (*Buffer, error) {
	db, ok := b.(*Buffer)
	if !ok || db == nil || db.Ptr == 0 {
		return nil, fmt.Errorf("cuda: %T is not a live device buffer", b)
	}
	if db.d != x.s.d {
		return nil, fmt.Errorf("cuda: buffer of cuda:%d used on cuda:%d", db.d.Ordinal, x.s.d.Ordinal)
	}
	return db, nil
}

// CopyIn stages src through the pinned buffers (so the upload is asynchronous and at
// full PCIe speed) and returns once src has been copied: src may be reused at once.
func (x *streamExec) CopyIn(b Buf, off int64, src []byte) error {
	db, err := x.dev(b)
	if err != nil {
		return err
	}
	if err := checkOut("CopyIn", b, off, int64(len(src))); err != nil {
		return err
	}
	a := x.s.d.a
	for len(src) > 0 {
		i := x.next
		x.next ^= 1
		if x.pending[i] {
			if err := a.err("cuEventSynchronize", a.eventSynchronize(x.events[i])); err != nil {
				return err
			}
		}
		n := copy(x.stage[i].Bytes, src)
		if err := x.s.CopyToDevice(db, off, x.stage[i].Bytes[:n]); err != nil {
			return err
		}
		if err := a.err("cuEventRecord", a.eventRecord(x.events[i], x.s.h)); err != nil {
			return err
		}
		x.pending[i] = true
		src, off = src[n:], off+int64(n)
	}
	return nil
}

func (x *streamExec) CopyOut(dst []byte, b Buf, off int64) error {
	db, err := x.dev(b)
	if err != nil {
		return err
	}
	return x.s.CopyToHost(dst, db, off)
}

func (x *streamExec) View(b Buf, off, n int64) (Buf, error) {
	db, err := x.dev(b)
	if err != nil {
		return nil, err
	}
	if err := checkOut("View", b, off, n); err != nil {
		return nil, err
	}
	return &Buffer{d: db.d, Ptr: db.Ptr + uint64(off), Len: n, view: true}, nil
}

func (x *streamExec) Zero(b Buf, off, n int64) error {
	db, err := x.dev(b)
	if err != nil {
		return err
	}
	return x.s.Zero(db, off, n)
}

// Launch geometry: per-pixel kernels use a grid-stride loop over pixels, per-frame
// kernels one block per frame (grid-stride over frames past 65,535 blocks).
const blockSize = 256

func (x *streamExec) pixelGrid(npix int) Dim3 {
	g := (npix + blockSize - 1) / blockSize
	return Dim3{uint32(max(1, min(g, 32*max(1, x.s.d.SMs)))), 1, 1}
}

func frameGrid(nf int) Dim3 { return Dim3{uint32(max(1, min(nf, 65535))), 1, 1} }

var block = Dim3{blockSize, 1, 1}

func (x *streamExec) launch(name string, e Elem, grid Dim3, args ...any) error {
	if n, ok := builtinParams[name]; !ok || n != len(args) {
		return fmt.Errorf("cuda: kernel %s launched with %d arguments, it takes %d", name, len(args), n)
	}
	f, err := x.ks.Func(name, e)
	if err != nil {
		return err
	}
	return x.s.Launch(f, grid, block, 0, args...)
}

// ptr returns the device address of b at off after checking n bytes fit.
func (x *streamExec) ptr(what string, b Buf, off, n int64) (uint64, error) {
	db, err := x.dev(b)
	if err != nil {
		return 0, err
	}
	if err := checkOut(what, b, off, n); err != nil {
		return 0, err
	}
	return db.Ptr + uint64(off), nil
}

func (x *streamExec) tile(in Buf, e Elem, nf, npix int) (uint64, error) {
	if err := checkTile(in, e, nf, npix); err != nil {
		return 0, err
	}
	return x.ptr("tile", in, 0, 0)
}

func (x *streamExec) SumFrames(in Buf, e Elem, acc Buf, nf, npix int) error {
	ip, err := x.tile(in, e, nf, npix)
	if err != nil {
		return err
	}
	ap, err := x.ptr("SumFrames acc", acc, 0, 8*int64(npix))
	if err != nil {
		return err
	}
	return x.launch(KernelSumFrames, e, x.pixelGrid(npix), ip, ap, int64(nf), int64(npix))
}

func (x *streamExec) SumSig(in Buf, e Elem, out Buf, outOff int64, nf, npix int) error {
	ip, err := x.tile(in, e, nf, npix)
	if err != nil {
		return err
	}
	op, err := x.ptr("SumSig out", out, outOff, 8*int64(nf))
	if err != nil {
		return err
	}
	return x.launch(KernelSumSig, e, frameGrid(nf), ip, op, int64(nf), int64(npix))
}

func (x *streamExec) StdFrames(in Buf, e Elem, sum, varsum Buf, nf, npix int, n0 int64) error {
	ip, err := x.tile(in, e, nf, npix)
	if err != nil {
		return err
	}
	sp, err := x.ptr("StdFrames sum", sum, 0, 8*int64(npix))
	if err != nil {
		return err
	}
	vp, err := x.ptr("StdFrames varsum", varsum, 0, 8*int64(npix))
	if err != nil {
		return err
	}
	return x.launch(KernelStdFrames, e, x.pixelGrid(npix), ip, sp, vp, int64(nf), int64(npix), n0)
}

func (x *streamExec) CoMFrames(in Buf, e Elem, mask Buf, out Buf, outOff int64, nf, npix, sx int) error {
	if sx <= 0 || npix%sx != 0 {
		return fmt.Errorf("cuda: CoMFrames: %d pixels are not rows of %d", npix, sx)
	}
	ip, err := x.tile(in, e, nf, npix)
	if err != nil {
		return err
	}
	mp, err := x.ptr("CoMFrames mask", mask, 0, 4*int64(npix))
	if err != nil {
		return err
	}
	op, err := x.ptr("CoMFrames out", out, outOff, 24*int64(nf))
	if err != nil {
		return err
	}
	return x.launch(KernelCoMFrames, e, frameGrid(nf), ip, mp, op, int64(nf), int64(npix), int64(sx))
}

func (x *streamExec) RingMoments(in Buf, e Elem, mask Buf, out Buf, outOff int64, nf, npix int) error {
	ip, err := x.tile(in, e, nf, npix)
	if err != nil {
		return err
	}
	mp, err := x.ptr("RingMoments mask", mask, 0, 4*int64(npix))
	if err != nil {
		return err
	}
	op, err := x.ptr("RingMoments out", out, outOff, 24*int64(nf))
	if err != nil {
		return err
	}
	return x.launch(KernelRingMoments, e, frameGrid(nf), ip, mp, op, int64(nf), int64(npix))
}

func (x *streamExec) FrameMin(in Buf, e Elem, out Buf, nf, npix int) error {
	ip, err := x.tile(in, e, nf, npix)
	if err != nil {
		return err
	}
	op, err := x.ptr("FrameMin out", out, 0, 8*int64(nf))
	if err != nil {
		return err
	}
	return x.launch(KernelFrameMin, e, frameGrid(nf), ip, op, int64(nf), int64(npix))
}

func (x *streamExec) LogSum(in Buf, e Elem, mins Buf, acc Buf, nf, npix int) error {
	ip, err := x.tile(in, e, nf, npix)
	if err != nil {
		return err
	}
	mp, err := x.ptr("LogSum mins", mins, 0, 8*int64(nf))
	if err != nil {
		return err
	}
	ap, err := x.ptr("LogSum acc", acc, 0, 8*int64(npix))
	if err != nil {
		return err
	}
	return x.launch(KernelLogSum, e, x.pixelGrid(npix), ip, mp, ap, int64(nf), int64(npix))
}

func (x *streamExec) ToF32(in Buf, e Elem, out Buf, n int) error {
	ip, err := x.tile(in, e, 1, max(n, 1))
	if err != nil {
		return err
	}
	op, err := x.ptr("ToF32 out", out, 0, 4*int64(n))
	if err != nil {
		return err
	}
	return x.launch(KernelToF32, e, x.pixelGrid(n), ip, op, int64(n))
}

func (x *streamExec) PickFrames(in Buf, e Elem, out Buf, outOff int64, nf, npix int) error {
	ip, err := x.tile(in, e, nf, npix)
	if err != nil {
		return err
	}
	n := int64(nf) * int64(npix)
	op, err := x.ptr("PickFrames out", out, outOff, n*int64(e.Size()))
	if err != nil {
		return err
	}
	return x.launch(KernelPickFrames, e, x.pixelGrid(int(min(n, 1<<30))), ip, op, int64(nf), int64(npix))
}

func (x *streamExec) GatherFrames(in Buf, e Elem, idx Buf, out Buf, nk, npix int) error {
	if err := checkGather(in, e, out, nk, npix); err != nil {
		return err
	}
	ip, err := x.ptr("GatherFrames in", in, 0, 0)
	if err != nil {
		return err
	}
	xp, err := x.ptr("GatherFrames idx", idx, 0, 8*int64(nk))
	if err != nil {
		return err
	}
	op, err := x.ptr("GatherFrames out", out, 0, int64(nk)*int64(npix)*int64(e.Size()))
	if err != nil {
		return err
	}
	n := int64(nk) * int64(npix)
	return x.launch(KernelGather, e, x.pixelGrid(int(min(n, 1<<30))), ip, xp, op, int64(nk), int64(npix))
}

func (x *streamExec) CSRMasks(in Buf, e Elem, indptr, indices, values Buf, out Buf, outOff int64, nf, npix, nm int) error {
	ip, err := x.tile(in, e, nf, npix)
	if err != nil {
		return err
	}
	if nm <= 0 {
		return fmt.Errorf("cuda: CSRMasks: %d masks", nm)
	}
	pp, err := x.ptr("CSRMasks indptr", indptr, 0, 4*int64(nm+1))
	if err != nil {
		return err
	}
	jp, err := x.ptr("CSRMasks indices", indices, 0, 0)
	if err != nil {
		return err
	}
	vp, err := x.ptr("CSRMasks values", values, 0, 0)
	if err != nil {
		return err
	}
	op, err := x.ptr("CSRMasks out", out, outOff, 8*int64(nf)*int64(nm))
	if err != nil {
		return err
	}
	return x.launch(KernelCSRMasks, e, frameGrid(nf), ip, pp, jp, vp, op, int64(nf), int64(npix), int64(nm))
}

func (x *streamExec) SwapBytes(in Buf, e Elem, out Buf, n int) error {
	ip, err := x.tile(in, e, 1, max(n, 1))
	if err != nil {
		return err
	}
	op, err := x.ptr("SwapBytes out", out, 0, int64(n)*int64(e.Size()))
	if err != nil {
		return err
	}
	return x.launch(KernelSwapBytes, e, x.pixelGrid(n), ip, op, int64(n))
}

func (x *streamExec) GemmNT32(m, n, k int, a, b, c Buf, cOff int64) error {
	if x.blas == nil {
		bl, err := NewBLAS(x.s)
		if err != nil {
			return err
		}
		x.blas = bl
	}
	da, err := x.dev(a)
	if err != nil {
		return err
	}
	dbm, err := x.dev(b)
	if err != nil {
		return err
	}
	dc, err := x.dev(c)
	if err != nil {
		return err
	}
	if err := checkOut("gemm C", c, cOff, 4*int64(m)*int64(n)); err != nil {
		return err
	}
	view := &Buffer{d: dc.d, Ptr: dc.Ptr + uint64(cOff), Len: dc.Len - cOff}
	return x.blas.SgemmNT(m, n, k, 1, da, dbm, 0, view)
}

func (x *streamExec) Sync() error { return x.s.Sync() }

func (x *streamExec) Close() error {
	var errs []error
	errs = append(errs, x.blas.Close(), x.s.Close())
	a := x.s.d.a
	for i := range x.stage {
		if x.events[i] != 0 {
			errs = append(errs, a.err("cuEventDestroy_v2", a.eventDestroy(x.events[i])))
			x.events[i] = 0
		}
		errs = append(errs, x.stage[i].Free())
	}
	return errors.Join(errs...)
}
