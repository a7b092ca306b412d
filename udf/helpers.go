package udf

import (
	"errors"
	"fmt"

	"github.com/stemflow/stemflow/array"
)

// ErrInputDType: Input was asked for an element type the tile does not have.
var ErrInputDType = errors.New("udf: input has another dtype")

// Input returns a tile, frame or partition as a dense array of element type T, or an
// error naming the dtype and format it has: a UDF takes its input in its own dtype
// without a panicking type assertion (another UDF of the pass may raise the run's
// input dtype, see InputDTyper). It allocates nothing.
//
//	in, err := udf.Input[float32](tile)
//	if err != nil {
//		return err
//	}
func Input[T any](a array.Array) (*array.Dense[T], error) {
	if d, ok := a.(*array.Dense[T]); ok && d != nil {
		return d, nil
	}
	var zero T
	if a == nil {
		return nil, fmt.Errorf("%w: want %T, got nil", ErrInputDType, zero)
	}
	return nil, fmt.Errorf("%w: want dense %T, got %v (%v); declare PreferredInputDType or switch on the dtype", ErrInputDType, zero, a.DType(), a.Format())
}

// MergeAdd is the additive merge: for each named buffer (every present buffer when
// names is empty) dest += src, element by element, in dest's dtype. It serves as a
// UDF's Merge when every buffer is a sum:
//
//	func (MyUDF) Merge(dest, src *udf.Views, _ *udf.Meta) error { return udf.MergeAdd(dest, src) }
func MergeAdd(dest, src *Views, names ...string) error {
	if len(names) == 0 {
		names = dest.Names()
	}
	for _, n := range names {
		if !dest.Has(n) || !src.Has(n) {
			return fmt.Errorf("%w: MergeAdd: buffer %q is not present in both dest and src", ErrUndeclaredBuffer, n)
		}
		d, s := dest.Get(n), src.Get(n)
		if d == nil || s == nil {
			return fmt.Errorf("%w: MergeAdd: buffer %q is not present in both dest and src", ErrUndeclaredBuffer, n)
		}
		if err := addTo(d, s); err != nil {
			return fmt.Errorf("MergeAdd: buffer %q: %w", n, err)
		}
	}
	return nil
}

func addTo(d, s array.Array) error {
	switch dd := d.(type) {
	case *array.Dense[float32]:
		return addT(dd, s)
	case *array.Dense[float64]:
		return addT(dd, s)
	case *array.Dense[int32]:
		return addT(dd, s)
	case *array.Dense[int64]:
		return addT(dd, s)
	case *array.Dense[uint32]:
		return addT(dd, s)
	case *array.Dense[uint64]:
		return addT(dd, s)
	case *array.Dense[complex64]:
		return addT(dd, s)
	case *array.Dense[complex128]:
		return addT(dd, s)
	}
	return fmt.Errorf("dtype %v (%v) cannot be added", d.DType(), d.Format())
}

func addT[T int32 | int64 | uint32 | uint64 | float32 | float64 | complex64 | complex128](d *array.Dense[T], s array.Array) error {
	if s.DType() != d.DType() {
		c, err := array.Convert(s, d.DType())
		if err != nil {
			return err
		}
		s = c
	}
	sd := s.(*array.Dense[T])
	if d.Size() != sd.Size() {
		return fmt.Errorf("%w: add %d elements to %d", array.ErrShape, sd.Size(), d.Size())
	}
	if d.IsContiguous() && sd.IsContiguous() {
		dv, sv := d.Data(), sd.Data()
		for i := range dv {
			dv[i] += sv[i]
		}
		return nil
	}
	dc, sc := d.Contiguous(), sd.Contiguous()
	dv, sv := dc.Data(), sc.Data()
	for i := range dv {
		dv[i] += sv[i]
	}
	return d.CopyFrom(dc)
}
