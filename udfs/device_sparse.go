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

// csrMasksDev is ApplyMasks on the device with the masks as CSR rows (csr_masks): for
// sparse masks, and for dense masks with a float64 result (exact in float64, where
// cuBLAS's float32 product would not be). Partials are float64.
type csrMasksDev struct {
	devBufs
	indptr, indices, values, out cuda.Buf
	nm, n, npix                  int
}

// csrRows is a mask stack as CSR rows over the frame's pixels.
type csrRows struct {
	indptr, indices []int32
	values          []float64
}

// csrFromSparse converts a sparse stack (n, px) to csrRows, checking its indices.
func csrFromSparse(st array.Array, nm, npix int) (csrRows, error) {
	var r csrRows
	switch m := st.(type) {
	case *array.CSR[float32, int32]:
		r.indptr, r.indices = m.Indptr, m.Indices
		r.values = make([]float64, len(m.Data))
		for i, v := range m.Data {
			r.values[i] = float64(v)
		}
	case *array.CSR[float64, int32]:
		r.indptr, r.indices, r.values = m.Indptr, m.Indices, m.Data
	default:
		return r, fmt.Errorf("%w: ApplyMasks sparse stack %T", udf.ErrNoDevicePath, st)
	}
	if len(r.indptr) != nm+1 || r.indptr[0] != 0 || int(r.indptr[nm]) != len(r.indices) || len(r.indices) != len(r.values) {
		return r, fmt.Errorf("%w: ApplyMasks: sparse stack of %d index pointers, %d indices and %d values for %d masks", ErrShape, len(r.indptr), len(r.indices), len(r.values), nm)
	}
	for m := 0; m < nm; m++ {
		if r.indptr[m+1] < r.indptr[m] {
			return r, fmt.Errorf("%w: ApplyMasks: sparse stack row pointers decrease at mask %d", ErrShape, m)
		}
	}
	for _, c := range r.indices {
		if c < 0 || int(c) >= npix {
			return r, fmt.Errorf("%w: ApplyMasks: sparse mask index %d outside a frame of %d pixels", ErrShape, c, npix)
		}
	}
	return r, nil
}

// csrFromDense keeps the nonzero entries of dense rows.
func csrFromDense(rows [][]float64) (csrRows, error) {
	r := csrRows{indptr: []int32{0}}
	for _, row := range rows {
		for p, v := range row {
			if v != 0 {
				r.indices = append(r.indices, int32(p))
				r.values = append(r.values, v)
			}
		}
		if len(r.indices) > math.MaxInt32 {
			return r, fmt.Errorf("%w: ApplyMasks: %d mask entries, more than the device path indexes", udf.ErrNoDevicePath, len(r.indices))
		}
		r.indptr = append(r.indptr, int32(len(r.indices)))
	}
	return r, nil
}

func i32Bytes(v []int32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.NativeEndian.PutUint32(b[4*i:], uint32(x))
	}
	return b
}

func f64Bytes(v []float64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.NativeEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	return b
}

// newCSRMasksDev uploads the masks and a float64 partial of n frames × nm masks; on
// failure it frees what it allocated.
func newCSRMasksDev(x cuda.Exec, r csrRows, nm, n, npix int) (udf.DeviceTask, error) {
	t := &csrMasksDev{devBufs: devBufs{x: x}, nm: nm, n: n, npix: npix}
	err := func() (err error) {
		if t.indptr, err = t.upload(i32Bytes(r.indptr)); err != nil {
			return err
		}
		if t.indices, err = t.upload(i32Bytes(r.indices)); err != nil {
			return err
		}
		if t.values, err = t.upload(f64Bytes(r.values)); err != nil {
			return err
		}
		t.out, err = t.zeroed(8 * int64(n) * int64(nm))
		return err
	}()
	if err != nil {
		return nil, errors.Join(err, t.Release())
	}
	return t, nil
}

func (t *csrMasksDev) ProcessDeviceTile(_ *udf.Env, d *udf.DeviceTile) error {
	if d.Frames == 0 {
		return nil
	}
	return t.x.CSRMasks(d.Data, d.Elem, t.indptr, t.indices, t.values, t.out, 8*int64(d.Lo)*int64(t.nm), d.Frames, d.Pixels, t.nm)
}

// Finish stores the float64 products into intensity (rounded once to its dtype).
func (t *csrMasksDev) Finish(env *udf.Env) error {
	v, err := t.f64s(t.out, t.n*t.nm)
	if err != nil {
		return err
	}
	return storeF64(env.At(0), v)
}
