package kernels

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// TestCorrDecode checks the corrected decoders against a direct loop over the
// values the encoders generated: (v − dark)·gain in the destination's
// precision, bit for bit, for every dtype, both byte orders, odd lengths and
// unaligned starts, on both kernel paths.
func TestCorrDecode(t *testing.T) {
	paths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(21, 22))
		for _, enc := range encoders {
			for _, bigEndian := range []bool{false, true} {
				bo := order(bigEndian)
				f32, err := CorrDecoderF32(dtypeOf[enc.e], bigEndian)
				if err != nil {
					t.Fatal(err)
				}
				f64, err := CorrDecoderF64(dtypeOf[enc.e], bigEndian)
				if err != nil {
					t.Fatal(err)
				}
				for _, n := range append(testLens(), 2*corrStrip+13) {
					off := rng.IntN(8)
					srcBack := make([]byte, (n+1)*enc.size+off)
					src := srcBack[off : off+n*enc.size]
					v32 := make([]float32, n)
					v64 := make([]float64, n)
					for i := range n {
						v32[i], v64[i] = enc.gen(rng, bo, src[i*enc.size:])
					}
					doff := rng.IntN(8)
					d32 := make([]float32, n+doff)[doff:]
					d64 := make([]float64, n+doff)[doff:]
					dk32, g32 := make([]float32, n), make([]float32, n)
					dk64, g64 := make([]float64, n), make([]float64, n)
					for i := range n {
						dk64[i] = math.Round(rng.NormFloat64()*300) / 4
						g64[i] = 0.5 + rng.Float64()
						dk32[i], g32[i] = float32(dk64[i]), float32(g64[i])
					}
					f32(d32, src, dk32, g32)
					f64(d64, src, dk64, g64)
					for i := range n {
						w32 := (v32[i] - dk32[i]) * g32[i]
						w64 := (v64[i] - dk64[i]) * g64[i]
						if !same32(d32[i], w32) {
							t.Fatalf("%v big=%v n=%d: f32[%d] = %v, want (%v − %v)·%v = %v", dtypeOf[enc.e], bigEndian, n, i, d32[i], v32[i], dk32[i], g32[i], w32)
						}
						if !same64(d64[i], w64) {
							t.Fatalf("%v big=%v n=%d: f64[%d] = %v, want %v", dtypeOf[enc.e], bigEndian, n, i, d64[i], w64)
						}
					}
					// zeros and ones reproduce the plain decoder exactly
					for i := range n {
						dk32[i], g32[i] = 0, 1
					}
					f32(d32, src, dk32, g32)
					for i := range n {
						if !same32(d32[i], v32[i]) {
							t.Fatalf("%v identity: [%d] = %v, want %v", dtypeOf[enc.e], i, d32[i], v32[i])
						}
					}
				}
			}
		}
	})
}

func same32(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
}

func same64(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || a != a && b != b
}

func TestCorrDecodeErrors(t *testing.T) {
	if _, err := CorrDecoderF32(array.Complex64, false); !errors.Is(err, ErrDType) {
		t.Errorf("CorrDecoderF32(complex64): %v, want ErrDType", err)
	}
	if _, err := CorrDecoderF64(array.Bytes(2), false); !errors.Is(err, ErrDType) {
		t.Errorf("CorrDecoderF64(S2): %v, want ErrDType", err)
	}
	f, err := CorrDecoderF32(array.Uint16, false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("short gain: no panic")
		}
	}()
	f(make([]float32, 4), make([]byte, 8), make([]float32, 4), make([]float32, 3))
}

// BenchmarkCorrDecodeU16 compares the plain and the corrected uint16 → float32
// decoders on a 256×256 frame.
func BenchmarkCorrDecodeU16(b *testing.B) {
	const n = 1024
	src := make([]byte, 2*n)
	dst, dark, gain := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range gain {
		src[2*i] = byte(i)
		dark[i], gain[i] = 1, 1.5
	}
	plain, _ := DecoderF32(array.Uint16, false)
	corr, _ := CorrDecoderF32(array.Uint16, false)
	b.Run("plain", func(b *testing.B) {
		b.SetBytes(4 * n)
		for b.Loop() {
			plain(dst, src)
		}
	})
	b.Run("corrected", func(b *testing.B) {
		b.SetBytes(4 * n)
		for b.Loop() {
			corr(dst, src, dark, gain)
		}
	})
}
