//go:build !purego

package kernels

// The assembly kernels handle a multiple of 8 elements; the wrappers below
// run the remainder (fewer than 8 elements) through the Go twin.

func sumF32(x []float32) float32 {
	if !useAVX2 || len(x) < 8 {
		return sumF32Go(x)
	}
	n := len(x) &^ 7
	return sumF32AVX2(x[:n]) + sumF32Go(x[n:])
}

func sumF64(x []float64) float64 {
	if !useAVX2 || len(x) < 8 {
		return sumF64Go(x)
	}
	n := len(x) &^ 7
	return sumF64AVX2(x[:n]) + sumF64Go(x[n:])
}

func sumF32ToF64(x []float32) float64 {
	if !useAVX2 || len(x) < 8 {
		return sumF32ToF64Go(x)
	}
	n := len(x) &^ 7
	return sumF32ToF64AVX2(x[:n]) + sumF32ToF64Go(x[n:])
}

func sumU16LE(x []uint16) float32 {
	if !useAVX2 || len(x) < 8 {
		return sumU16LEGo(x)
	}
	n := len(x) &^ 7
	return sumU16LEAVX2(x[:n]) + sumU16LEGo(x[n:])
}

func addF32(dst, src []float32) {
	if !useAVX2 || len(dst) < 8 {
		addF32Go(dst, src)
		return
	}
	n := len(dst) &^ 7
	addF32AVX2(dst[:n], src[:n])
	addF32Go(dst[n:], src[n:])
}

func addF64(dst, src []float64) {
	if !useAVX2 || len(dst) < 8 {
		addF64Go(dst, src)
		return
	}
	n := len(dst) &^ 7
	addF64AVX2(dst[:n], src[:n])
	addF64Go(dst[n:], src[n:])
}

func addF32ToF64(dst []float64, src []float32) {
	if !useAVX2 || len(dst) < 8 {
		addF32ToF64Go(dst, src)
		return
	}
	n := len(dst) &^ 7
	addF32ToF64AVX2(dst[:n], src[:n])
	addF32ToF64Go(dst[n:], src[n:])
}

func addRows4F32(dst, a, b, c, d []float32) {
	if !useAVX2 || len(dst) < 8 {
		addRows4F32Go(dst, a, b, c, d)
		return
	}
	n := len(dst) &^ 7
	addRows4F32AVX2(dst[:n], a[:n], b[:n], c[:n], d[:n])
	addRows4F32Go(dst[n:], a[n:], b[n:], c[n:], d[n:])
}

// decF32Asm and decF64Asm list the assembly decoders by [elem][bigEndian].
var decF32Asm = [...][2]func(dst []float32, src []byte){
	eU8:  {decU8F32AVX2, decU8F32AVX2},
	eI8:  {decI8F32AVX2, decI8F32AVX2},
	eU16: {decU16LEF32AVX2, decU16BEF32AVX2},
	eI16: {decI16LEF32AVX2, decI16BEF32AVX2},
	eU32: {decU32LEF32AVX2, decU32BEF32AVX2},
	eI32: {decI32LEF32AVX2, decI32BEF32AVX2},
	eF32: {nil, decF32BEF32AVX2},
	eF64: {decF64LEF32AVX2, decF64BEF32AVX2},
	eI64: {},
}

var decF64Asm = [...][2]func(dst []float64, src []byte){
	eU16: {decU16LEF64AVX2, nil},
	eF32: {decF32LEF64AVX2, decF32BEF64AVX2},
	eI64: {},
}

func be(b bool) int {
	if b {
		return 1
	}
	return 0
}

// asmDecoderF32 returns the SIMD decoder for e, or nil.
func asmDecoderF32(e elem, bigEndian bool) func(dst []float32, src []byte) {
	if !useAVX2 || int(e) >= len(decF32Asm) {
		return nil
	}
	return decF32Asm[e][be(bigEndian)]
}

func asmDecoderF64(e elem, bigEndian bool) func(dst []float64, src []byte) {
	if !useAVX2 || int(e) >= len(decF64Asm) {
		return nil
	}
	return decF64Asm[e][be(bigEndian)]
}

// decF32CorrAsm and decF64CorrAsm list the fused corrected decoders by
// [elem][bigEndian]; the little-endian entry of the destination's own dtype is
// the corrected copy (and, with src = dst, the in-place correction).
var decF32CorrAsm = [...][2]func(dst []float32, src []byte, dark, gain []float32){
	eU8:  {decU8F32CorrAVX2, decU8F32CorrAVX2},
	eI8:  {decI8F32CorrAVX2, decI8F32CorrAVX2},
	eU16: {decU16LEF32CorrAVX2, decU16BEF32CorrAVX2},
	eI16: {decI16LEF32CorrAVX2, decI16BEF32CorrAVX2},
	eU32: {decU32LEF32CorrAVX2, decU32BEF32CorrAVX2},
	eI32: {decI32LEF32CorrAVX2, decI32BEF32CorrAVX2},
	eF32: {decF32LEF32CorrAVX2, decF32BEF32CorrAVX2},
	eF64: {decF64LEF32CorrAVX2, decF64BEF32CorrAVX2},
	eI64: {},
}

var decF64CorrAsm = [...][2]func(dst []float64, src []byte, dark, gain []float64){
	eU16: {decU16LEF64CorrAVX2, nil},
	eF32: {decF32LEF64CorrAVX2, decF32BEF64CorrAVX2},
	eF64: {decF64LEF64CorrAVX2, nil},
	eI64: {},
}

func asmCorrDecoderF32(e elem, bigEndian bool) func(dst []float32, src []byte, dark, gain []float32) {
	if !useAVX2 || int(e) >= len(decF32CorrAsm) {
		return nil
	}
	return decF32CorrAsm[e][be(bigEndian)]
}

func asmCorrDecoderF64(e elem, bigEndian bool) func(dst []float64, src []byte, dark, gain []float64) {
	if !useAVX2 || int(e) >= len(decF64CorrAsm) {
		return nil
	}
	return decF64CorrAsm[e][be(bigEndian)]
}

func dotF32(x, y []float32) float32 {
	if !useAVX2 || len(x) < 8 {
		return dotF32Go(x, y)
	}
	n := len(x) &^ 7
	return dotF32AVX2(x[:n], y[:n]) + dotF32Go(x[n:], y[n:])
}

func sumDotF32(p, xs []float32) (s, d float32) {
	if !useAVX2 || len(p) < 8 {
		return sumDotF32Go(p, xs)
	}
	n := len(p) &^ 7
	s, d = sumDotF32AVX2(p[:n], xs[:n])
	s2, d2 := sumDotF32Go(p[n:], xs[n:])
	return s + s2, d + d2
}

// dot2x4F32 requires len(out) >= 8 and all inputs of length len(x0).
func dot2x4F32(out []float32, x0, x1, m0, m1, m2, m3 []float32) {
	if !useAVX2 || len(x0) < 8 {
		dot2x4F32Go(out, x0, x1, m0, m1, m2, m3)
		return
	}
	n := len(x0) &^ 7
	_ = out[7]
	dot2x4F32AVX2(out, x0[:n], x1[:n], m0[:n], m1[:n], m2[:n], m3[:n])
	if n < len(x0) {
		dot2x4F32Go(out, x0[n:], x1[n:], m0[n:], m1[n:], m2[n:], m3[n:])
	}
}

func addRows4F32ToF64(dst []float64, a, b, c, d []float32) {
	if !useAVX2 || len(dst) < 8 {
		addRows4F32ToF64Go(dst, a, b, c, d)
		return
	}
	n := len(dst) &^ 7
	addRows4F32ToF64AVX2(dst[:n], a[:n], b[:n], c[:n], d[:n])
	addRows4F32ToF64Go(dst[n:], a[n:], b[n:], c[n:], d[n:])
}

// stdShiftF32 requires len(s), len(q) >= len(k), rows >= 1 and
// len(x) >= (rows−1)·stride + len(k). The assembly streams frames, in passes of
// four frames and of one (the first pass of a block starts it), over chunks of
// stdChunk pixels, so that a chunk's k, s and q stay in L1 for all its passes.
func stdShiftF32(k, s, q []float64, x []float32, stride, rows int, start bool) {
	if !useAVX2 || len(k) < 8 {
		stdShiftF32Go(k, s, q, x, stride, rows, start)
		return
	}
	n := len(k) &^ 7
	for c0 := 0; c0 < n; c0 += stdChunk {
		c1 := min(n, c0+stdChunk)
		kc, sc, qc := k[c0:c1], s[c0:c1], q[c0:c1]
		row := func(r int) []float32 { return x[r*stride+c0 : r*stride+c1] }
		r := 0
		switch {
		case start && rows >= 4:
			stdStart4F32AVX2(kc, sc, qc, row(0), row(1), row(2), row(3))
			r = 4
		case start:
			stdStart1F32AVX2(kc, sc, qc, row(0))
			r = 1
		}
		for ; r+4 <= rows; r += 4 {
			stdAdd4F32AVX2(kc, sc, qc, row(r), row(r+1), row(r+2), row(r+3))
		}
		for ; r < rows; r++ {
			stdAdd1F32AVX2(kc, sc, qc, row(r))
		}
	}
	if n < len(k) {
		stdShiftF32Go(k[n:], s[n:len(k)], q[n:len(k)], x[n:], stride, rows, start)
	}
}

// stdChunk is the pixels of stdShiftF32's chunks: k, s and q take 24 KiB.
const stdChunk = 1024

func stdFold(sum, varsum []float64, n0 int64, k, s, q []float64, n1 int64) {
	if !useAVX2 || len(k) < 8 {
		stdFoldGo(sum, varsum, n0, k, s, q, n1)
		return
	}
	n := len(k) &^ 7
	f1 := float64(n1)
	inv1 := 1 / f1
	if n0 == 0 {
		stdFoldFirstAVX2(sum[:n], varsum[:n], k[:n], s[:n], q[:n], f1, inv1)
	} else {
		stdFoldAVX2(sum[:n], varsum[:n], k[:n], s[:n], q[:n], f1, inv1, float64(n0)*f1/float64(n0+n1), 1/float64(n0))
	}
	if n < len(k) {
		stdFoldGo(sum[n:], varsum[n:], n0, k[n:], s[n:], q[n:], n1)
	}
}

// gemmBlock runs the micro-kernel for an r × cols block (r ≤ 4, cols 8 or
// 16) or the Go twin.
func gemmBlock(r, cols int, c []float32, ldc int, a []float32, lda int, b []float32, ldb int, k int) {
	if !useAVX2 {
		gemmBlockGo(r, cols, c, ldc, a, lda, b, ldb, k)
		return
	}
	switch {
	case r == 4 && cols == 16:
		gemm4x16F32AVX2(c, ldc, a, lda, b, ldb, k)
	case r == 4 && cols == 8:
		gemm4x8F32AVX2(c, ldc, a, lda, b, ldb, k)
	case cols == 16:
		for i := 0; i < r; i++ {
			gemm1x16F32AVX2(c[i*ldc:], ldc, a[i*lda:], lda, b, ldb, k)
		}
	case cols == 8:
		for i := 0; i < r; i++ {
			gemm1x8F32AVX2(c[i*ldc:], ldc, a[i*lda:], lda, b, ldb, k)
		}
	default:
		gemmBlockGo(r, cols, c, ldc, a, lda, b, ldb, k)
	}
}
