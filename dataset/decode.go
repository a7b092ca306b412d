package dataset

import (
	"encoding/binary"
	"unsafe"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/internal/kernels"
)

// Decoding turns stored bytes (native dtype, stored byte order) into elements of the
// read dtype. One decoder is picked per ReadTiles call; it is then called once per
// contiguous run of stored elements, so the per-call overhead is amortised over a row or
// a whole block of frames.

// elem is the set of Go element types tiles can have (the numeric dtypes).
type elem interface {
	~bool | ~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 |
		~float32 | ~float64 | ~complex64 | ~complex128
}

type realT interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

type cplxT interface{ ~complex64 | ~complex128 }

// decoder converts len(dst) stored elements from src (len(src) == len(dst)·itemsize).
type decoder[T elem] func(dst []T, src []byte)

// hostBig is true on big-endian machines.
var hostBig = func() bool {
	var x uint16 = 1
	return *(*byte)(unsafe.Pointer(&x)) == 0
}()

// isBig reports whether order is big-endian (nil: the host's order).
func isBig(order binary.ByteOrder) bool {
	switch order {
	case nil:
		return hostBig
	case binary.BigEndian:
		return true
	case binary.LittleEndian:
		return false
	}
	var b [2]byte
	order.PutUint16(b[:], 1)
	return b[0] == 0
}

// needsSwap reports whether elements stored in order must be byte-swapped on this host.
func needsSwap(dt array.DType, order binary.ByteOrder) bool {
	if order == nil || dt.ItemSize() <= 1 || dt.Kind() == array.KindBool {
		return false
	}
	var b [2]byte
	order.PutUint16(b[:], 1)
	big := b[0] == 0
	return big != hostBig
}

// bytesOf returns the memory of s as bytes.
func bytesOf[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(z)))
}

// typedView returns b as a []T when b is aligned for T, else nil, false.
func typedView[T any](b []byte) ([]T, bool) {
	var z T
	sz := int(unsafe.Sizeof(z))
	if len(b) == 0 {
		return nil, true
	}
	if uintptr(unsafe.Pointer(&b[0]))%unsafe.Alignof(z) != 0 {
		return nil, false
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(b)/sz), true
}

// swapInPlace byte-swaps every word of width w (2, 4 or 8) in b.
func swapInPlace(b []byte, w int) {
	switch w {
	case 2:
		for i := 0; i+1 < len(b); i += 2 {
			b[i], b[i+1] = b[i+1], b[i]
		}
	case 4:
		for i := 0; i+3 < len(b); i += 4 {
			v := binary.LittleEndian.Uint32(b[i:])
			binary.BigEndian.PutUint32(b[i:], v)
		}
	case 8:
		for i := 0; i+7 < len(b); i += 8 {
			v := binary.LittleEndian.Uint64(b[i:])
			binary.BigEndian.PutUint64(b[i:], v)
		}
	}
}

// wordSize is the byte-swap unit of a dtype (complex numbers swap each half).
func wordSize(dt array.DType) int {
	if dt.Kind() == array.KindComplex {
		return dt.ItemSize() / 2
	}
	return dt.ItemSize()
}

// newDecoder returns the decoder from native (stored with swap; bigEndian tells the
// stored order) into T.
func newDecoder[T elem](native array.DType, swap, bigEndian bool) (decoder[T], error) {
	target := array.DTypeOf[T]()
	if native == array.Float16 {
		return halfDecoder[T](bigEndian), nil
	}
	if target == native && !swap {
		return func(dst []T, src []byte) { copy(bytesOf(dst), src) }, nil
	}
	if target == native {
		w := wordSize(native)
		return func(dst []T, src []byte) {
			b := bytesOf(dst)
			copy(b, src)
			swapInPlace(b, w)
		}, nil
	}
	if target == array.Float32 {
		if f := f32Decoder(native, bigEndian); f != nil {
			return any(decoder[float32](f)).(decoder[T]), nil
		}
	}
	if target == array.Float64 {
		if f := f64Decoder(native, bigEndian); f != nil {
			return any(decoder[float64](f)).(decoder[T]), nil
		}
	}
	switch native {
	case array.Bool:
		return genericDecoder[T, bool](swap)
	case array.Int8:
		return genericDecoder[T, int8](swap)
	case array.Int16:
		return genericDecoder[T, int16](swap)
	case array.Int32:
		return genericDecoder[T, int32](swap)
	case array.Int64:
		return genericDecoder[T, int64](swap)
	case array.Uint8:
		return genericDecoder[T, uint8](swap)
	case array.Uint16:
		return genericDecoder[T, uint16](swap)
	case array.Uint32:
		return genericDecoder[T, uint32](swap)
	case array.Uint64:
		return genericDecoder[T, uint64](swap)
	case array.Float32:
		return genericDecoder[T, float32](swap)
	case array.Float64:
		return genericDecoder[T, float64](swap)
	case array.Complex64:
		return genericDecoder[T, complex64](swap)
	case array.Complex128:
		return genericDecoder[T, complex128](swap)
	}
	return nil, newErr("", "dtype", ErrDType, "cannot decode stored dtype %v into %v", native, target)
}

// stageLen is the number of elements staged at a time when the stored bytes are
// unaligned or byte-swapped.
const stageLen = 4096

// genericDecoder converts element by element with numpy's value semantics (ints to
// floats exactly as Go converts, floats to ints truncating, complex to real dropping
// the imaginary part, anything to bool as != 0).
func genericDecoder[T elem, S elem](swap bool) (decoder[T], error) {
	conv := pickConv[T, S]()
	var z S
	sz := int(unsafe.Sizeof(z))
	w := sz
	if _, ok := any(z).(complex64); ok {
		w = 4
	} else if _, ok := any(z).(complex128); ok {
		w = 8
	}
	stage := make([]S, stageLen)
	return func(dst []T, src []byte) {
		if !swap {
			if s, ok := typedView[S](src); ok {
				conv(dst, s)
				return
			}
		}
		for len(dst) > 0 {
			n := min(len(dst), stageLen)
			sb := bytesOf(stage[:n])
			copy(sb, src[:n*sz])
			if swap && w > 1 {
				swapInPlace(sb, w)
			}
			conv(dst[:n], stage[:n])
			dst = dst[n:]
			src = src[n*sz:]
		}
	}, nil
}

// pickConv returns the element converter from S to T.
func pickConv[T elem, S elem]() func(dst []T, src []S) {
	var t T
	var f any
	switch any(*new(S)).(type) {
	case bool:
		f = fromBool(any(t))
	case int8:
		f = fromReal[int8](any(t))
	case int16:
		f = fromReal[int16](any(t))
	case int32:
		f = fromReal[int32](any(t))
	case int64:
		f = fromReal[int64](any(t))
	case uint8:
		f = fromReal[uint8](any(t))
	case uint16:
		f = fromReal[uint16](any(t))
	case uint32:
		f = fromReal[uint32](any(t))
	case uint64:
		f = fromReal[uint64](any(t))
	case float32:
		f = fromReal[float32](any(t))
	case float64:
		f = fromReal[float64](any(t))
	case complex64:
		f = fromCplx[complex64](any(t))
	case complex128:
		f = fromCplx[complex128](any(t))
	}
	return f.(func(dst []T, src []S))
}

func rr[D, S realT](d []D, s []S) {
	for i := range d {
		d[i] = D(s[i])
	}
}

func rc[D cplxT, S realT](d []D, s []S) {
	for i := range d {
		d[i] = D(complex(float64(s[i]), 0))
	}
}

func cr[D realT, S cplxT](d []D, s []S) {
	for i := range d {
		d[i] = D(real(complex128(s[i])))
	}
}

func cc[D, S cplxT](d []D, s []S) {
	for i := range d {
		d[i] = D(s[i])
	}
}

func rb[S realT](d []bool, s []S) {
	for i := range d {
		d[i] = s[i] != 0
	}
}

func cb[S cplxT](d []bool, s []S) {
	for i := range d {
		d[i] = s[i] != 0
	}
}

func br[D realT](d []D, s []bool) {
	for i := range d {
		if s[i] {
			d[i] = 1
		} else {
			d[i] = 0
		}
	}
}

func bc[D cplxT](d []D, s []bool) {
	for i := range d {
		if s[i] {
			d[i] = 1
		} else {
			d[i] = 0
		}
	}
}

func fromReal[S realT](t any) any {
	switch t.(type) {
	case bool:
		return rb[S]
	case int8:
		return rr[int8, S]
	case int16:
		return rr[int16, S]
	case int32:
		return rr[int32, S]
	case int64:
		return rr[int64, S]
	case uint8:
		return rr[uint8, S]
	case uint16:
		return rr[uint16, S]
	case uint32:
		return rr[uint32, S]
	case uint64:
		return rr[uint64, S]
	case float32:
		return rr[float32, S]
	case float64:
		return rr[float64, S]
	case complex64:
		return rc[complex64, S]
	case complex128:
		return rc[complex128, S]
	}
	return nil
}

func fromCplx[S cplxT](t any) any {
	switch t.(type) {
	case bool:
		return cb[S]
	case int8:
		return cr[int8, S]
	case int16:
		return cr[int16, S]
	case int32:
		return cr[int32, S]
	case int64:
		return cr[int64, S]
	case uint8:
		return cr[uint8, S]
	case uint16:
		return cr[uint16, S]
	case uint32:
		return cr[uint32, S]
	case uint64:
		return cr[uint64, S]
	case float32:
		return cr[float32, S]
	case float64:
		return cr[float64, S]
	case complex64:
		return cc[complex64, S]
	case complex128:
		return cc[complex128, S]
	}
	return nil
}

func fromBool(t any) any {
	switch t.(type) {
	case bool:
		return func(d, s []bool) { copy(d, s) }
	case int8:
		return br[int8]
	case int16:
		return br[int16]
	case int32:
		return br[int32]
	case int64:
		return br[int64]
	case uint8:
		return br[uint8]
	case uint16:
		return br[uint16]
	case uint32:
		return br[uint32]
	case uint64:
		return br[uint64]
	case float32:
		return br[float32]
	case float64:
		return br[float64]
	case complex64:
		return bc[complex64]
	case complex128:
		return bc[complex128]
	}
	return nil
}

// f32Decoder returns a fused single-pass decoder into float32 for every real stored
// dtype (the SIMD kernels of internal/kernels), or nil to use the generic path. This is
// the one place that binds the tile reader to the kernels.
func f32Decoder(native array.DType, bigEndian bool) func(dst []float32, src []byte) {
	if !kernelDType(native) {
		return nil
	}
	f, err := kernels.DecoderF32(native, bigEndian)
	if err != nil {
		return nil
	}
	return f
}

// f64Decoder is f32Decoder for float64 tiles.
func f64Decoder(native array.DType, bigEndian bool) func(dst []float64, src []byte) {
	if !kernelDType(native) {
		return nil
	}
	f, err := kernels.DecoderF64(native, bigEndian)
	if err != nil {
		return nil
	}
	return f
}

// kernelDType reports whether internal/kernels decodes native to float.
func kernelDType(native array.DType) bool {
	switch native.Kind() {
	case array.KindBool, array.KindInt, array.KindUint, array.KindFloat:
		return true
	}
	return false
}

// halfDecoder decodes stored IEEE 754 binary16 values (big-endian if big) through
// float32 into T, stageLen elements at a time (the stage belongs to the decoder, which
// one read state owns).
func halfDecoder[T elem](big bool) decoder[T] {
	conv := pickConv[T, float32]()
	var order binary.ByteOrder = binary.LittleEndian
	if big {
		order = binary.BigEndian
	}
	stage := make([]float32, stageLen)
	return func(dst []T, src []byte) {
		for len(dst) > 0 {
			n := min(len(dst), stageLen)
			for i := range n {
				stage[i] = array.HalfToFloat32(order.Uint16(src[2*i:]))
			}
			conv(dst[:n], stage[:n])
			dst, src = dst[n:], src[2*n:]
		}
	}
}
