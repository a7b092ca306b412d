package dataset

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// encodeAny is encode plus bool and complex128 (imaginary part -1 for complex).
func encodeAny(vals []float64, dt array.DType, order binary.AppendByteOrder) []byte {
	switch dt {
	case array.Bool:
		out := make([]byte, len(vals))
		for i, v := range vals {
			if v != 0 {
				out[i] = 1
			}
		}
		return out
	case array.Complex128:
		var out []byte
		for _, v := range vals {
			out = order.AppendUint64(out, math.Float64bits(v))
			out = order.AppendUint64(out, math.Float64bits(-1))
		}
		return out
	}
	return encode(vals, dt, order.(binary.ByteOrder))
}

var allNumeric = []array.DType{array.Bool, array.Int8, array.Int16, array.Int32, array.Int64, array.Uint8, array.Uint16,
	array.Uint32, array.Uint64, array.Float32, array.Float64, array.Complex64, array.Complex128}

// TestDecoders decodes every stored dtype in both byte orders, aligned and unaligned,
// into every target dtype and compares with values computed from the source numbers.
func TestDecoders(t *testing.T) {
	const n = 37 // odd, > stageLen/100, exercises tails
	vals := make([]float64, n)
	for i := range vals {
		vals[i] = float64((i * 13) % 101)
	}
	for _, from := range allNumeric {
		for _, order := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
			big := order == binary.BigEndian
			src := encodeAny(vals, from, order)
			// unaligned copy: one byte in
			shifted := append([]byte{0}, src...)[1:]
			var bo binary.ByteOrder = binary.LittleEndian
			if big {
				bo = binary.BigEndian
			}
			swap := needsSwap(from, bo)
			for _, in := range [][]byte{src, shifted} {
				checkDecode[bool](t, from, swap, big, in, vals)
				checkDecode[int8](t, from, swap, big, in, vals)
				checkDecode[int16](t, from, swap, big, in, vals)
				checkDecode[int32](t, from, swap, big, in, vals)
				checkDecode[int64](t, from, swap, big, in, vals)
				checkDecode[uint8](t, from, swap, big, in, vals)
				checkDecode[uint16](t, from, swap, big, in, vals)
				checkDecode[uint32](t, from, swap, big, in, vals)
				checkDecode[uint64](t, from, swap, big, in, vals)
				checkDecode[float32](t, from, swap, big, in, vals)
				checkDecode[float64](t, from, swap, big, in, vals)
				checkDecode[complex64](t, from, swap, big, in, vals)
				checkDecode[complex128](t, from, swap, big, in, vals)
			}
		}
	}
}

func checkDecode[T elem](t *testing.T, from array.DType, swap, big bool, src []byte, vals []float64) {
	t.Helper()
	dec, err := newDecoder[T](from, swap, big)
	if err != nil {
		t.Fatalf("%v → %v: %v", from, array.DTypeOf[T](), err)
	}
	dst := make([]T, len(vals))
	dec(dst, src)
	isCplx := from.Kind() == array.KindComplex
	for i, v := range vals {
		if from == array.Bool && v != 0 {
			v = 1
		}
		var ok bool
		switch x := any(dst[i]).(type) {
		case bool:
			ok = x == (v != 0 || isCplx)
		case complex64:
			want := complex(float32(v), 0)
			if isCplx {
				want = complex(float32(v), -1)
			}
			ok = x == want
		case complex128:
			want := complex(v, 0)
			if isCplx {
				want = complex(v, -1)
			}
			ok = x == want
		default:
			ok = toF64(dst[i]) == v
		}
		if !ok {
			t.Fatalf("%v (swap %v) → %v: element %d = %v, want %v", from, swap, array.DTypeOf[T](), i, dst[i], v)
		}
	}
}

func TestDecoderLong(t *testing.T) {
	// longer than the staging buffer, byte-swapped int32 → int64 (generic staged path)
	n := stageLen*2 + 5
	vals := make([]float64, n)
	for i := range vals {
		vals[i] = float64(i % 1000)
	}
	src := encode(vals, array.Int32, binary.BigEndian)
	checkDecode[int64](t, array.Int32, true, true, src, vals)
	checkDecode[float32](t, array.Int32, true, true, src, vals)
}
