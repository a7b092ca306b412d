package kernels

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// Benchmarks report GB/s of input read (b.SetBytes) plus a "GB/s" metric
// with the same meaning. "ram" sizes exceed the last-level cache; "l2"
// sizes stay in cache. The Naive benchmarks are the plain Go loop the
// kernels must beat, run in the same process for a same-run comparison.

const (
	ramF32 = 32 << 20 // elements: 128 MiB of float32
	l2F32  = 16 << 10 // elements: 64 KiB
)

var sink32 float32
var sink64 float64

func reportGBs(b *testing.B, bytesPerOp int) {
	b.SetBytes(int64(bytesPerOp))
	b.ReportMetric(float64(bytesPerOp)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}

func benchSizes(b *testing.B, f func(b *testing.B, n int)) {
	b.Run("l2", func(b *testing.B) { f(b, l2F32) })
	n := ramF32
	if testing.Short() {
		n = 4 << 20
	}
	b.Run("ram", func(b *testing.B) { f(b, n) })
}

func filledF32(n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(i & 1023)
	}
	return x
}

func BenchmarkSumF32(b *testing.B) {
	benchSizes(b, func(b *testing.B, n int) {
		x := filledF32(n)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			sink32 = SumF32(x)
		}
		reportGBs(b, 4*n)
	})
}

func BenchmarkSumF32Go(b *testing.B) {
	benchSizes(b, func(b *testing.B, n int) {
		x := filledF32(n)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			sink32 = sumF32Go(x)
		}
		reportGBs(b, 4*n)
	})
}

func BenchmarkSumF32Naive(b *testing.B) {
	benchSizes(b, func(b *testing.B, n int) {
		x := filledF32(n)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			var s float32
			for _, v := range x {
				s += v
			}
			sink32 = s
		}
		reportGBs(b, 4*n)
	})
}

func BenchmarkSumF32To64(b *testing.B) {
	benchSizes(b, func(b *testing.B, n int) {
		x := filledF32(n)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			sink64 = SumF32To64(x)
		}
		reportGBs(b, 4*n)
	})
}

func BenchmarkSumF64(b *testing.B) {
	benchSizes(b, func(b *testing.B, n int) {
		x := make([]float64, n/2)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			sink64 = SumF64(x)
		}
		reportGBs(b, 8*(n/2))
	})
}

func BenchmarkAddF32(b *testing.B) {
	benchSizes(b, func(b *testing.B, n int) {
		x, y := filledF32(n/2), filledF32(n/2)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			AddF32(x, y)
		}
		reportGBs(b, 4*(n/2))
	})
}

// BenchmarkSumColsF32 sums a tile of 64 frames of 256×256 (16 MiB) into one
// frame: LiberTEM's SumUDF per tile.
func BenchmarkSumColsF32(b *testing.B) {
	const px, depth = 256 * 256, 64
	src := filledF32(px * depth)
	dst := make([]float32, px)
	b.Run("kernel", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			SumColsF32(dst, src)
		}
		reportGBs(b, 4*len(src))
	})
	b.Run("kernel-f64", func(b *testing.B) {
		d64 := make([]float64, px)
		for i := 0; i < b.N; i++ {
			SumColsF32ToF64(d64, src)
		}
		reportGBs(b, 4*len(src))
	})
	b.Run("per-row-f64", func(b *testing.B) {
		d64 := make([]float64, px)
		for i := 0; i < b.N; i++ {
			for f := 0; f < depth; f++ {
				AddF32ToF64(d64, src[f*px:(f+1)*px])
			}
		}
		reportGBs(b, 4*len(src))
	})
	b.Run("naive", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for f := 0; f < depth; f++ {
				row := src[f*px : (f+1)*px]
				for j := range dst {
					dst[j] += row[j]
				}
			}
		}
		reportGBs(b, 4*len(src))
	})
}

func u16Bytes(n int) []byte {
	src := make([]byte, 2*n)
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint16(src[2*i:], uint16(i*7))
	}
	return src
}

// BenchmarkDecodeU16ToF32 reports GB/s of stored uint16 read; decoded float32
// written is twice that.
func BenchmarkDecodeU16ToF32(b *testing.B) {
	for _, be := range []bool{false, true} {
		name := map[bool]string{false: "LE", true: "BE"}[be]
		b.Run(name, func(b *testing.B) {
			benchSizes(b, func(b *testing.B, n int) {
				src, dst := u16Bytes(n/2), make([]float32, n/2)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := DecodeU16ToF32(dst, src, be); err != nil {
						b.Fatal(err)
					}
				}
				reportGBs(b, len(src))
			})
		})
	}
	b.Run("naive", func(b *testing.B) {
		benchSizes(b, func(b *testing.B, n int) {
			src, dst := u16Bytes(n/2), make([]float32, n/2)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for j := range dst {
					dst[j] = float32(binary.LittleEndian.Uint16(src[2*j:]))
				}
			}
			reportGBs(b, len(src))
		})
	})
}

func BenchmarkDecodeF32ToF32BE(b *testing.B) {
	benchSizes(b, func(b *testing.B, n int) {
		src, dst := make([]byte, 4*(n/2)), make([]float32, n/2)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := DecodeF32ToF32(dst, src, true); err != nil {
				b.Fatal(err)
			}
		}
		reportGBs(b, len(src))
	})
}

// BenchmarkMaskDotF32 multiplies a tile of 64 frames of 256×256 with 16
// masks; GB/s is of tile input. "naive" is the direct triple loop.
func BenchmarkMaskDotF32(b *testing.B) {
	const px, depth, nm = 256 * 256, 64, 16
	tile, masks := filledF32(depth*px), filledF32(nm*px)
	out := make([]float32, depth*nm)
	b.Run("kernel", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			MaskDotF32(out, tile, masks, px)
		}
		reportGBs(b, 4*len(tile))
	})
	b.Run("naive", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for f := 0; f < depth; f++ {
				for m := 0; m < nm; m++ {
					var s float32
					x, y := tile[f*px:(f+1)*px], masks[m*px:(m+1)*px]
					for p := range x {
						s += x[p] * y[p]
					}
					out[f*nm+m] += s
				}
			}
		}
		reportGBs(b, 4*len(tile))
	})
}

// BenchmarkCoM runs the centre-of-mass kernel on 64 frames of 256×256 over
// the full frame; GB/s is of frames read.
func BenchmarkCoM(b *testing.B) {
	const h, w, depth = 256, 256, 64
	tile := filledF32(depth * h * w)
	out := make([]float64, 3*depth)
	com, err := NewCoMFull(h, w)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("kernel", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			com.Tile(out, tile)
		}
		reportGBs(b, 4*len(tile))
	})
	b.Run("naive", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for f := 0; f < depth; f++ {
				var s, sy, sx float64
				for y := 0; y < h; y++ {
					for x := 0; x < w; x++ {
						p := float64(tile[f*h*w+y*w+x])
						s += p
						sy += float64(y) * p
						sx += float64(x) * p
					}
				}
				out[3*f], out[3*f+1], out[3*f+2] = s, sy, sx
			}
		}
		reportGBs(b, 4*len(tile))
	})
}

// BenchmarkStdShiftF32 adds 64 frames of 128×128 (the one-shot CLI's frames)
// and of 256×256 to a block's shifted sums, as 4 tiles of 16 frames, and
// folds the block.
func BenchmarkStdShiftF32(b *testing.B) {
	for _, px := range []int{128 * 128, 256 * 256} {
		b.Run(fmt.Sprint(px), func(b *testing.B) {
			const depth = 64
			tile := filledF32(depth * px)
			k, s, q := make([]float64, px), make([]float64, px), make([]float64, px)
			sum, vs := make([]float64, px), make([]float64, px)
			var n int64
			for b.Loop() {
				for f := 0; f < depth; f += 16 {
					StdShiftF32(k, s, q, tile[f*px:], px, 16, f == 0)
				}
				StdFold(sum, vs, n, k, s, q, depth)
				n += depth
			}
			reportGBs(b, 4*len(tile))
		})
	}
}

// BenchmarkDecodeRow decodes one 256-pixel uint16 row per call: the
// per-call cost of DecodeF32's dispatch against a DecoderF32 resolved once.
func BenchmarkDecodeRow(b *testing.B) {
	src, dst := u16Bytes(256), make([]float32, 256)
	b.Run("DecodeF32", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := DecodeF32(dst, src, array.Uint16, false); err != nil {
				b.Fatal(err)
			}
		}
		reportGBs(b, len(src))
	})
	b.Run("DecoderF32", func(b *testing.B) {
		dec, err := DecoderF32(array.Uint16, false)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < b.N; i++ {
			dec(dst, src)
		}
		reportGBs(b, len(src))
	})
}

// BenchmarkGemmF32 is the mask product with pixel-major masks: a tile of 64
// frames of 256×256 times 65536 × 16 masks. GB/s is of tile input.
func BenchmarkGemmF32(b *testing.B) {
	const m, k, n = 64, 256 * 256, 16
	tile, masks := filledF32(m*k), filledF32(k*n)
	out := make([]float32, m*n)
	for i := 0; i < b.N; i++ {
		GemmF32(out, tile, masks, m, k, n)
	}
	reportGBs(b, 4*len(tile))
}
