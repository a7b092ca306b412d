package kernels

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// sample is one source element: its stored bytes are produced by put, its
// float value is v (computed by Go's own conversion of the typed value).
type encoder struct {
	e    elem
	size int
	// gen returns the bytes of one random element in the given order and
	// its exact value converted to float32 and float64.
	gen func(rng *rand.Rand, bo binary.ByteOrder, b []byte) (float32, float64)
}

func specialF32(rng *rand.Rand) float32 {
	s := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, math.SmallestNonzeroFloat32, 1e-40}
	if rng.IntN(8) == 0 {
		return s[rng.IntN(len(s))]
	}
	return float32(rng.NormFloat64() * 1e4)
}

var encoders = []encoder{
	{eBool, 1, func(rng *rand.Rand, _ binary.ByteOrder, b []byte) (float32, float64) {
		b[0] = byte(rng.IntN(3))
		if b[0] != 0 {
			return 1, 1
		}
		return 0, 0
	}},
	{eU8, 1, func(rng *rand.Rand, _ binary.ByteOrder, b []byte) (float32, float64) {
		v := uint8(rng.Uint32())
		b[0] = v
		return float32(v), float64(v)
	}},
	{eI8, 1, func(rng *rand.Rand, _ binary.ByteOrder, b []byte) (float32, float64) {
		v := int8(rng.Uint32())
		b[0] = byte(v)
		return float32(v), float64(v)
	}},
	{eU16, 2, func(rng *rand.Rand, bo binary.ByteOrder, b []byte) (float32, float64) {
		v := uint16(rng.Uint32())
		bo.PutUint16(b, v)
		return float32(v), float64(v)
	}},
	{eI16, 2, func(rng *rand.Rand, bo binary.ByteOrder, b []byte) (float32, float64) {
		v := int16(rng.Uint32())
		bo.PutUint16(b, uint16(v))
		return float32(v), float64(v)
	}},
	{eU32, 4, func(rng *rand.Rand, bo binary.ByteOrder, b []byte) (float32, float64) {
		edge := []uint32{0, 1, 0xffffffff, 0x80000000, 0x01000001, 0x01000003, 0xffffff80, 0xffffff7f, 0x7fffffc0}
		v := rng.Uint32()
		if rng.IntN(4) == 0 {
			v = edge[rng.IntN(len(edge))]
		}
		bo.PutUint32(b, v)
		return float32(v), float64(v)
	}},
	{eI32, 4, func(rng *rand.Rand, bo binary.ByteOrder, b []byte) (float32, float64) {
		v := int32(rng.Uint32())
		bo.PutUint32(b, uint32(v))
		return float32(v), float64(v)
	}},
	{eU64, 8, func(rng *rand.Rand, bo binary.ByteOrder, b []byte) (float32, float64) {
		v := rng.Uint64()
		bo.PutUint64(b, v)
		return float32(v), float64(v)
	}},
	{eI64, 8, func(rng *rand.Rand, bo binary.ByteOrder, b []byte) (float32, float64) {
		v := int64(rng.Uint64())
		bo.PutUint64(b, uint64(v))
		return float32(v), float64(v)
	}},
	{eF32, 4, func(rng *rand.Rand, bo binary.ByteOrder, b []byte) (float32, float64) {
		v := specialF32(rng)
		bo.PutUint32(b, math.Float32bits(v))
		return v, float64(v)
	}},
	{eF64, 8, func(rng *rand.Rand, bo binary.ByteOrder, b []byte) (float32, float64) {
		v := rng.NormFloat64() * 1e30
		if rng.IntN(8) == 0 {
			v = []float64{0, math.Inf(-1), 1e300, -1e-300, math.MaxFloat32 * 1.0000001, 1.0000000596046448}[rng.IntN(6)]
		}
		bo.PutUint64(b, math.Float64bits(v))
		return float32(v), v
	}},
}

var dtypeOf = map[elem]array.DType{
	eBool: array.Bool, eU8: array.Uint8, eI8: array.Int8, eU16: array.Uint16, eI16: array.Int16,
	eU32: array.Uint32, eI32: array.Int32, eU64: array.Uint64, eI64: array.Int64,
	eF32: array.Float32, eF64: array.Float64,
}

// decodeAny runs the decoder for e through DecodeF32/DecodeF64 and, for the
// dtypes that have one, cross-checks the typed entry point.
func decodeAnyF32(dst []float32, src []byte, e elem, bigEndian bool) error {
	if err := DecodeF32(dst, src, dtypeOf[e], bigEndian); err != nil {
		return err
	}
	dec, err := DecoderF32(dtypeOf[e], bigEndian)
	if err != nil {
		return err
	}
	typed := map[elem]func([]float32, []byte, bool) error{eU16: DecodeU16ToF32, eF32: DecodeF32ToF32}[e]
	if typed == nil {
		typed = func(d []float32, s []byte, _ bool) error { dec(d, s); return nil }
	}
	for _, f := range []func([]float32, []byte, bool) error{typed, func(d []float32, s []byte, _ bool) error { dec(d, s); return nil }} {
		d2 := make([]float32, len(dst))
		if err := f(d2, src, bigEndian); err != nil {
			return err
		}
		for i := range d2 {
			if math.Float32bits(d2[i]) != math.Float32bits(dst[i]) {
				return fmt.Errorf("typed or resolved decoder differs from DecodeF32 at %d: %v vs %v", i, d2[i], dst[i])
			}
		}
	}
	return nil
}

func decodeAnyF64(dst []float64, src []byte, e elem, bigEndian bool) error {
	if err := DecodeF64(dst, src, dtypeOf[e], bigEndian); err != nil {
		return err
	}
	dec, err := DecoderF64(dtypeOf[e], bigEndian)
	if err != nil {
		return err
	}
	typed := map[elem]func([]float64, []byte, bool) error{eU16: DecodeU16ToF64, eF32: DecodeF32ToF64}[e]
	if typed == nil {
		typed = func(d []float64, s []byte, _ bool) error { dec(d, s); return nil }
	}
	for _, f := range []func([]float64, []byte, bool) error{typed, func(d []float64, s []byte, _ bool) error { dec(d, s); return nil }} {
		d2 := make([]float64, len(dst))
		if err := f(d2, src, bigEndian); err != nil {
			return err
		}
		for i := range d2 {
			if math.Float64bits(d2[i]) != math.Float64bits(dst[i]) {
				return fmt.Errorf("typed or resolved decoder differs from DecodeF64 at %d: %v vs %v", i, d2[i], dst[i])
			}
		}
	}
	return nil
}

func TestDecodeDTypeError(t *testing.T) {
	for _, d := range []array.DType{array.Complex64, array.Complex128, array.Object, array.Bytes(4), {}} {
		if err := DecodeF32(make([]float32, 1), make([]byte, d.ItemSize()), d, false); !errors.Is(err, ErrDType) {
			t.Errorf("DecodeF32 from %v: got %v, want ErrDType", d, err)
		}
		if err := DecodeF64(make([]float64, 1), make([]byte, d.ItemSize()), d, false); !errors.Is(err, ErrDType) {
			t.Errorf("DecodeF64 from %v: got %v, want ErrDType", d, err)
		}
	}
	if _, err := DecoderF32(array.Complex64, false); !errors.Is(err, ErrDType) {
		t.Errorf("DecoderF32(complex64): got %v, want ErrDType", err)
	}
	if _, err := DecoderF64(array.Bytes(3), true); !errors.Is(err, ErrDType) {
		t.Errorf("DecoderF64(S3): got %v, want ErrDType", err)
	}
	if err := DecodeF32(make([]float32, 2), make([]byte, 3), array.Int16, false); !errors.Is(err, ErrLength) {
		t.Errorf("DecodeF32 short: got %v, want ErrLength", err)
	}
}

func TestDecode(t *testing.T) {
	paths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 12))
		for _, enc := range encoders {
			for _, bigEndian := range []bool{false, true} {
				bo := order(bigEndian)
				for _, n := range testLens() {
					off := rng.IntN(8)
					srcBack := make([]byte, (n+1)*enc.size+off)
					src := srcBack[off : off+n*enc.size]
					w32 := make([]float32, n)
					w64 := make([]float64, n)
					for i := 0; i < n; i++ {
						w32[i], w64[i] = enc.gen(rng, bo, src[i*enc.size:])
					}
					doff := rng.IntN(8)
					d32Back := make([]float32, n+doff+3)
					d64Back := make([]float64, n+doff+3)
					for i := range d32Back {
						d32Back[i], d64Back[i] = -7, -7
					}
					d32 := d32Back[doff : doff+n]
					d64 := d64Back[doff : doff+n]
					if err := decodeAnyF32(d32, src, enc.e, bigEndian); err != nil {
						t.Fatal(err)
					}
					if err := decodeAnyF64(d64, src, enc.e, bigEndian); err != nil {
						t.Fatal(err)
					}
					for i := 0; i < n; i++ {
						if math.Float32bits(d32[i]) != math.Float32bits(w32[i]) {
							t.Fatalf("%s be=%v n=%d i=%d: float32 got %v (%#x), want %v (%#x)", elemName[enc.e], bigEndian, n, i, d32[i], math.Float32bits(d32[i]), w32[i], math.Float32bits(w32[i]))
						}
						if math.Float64bits(d64[i]) != math.Float64bits(w64[i]) {
							t.Fatalf("%s be=%v n=%d i=%d: float64 got %v, want %v", elemName[enc.e], bigEndian, n, i, d64[i], w64[i])
						}
					}
					for i := doff + n; i < len(d32Back); i++ {
						if d32Back[i] != -7 || d64Back[i] != -7 {
							t.Fatalf("%s be=%v n=%d: wrote past the end", elemName[enc.e], bigEndian, n)
						}
					}
				}
			}
		}
	})
}

// TestDecodeHandBytes pins the byte orders with literal bytes.
func TestDecodeHandBytes(t *testing.T) {
	cases := []struct {
		name      string
		src       []byte
		bigEndian bool
		f         func([]float32, []byte, bool) error
		want      []float32
	}{
		{"u16 LE", []byte{0x01, 0x02, 0xff, 0xff}, false, DecodeU16ToF32, []float32{0x0201, 65535}},
		{"u16 BE", []byte{0x01, 0x02, 0xff, 0xfe}, true, DecodeU16ToF32, []float32{0x0102, 65534}},
		{"f32 LE", []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0}, false, DecodeF32ToF32, []float32{1, -2}},
		{"f32 BE", []byte{0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0}, true, DecodeF32ToF32, []float32{1, -2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			paths(t, func(t *testing.T) {
				// Repeat to 8+ elements so the SIMD path sees the bytes too.
				var src []byte
				var want []float32
				for len(want) < 19 {
					src = append(src, c.src...)
					want = append(want, c.want...)
				}
				got := make([]float32, len(want))
				if err := c.f(got, src, c.bigEndian); err != nil {
					t.Fatal(err)
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("element %d: got %v, want %v", i, got[i], want[i])
					}
				}
			})
		})
	}
}

func TestDecodeLengthError(t *testing.T) {
	err := DecodeU16ToF32(make([]float32, 4), make([]byte, 7), false)
	if !errors.Is(err, ErrLength) {
		t.Fatalf("got %v, want an error wrapping ErrLength", err)
	}
	const want = "kernels: source length does not match destination: DecodeU16ToF32: source has 7 bytes, want 8 (4 elements of uint16)"
	if err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
	if err := DecodeF32ToF64(make([]float64, 2), make([]byte, 9), true); !errors.Is(err, ErrLength) {
		t.Errorf("DecodeF32ToF64: got %v, want ErrLength", err)
	}
}

// FuzzDecode checks the assembly decoders against their Go twins, bit for
// bit, on arbitrary bytes.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}, uint8(3), true)
	f.Add([]byte{0xff, 0x7f, 0x80, 0, 0, 0xc0, 0x7f, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65}, uint8(10), false)
	f.Fuzz(func(t *testing.T, data []byte, which uint8, bigEndian bool) {
		e := elem(int(which) % len(elemSize))
		n := len(data) / elemSize[e]
		src := data[:n*elemSize[e]]
		a32, b32 := make([]float32, n), make([]float32, n)
		a64, b64 := make([]float64, n), make([]float64, n)
		if err := decodeToF32("fuzz", a32, src, e, bigEndian); err != nil {
			t.Fatal(err)
		}
		if err := decodeToF64("fuzz", a64, src, e, bigEndian); err != nil {
			t.Fatal(err)
		}
		decodeGo(b32, src, e, bigEndian)
		decodeGo(b64, src, e, bigEndian)
		for i := 0; i < n; i++ {
			x, y := a32[i], b32[i]
			if math.Float32bits(x) != math.Float32bits(y) && !(x != x && y != y) {
				t.Fatalf("%s be=%v float32 element %d: kernel %v, Go twin %v", elemName[e], bigEndian, i, x, y)
			}
			u, v := a64[i], b64[i]
			if math.Float64bits(u) != math.Float64bits(v) && !(u != u && v != v) {
				t.Fatalf("%s be=%v float64 element %d: kernel %v, Go twin %v", elemName[e], bigEndian, i, u, v)
			}
		}
		if err := decodeToF32("fuzz", make([]float32, n+1), src, e, bigEndian); !errors.Is(err, ErrLength) {
			t.Fatalf("short source: got %v, want ErrLength", err)
		}
	})
}
