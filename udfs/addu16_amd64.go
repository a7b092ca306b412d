//go:build !purego

package udfs

import "github.com/stemflow/stemflow/internal/kernels"

//go:noescape
func addU16ToU32AVX2(dst []uint32, src []uint16)

// addU16ToU32 adds src to dst element-wise, widening to uint32 (exact). It panics if
// dst is shorter than src.
func addU16ToU32(dst []uint32, src []uint16) {
	dst = dst[:len(src)]
	if kernels.HasSIMD() {
		addU16ToU32AVX2(dst, src)
		return
	}
	addU16ToU32Go(dst, src)
}

//go:noescape
func addRows4U16ToU32AVX2(dst []uint32, a, b, c, d []uint16)

// addRows4U16ToU32 adds four uint16 rows to dst element-wise, widening to uint32
// (exact). It panics if any slice is shorter than a.
func addRows4U16ToU32(dst []uint32, a, b, c, d []uint16) {
	n := len(a)
	dst, b, c, d = dst[:n], b[:n], c[:n], d[:n]
	if kernels.HasSIMD() {
		addRows4U16ToU32AVX2(dst, a, b, c, d)
		return
	}
	addRows4U16ToU32Go(dst, a, b, c, d)
}

//go:noescape
func moments3U16AVX2(p []uint16, m, mx, my []float32) (s, sx, sy float32)

// moments3U16 returns Σm·p, Σmx·p and Σmy·p over p (float32 lanes). It panics if a
// weight slice is shorter than p.
func moments3U16(p []uint16, m, mx, my []float32) (float32, float32, float32) {
	n := len(p)
	m, mx, my = m[:n], mx[:n], my[:n]
	if kernels.HasSIMD() {
		return moments3U16AVX2(p, m, mx, my)
	}
	return moments3Go(p, m, mx, my)
}

//go:noescape
func comRowsU16AVX2(p []uint16, stride, rows, cols int, y0 float32, m, xs []float32) (s, sx, sy float32)

// comRowsU16 returns Σm·p, Σxs·m·p and Σ(y0+r)·m·p over a rows × cols window of p
// (row r at p[r*stride:]), m being rows × cols and xs cols long. It panics if cols is
// not a multiple of 8 or a slice is too short. A nil m means every weight is 1 (the
// selection covers the whole window): the kernel then skips the weights, and the
// result is bit-identical to that with an all-ones m.
func comRowsU16(p []uint16, stride, rows, cols int, y0 float32, m, xs []float32) (float32, float32, float32) {
	checkRows(len(p), stride, rows, cols, m)
	if len(xs) < cols {
		panic("udfs: comRowsU16: xs shorter than cols")
	}
	if rows == 0 || cols == 0 {
		return 0, 0, 0
	}
	if kernels.HasSIMD() {
		if m == nil {
			return comRowsU16OnesAVX2(p, stride, rows, cols, y0, nil, xs)
		}
		return comRowsU16AVX2(p, stride, rows, cols, y0, m, xs)
	}
	return comRowsGo(p, stride, rows, cols, y0, m, xs)
}

//go:noescape
func comRowsU16OnesAVX2(p []uint16, stride, rows, cols int, y0 float32, m, xs []float32) (s, sx, sy float32)

//go:noescape
func comRowsF32OnesAVX2(p []float32, stride, rows, cols int, y0 float32, m, xs []float32) (s, sx, sy float32)

//go:noescape
func comRowsF32AVX2(p []float32, stride, rows, cols int, y0 float32, m, xs []float32) (s, sx, sy float32)

// comRowsF32 is comRowsU16 for float32 frames.
func comRowsF32(p []float32, stride, rows, cols int, y0 float32, m, xs []float32) (float32, float32, float32) {
	checkRows(len(p), stride, rows, cols, m)
	if len(xs) < cols {
		panic("udfs: comRowsF32: xs shorter than cols")
	}
	if rows == 0 || cols == 0 {
		return 0, 0, 0
	}
	if kernels.HasSIMD() {
		if m == nil {
			return comRowsF32OnesAVX2(p, stride, rows, cols, y0, nil, xs)
		}
		return comRowsF32AVX2(p, stride, rows, cols, y0, m, xs)
	}
	return comRowsGo(p, stride, rows, cols, y0, m, xs)
}
