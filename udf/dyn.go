package udf

import (
	"fmt"
	"hash/maphash"
	"unsafe"

	"github.com/stemflow/stemflow/array"
)

// ops are runtime-typed operations on a dense array; opsOf picks the generic
// implementation for the element type once, so hot code pays one interface call.
type ops interface {
	arr() array.Array
	// rows returns the view a[lo:hi] along axis 0.
	rows(lo, hi int) array.Array
	// box returns the view restricted to r on the leading axes.
	box(r []array.Range) array.Array
	reshape(shape []int) (array.Array, error)
	// copyFrom copies src (same shape, same element type) into a.
	copyFrom(src array.Array) error
	// newView returns a reusable view header over a (see view).
	newView() view
	// fill sets every element to v (which must have the element type, or nil for the
	// zero value).
	fill(v any)
	// scatterRows copies row j of src (C-contiguous, same element type, same row size)
	// into row idx[j] of a (C-contiguous).
	scatterRows(src array.Array, idx []int)
	// contiguousBytes returns the elements' memory in C order (a copy when a is not
	// contiguous); only for plain-data element types.
	contiguousBytes() []byte
}

// opsOf returns the typed operations of a dense array, or nil for other formats.
func opsOf(a array.Array) ops {
	switch d := a.(type) {
	case *array.Dense[bool]:
		return typed[bool]{d}
	case *array.Dense[int8]:
		return typed[int8]{d}
	case *array.Dense[int16]:
		return typed[int16]{d}
	case *array.Dense[int32]:
		return typed[int32]{d}
	case *array.Dense[int64]:
		return typed[int64]{d}
	case *array.Dense[uint8]:
		return typed[uint8]{d}
	case *array.Dense[uint16]:
		return typed[uint16]{d}
	case *array.Dense[uint32]:
		return typed[uint32]{d}
	case *array.Dense[uint64]:
		return typed[uint64]{d}
	case *array.Dense[float32]:
		return typed[float32]{d}
	case *array.Dense[float64]:
		return typed[float64]{d}
	case *array.Dense[complex64]:
		return typed[complex64]{d}
	case *array.Dense[complex128]:
		return typed[complex128]{d}
	case *array.Dense[string]:
		return typed[string]{d}
	case *array.Dense[any]:
		return typed[any]{d}
	}
	return nil
}

type typed[T any] struct{ d *array.Dense[T] }

func (t typed[T]) arr() array.Array { return t.d }

func (t typed[T]) rows(lo, hi int) array.Array {
	return t.d.Slice(array.Range{Start: lo, Stop: hi})
}

func (t typed[T]) box(r []array.Range) array.Array { return t.d.Slice(r...) }

func (t typed[T]) reshape(shape []int) (array.Array, error) {
	r, err := t.d.Reshape(shape...)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (t typed[T]) copyFrom(src array.Array) error {
	s, ok := src.(*array.Dense[T])
	if !ok {
		return fmt.Errorf("copy %v into %v: element types differ", src.DType(), t.d.DType())
	}
	return t.d.CopyFrom(s)
}

func (t typed[T]) fill(v any) {
	var x T
	if v != nil {
		x = v.(T)
	}
	t.d.Fill(x)
}

func (t typed[T]) scatterRows(src array.Array, idx []int) {
	s := src.(*array.Dense[T]).Contiguous()
	sd, dd := s.Data(), t.d.Data()
	n := len(idx)
	if n == 0 {
		return
	}
	row := len(sd) / n
	for j, i := range idx {
		copy(dd[i*row:(i+1)*row], sd[j*row:(j+1)*row])
	}
}

func (t typed[T]) contiguousBytes() []byte {
	c := t.d.Contiguous()
	data := c.Data()
	if len(data) == 0 {
		return nil
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), len(data)*int(unsafe.Sizeof(z)))
}

// reshapeDyn reshapes a dense array of any element type.
func reshapeDyn(a array.Array, shape []int) (array.Array, error) {
	o := opsOf(a)
	if o == nil {
		return nil, fmt.Errorf("reshape: format %v is not dense", a.Format())
	}
	return o.reshape(shape)
}

// copyCast copies src into dst (same shape), converting dtypes when they differ.
func copyCast(dst, src array.Array) error {
	if src.DType() != dst.DType() {
		c, err := array.Convert(src, dst.DType())
		if err != nil {
			return err
		}
		src = c
	}
	o := opsOf(dst)
	if o == nil {
		return fmt.Errorf("copy into format %v", dst.Format())
	}
	return o.copyFrom(src)
}

// checksum hashes the elements of a (debug mode). Object arrays hash their cells'
// formatted values.
func checksum(seed maphash.Seed, a array.Array) uint64 {
	if d, ok := a.(*array.Dense[any]); ok {
		return maphash.String(seed, fmt.Sprint(d.Copy().Data()))
	}
	if d, ok := a.(*array.Dense[string]); ok {
		return maphash.String(seed, fmt.Sprint(d.Copy().Data()))
	}
	o := opsOf(a)
	if o == nil {
		return maphash.String(seed, fmt.Sprintf("%p", a))
	}
	return maphash.Bytes(seed, o.contiguousBytes())
}
