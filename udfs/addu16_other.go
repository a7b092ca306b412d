//go:build !amd64 || purego

package udfs

// addU16ToU32 adds src to dst element-wise, widening to uint32 (exact). It panics if
// dst is shorter than src.
func addU16ToU32(dst []uint32, src []uint16) { addU16ToU32Go(dst[:len(src)], src) }

// addRows4U16ToU32 adds four uint16 rows to dst element-wise, widening to uint32
// (exact). It panics if any slice is shorter than a.
func addRows4U16ToU32(dst []uint32, a, b, c, d []uint16) {
	n := len(a)
	addRows4U16ToU32Go(dst[:n], a, b[:n], c[:n], d[:n])
}

// moments3U16 returns Σm·p, Σmx·p and Σmy·p over p. It panics if a weight slice is
// shorter than p.
func moments3U16(p []uint16, m, mx, my []float32) (float32, float32, float32) {
	n := len(p)
	return moments3Go(p, m[:n], mx[:n], my[:n])
}

// comRowsU16 returns Σm·p, Σxs·m·p and Σ(y0+r)·m·p over a rows × cols window of p
// (row r at p[r*stride:]). It panics if cols is not a multiple of 8 or a slice is too
// short. A nil m means every weight is 1.
func comRowsU16(p []uint16, stride, rows, cols int, y0 float32, m, xs []float32) (float32, float32, float32) {
	checkRows(len(p), stride, rows, cols, m)
	return comRowsGo(p, stride, rows, cols, y0, m, xs[:cols])
}

// comRowsF32 is comRowsU16 for float32 frames.
func comRowsF32(p []float32, stride, rows, cols int, y0 float32, m, xs []float32) (float32, float32, float32) {
	checkRows(len(p), stride, rows, cols, m)
	return comRowsGo(p, stride, rows, cols, y0, m, xs[:cols])
}
