package udfs

import (
	"fmt"
	"unsafe"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends/cuda"
	"github.com/stemflow/stemflow/udf"
)

var _ udf.DeviceProcessor = Pick{}

// pickDev keeps the partition's selected frames on the device in the stored dtype.
type pickDev struct {
	devBufs
	out     cuda.Buf
	lo, n   int // the partition's first ROI-compressed frame and its frame count
	npix    int
	es      int
	elemDev cuda.Elem
}

// NewDeviceTask starts Pick on the device: one buffer of the partition's frames in the
// input dtype, filled tile by tile (pick_frames) and copied into the task's rows of
// intensity in Finish. Bool and complex input have no device kernels.
func (Pick) NewDeviceTask(env *udf.Env, x cuda.Exec) (udf.DeviceTask, error) {
	e, ok := udf.ElemOf(env.Meta.InputDType)
	if !ok {
		return nil, fmt.Errorf("%w: Pick of %v frames", udf.ErrNoDevicePath, env.Meta.InputDType)
	}
	sl := env.Meta.Slice
	t := &pickDev{devBufs: devBufs{x: x}, lo: sl.Origin[0], n: sl.Shape.Dim(0),
		npix: env.Meta.DatasetShape.SigSize(), es: e.Size(), elemDev: e}
	var err error
	t.out, err = t.zeroed(int64(t.n) * int64(t.npix) * int64(t.es))
	return t, err
}

func (t *pickDev) ProcessDeviceTile(_ *udf.Env, d *udf.DeviceTile) error {
	if d.Frames == 0 {
		return nil
	}
	return t.x.PickFrames(d.Data, d.Elem, t.out, int64(d.Lo)*int64(t.npix)*int64(t.es), d.Frames, d.Pixels)
}

// Finish copies the frames into rows [lo, lo+n) of intensity (the rest stays zero, as
// on the CPU path).
func (t *pickDev) Finish(env *udf.Env) error {
	if t.n == 0 {
		return nil
	}
	dst, err := rawBytes(env.At(0))
	if err != nil {
		return err
	}
	row := t.npix * t.es
	if need := (t.lo + t.n) * row; len(dst) < need {
		return fmt.Errorf("%w: Pick: intensity holds %d bytes, rows [%d, %d) need %d", ErrShape, len(dst), t.lo, t.lo+t.n, need)
	}
	if err := t.x.CopyOut(dst[t.lo*row:(t.lo+t.n)*row], t.out, 0); err != nil {
		return err
	}
	return t.x.Sync()
}

// rawBytes returns the memory of a C-contiguous dense array of a real dtype.
func rawBytes(a array.Array) ([]byte, error) {
	switch d := a.(type) {
	case *array.Dense[float32]:
		return denseMem(d)
	case *array.Dense[float64]:
		return denseMem(d)
	case *array.Dense[uint8]:
		return denseMem(d)
	case *array.Dense[uint16]:
		return denseMem(d)
	case *array.Dense[uint32]:
		return denseMem(d)
	case *array.Dense[uint64]:
		return denseMem(d)
	case *array.Dense[int8]:
		return denseMem(d)
	case *array.Dense[int16]:
		return denseMem(d)
	case *array.Dense[int32]:
		return denseMem(d)
	case *array.Dense[int64]:
		return denseMem(d)
	}
	return nil, fmt.Errorf("%w: device results into a %T", ErrUnsupportedDType, a)
}

func denseMem[T any](d *array.Dense[T]) ([]byte, error) {
	if !d.IsContiguous() {
		return nil, fmt.Errorf("%w: device results into a strided buffer", ErrShape)
	}
	s := d.Data()[d.Offset() : d.Offset()+d.Size()]
	if len(s) == 0 {
		return nil, nil
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(z))), nil
}
