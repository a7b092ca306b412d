package kernels

import (
	"errors"
	"fmt"
	"unsafe"
)

// ErrLength is wrapped by the decoders when the source byte count does not
// match the destination length times the source item size.
var ErrLength = errors.New("kernels: source length does not match destination")

// ErrDType is wrapped by DecodeF32 and DecodeF64 when the source dtype has no
// conversion to float (complex, byte strings, object).
var ErrDType = errors.New("kernels: unsupported source dtype")

var elemName = [...]string{eBool: "bool", eU8: "uint8", eI8: "int8", eU16: "uint16", eI16: "int16", eU32: "uint32", eI32: "int32", eU64: "uint64", eI64: "int64", eF32: "float32", eF64: "float64"}

// hostLittle is true on little-endian machines, where little-endian float
// data can be copied as bytes.
var hostLittle = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

func checkLen(fn string, dst int, src int, e elem) error {
	if want := dst * elemSize[e]; src != want {
		return fmt.Errorf("%w: %s: source has %d bytes, want %d (%d elements of %s)", ErrLength, fn, src, want, dst, elemName[e])
	}
	return nil
}

func decodeToF32(fn string, dst []float32, src []byte, e elem, bigEndian bool) error {
	if err := checkLen(fn, len(dst), len(src), e); err != nil {
		return err
	}
	if len(dst) == 0 {
		return nil
	}
	if e == eF32 && bigEndian != hostLittle {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), len(src)), src)
		return nil
	}
	decodeF32(dst, src, e, bigEndian)
	return nil
}

func decodeToF64(fn string, dst []float64, src []byte, e elem, bigEndian bool) error {
	if err := checkLen(fn, len(dst), len(src), e); err != nil {
		return err
	}
	if len(dst) == 0 {
		return nil
	}
	if e == eF64 && bigEndian != hostLittle {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), len(src)), src)
		return nil
	}
	decodeF64(dst, src, e, bigEndian)
	return nil
}

// DecodeU16ToF32 converts the uint16 values stored in src (2·len(dst) bytes,
// in the given byte order) to float32 in dst. This is the 4D-STEM detector
// case and runs SIMD for both byte orders. It returns an error wrapping
// ErrLength when len(src) != 2·len(dst).
func DecodeU16ToF32(dst []float32, src []byte, bigEndian bool) error {
	return decodeToF32("DecodeU16ToF32", dst, src, eU16, bigEndian)
}

// DecodeF32ToF32 copies the float32 values stored in src (4·len(dst) bytes,
// in the given byte order) to dst, swapping bytes (SIMD) when the order is not
// the host's. It returns an error wrapping ErrLength when
// len(src) != 4·len(dst).
func DecodeF32ToF32(dst []float32, src []byte, bigEndian bool) error {
	return decodeToF32("DecodeF32ToF32", dst, src, eF32, bigEndian)
}

// DecodeU16ToF64 converts stored uint16 values to float64; see DecodeU16ToF32.
func DecodeU16ToF64(dst []float64, src []byte, bigEndian bool) error {
	return decodeToF64("DecodeU16ToF64", dst, src, eU16, bigEndian)
}

// DecodeF32ToF64 converts stored float32 values to float64; see
// DecodeF32ToF32.
func DecodeF32ToF64(dst []float64, src []byte, bigEndian bool) error {
	return decodeToF64("DecodeF32ToF64", dst, src, eF32, bigEndian)
}
