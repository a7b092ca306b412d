package kernels

import "fmt"

// GemmF32 adds the product of two row-major matrices to a third:
//
//	c (m × n) += a (m × k) · b (k × n)
//
// all contiguous (row strides k, n and n). It is the mask product with the
// masks stored pixel-major (px × nmask), as ApplyMasks keeps them: a is a
// tile of m frames × k pixels, b holds n masks as columns. The kernel blocks
// 4 rows × 16 columns of c in registers (A broadcast, FMA), and 16 KiB of b
// in L1 across the rows, so a is read once. Columns beyond a multiple of 8
// run a scalar loop; for a handful of masks, MaskDotF32 on masks stored
// mask-major is faster.
//
// It panics if len(a) != m·k, len(b) != k·n or len(c) != m·n.
func GemmF32(c, a, b []float32, m, k, n int) {
	if m < 0 || k < 0 || n < 0 || len(a) != m*k || len(b) != k*n || len(c) != m*n {
		panic(fmt.Sprintf("kernels.GemmF32: len(c), len(a), len(b) = %d, %d, %d, want m·n, m·k, k·n with m, k, n = %d, %d, %d", len(c), len(a), len(b), m, k, n))
	}
	if m == 0 || n == 0 || k == 0 {
		return
	}
	// Pixel block: its slice of b (kc × n) fits L1 for up to 16 columns.
	kc := max(64, min(1024, 4096/n))
	n16 := n &^ 15
	n8 := n &^ 7
	for p0 := 0; p0 < k; p0 += kc {
		kb := min(kc, k-p0)
		for i0 := 0; i0 < m; i0 += 4 {
			r := min(4, m-i0)
			ab := a[i0*k+p0:]
			for j0 := 0; j0 < n16; j0 += 16 {
				gemmBlock(r, 16, c[i0*n+j0:], n, ab, k, b[p0*n+j0:], n, kb)
			}
			if n8 > n16 {
				gemmBlock(r, 8, c[i0*n+n16:], n, ab, k, b[p0*n+n16:], n, kb)
			}
			if n > n8 {
				gemmBlockGo(r, n-n8, c[i0*n+n8:], n, ab, k, b[p0*n+n8:], n, kb)
			}
		}
	}
}
