//go:build !amd64 || purego

package kernels

func sumF32(x []float32) float32                               { return sumF32Go(x) }
func sumF64(x []float64) float64                               { return sumF64Go(x) }
func sumF32ToF64(x []float32) float64                          { return sumF32ToF64Go(x) }
func sumU16LE(x []uint16) float32                              { return sumU16LEGo(x) }
func addF32(dst, src []float32)                                { addF32Go(dst, src) }
func addF64(dst, src []float64)                                { addF64Go(dst, src) }
func addF32ToF64(dst []float64, src []float32)                 { addF32ToF64Go(dst, src) }
func addRows4F32(dst, a, b, c, d []float32)                    { addRows4F32Go(dst, a, b, c, d) }
func asmDecoderF32(elem, bool) func(dst []float32, src []byte) { return nil }
func asmDecoderF64(elem, bool) func(dst []float64, src []byte) { return nil }
func asmCorrDecoderF32(elem, bool) func(dst []float32, src []byte, dark, gain []float32) {
	return nil
}
func asmCorrDecoderF64(elem, bool) func(dst []float64, src []byte, dark, gain []float64) {
	return nil
}

func dotF32(x, y []float32) float32            { return dotF32Go(x, y) }
func sumDotF32(p, xs []float32) (s, d float32) { return sumDotF32Go(p, xs) }
func dot2x4F32(out []float32, x0, x1, m0, m1, m2, m3 []float32) {
	dot2x4F32Go(out, x0, x1, m0, m1, m2, m3)
}

func addRows4F32ToF64(dst []float64, a, b, c, d []float32) { addRows4F32ToF64Go(dst, a, b, c, d) }

func stdShiftF32(k, s, q []float64, x []float32, stride, rows int, start bool) {
	stdShiftF32Go(k, s, q, x, stride, rows, start)
}

func stdFold(sum, varsum []float64, n0 int64, k, s, q []float64, n1 int64) {
	stdFoldGo(sum, varsum, n0, k, s, q, n1)
}

func gemmBlock(r, cols int, c []float32, ldc int, a []float32, lda int, b []float32, ldb int, k int) {
	gemmBlockGo(r, cols, c, ldc, a, lda, b, ldb, k)
}
