package kernels

import (
	"fmt"
	"unsafe"

	"github.com/stemflow/stemflow/array"
)

func elemOf(fn string, d array.DType) (elem, error) {
	switch d {
	case array.Bool:
		return eBool, nil
	case array.Uint8:
		return eU8, nil
	case array.Int8:
		return eI8, nil
	case array.Uint16:
		return eU16, nil
	case array.Int16:
		return eI16, nil
	case array.Uint32:
		return eU32, nil
	case array.Int32:
		return eI32, nil
	case array.Uint64:
		return eU64, nil
	case array.Int64:
		return eI64, nil
	case array.Float32:
		return eF32, nil
	case array.Float64:
		return eF64, nil
	}
	return 0, fmt.Errorf("%w: %s: dtype %s has no conversion to a real float (want bool, (u)int8–64, float32 or float64)", ErrDType, fn, d)
}

// DecodeF32 converts len(dst) elements of dtype from, stored in src in the
// given byte order (ignored for one-byte dtypes), to float32. Bool becomes
// 0/1; integers round to the nearest float32 (exact below 2^24); float64
// rounds to nearest. SIMD runs for every dtype except (u)int64 and bool, and
// a little-endian float32 source is a plain copy.
//
// It returns an error wrapping ErrDType for complex, byte-string and object
// dtypes, and one wrapping ErrLength when len(src) != len(dst)·ItemSize.
func DecodeF32(dst []float32, src []byte, from array.DType, bigEndian bool) error {
	e, err := elemOf("DecodeF32", from)
	if err != nil {
		return err
	}
	return decodeToF32("DecodeF32", dst, src, e, bigEndian)
}

// DecodeF64 is DecodeF32 into float64, where every dtype but (u)int64 is
// exact. SIMD runs for uint16 (little-endian) and float32; a little-endian
// float64 source is a plain copy.
func DecodeF64(dst []float64, src []byte, from array.DType, bigEndian bool) error {
	e, err := elemOf("DecodeF64", from)
	if err != nil {
		return err
	}
	return decodeToF64("DecodeF64", dst, src, e, bigEndian)
}

// DecoderF32 resolves, once, the decoder DecodeF32 would use for dtype from
// and byte order, and returns it as a function for hot loops that decode
// many short runs (a row, a frame): it skips the per-call dtype dispatch and
// error checks, which cost about a third of the time of decoding a
// 256-element uint16 row (BenchmarkDecodeRow).
//
// The returned function converts len(dst) elements and panics if
// len(src) < len(dst)·ItemSize; it is safe for concurrent use. DecoderF32
// returns an error wrapping ErrDType for dtypes without a float conversion.
func DecoderF32(from array.DType, bigEndian bool) (func(dst []float32, src []byte), error) {
	return decoderFor("DecoderF32", eF32, asmDecoderF32, from, bigEndian)
}

// DecoderF64 is DecoderF32 for float64 destinations (see DecodeF64).
func DecoderF64(from array.DType, bigEndian bool) (func(dst []float64, src []byte), error) {
	return decoderFor("DecoderF64", eF64, asmDecoderF64, from, bigEndian)
}

// decoderFor builds DecoderF32/DecoderF64: same, the element kind of D, is copied
// byte for byte when it needs no swap; asm finds the SIMD decoder for the rest.
func decoderFor[D float32 | float64](name string, same elem, asm func(elem, bool) func([]D, []byte), from array.DType, bigEndian bool) (func(dst []D, src []byte), error) {
	e, err := elemOf(name, from)
	if err != nil {
		return nil, err
	}
	sz := elemSize[e]
	if e == same && bigEndian != hostLittle {
		return func(dst []D, src []byte) {
			src = src[:len(dst)*sz]
			if len(dst) > 0 {
				copy(unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), len(src)), src)
			}
		}, nil
	}
	if f := asm(e, bigEndian); f != nil {
		return func(dst []D, src []byte) {
			src = src[:len(dst)*sz]
			n := len(dst) &^ 7
			if n > 0 {
				f(dst[:n], src[:n*sz])
			}
			if n < len(dst) {
				decodeGo(dst[n:], src[n*sz:], e, bigEndian)
			}
		}, nil
	}
	return func(dst []D, src []byte) { decodeGo(dst, src[:len(dst)*sz], e, bigEndian) }, nil
}
