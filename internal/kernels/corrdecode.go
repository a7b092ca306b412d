package kernels

import (
	"fmt"
	"unsafe"

	"github.com/stemflow/stemflow/array"
)

// corrStrip is the number of elements the strip-mined corrected decoders decode
// before they correct them in place: 4 KiB of float32, so the strip is still in the
// L1 cache when it is corrected.
const corrStrip = 1024

// CorrDecoderF32 resolves the corrected decoder into float32 for dtype from
// and byte order: it converts len(dst) stored elements as DecoderF32 does and, in
// the same pass, computes dst[i] = (v[i] − dark[i])·gain[i], the subtraction
// and the product each rounded to float32 (exactly what Go's float32
// arithmetic gives, so a loop over decoded values is its reference). A dark
// of zeros or a gain of ones leaves the values unchanged, bit for bit.
//
// On amd64 every dtype with a SIMD decoder has a fused SIMD kernel (load,
// convert, subtract, multiply, store); (u)int64 and bool decode a strip of
// 1024 elements and correct it while it is in cache.
//
// The returned function panics if len(dark) or len(gain) differs from
// len(dst) or if len(src) < len(dst)·ItemSize; it is safe for concurrent
// use. CorrDecoderF32 returns an error wrapping ErrDType for dtypes without a
// float conversion.
func CorrDecoderF32(from array.DType, bigEndian bool) (func(dst []float32, src []byte, dark, gain []float32), error) {
	return corrDecoderFor("CorrDecoderF32", eF32, asmCorrDecoderF32, DecoderF32, from, bigEndian)
}

// CorrDecoderF64 is CorrDecoderF32 into float64 (fused SIMD kernels for
// uint16 little-endian, float32 and float64 little-endian; the other dtypes
// are strip-mined).
func CorrDecoderF64(from array.DType, bigEndian bool) (func(dst []float64, src []byte, dark, gain []float64), error) {
	return corrDecoderFor("CorrDecoderF64", eF64, asmCorrDecoderF64, DecoderF64, from, bigEndian)
}

func corrDecoderFor[D float32 | float64](name string, same elem, asm func(elem, bool) func(dst []D, src []byte, dark, gain []D),
	plain func(array.DType, bool) (func([]D, []byte), error), from array.DType, bigEndian bool) (func(dst []D, src []byte, dark, gain []D), error) {
	e, err := elemOf(name, from)
	if err != nil {
		return nil, err
	}
	sz := elemSize[e]
	if f := asm(e, bigEndian); f != nil {
		return func(dst []D, src []byte, dark, gain []D) {
			checkCorrLen(name, len(dst), len(dark), len(gain))
			src = src[:len(dst)*sz]
			n := len(dst) &^ 7
			if n > 0 {
				f(dst[:n], src[:n*sz], dark[:n], gain[:n])
			}
			if n < len(dst) {
				decodeGo(dst[n:], src[n*sz:], e, bigEndian)
				subMulGo(dst[n:], dark[n:], gain[n:])
			}
		}, nil
	}
	dec, err := plain(from, bigEndian)
	if err != nil {
		return nil, err
	}
	sub := asm(same, !hostLittle)
	return func(dst []D, src []byte, dark, gain []D) {
		checkCorrLen(name, len(dst), len(dark), len(gain))
		src = src[:len(dst)*sz]
		for len(dst) > 0 {
			k := min(len(dst), corrStrip)
			dec(dst[:k], src[:k*sz])
			subMul(sub, dst[:k], dark[:k], gain[:k])
			dst, src, dark, gain = dst[k:], src[k*sz:], dark[k:], gain[k:]
		}
	}, nil
}

// subMul computes dst[i] = (dst[i] − dark[i])·gain[i] in place, with the
// same-dtype corrected kernel f (nil: Go).
func subMul[D float32 | float64](f func(dst []D, src []byte, dark, gain []D), dst, dark, gain []D) {
	n := 0
	if f != nil {
		n = len(dst) &^ 7
	}
	if n > 0 {
		var z D
		f(dst[:n], unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), n*int(unsafe.Sizeof(z))), dark[:n], gain[:n])
	}
	subMulGo(dst[n:], dark[n:], gain[n:])
}

// subMulGo is the Go twin of the correction step.
func subMulGo[D float32 | float64](dst, dark, gain []D) {
	dark, gain = dark[:len(dst)], gain[:len(dst)]
	for i := range dst {
		dst[i] = (dst[i] - dark[i]) * gain[i]
	}
}

func checkCorrLen(name string, dst, dark, gain int) {
	if dark != dst || gain != dst {
		panic(fmt.Sprintf("kernels.%s: len(dst), len(dark), len(gain) = %d, %d, %d, want equal", name, dst, dark, gain))
	}
}
