package udfs

import (
	"fmt"
	"github.com/stemflow/stemflow/backends/blas"
	"testing"

	"github.com/stemflow/stemflow/internal/kernels"
)

func BenchmarkSumKernelVariants(b *testing.B) {
	const depth, px = 512, 16384
	tile := randF32(depth*px, 1)
	acc := make([]float64, px)
	tmp := make([]float32, px)
	run := func(name string, f func()) {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				f()
			}
			b.ReportMetric(float64(len(tile)*4)/(b.Elapsed().Seconds()/float64(b.N))/1e9, "GB/s")
		})
	}
	run("limit", func() { kernels.SumF32(tile) })
	run("block2048", func() {
		for p0 := 0; p0 < px; p0 += 2048 {
			for f := 0; f < depth; f++ {
				kernels.AddF32ToF64(acc[p0:p0+2048], tile[f*px+p0:f*px+p0+2048])
			}
		}
	})
	run("frame", func() {
		for f := 0; f < depth; f++ {
			kernels.AddF32ToF64(acc, tile[f*px:(f+1)*px])
		}
	})
	for _, k := range []int{4, 8, 16} {
		run("cols"+string(rune('0'+k/4)), func() {
			for f := 0; f < depth; f += k {
				clear(tmp)
				kernels.SumColsF32(tmp, tile[f*px:(f+k)*px])
				kernels.AddF32ToF64(acc, tmp)
			}
		})
	}
}

func BenchmarkMaskProductVariants(b *testing.B) {
	for _, depth := range []int{64, 2048} {
		b.Run(fmt.Sprint(depth), func(b *testing.B) { benchMaskProduct(b, depth) })
	}
}

func benchMaskProduct(b *testing.B, depth int) {
	const px, n = 16384, 16
	tile := randF32(depth*px, 1)
	masks := randF32(n*px, 2)
	mt := make([]float32, px*n)
	for k := 0; k < n; k++ {
		for p := 0; p < px; p++ {
			mt[p*n+k] = masks[k*px+p]
		}
	}
	out := make([]float32, depth*n)
	run := func(name string, f func()) {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				f()
			}
			b.ReportMetric(float64(len(tile)*4)/(b.Elapsed().Seconds()/float64(b.N))/1e9, "GB/s")
		})
	}
	blas.SetThreads(1)
	run("blas", func() { blas.Sgemm(false, false, depth, n, px, 1, tile, px, mt, n, 1, out, n) })
	run("maskdot", func() { kernels.MaskDotF32(out, tile, masks, px) })
	run("gemmf32-blocks32", func() {
		for f0 := 0; f0 < depth; f0 += 32 {
			k := min(32, depth-f0)
			kernels.GemmF32(out[f0*n:(f0+k)*n], tile[f0*px:(f0+k)*px], mt, k, px, n)
		}
	})
	run("blas-blocks32", func() {
		for f0 := 0; f0 < depth; f0 += 32 {
			k := min(32, depth-f0)
			blas.Sgemm(false, false, k, n, px, 1, tile[f0*px:(f0+k)*px], px, mt, n, 1, out[f0*n:(f0+k)*n], n)
		}
	})
}
