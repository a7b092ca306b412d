package kernels

import "fmt"

// Per-pixel variance accumulation in blocks of frames, one pass per block with
// shifted sums.
//
// A block of n1 frames keeps, per pixel, a shift k (the block's first value of
// the pixel) and the shifted sums s = Σ(x − k) and q = Σ(x − k)², in float64.
// From them
//
//	sum1 = n1·k + s, mean1 = k + s/n1, varsum1 = Σ(x − mean1)² = q − s·(s/n1).
//
// Because k is one of the block's own values, (k − mean1)² ≤ varsum1, so
// q = varsum1 + n1·(k − mean1)² ≤ (n1 + 1)·varsum1: the subtraction loses at
// most a factor n1 + 1 of float64 precision (with n1 ≤ 64, a relative error of
// order 1e-14 in varsum1), whatever the offset of the data. The unshifted
// Σx² − (Σx)²/n1 instead loses a factor (mean/std)², all of float64's digits
// for a large offset with small noise.
//
// A non-finite first value (NaN, ±Inf) is not taken as the shift (k = 0 for
// that pixel's block), so that sum1 is Σx with the NaN and Inf propagation of a
// direct sum, and varsum1 is NaN whenever the block holds a non-finite value,
// as with the direct two-pass formula. (Finite inputs so large that (x − k)²
// overflows, above about 1e154, give varsum Inf where a direct formula might
// not.)
//
// Blocks are combined into the accumulators (n0 frames: sum = Σx, varsum =
// Σ(x − mean)²) with the pairwise formula of Chan et al.:
//
//	n = n0 + n1, δ = mean1 − sum/n0, sum += sum1, varsum += varsum1 + δ²·n0·n1/n.

// StdBlockFrames is the block length StdDev uses: short enough that a block's
// varsum keeps all but a factor 65 of float64 precision, long enough that
// StdFold (one division-free combine per pixel) runs once per 64 frames.
const StdBlockFrames = 64

// StdShiftF32 adds rows frames of x (frame stride stride elements, the
// block's len(k) pixels at the start of each frame) to a block's shifted
// sums k, s and q (see above). With start, x's first frame starts the block:
// it sets k (its value, or 0 where not finite) and s = x0 − k, q = (x0 − k)²
// (0 for a finite first value); every later frame (every frame without start)
// adds d = float64(x) − k to s and d² to q, frames in order, q by fused
// multiply-add.
//
// It panics if len(s) or len(q) differ from len(k), rows < 1, or x is
// shorter than (rows − 1)·stride + len(k).
func StdShiftF32(k, s, q []float64, x []float32, stride, rows int, start bool) {
	n := len(k)
	if len(s) != n || len(q) != n || rows < 1 || (n > 0 && rows > 1 && (stride < n || len(x) < (rows-1)*stride+n)) || len(x) < n {
		panic(fmt.Sprintf("kernels.StdShiftF32: len(k) = %d, len(s) = %d, len(q) = %d, len(x) = %d, stride = %d, rows = %d", n, len(s), len(q), len(x), stride, rows))
	}
	if n == 0 {
		return
	}
	stdShiftF32(k, s, q, x, stride, rows, start)
}

// StdFold combines a block of n1 frames, given by its shifted sums k, s and q
// (see StdShiftF32), into per-pixel accumulators sum (Σx) and varsum
// (Σ(x − mean)²) that hold n0 frames, with the pairwise formula above. It
// panics if the lengths differ or n1 < 1.
func StdFold(sum, varsum []float64, n0 int64, k, s, q []float64, n1 int64) {
	px := len(k)
	if len(sum) != px || len(varsum) != px || len(s) != px || len(q) != px || n1 < 1 {
		panic(fmt.Sprintf("kernels.StdFold: lengths %d, %d, %d, %d, %d, n1 = %d", len(sum), len(varsum), px, len(s), len(q), n1))
	}
	stdFold(sum, varsum, n0, k, s, q, n1)
}

// stdFoldGo is the twin of stdFoldFirstAVX2 (n0 = 0) and stdFoldAVX2.
func stdFoldGo(sum, varsum []float64, n0 int64, k, s, q []float64, n1 int64) {
	px := len(k)
	f1 := float64(n1)
	inv1 := 1 / f1
	sum, varsum, s, q = sum[:px], varsum[:px], s[:px], q[:px]
	// The explicit float64 conversions keep the compiler from fusing a product
	// and a sum (the result must not depend on GOAMD64).
	if n0 == 0 {
		for j, kj := range k {
			sj := s[j]
			dev := q[j] - float64(sj*float64(sj*inv1))
			if dev < 0 { // rounding; NaN stays
				dev = 0
			}
			sum[j] = float64(f1*kj) + sj
			varsum[j] = dev
		}
		return
	}
	w := float64(n0) * f1 / float64(n0+n1) // n0·n1/n
	inv0 := 1 / float64(n0)
	for j, kj := range k {
		sj := s[j]
		dev := q[j] - float64(sj*float64(sj*inv1))
		if dev < 0 {
			dev = 0
		}
		delta := kj + float64(sj*inv1) - float64(sum[j]*inv0)
		varsum[j] += dev + float64(float64(delta*delta)*w)
		sum[j] += float64(f1*kj) + sj
	}
}

// StdMerge merges per-pixel accumulators (ns frames: sumS, varS) into
// (nd frames: sumD, varD) with the pairwise formula above and returns
// nd + ns. It panics if the lengths differ.
func StdMerge(nd int64, sumD, varD []float64, ns int64, sumS, varS []float64) int64 {
	px := len(sumD)
	if len(varD) != px || len(sumS) != px || len(varS) != px {
		panic(fmt.Sprintf("kernels.StdMerge: lengths %d, %d, %d, %d differ", len(sumD), len(varD), len(sumS), len(varS)))
	}
	if ns == 0 {
		return nd
	}
	if nd == 0 {
		copy(sumD, sumS)
		copy(varD, varS)
		return ns
	}
	n := nd + ns
	w := float64(nd) * float64(ns) / float64(n)
	invD, invS := 1/float64(nd), 1/float64(ns)
	for k := range sumD {
		delta := sumS[k]*invS - sumD[k]*invD
		varD[k] += varS[k] + delta*delta*w
		sumD[k] += sumS[k]
	}
	return n
}
