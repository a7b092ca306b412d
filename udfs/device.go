package udfs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends/cuda"
	"github.com/stemflow/stemflow/udf"
)

// The built-ins' device paths (udf.DeviceProcessor). Each keeps its partials on the
// device in float64 (float32 for the mask product, as cuBLAS computes it) and, in
// Finish, hands them to the same task state or buffers the CPU path fills, so
// Postprocess, Merge and Results are shared. Results equal the CPU path's within
// floating-point rounding: exactly for integer input whose sums stay below 2⁵³, within
// a relative 1e-6 (the float32 accumulation of the CPU path) for float32 input.
var (
	_ udf.DeviceProcessor = Sum{}
	_ udf.DeviceProcessor = SumSig{}
	_ udf.DeviceProcessor = StdDev{}
	_ udf.DeviceProcessor = (*CoM)(nil)
	_ udf.DeviceProcessor = Logsum{}
	_ udf.DeviceProcessor = FEM{}
	_ udf.DeviceProcessor = (*ApplyMasks)(nil)
)

// Pick's device path is in device_pick.go; ApplyMasks' CSR path in device_sparse.go.

// devBufs owns the device buffers of one device task.
type devBufs struct {
	x    cuda.Exec
	bufs []cuda.Buf
}

// zeroed allocates n bytes cleared to zero.
func (d *devBufs) zeroed(n int64) (cuda.Buf, error) {
	b, err := d.x.Alloc(max(n, 8))
	if err != nil {
		return nil, err
	}
	d.bufs = append(d.bufs, b)
	return b, d.x.Zero(b, 0, b.Size())
}

// upload allocates and fills a buffer with b.
func (d *devBufs) upload(b []byte) (cuda.Buf, error) {
	buf, err := d.x.Alloc(int64(max(len(b), 8)))
	if err != nil {
		return nil, err
	}
	d.bufs = append(d.bufs, buf)
	return buf, d.x.CopyIn(buf, 0, b)
}

// f64s copies n float64 values from b (after a Sync).
func (d *devBufs) f64s(b cuda.Buf, n int) ([]float64, error) {
	raw := make([]byte, 8*n)
	if err := d.x.CopyOut(raw, b, 0); err != nil {
		return nil, err
	}
	if err := d.x.Sync(); err != nil {
		return nil, err
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = math.Float64frombits(binary.NativeEndian.Uint64(raw[8*i:]))
	}
	return out, nil
}

// Release frees every buffer.
func (d *devBufs) Release() error {
	var errs []error
	for _, b := range d.bufs {
		errs = append(errs, d.x.Free(b))
	}
	d.bufs = nil
	return errors.Join(errs...)
}

func f32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.NativeEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// realInput refuses complex input (no device kernels) with ErrNoDevicePath.
func realInput(env *udf.Env) error {
	if env.Meta.InputDType.Kind() == array.KindComplex {
		return fmt.Errorf("%w: complex input", udf.ErrNoDevicePath)
	}
	return nil
}

// --- Sum ---

type sumDev struct {
	devBufs
	acc  cuda.Buf
	npix int
}

// NewDeviceTask starts Sum on the device: a float64 accumulator per pixel.
func (Sum) NewDeviceTask(env *udf.Env, x cuda.Exec) (udf.DeviceTask, error) {
	if err := realInput(env); err != nil {
		return nil, err
	}
	t := &sumDev{devBufs: devBufs{x: x}, npix: env.Meta.DatasetShape.SigSize()}
	var err error
	t.acc, err = t.zeroed(8 * int64(t.npix))
	return t, err
}

func (t *sumDev) ProcessDeviceTile(_ *udf.Env, d *udf.DeviceTile) error {
	return t.x.SumFrames(d.Data, d.Elem, t.acc, d.Frames, d.Pixels)
}

// Finish adds the device sums to the task's accumulators (Postprocess stores them).
func (t *sumDev) Finish(env *udf.Env) error {
	v, err := t.f64s(t.acc, t.npix)
	if err != nil {
		return err
	}
	st := env.TaskData().(*sumTask)
	st.ensureAcc()
	acc := st.acc
	for i, s := range v {
		acc[i] += s
	}
	return nil
}

// --- SumSig ---

type sumSigDev struct {
	devBufs
	out cuda.Buf
	n   int
}

// NewDeviceTask starts SumSig on the device: one float64 per frame of the partition.
func (SumSig) NewDeviceTask(env *udf.Env, x cuda.Exec) (udf.DeviceTask, error) {
	if err := realInput(env); err != nil {
		return nil, err
	}
	t := &sumSigDev{devBufs: devBufs{x: x}, n: env.At(0).Size()}
	var err error
	t.out, err = t.zeroed(8 * int64(t.n))
	return t, err
}

func (t *sumSigDev) ProcessDeviceTile(_ *udf.Env, d *udf.DeviceTile) error {
	return t.x.SumSig(d.Data, d.Elem, t.out, 8*int64(d.Lo), d.Frames, d.Pixels)
}

func (t *sumSigDev) Finish(env *udf.Env) error {
	v, err := t.f64s(t.out, t.n)
	if err != nil {
		return err
	}
	return storeF64(env.At(0), v)
}

// --- StdDev ---

type stdDev struct {
	devBufs
	sum, varsum cuda.Buf
	n           int64
	npix        int
}

// NewDeviceTask starts StdDev on the device: per-pixel sum and varsum merged tile by
// tile (Welford within a tile, Chan's formula across tiles).
func (StdDev) NewDeviceTask(env *udf.Env, x cuda.Exec) (udf.DeviceTask, error) {
	if err := realInput(env); err != nil {
		return nil, err
	}
	t := &stdDev{devBufs: devBufs{x: x}, npix: env.Meta.DatasetShape.SigSize()}
	var err error
	if t.sum, err = t.zeroed(8 * int64(t.npix)); err != nil {
		return t, err
	}
	t.varsum, err = t.zeroed(8 * int64(t.npix))
	return t, err
}

func (t *stdDev) ProcessDeviceTile(_ *udf.Env, d *udf.DeviceTile) error {
	if d.Frames == 0 {
		return nil
	}
	if err := t.x.StdFrames(d.Data, d.Elem, t.sum, t.varsum, d.Frames, d.Pixels, t.n); err != nil {
		return err
	}
	t.n += int64(d.Frames)
	return nil
}

// Finish stores the accumulators as the task's one (whole-frame) box.
func (t *stdDev) Finish(env *udf.Env) error {
	st := env.TaskData().(*stdTask)
	if t.n == 0 {
		return nil
	}
	sum, err := t.f64s(t.sum, t.npix)
	if err != nil {
		return err
	}
	vs, err := t.f64s(t.varsum, t.npix)
	if err != nil {
		return err
	}
	if len(st.boxes) == 0 {
		st.boxes = make([]*stdBox, 1)
	}
	st.boxes[0] = &stdBox{n: t.n, sum: sum, varsum: vs}
	return nil
}

// --- CoM ---

type comDev struct {
	devBufs
	mask cuda.Buf
	out  cuda.Buf
	n    int
	sx   int
}

// NewDeviceTask starts CoM on the device: the selection as a 0/1 mask, three moments
// per frame.
func (c *CoM) NewDeviceTask(env *udf.Env, x cuda.Exec) (udf.DeviceTask, error) {
	if err := realInput(env); err != nil {
		return nil, err
	}
	ct := env.TaskData().(*comTask)
	mask := make([]float32, ct.sy*ct.sx)
	for y, spans := range ct.spans {
		for _, sp := range spans {
			for x := sp[0]; x < sp[1]; x++ {
				mask[y*ct.sx+x] = 1
			}
		}
	}
	t := &comDev{devBufs: devBufs{x: x}, n: env.At(0).Size() / 3, sx: ct.sx}
	var err error
	if t.mask, err = t.upload(f32Bytes(mask)); err != nil {
		return t, err
	}
	t.out, err = t.zeroed(24 * int64(t.n))
	return t, err
}

func (t *comDev) ProcessDeviceTile(_ *udf.Env, d *udf.DeviceTile) error {
	return t.x.CoMFrames(d.Data, d.Elem, t.mask, t.out, 24*int64(d.Lo), d.Frames, d.Pixels, t.sx)
}

func (t *comDev) Finish(env *udf.Env) error {
	v, err := t.f64s(t.out, 3*t.n)
	if err != nil {
		return err
	}
	return storeF64(env.At(0), v)
}

// --- Logsum ---

type logsumDev struct {
	devBufs
	acc, mins cuda.Buf
	npix      int
	minCap    int
}

// NewDeviceTask starts Logsum on the device: per-frame minima, then the per-pixel sum
// of logs.
func (Logsum) NewDeviceTask(env *udf.Env, x cuda.Exec) (udf.DeviceTask, error) {
	if err := realInput(env); err != nil {
		return nil, err
	}
	t := &logsumDev{devBufs: devBufs{x: x}, npix: env.Meta.DatasetShape.SigSize()}
	var err error
	t.acc, err = t.zeroed(8 * int64(t.npix))
	return t, err
}

func (t *logsumDev) ProcessDeviceTile(_ *udf.Env, d *udf.DeviceTile) error {
	if d.Frames > t.minCap {
		var err error
		if t.mins, err = t.zeroed(8 * int64(d.Frames)); err != nil {
			return err
		}
		t.minCap = d.Frames
	}
	if err := t.x.FrameMin(d.Data, d.Elem, t.mins, d.Frames, d.Pixels); err != nil {
		return err
	}
	return t.x.LogSum(d.Data, d.Elem, t.mins, t.acc, d.Frames, d.Pixels)
}

func (t *logsumDev) Finish(env *udf.Env) error {
	v, err := t.f64s(t.acc, t.npix)
	if err != nil {
		return err
	}
	acc := env.TaskData().(*logsumTask).acc
	for i, s := range v {
		acc[i] += s
	}
	return nil
}

// --- FEM ---

type femDev struct {
	devBufs
	mask, out cuda.Buf
	n         int
	empty     bool
}

// NewDeviceTask starts FEM on the device: the ring as a 0/1 mask, count, sum and sum
// of squares per frame.
func (FEM) NewDeviceTask(env *udf.Env, x cuda.Exec) (udf.DeviceTask, error) {
	if err := realInput(env); err != nil {
		return nil, err
	}
	p := env.TaskData().(*femPlan)
	mask := make([]float32, env.Meta.DatasetShape.SigSize())
	for _, i := range p.idx {
		mask[i] = 1
	}
	t := &femDev{devBufs: devBufs{x: x}, n: env.At(0).Size(), empty: len(p.idx) == 0}
	var err error
	if t.mask, err = t.upload(f32Bytes(mask)); err != nil {
		return t, err
	}
	t.out, err = t.zeroed(24 * int64(t.n))
	return t, err
}

func (t *femDev) ProcessDeviceTile(_ *udf.Env, d *udf.DeviceTile) error {
	return t.x.RingMoments(d.Data, d.Elem, t.mask, t.out, 24*int64(d.Lo), d.Frames, d.Pixels)
}

// Finish turns the moments into the population standard deviation (NaN for an empty
// ring, as the CPU path).
func (t *femDev) Finish(env *udf.Env) error {
	v, err := t.f64s(t.out, 3*t.n)
	if err != nil {
		return err
	}
	out := make([]float64, t.n)
	for f := range out {
		c, s, s2 := v[3*f], v[3*f+1], v[3*f+2]
		if t.empty || c == 0 {
			out[f] = math.NaN()
			continue
		}
		mean := s / c
		out[f] = math.Sqrt(max(0, s2/c-mean*mean))
	}
	return storeF64(env.At(0), out)
}

// --- ApplyMasks ---

type masksDev struct {
	devBufs
	masks, f32, out cuda.Buf
	nm, n, f32Cap   int
}

// NewDeviceTask starts ApplyMasks on the device: dense masks with a float32 result as a
// cuBLAS product per tile; sparse masks, and dense masks with a float64 result, as CSR
// rows (csr_masks, float64). Shifted masks take the CPU path.
func (a *ApplyMasks) NewDeviceTask(env *udf.Env, x cuda.Exec) (udf.DeviceTask, error) {
	if err := realInput(env); err != nil {
		return nil, err
	}
	if a.Shift != nil || a.Shifts != nil {
		return nil, fmt.Errorf("%w: ApplyMasks with shifted masks", udf.ErrNoDevicePath)
	}
	npix := env.Meta.DatasetShape.SigSize()
	switch mt := env.TaskData().(type) {
	case *sparseMasksTask:
		if mt.nMsk == 0 {
			return nil, fmt.Errorf("%w: ApplyMasks without masks", udf.ErrNoDevicePath)
		}
		st, err := mt.c.Stack()
		if err != nil {
			return nil, err
		}
		r, err := csrFromSparse(st, mt.nMsk, npix)
		if err != nil {
			return nil, err
		}
		return newCSRMasksDev(x, r, mt.nMsk, env.At(0).Size()/mt.nMsk, npix)
	case *masksTask:
		if mt.n == 0 {
			return nil, fmt.Errorf("%w: ApplyMasks without masks", udf.ErrNoDevicePath)
		}
		if !mt.f32 {
			r, err := csrFromDense(mt.m64)
			if err != nil {
				return nil, err
			}
			return newCSRMasksDev(x, r, mt.n, env.At(0).Size()/mt.n, npix)
		}
		flat := make([]float32, 0, mt.n*mt.px)
		for _, m := range mt.m32 {
			flat = append(flat, m...)
		}
		t := &masksDev{devBufs: devBufs{x: x}, nm: mt.n, n: env.At(0).Size() / mt.n}
		var err error
		if t.masks, err = t.upload(f32Bytes(flat)); err != nil {
			return t, err
		}
		t.out, err = t.zeroed(4 * int64(t.n*t.nm))
		return t, err
	}
	return nil, fmt.Errorf("%w: ApplyMasks task data %T", udf.ErrNoDevicePath, env.TaskData())
}

func (t *masksDev) ProcessDeviceTile(_ *udf.Env, d *udf.DeviceTile) error {
	if d.Frames == 0 {
		return nil
	}
	in := d.Data
	if d.Elem != cuda.F32 {
		if n := d.Frames * d.Pixels; n > t.f32Cap {
			var err error
			if t.f32, err = t.zeroed(4 * int64(n)); err != nil {
				return err
			}
			t.f32Cap = n
		}
		if err := t.x.ToF32(d.Data, d.Elem, t.f32, d.Frames*d.Pixels); err != nil {
			return err
		}
		in = t.f32
	}
	return t.x.GemmNT32(d.Frames, t.nm, d.Pixels, in, t.masks, t.out, 4*int64(d.Lo*t.nm))
}

func (t *masksDev) Finish(env *udf.Env) error {
	raw := make([]byte, 4*t.n*t.nm)
	if err := t.x.CopyOut(raw, t.out, 0); err != nil {
		return err
	}
	if err := t.x.Sync(); err != nil {
		return err
	}
	v := make([]float64, t.n*t.nm)
	for i := range v {
		v[i] = float64(math.Float32frombits(binary.NativeEndian.Uint32(raw[4*i:])))
	}
	return storeF64(env.At(0), v)
}
