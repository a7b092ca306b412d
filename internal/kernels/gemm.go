package kernels

import (
	"fmt"
	"sync"
)

var padPool = sync.Pool{New: func() any { return new([1024 * 16]float32) }}

// GemmF32 adds the product of two row-major matrices to a third:
//
//	c (m × n) += a (m × k) · b (k × n)
//
// all contiguous (row strides k, n and n). It is the mask product with the
// masks stored pixel-major (px × nmask), as ApplyMasks keeps them: a is a
// tile of m frames × k pixels, b holds n masks as columns. The kernel blocks
// 4 rows × 16 columns of c in registers (A broadcast, FMA), and 16 KiB of b
// in L1 across the rows, so a is read once. The last n mod 16 columns run
// the 8- or 16-column kernel on a zero-padded copy of their slice of b.
//
// It panics if len(a) != m·k, len(b) != k·n or len(c) != m·n.
func GemmF32(c, a, b []float32, m, k, n int) {
	if m < 0 || k < 0 || n < 0 || len(a) != m*k || len(b) != k*n || len(c) != m*n {
		panic(fmt.Sprintf("kernels.GemmF32: len(c), len(a), len(b) = %d, %d, %d, want m·n, m·k, k·n with m, k, n = %d, %d, %d", len(c), len(a), len(b), m, k, n))
	}
	if m == 0 || n == 0 || k == 0 {
		return
	}
	// The last n mod 16 columns: 8 run the 8-column kernel directly; other
	// counts run the 8- or 16-column kernel on a zero-padded copy (tailW wide).
	n16 := n &^ 15
	rem := n - n16
	direct8 := rem == 8
	tailW := 0
	switch {
	case rem > 0 && rem < 8:
		tailW = 8
	case rem > 8:
		tailW = 16
	}
	// Pixel block: its slice of b (kc × n) fits L1 for up to 16 columns.
	kc := max(64, min(1024, 4096/max(n, tailW)))
	var pad []float32
	if tailW > 0 {
		pp := padPool.Get().(*[1024 * 16]float32)
		defer padPool.Put(pp)
		pad = pp[:kc*tailW]
		clear(pad)
	}
	for p0 := 0; p0 < k; p0 += kc {
		kb := min(kc, k-p0)
		fresh := true
		for i0 := 0; i0 < m; i0 += 4 {
			r := min(4, m-i0)
			ab := a[i0*k+p0:]
			for j0 := 0; j0 < n16; j0 += 16 {
				gemmBlock(r, 16, c[i0*n+j0:], n, ab, k, b[p0*n+j0:], n, kb)
			}
			if direct8 {
				gemmBlock(r, 8, c[i0*n+n16:], n, ab, k, b[p0*n+n16:], n, kb)
			}
			if tailW > 0 {
				gemmTail(r, rem, tailW, c[i0*n+n16:], n, ab, k, b[p0*n+n16:], n, kb, pad, fresh)
				fresh = false
			}
		}
	}
}

// gemmTail handles the last cols columns of an r-row block with the w-column
// micro-kernel (w = 8 or 16, cols < w): the columns of b are copied,
// zero-padded to w, into pad (once per pixel block, when fresh; pad's
// columns cols..w-1 must be zero), and the
// w-wide result is added back column by column.
func gemmTail(r, cols, w int, c []float32, ldc int, a []float32, lda int, b []float32, ldb int, k int, pad []float32, fresh bool) {
	if fresh {
		// Columns cols..w-1 of pad stay zero: GemmF32 clears pad once.
		for p := 0; p < k; p++ {
			copy(pad[p*w:p*w+cols], b[p*ldb:p*ldb+cols])
		}
	}
	var cb [4 * 16]float32
	gemmBlock(r, w, cb[:], w, a, lda, pad, w, k)
	for i := 0; i < r; i++ {
		ci := c[i*ldc : i*ldc+cols]
		for j := range ci {
			ci[j] += cb[i*w+j]
		}
	}
}
