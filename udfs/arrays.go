package udfs

import (
	"errors"
	"fmt"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/udf"
)

// ErrUnsupportedDType reports an input or buffer dtype a built-in cannot process.
var ErrUnsupportedDType = errors.New("udfs: unsupported dtype")

// refuseComplex returns an ErrUnsupportedDType error naming the UDF when the run's input
// dtype is complex. The built-ins that cannot take complex input call it from TaskData,
// which runs before a task reads any tile.
func refuseComplex(name string, m *udf.Meta) error {
	if m.InputDType.Kind() == array.KindComplex {
		return fmt.Errorf("%w: %s takes real input, the run's input dtype is %v (read the data as a real dtype)", ErrUnsupportedDType, name, m.InputDType)
	}
	return nil
}

// ErrUnsupportedFormat reports a tile format (sparse) a built-in cannot process yet.
var ErrUnsupportedFormat = errors.New("udfs: unsupported array format")

// contiguous returns the elements of d in C order when d is C-contiguous, else nil.
func contiguous[T any](d *array.Dense[T]) []T {
	if d == nil || !d.IsContiguous() {
		return nil
	}
	off := d.Offset()
	return d.Data()[off : off+d.Size()]
}

// flatOf returns the elements of a (any dense array of element type T) in C order,
// copying only when a is not contiguous; ok is false when a is not a *Dense[T].
func flatOf[T any](a array.Array) ([]T, bool) {
	d, ok := a.(*array.Dense[T])
	if !ok {
		return nil, false
	}
	if c := contiguous(d); c != nil || d.Size() == 0 {
		return c, true
	}
	return contiguous(d.Copy()), true
}

// toF64 returns a copy of a's elements as float64 (real dtypes; complex parts dropped
// are an error).
func toF64(a array.Array) ([]float64, error) {
	if a.DType().Kind() == array.KindComplex {
		return nil, fmt.Errorf("%w: %v where a real array is needed", ErrUnsupportedDType, a.DType())
	}
	c, err := array.Convert(a, array.Float64)
	if err != nil {
		return nil, err
	}
	f, _ := flatOf[float64](c)
	return f, nil
}

// toC128 returns a copy of a's elements as complex128.
func toC128(a array.Array) ([]complex128, error) {
	c, err := array.Convert(a, array.Complex128)
	if err != nil {
		return nil, err
	}
	f, _ := flatOf[complex128](c)
	return f, nil
}

// assign writes src (same size, any numeric dtype) into dst, converting to dst's
// dtype with numpy's astype rules.
func assign(dst, src array.Array) error {
	if dst.Size() != src.Size() {
		return fmt.Errorf("%w: assign %d elements to %d", array.ErrShape, src.Size(), dst.Size())
	}
	c := src
	if src.DType() != dst.DType() {
		var err error
		if c, err = array.Convert(src, dst.DType()); err != nil {
			return err
		}
	}
	switch d := dst.(type) {
	case *array.Dense[float32]:
		return copyFlat(d, c)
	case *array.Dense[float64]:
		return copyFlat(d, c)
	case *array.Dense[complex64]:
		return copyFlat(d, c)
	case *array.Dense[complex128]:
		return copyFlat(d, c)
	case *array.Dense[int8]:
		return copyFlat(d, c)
	case *array.Dense[int16]:
		return copyFlat(d, c)
	case *array.Dense[int32]:
		return copyFlat(d, c)
	case *array.Dense[int64]:
		return copyFlat(d, c)
	case *array.Dense[uint8]:
		return copyFlat(d, c)
	case *array.Dense[uint16]:
		return copyFlat(d, c)
	case *array.Dense[uint32]:
		return copyFlat(d, c)
	case *array.Dense[uint64]:
		return copyFlat(d, c)
	case *array.Dense[bool]:
		return copyFlat(d, c)
	}
	return fmt.Errorf("%w: buffer %v (%T)", ErrUnsupportedDType, dst.DType(), dst)
}

// copyFlat copies src (a *Dense[T] of d's size, any shape) into d in C order.
func copyFlat[T any](d *array.Dense[T], src array.Array) error {
	s, ok := flatOf[T](src)
	if !ok {
		return fmt.Errorf("%w: %T into %T", ErrUnsupportedDType, src, d)
	}
	if c := contiguous(d); c != nil {
		copy(c, s)
		return nil
	}
	w, err := array.Wrap(s, 1, len(s)).Reshape(d.Shape()...)
	if err != nil {
		return err
	}
	return d.CopyFrom(w)
}

// storeF64 writes float64 values into dst (converted to its dtype). A contiguous
// float32 or float64 dst is written in place (the values of array.Convert, without its
// intermediate array: a Postprocess per partition touches no new memory for it).
func storeF64(dst array.Array, v []float64) error {
	switch d := dst.(type) {
	case *array.Dense[float32]:
		if c := contiguous(d); c != nil && len(c) == len(v) {
			for i, x := range v {
				c[i] = float32(x)
			}
			return nil
		}
	case *array.Dense[float64]:
		if c := contiguous(d); c != nil && len(c) == len(v) {
			copy(c, v)
			return nil
		}
	}
	return assign(dst, array.Wrap(v, len(v)))
}

// storeC128 writes complex128 values into dst (converted to its dtype).
func storeC128(dst array.Array, v []complex128) error { return assign(dst, array.Wrap(v, len(v))) }

// addInto adds src to dst element-wise (dst += src), computing in float64 (complex128
// for complex dtypes) and rounding once into dst's dtype.
func addInto(dst, src array.Array) error {
	if dst.Size() != src.Size() {
		return fmt.Errorf("%w: add %d elements to %d", array.ErrShape, src.Size(), dst.Size())
	}
	if dst.DType().Kind() == array.KindComplex || src.DType().Kind() == array.KindComplex {
		a, err := toC128(dst)
		if err != nil {
			return err
		}
		b, err := toC128(src)
		if err != nil {
			return err
		}
		for i := range a {
			a[i] += b[i]
		}
		return storeC128(dst, a)
	}
	// Fast path: float32 += float32 in place.
	if d, ok := dst.(*array.Dense[float32]); ok {
		if s, ok := src.(*array.Dense[float32]); ok {
			dc, sc := contiguous(d), contiguous(s)
			if dc != nil && sc != nil {
				for i, v := range sc {
					dc[i] += v
				}
				return nil
			}
		}
	}
	a, err := toF64(dst)
	if err != nil {
		return err
	}
	b, err := toF64(src)
	if err != nil {
		return err
	}
	for i := range a {
		a[i] += b[i]
	}
	return storeF64(dst, a)
}

// sumParts returns the element-wise sum of buffer i over all partials as a new array
// of dtype dt and the given shape, accumulated in float64 (complex128) and rounded
// once.
func sumParts(parts []array.Array, dt array.DType, shape []int) (array.Array, error) {
	n := 1
	for _, s := range shape {
		n *= s
	}
	out := array.New(dt, shape...)
	if dt.Kind() == array.KindComplex {
		acc := make([]complex128, n)
		for _, p := range parts {
			v, err := toC128(p)
			if err != nil {
				return nil, err
			}
			for i := range acc {
				acc[i] += v[i]
			}
		}
		return out, storeC128(out, acc)
	}
	acc := make([]float64, n)
	for _, p := range parts {
		v, err := toF64(p)
		if err != nil {
			return nil, err
		}
		if len(v) != n {
			return nil, fmt.Errorf("%w: partial of %d elements, want %d", array.ErrShape, len(v), n)
		}
		for i := range acc {
			acc[i] += v[i]
		}
	}
	return out, storeF64(out, acc)
}

// sigBox describes the current tile's signal box relative to the full signal.
type sigBox struct {
	// runLen is the length of one contiguous run (last axis of the box); runs is the
	// number of runs per frame; full reports that the box is one contiguous run of the
	// full signal (runs == 1, sigOff(0) == start).
	runLen, runs int
	full         bool
	start        int // flat sig index of the box's first element
	sigDims      []int
	origin       []int
	shape        []int
}

// boxOf fills b from the current Meta (no allocation once b's slices have capacity).
func (b *sigBox) set(sig []int, box array.Slice) {
	k := len(sig)
	b.sigDims = sig
	b.origin = box.Origin
	b.shape = b.shape[:0]
	for i := 0; i < k; i++ {
		b.shape = append(b.shape, box.Shape.Dim(i))
	}
	b.runLen = 1
	if k > 0 {
		b.runLen = b.shape[k-1]
	}
	b.runs = 1
	for i := 0; i < k-1; i++ {
		b.runs *= b.shape[i]
	}
	b.start = 0
	stride := 1
	for i := k - 1; i >= 0; i-- {
		b.start += b.origin[i] * stride
		stride *= sig[i]
	}
	b.full = true
	for i := 1; i < k; i++ {
		if b.shape[i] != sig[i] {
			b.full = false
		}
	}
	if b.full {
		b.runLen *= b.runs
		b.runs = 1
	}
}

// size returns the number of pixels of the box.
func (b *sigBox) size() int { return b.runLen * b.runs }

// runOff returns the flat full-signal index of run r (0 ≤ r < runs).
func (b *sigBox) runOff(r int) int {
	if b.runs == 1 {
		return b.start
	}
	k := len(b.sigDims)
	off := 0
	stride := b.sigDims[k-1]
	for i := k - 2; i >= 0; i-- {
		idx := r % b.shape[i]
		r /= b.shape[i]
		off += (b.origin[i] + idx) * stride
		stride *= b.sigDims[i]
	}
	return off + b.origin[k-1]
}
