package array

import (
	"errors"
	"fmt"
	"slices"
)

// ErrConvert is wrapped by errors of Convert and ConvertInto: a conversion between
// dtypes that has no value semantics here (numbers ↔ byte strings, object cells of
// unsupported types), or an array type they do not know.
var ErrConvert = errors.New("unsupported conversion")

type realNum interface {
	~int | ~uint | ~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

type complexNum interface{ ~complex64 | ~complex128 }

type uintNum interface {
	~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

// Convert returns a new C-contiguous array of dtype to (the type New(to) makes) holding
// a's values converted with numpy's astype semantics (casting='unsafe'):
//   - integers wrap modulo 2^bits; bool gives 0/1;
//   - floats to integers truncate toward zero; NaN, ±Inf and out-of-range values give
//     unspecified results, as in numpy (negative floats to unsigned wrap like the
//     matching signed integer, -1.0 → 255 for uint8, as numpy does on amd64);
//   - real to complex sets the imaginary part to 0, complex to real drops it;
//   - numbers to bool test != 0 (NaN is true);
//   - S<n> to S<m> truncates values to m bytes; anything to object boxes each value;
//   - object to a numeric dtype converts each cell holding a Go number or bool.
//
// Converting to a's own dtype returns a copy. a must be a *Dense whose element type is
// one New returns (or int/uint, read as int64/uint64); sparse and other formats give an
// error wrapping ErrConvert (densify them first).
func Convert(a Array, to DType) (Array, error) {
	if !to.IsValid() {
		return nil, fmt.Errorf("array: convert to %v: %w", to, ErrDType)
	}
	if a == nil || !isDense(a) {
		return nil, fmt.Errorf("array: convert %T to %v: %w (only dense arrays convert)", a, to, ErrConvert)
	}
	dst := New(to, a.Shape()...)
	if err := ConvertInto(dst, a); err != nil {
		return nil, err
	}
	return dst, nil
}

// ConvertInto writes src's values, converted as by Convert, into dst, whose dtype is the
// target. Both must be *Dense arrays of the same shape (error wrapping ErrShape
// otherwise), of any strides; it allocates nothing when both are C-contiguous and src is
// not an object array. dst and src must not overlap unless they are the same array.
func ConvertInto(dst, src Array) error {
	if !slices.Equal(shapeNoCopy(dst), shapeNoCopy(src)) {
		return fmt.Errorf("array: convert %v into %v: %w", src.Shape(), dst.Shape(), ErrShape)
	}
	if !isDense(dst) {
		return fmt.Errorf("array: convert into %T: %w (only dense arrays convert)", dst, ErrConvert)
	}
	if !denseContiguous(dst) {
		tmp := New(dst.DType(), dst.Shape()...)
		if err := ConvertInto(tmp, src); err != nil {
			return err
		}
		return copyAny(dst, tmp)
	}
	switch s := src.(type) {
	case *Dense[bool]:
		return fromBool(dst, contiguousData(s.Contiguous()))
	case *Dense[int]:
		return fromReal(dst, contiguousData(s.Contiguous()), s.dtype)
	case *Dense[uint]:
		return fromReal(dst, contiguousData(s.Contiguous()), s.dtype)
	case *Dense[int8]:
		return fromReal(dst, contiguousData(s.Contiguous()), s.dtype)
	case *Dense[int16]:
		return fromReal(dst, contiguousData(s.Contiguous()), s.dtype)
	case *Dense[int32]:
		return fromReal(dst, contiguousData(s.Contiguous()), s.dtype)
	case *Dense[int64]:
		return fromReal(dst, contiguousData(s.Contiguous()), s.dtype)
	case *Dense[uint8]:
		return fromReal(dst, contiguousData(s.Contiguous()), s.dtype)
	case *Dense[uint16]:
		return fromReal(dst, contiguousData(s.Contiguous()), s.dtype)
	case *Dense[uint32]:
		return fromReal(dst, contiguousData(s.Contiguous()), s.dtype)
	case *Dense[uint64]:
		return fromReal(dst, contiguousData(s.Contiguous()), s.dtype)
	case *Dense[float32]:
		return fromReal(dst, contiguousData(s.Contiguous()), s.dtype)
	case *Dense[float64]:
		return fromReal(dst, contiguousData(s.Contiguous()), s.dtype)
	case *Dense[complex64]:
		return fromComplex(dst, contiguousData(s.Contiguous()), s.dtype)
	case *Dense[complex128]:
		return fromComplex(dst, contiguousData(s.Contiguous()), s.dtype)
	case *Dense[string]:
		return fromString(dst, contiguousData(s.Contiguous()), s.dtype)
	case *Dense[any]:
		return fromObject(dst, contiguousData(s.Contiguous()))
	}
	return fmt.Errorf("array: convert %T to %v: %w (only dense arrays convert)", src, dst.DType(), ErrConvert)
}

// shapeNoCopy returns a dense array's shape without copying it, other arrays' Shape().
func shapeNoCopy(a Array) []int {
	if d, ok := a.(interface{ shapeRef() []int }); ok {
		return d.shapeRef()
	}
	return a.Shape()
}

func contiguousData[T any](a *Dense[T]) []T { return a.data[a.offset : a.offset+a.Size()] }

func isDense(a Array) bool {
	switch a.(type) {
	case *Dense[bool], *Dense[int], *Dense[uint], *Dense[int8], *Dense[int16], *Dense[int32], *Dense[int64],
		*Dense[uint8], *Dense[uint16], *Dense[uint32], *Dense[uint64], *Dense[float32], *Dense[float64],
		*Dense[complex64], *Dense[complex128], *Dense[string], *Dense[any]:
		return true
	}
	return false
}

// denseContiguous reports IsContiguous of a dense array known to isDense.
func denseContiguous(a Array) bool {
	return a.(interface{ IsContiguous() bool }).IsContiguous()
}

// copyAny is CopyFrom for two dense arrays of the same element type.
func copyAny(dst, src Array) error {
	switch d := dst.(type) {
	case *Dense[bool]:
		return d.CopyFrom(src.(*Dense[bool]))
	case *Dense[int]:
		return d.CopyFrom(src.(*Dense[int]))
	case *Dense[uint]:
		return d.CopyFrom(src.(*Dense[uint]))
	case *Dense[int8]:
		return d.CopyFrom(src.(*Dense[int8]))
	case *Dense[int16]:
		return d.CopyFrom(src.(*Dense[int16]))
	case *Dense[int32]:
		return d.CopyFrom(src.(*Dense[int32]))
	case *Dense[int64]:
		return d.CopyFrom(src.(*Dense[int64]))
	case *Dense[uint8]:
		return d.CopyFrom(src.(*Dense[uint8]))
	case *Dense[uint16]:
		return d.CopyFrom(src.(*Dense[uint16]))
	case *Dense[uint32]:
		return d.CopyFrom(src.(*Dense[uint32]))
	case *Dense[uint64]:
		return d.CopyFrom(src.(*Dense[uint64]))
	case *Dense[float32]:
		return d.CopyFrom(src.(*Dense[float32]))
	case *Dense[float64]:
		return d.CopyFrom(src.(*Dense[float64]))
	case *Dense[complex64]:
		return d.CopyFrom(src.(*Dense[complex64]))
	case *Dense[complex128]:
		return d.CopyFrom(src.(*Dense[complex128]))
	case *Dense[string]:
		return d.CopyFrom(src.(*Dense[string]))
	case *Dense[any]:
		return d.CopyFrom(src.(*Dense[any]))
	}
	return fmt.Errorf("array: copy into %T: %w", dst, ErrConvert)
}

func realInto[D, S realNum](d []D, src []S) {
	d = d[:len(src)] // one bounds check instead of one per element
	for i, v := range src {
		d[i] = D(v)
	}
}

// realIntoUint converts to an unsigned type. Negative values go through int64 first so
// that -1.0 becomes the all-ones pattern, as numpy does on amd64 (Go leaves a direct
// negative float → unsigned conversion implementation-defined).
func realIntoUint[D uintNum, S realNum](d []D, src []S) {
	for i, v := range src {
		if v < 0 {
			d[i] = D(int64(v))
		} else {
			d[i] = D(v)
		}
	}
}

func realIntoComplex[D complexNum, S realNum](d []D, src []S) {
	for i, v := range src {
		d[i] = D(complex(float64(v), 0))
	}
}

func complexInto[D, S complexNum](d []D, src []S) {
	for i, v := range src {
		d[i] = D(complex128(v))
	}
}

func realIntoBool[S realNum](d []bool, src []S) {
	for i, v := range src {
		d[i] = v != 0 // NaN != 0 holds, so NaN is true
	}
}

func boolIntoReal[D realNum](d []D, src []bool) {
	for i, v := range src {
		if v {
			d[i] = 1
		} else {
			d[i] = 0
		}
	}
}

func boxInto[S any](d []any, src []S) {
	for i, v := range src {
		d[i] = v
	}
}

// fromReal converts real numbers into the contiguous dense dst.
func fromReal[S realNum](dst Array, src []S, sdt DType) error {
	switch d := dst.(type) {
	case *Dense[bool]:
		realIntoBool(contiguousData(d), src)
	case *Dense[int]:
		realInto(contiguousData(d), src)
	case *Dense[int8]:
		realInto(contiguousData(d), src)
	case *Dense[int16]:
		realInto(contiguousData(d), src)
	case *Dense[int32]:
		realInto(contiguousData(d), src)
	case *Dense[int64]:
		realInto(contiguousData(d), src)
	case *Dense[uint]:
		realIntoUint(contiguousData(d), src)
	case *Dense[uint8]:
		realIntoUint(contiguousData(d), src)
	case *Dense[uint16]:
		realIntoUint(contiguousData(d), src)
	case *Dense[uint32]:
		realIntoUint(contiguousData(d), src)
	case *Dense[uint64]:
		realIntoUint(contiguousData(d), src)
	case *Dense[float32]:
		realInto(contiguousData(d), src)
	case *Dense[float64]:
		realInto(contiguousData(d), src)
	case *Dense[complex64]:
		realIntoComplex(contiguousData(d), src)
	case *Dense[complex128]:
		realIntoComplex(contiguousData(d), src)
	case *Dense[any]:
		boxInto(contiguousData(d), src)
	default:
		return fmt.Errorf("array: convert %v to %v: %w", sdt, dst.DType(), ErrConvert)
	}
	return nil
}

func fromBool(dst Array, src []bool) error {
	switch d := dst.(type) {
	case *Dense[bool]:
		copy(contiguousData(d), src)
	case *Dense[int]:
		boolIntoReal(contiguousData(d), src)
	case *Dense[int8]:
		boolIntoReal(contiguousData(d), src)
	case *Dense[int16]:
		boolIntoReal(contiguousData(d), src)
	case *Dense[int32]:
		boolIntoReal(contiguousData(d), src)
	case *Dense[int64]:
		boolIntoReal(contiguousData(d), src)
	case *Dense[uint]:
		boolIntoReal(contiguousData(d), src)
	case *Dense[uint8]:
		boolIntoReal(contiguousData(d), src)
	case *Dense[uint16]:
		boolIntoReal(contiguousData(d), src)
	case *Dense[uint32]:
		boolIntoReal(contiguousData(d), src)
	case *Dense[uint64]:
		boolIntoReal(contiguousData(d), src)
	case *Dense[float32]:
		boolIntoReal(contiguousData(d), src)
	case *Dense[float64]:
		boolIntoReal(contiguousData(d), src)
	case *Dense[complex64]:
		dd := contiguousData(d)
		for i, v := range src {
			dd[i] = 0
			if v {
				dd[i] = 1
			}
		}
	case *Dense[complex128]:
		dd := contiguousData(d)
		for i, v := range src {
			dd[i] = 0
			if v {
				dd[i] = 1
			}
		}
	case *Dense[any]:
		boxInto(contiguousData(d), src)
	default:
		return fmt.Errorf("array: convert bool to %v: %w", dst.DType(), ErrConvert)
	}
	return nil
}

// complexReal views complex values as their real parts for the real destinations.
func complexIntoReal[D realNum, S complexNum](d []D, src []S) {
	for i, v := range src {
		d[i] = D(real(complex128(v)))
	}
}

func complexIntoUint[D uintNum, S complexNum](d []D, src []S) {
	for i, v := range src {
		r := real(complex128(v))
		if r < 0 {
			d[i] = D(int64(r))
		} else {
			d[i] = D(r)
		}
	}
}

func fromComplex[S complexNum](dst Array, src []S, sdt DType) error {
	switch d := dst.(type) {
	case *Dense[bool]:
		dd := contiguousData(d)
		for i, v := range src {
			dd[i] = v != 0 // NaN != 0 holds, so NaN is true
		}
	case *Dense[int]:
		complexIntoReal(contiguousData(d), src)
	case *Dense[int8]:
		complexIntoReal(contiguousData(d), src)
	case *Dense[int16]:
		complexIntoReal(contiguousData(d), src)
	case *Dense[int32]:
		complexIntoReal(contiguousData(d), src)
	case *Dense[int64]:
		complexIntoReal(contiguousData(d), src)
	case *Dense[uint]:
		complexIntoUint(contiguousData(d), src)
	case *Dense[uint8]:
		complexIntoUint(contiguousData(d), src)
	case *Dense[uint16]:
		complexIntoUint(contiguousData(d), src)
	case *Dense[uint32]:
		complexIntoUint(contiguousData(d), src)
	case *Dense[uint64]:
		complexIntoUint(contiguousData(d), src)
	case *Dense[float32]:
		complexIntoReal(contiguousData(d), src)
	case *Dense[float64]:
		complexIntoReal(contiguousData(d), src)
	case *Dense[complex64]:
		complexInto(contiguousData(d), src)
	case *Dense[complex128]:
		complexInto(contiguousData(d), src)
	case *Dense[any]:
		boxInto(contiguousData(d), src)
	default:
		return fmt.Errorf("array: convert %v to %v: %w", sdt, dst.DType(), ErrConvert)
	}
	return nil
}

func fromString(dst Array, src []string, sdt DType) error {
	switch d := dst.(type) {
	case *Dense[string]:
		dd := contiguousData(d)
		n := d.dtype.ItemSize()
		for i, v := range src {
			if d.dtype.kind == KindBytes && len(v) > n {
				v = v[:n]
			}
			dd[i] = v
		}
		return nil
	case *Dense[any]:
		boxInto(contiguousData(d), src)
		return nil
	}
	return fmt.Errorf("array: convert %v to %v: %w (byte strings convert only to S<n> and object)", sdt, dst.DType(), ErrConvert)
}

// fromObject converts cell by cell through a one-element array of the cell's Go type.
// Object arrays are rare and small in stemflow, so clarity wins over speed here.
func fromObject(dst Array, src []any) error {
	if d, ok := dst.(*Dense[any]); ok {
		copy(contiguousData(d), src)
		return nil
	}
	to := dst.DType()
	for i, v := range src {
		var one Array
		switch x := v.(type) {
		case bool:
			one = Wrap([]bool{x}, 1)
		case int:
			one = Wrap([]int64{int64(x)}, 1)
		case int8:
			one = Wrap([]int8{x}, 1)
		case int16:
			one = Wrap([]int16{x}, 1)
		case int32:
			one = Wrap([]int32{x}, 1)
		case int64:
			one = Wrap([]int64{x}, 1)
		case uint:
			one = Wrap([]uint64{uint64(x)}, 1)
		case uint8:
			one = Wrap([]uint8{x}, 1)
		case uint16:
			one = Wrap([]uint16{x}, 1)
		case uint32:
			one = Wrap([]uint32{x}, 1)
		case uint64:
			one = Wrap([]uint64{x}, 1)
		case float32:
			one = Wrap([]float32{x}, 1)
		case float64:
			one = Wrap([]float64{x}, 1)
		case complex64:
			one = Wrap([]complex64{x}, 1)
		case complex128:
			one = Wrap([]complex128{x}, 1)
		case string:
			one = WrapBytes(max(len(x), 1), []string{x}, 1)
		default:
			return fmt.Errorf("array: convert object to %v: %w: element %d holds %T", to, ErrConvert, i, v)
		}
		c := newOneLike(dst)
		if err := ConvertInto(c, one); err != nil {
			return fmt.Errorf("array: convert object to %v: element %d: %w", to, i, err)
		}
		setFlat(dst, i, c)
	}
	return nil
}

// newOneLike returns a one-element array of dst's concrete type and dtype.
func newOneLike(dst Array) Array {
	switch d := dst.(type) {
	case *Dense[bool]:
		return oneLike(d)
	case *Dense[int]:
		return oneLike(d)
	case *Dense[uint]:
		return oneLike(d)
	case *Dense[int8]:
		return oneLike(d)
	case *Dense[int16]:
		return oneLike(d)
	case *Dense[int32]:
		return oneLike(d)
	case *Dense[int64]:
		return oneLike(d)
	case *Dense[uint8]:
		return oneLike(d)
	case *Dense[uint16]:
		return oneLike(d)
	case *Dense[uint32]:
		return oneLike(d)
	case *Dense[uint64]:
		return oneLike(d)
	case *Dense[float32]:
		return oneLike(d)
	case *Dense[float64]:
		return oneLike(d)
	case *Dense[complex64]:
		return oneLike(d)
	case *Dense[complex128]:
		return oneLike(d)
	case *Dense[string]:
		return oneLike(d)
	}
	return oneLike(dst.(*Dense[any]))
}

func oneLike[T any](d *Dense[T]) Array {
	return &Dense[T]{data: make([]T, 1), shape: []int{1}, strides: []int{1}, dtype: d.dtype}
}

// setFlat copies element 0 of src (same dense type as dst) to flat position i of the
// contiguous dst.
func setFlat(dst Array, i int, src Array) {
	switch d := dst.(type) {
	case *Dense[bool]:
		put(d, i, src)
	case *Dense[int]:
		put(d, i, src)
	case *Dense[uint]:
		put(d, i, src)
	case *Dense[int8]:
		put(d, i, src)
	case *Dense[int16]:
		put(d, i, src)
	case *Dense[int32]:
		put(d, i, src)
	case *Dense[int64]:
		put(d, i, src)
	case *Dense[uint8]:
		put(d, i, src)
	case *Dense[uint16]:
		put(d, i, src)
	case *Dense[uint32]:
		put(d, i, src)
	case *Dense[uint64]:
		put(d, i, src)
	case *Dense[float32]:
		put(d, i, src)
	case *Dense[float64]:
		put(d, i, src)
	case *Dense[complex64]:
		put(d, i, src)
	case *Dense[complex128]:
		put(d, i, src)
	case *Dense[string]:
		put(d, i, src)
	}
}

func put[T any](d *Dense[T], i int, src Array) {
	d.data[d.offset+i] = contiguousData(src.(*Dense[T]))[0]
}
