package array

import (
	"errors"
	"fmt"
)

// ErrConvert is wrapped by errors of Convert: a conversion between dtypes that has no
// value semantics here (numbers ↔ byte strings, object cells of unsupported types), or an
// array type Convert does not know.
var ErrConvert = errors.New("unsupported conversion")

type realNum interface {
	~int | ~uint | ~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

type complexNum interface{ ~complex64 | ~complex128 }

// Convert returns a new C-contiguous array of dtype to holding a's values converted with
// numpy's astype semantics (casting='unsafe'): integers wrap modulo 2^bits, floats to
// integers truncate toward zero (NaN, ±Inf and out-of-range values give unspecified
// results, as in numpy), real to complex sets the imaginary part to 0, complex to real
// drops it, numbers to bool test != 0 (NaN is true), bool to numbers gives 0/1, S<n> to
// S<m> truncates values to m bytes, anything to object boxes each value, and object to a
// numeric dtype converts each cell holding a Go number or bool. Converting to a's own
// dtype returns a copy. a must be a *Dense whose element type is one New returns (or
// int/uint, read as int64/uint64); other formats
// give an error wrapping ErrConvert (densify them first).
func Convert(a Array, to DType) (Array, error) {
	if !to.IsValid() {
		return nil, fmt.Errorf("array: convert to %v: %w", to, ErrDType)
	}
	switch s := a.(type) {
	case *Dense[bool]:
		return convertBool(s.Contiguous(), to)
	case *Dense[int]:
		return convertReal(s.Contiguous(), to)
	case *Dense[uint]:
		return convertReal(s.Contiguous(), to)
	case *Dense[int8]:
		return convertReal(s.Contiguous(), to)
	case *Dense[int16]:
		return convertReal(s.Contiguous(), to)
	case *Dense[int32]:
		return convertReal(s.Contiguous(), to)
	case *Dense[int64]:
		return convertReal(s.Contiguous(), to)
	case *Dense[uint8]:
		return convertReal(s.Contiguous(), to)
	case *Dense[uint16]:
		return convertReal(s.Contiguous(), to)
	case *Dense[uint32]:
		return convertReal(s.Contiguous(), to)
	case *Dense[uint64]:
		return convertReal(s.Contiguous(), to)
	case *Dense[float32]:
		return convertReal(s.Contiguous(), to)
	case *Dense[float64]:
		return convertReal(s.Contiguous(), to)
	case *Dense[complex64]:
		return convertComplex(s.Contiguous(), to)
	case *Dense[complex128]:
		return convertComplex(s.Contiguous(), to)
	case *Dense[string]:
		return convertString(s.Contiguous(), to)
	case *Dense[any]:
		return convertObject(s.Contiguous(), to)
	}
	return nil, fmt.Errorf("array: convert %T to %v: %w (only dense arrays convert)", a, to, ErrConvert)
}

func contiguousData[T any](a *Dense[T]) []T { return a.data[a.offset : a.offset+a.Size()] }

func realTo[D, S realNum](src []S) []D {
	d := make([]D, len(src))
	for i, v := range src {
		d[i] = D(v)
	}
	return d
}

func realToComplex[D complexNum, S realNum](src []S) []D {
	d := make([]D, len(src))
	for i, v := range src {
		d[i] = D(complex(float64(v), 0))
	}
	return d
}

func complexToReal[D realNum, S complexNum](src []S) []D {
	d := make([]D, len(src))
	for i, v := range src {
		d[i] = D(real(complex128(v)))
	}
	return d
}

func complexTo[D, S complexNum](src []S) []D {
	d := make([]D, len(src))
	for i, v := range src {
		d[i] = D(complex128(v))
	}
	return d
}

func boolTo[D realNum](src []bool) []D {
	d := make([]D, len(src))
	for i, v := range src {
		if v {
			d[i] = 1
		}
	}
	return d
}

func boolToComplex[D complexNum](src []bool) []D {
	d := make([]D, len(src))
	for i, v := range src {
		if v {
			d[i] = 1
		}
	}
	return d
}

func toObject[S any](src []S) []any {
	d := make([]any, len(src))
	for i, v := range src {
		d[i] = v
	}
	return d
}

func wrapAs[T any](data []T, shape []int) Array { return Wrap(data, shape...) }

func convertReal[S realNum](a *Dense[S], to DType) (Array, error) {
	src, sh := contiguousData(a), a.shape
	switch to {
	case Bool:
		d := make([]bool, len(src))
		for i, v := range src {
			d[i] = v != 0 // NaN != 0 holds, so NaN is true
		}
		return wrapAs(d, sh), nil
	case Int8:
		return wrapAs(realTo[int8](src), sh), nil
	case Int16:
		return wrapAs(realTo[int16](src), sh), nil
	case Int32:
		return wrapAs(realTo[int32](src), sh), nil
	case Int64:
		return wrapAs(realTo[int64](src), sh), nil
	case Uint8:
		return wrapAs(realToUint[uint8](src), sh), nil
	case Uint16:
		return wrapAs(realToUint[uint16](src), sh), nil
	case Uint32:
		return wrapAs(realToUint[uint32](src), sh), nil
	case Uint64:
		return wrapAs(realToUint[uint64](src), sh), nil
	case Float32:
		return wrapAs(realTo[float32](src), sh), nil
	case Float64:
		return wrapAs(realTo[float64](src), sh), nil
	case Complex64:
		return wrapAs(realToComplex[complex64](src), sh), nil
	case Complex128:
		return wrapAs(realToComplex[complex128](src), sh), nil
	case Object:
		return wrapAs(toObject(src), sh), nil
	}
	return nil, fmt.Errorf("array: convert %v to %v: %w", a.dtype, to, ErrConvert)
}

// realToUint converts to an unsigned type. Negative floats go through int64 first so
// that -1.0 becomes the all-ones pattern, as numpy does on amd64 (Go leaves a direct
// negative float → uint conversion implementation-defined).
func realToUint[D ~uint8 | ~uint16 | ~uint32 | ~uint64, S realNum](src []S) []D {
	d := make([]D, len(src))
	for i, v := range src {
		if v < 0 {
			d[i] = D(int64(v))
		} else {
			d[i] = D(v)
		}
	}
	return d
}

func convertBool(a *Dense[bool], to DType) (Array, error) {
	src, sh := contiguousData(a), a.shape
	switch to {
	case Bool:
		return wrapAs(append([]bool(nil), src...), sh), nil
	case Int8:
		return wrapAs(boolTo[int8](src), sh), nil
	case Int16:
		return wrapAs(boolTo[int16](src), sh), nil
	case Int32:
		return wrapAs(boolTo[int32](src), sh), nil
	case Int64:
		return wrapAs(boolTo[int64](src), sh), nil
	case Uint8:
		return wrapAs(boolTo[uint8](src), sh), nil
	case Uint16:
		return wrapAs(boolTo[uint16](src), sh), nil
	case Uint32:
		return wrapAs(boolTo[uint32](src), sh), nil
	case Uint64:
		return wrapAs(boolTo[uint64](src), sh), nil
	case Float32:
		return wrapAs(boolTo[float32](src), sh), nil
	case Float64:
		return wrapAs(boolTo[float64](src), sh), nil
	case Complex64:
		return wrapAs(boolToComplex[complex64](src), sh), nil
	case Complex128:
		return wrapAs(boolToComplex[complex128](src), sh), nil
	case Object:
		return wrapAs(toObject(src), sh), nil
	}
	return nil, fmt.Errorf("array: convert bool to %v: %w", to, ErrConvert)
}

func convertComplex[S complexNum](a *Dense[S], to DType) (Array, error) {
	src, sh := contiguousData(a), a.shape
	switch to {
	case Bool:
		d := make([]bool, len(src))
		for i, v := range src {
			d[i] = v != 0 // NaN != 0 holds, so NaN is true
		}
		return wrapAs(d, sh), nil
	case Int8:
		return wrapAs(complexToReal[int8](src), sh), nil
	case Int16:
		return wrapAs(complexToReal[int16](src), sh), nil
	case Int32:
		return wrapAs(complexToReal[int32](src), sh), nil
	case Int64:
		return wrapAs(complexToReal[int64](src), sh), nil
	case Uint8, Uint16, Uint32, Uint64:
		re := complexToReal[float64](src)
		switch to {
		case Uint8:
			return wrapAs(realToUint[uint8](re), sh), nil
		case Uint16:
			return wrapAs(realToUint[uint16](re), sh), nil
		case Uint32:
			return wrapAs(realToUint[uint32](re), sh), nil
		}
		return wrapAs(realToUint[uint64](re), sh), nil
	case Float32:
		return wrapAs(complexToReal[float32](src), sh), nil
	case Float64:
		return wrapAs(complexToReal[float64](src), sh), nil
	case Complex64:
		return wrapAs(complexTo[complex64](src), sh), nil
	case Complex128:
		return wrapAs(complexTo[complex128](src), sh), nil
	case Object:
		return wrapAs(toObject(src), sh), nil
	}
	return nil, fmt.Errorf("array: convert %v to %v: %w", a.dtype, to, ErrConvert)
}

func convertString(a *Dense[string], to DType) (Array, error) {
	src, sh := contiguousData(a), a.shape
	switch {
	case to.kind == KindBytes:
		d := make([]string, len(src))
		for i, v := range src {
			if len(v) > to.ItemSize() {
				v = v[:to.ItemSize()]
			}
			d[i] = v
		}
		out := Wrap(d, sh...)
		out.dtype = to
		return out, nil
	case to == Object:
		return wrapAs(toObject(src), sh), nil
	}
	return nil, fmt.Errorf("array: convert %v to %v: %w (byte strings convert only to S<n> and object)", a.dtype, to, ErrConvert)
}

// convertObject converts cell by cell through a one-element array of the cell's Go type.
// Object arrays are rare and small in stemflow, so clarity wins over speed here.
func convertObject(a *Dense[any], to DType) (Array, error) {
	src, sh := contiguousData(a), a.shape
	if to == Object {
		return wrapAs(append([]any(nil), src...), sh), nil
	}
	out := New(to, sh...)
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
			return nil, fmt.Errorf("array: convert object to %v: %w: element %d holds %T", to, ErrConvert, i, v)
		}
		c, err := Convert(one, to)
		if err != nil {
			return nil, fmt.Errorf("array: convert object to %v: element %d: %w", to, i, err)
		}
		setFlat(out, i, c)
	}
	return out, nil
}

// setFlat copies element 0 of src (same dense type as dst) to flat position i of dst.
func setFlat(dst Array, i int, src Array) {
	switch d := dst.(type) {
	case *Dense[bool]:
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

func put[T any](d *Dense[T], i int, src Array) { d.data[i] = src.(*Dense[T]).data[0] }
