package udfs

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
