package udfs

import "fmt"

// addU16ToU32Go is the scalar twin of the SIMD kernel: dst[i] += uint32(src[i]).
func addU16ToU32Go(dst []uint32, src []uint16) {
	dst = dst[:len(src)]
	i := 0
	for ; i+4 <= len(src); i += 4 {
		dst[i] += uint32(src[i])
		dst[i+1] += uint32(src[i+1])
		dst[i+2] += uint32(src[i+2])
		dst[i+3] += uint32(src[i+3])
	}
	for ; i < len(src); i++ {
		dst[i] += uint32(src[i])
	}
}

// addRows4U16ToU32Go is the scalar twin: dst[i] += a[i] + b[i] + c[i] + d[i] (uint32).
func addRows4U16ToU32Go(dst []uint32, a, b, c, d []uint16) {
	n := len(a)
	dst, b, c, d = dst[:n], b[:n], c[:n], d[:n]
	for i := range a {
		dst[i] += uint32(a[i]) + uint32(b[i]) + uint32(c[i]) + uint32(d[i])
	}
}

// moments3Go is the scalar twin of the weighted-moments kernels.
func moments3Go[T uint16 | float32](p []T, m, mx, my []float32) (float32, float32, float32) {
	n := len(p)
	m, mx, my = m[:n], mx[:n], my[:n]
	var s, sx, sy float32
	for i, v := range p {
		f := float32(v)
		s += m[i] * f
		sx += mx[i] * f
		sy += my[i] * f
	}
	return s, sx, sy
}

// checkRows panics unless a rows × cols window with the given stride fits in n
// elements, cols is a multiple of 8 and the weights m are nil (all ones) or hold
// rows·cols values.
func checkRows(n, stride, rows, cols int, m []float32) {
	if rows < 0 || cols < 0 || cols%8 != 0 || (rows > 0 && (stride < cols || (rows-1)*stride+cols > n)) ||
		(m != nil && len(m) < rows*cols) {
		panic(fmt.Sprintf("udfs: comRows: %d elements, stride %d, %d × %d window (cols a multiple of 8), %d weights", n, stride, rows, cols, len(m)))
	}
}

// comRowsGo is the scalar twin of comRowsU16AVX2 and comRowsF32AVX2 (nil m: every
// weight 1).
func comRowsGo[T uint16 | float32](p []T, stride, rows, cols int, y0 float32, m, xs []float32) (float32, float32, float32) {
	var s, sx, sy float32
	for r := 0; r < rows; r++ {
		var rs float32
		for k, v := range p[r*stride : r*stride+cols] {
			mp := float32(v)
			if m != nil {
				mp *= m[r*cols+k]
			}
			rs += mp
			sx += xs[k] * mp
		}
		s += rs
		sy += (y0 + float32(r)) * rs
	}
	return s, sx, sy
}
