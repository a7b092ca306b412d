package blas

import (
	"testing"

	"github.com/stemflow/stemflow/internal/kernels"
)

// BenchmarkMaskProduct is ApplyMasks on a tile of 64 frames of 256×256 with
// 16 masks: out (64 × 16) = tile (64 × 65536) · masksᵀ. GB/s is of tile
// input; GFLOP/s counts 2·m·n·k. "fallback" is the pure-Go path (here the
// kernels shortcut), "kernel" is internal/kernels.MaskDotF32 called directly,
// for comparison.
func BenchmarkMaskProduct(b *testing.B) {
	const m, n, k = 64, 16, 256 * 256
	tile, masks := make([]float32, m*k), make([]float32, n*k)
	for i := range tile {
		tile[i] = float32(i % 17)
	}
	for i := range masks {
		masks[i] = float32(i % 5)
	}
	out := make([]float32, m*n)
	report := func(b *testing.B) {
		s := b.Elapsed().Seconds() / float64(b.N)
		b.ReportMetric(float64(4*m*k)/s/1e9, "GB/s")
		b.ReportMetric(2*float64(m*n*k)/s/1e9, "GFLOP/s")
	}
	run := func(name string, native bool) {
		b.Run(name, func(b *testing.B) {
			saved := forceGo
			defer func() { forceGo = saved }()
			forceGo = !native
			if native && !Available() {
				b.Skip("no native BLAS")
			}
			for i := 0; i < b.N; i++ {
				Sgemm(false, true, m, n, k, 1, tile, k, masks, k, 0, out, n)
			}
			report(b)
		})
	}
	run("native", true)
	b.Run("native-1thread", func(b *testing.B) {
		if !Available() {
			b.Skip("no native BLAS")
		}
		SetThreads(1)
		defer SetThreads(2)
		for i := 0; i < b.N; i++ {
			Sgemm(false, true, m, n, k, 1, tile, k, masks, k, 0, out, n)
		}
		report(b)
	})
	run("fallback", false)
	b.Run("fallback-NN", func(b *testing.B) {
		// The same product with the masks stored pixel-major (k × n).
		saved := forceGo
		defer func() { forceGo = saved }()
		forceGo = true
		masksT := make([]float32, k*n)
		for i := 0; i < b.N; i++ {
			Sgemm(false, false, m, n, k, 1, tile, k, masksT, n, 0, out, n)
		}
		report(b)
	})
	b.Run("kernel", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			clear(out)
			kernels.MaskDotF32(out, tile, masks, k)
		}
		report(b)
	})
}
