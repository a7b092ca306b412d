package udfs

import "github.com/stemflow/stemflow/internal/kernels"

// Per-pixel mean/variance accumulation for StdDev. A partition keeps, per pixel and
// signal box, the sum of its folded frames and varsum = Σ (x − mean)², and one open
// block of at most stdSubDepth frames, reduced in a single pass with shifted sums
// (kernels.StdShiftF32): the shift k is the block's first value of the pixel, and
// s = Σ(x − k), q = Σ(x − k)² give the block's sum n1·k + s and Σ(x − mean1)² =
// q − s·(s/n1) without cancellation (k is one of the block's values, so q is at most
// n1 + 1 times that). A full block is folded into the accumulators with the pairwise
// formula of Chan et al. (Schubert & Gertz 2018):
//
//	n = n0 + n1, δ = mean1 − mean0,
//	sum = sum0 + sum1, varsum = varsum0 + varsum1 + |δ|²·n0·n1/n.
//
// Blocks are counted in frames of the partition, not in tiles, so any tiling (and
// the pread and mmap readers) gives bit-identical statistics. The same formula merges
// partitions (Merge, MergeAll). Complex data use |x − mean|².

// stdSubDepth is the number of frames of a block.
const stdSubDepth = kernels.StdBlockFrames

// realNumber is the set of real element types StdDev reads.
type realNumber = kernels.Real

// complexNumber is the set of complex element types StdDev reads.
type complexNumber interface{ ~complex64 | ~complex128 }

// stdShiftComplex is kernels.StdShiftReal for complex data: k and s are complex, q = Σ|x − k|².
func stdShiftComplex[T complexNumber](k, s []complex128, q []float64, x []T, stride, rows int, start bool) {
	n := len(k)
	s, q = s[:n], q[:n]
	r := 0
	if start {
		for j, v := range x[:n] {
			x0 := complex128(v)
			kj := x0
			if re, im := real(kj), imag(kj); re-re != 0 || im-im != 0 {
				kj = 0
			}
			d := x0 - kj
			k[j], s[j], q[j] = kj, d, real(d)*real(d)+imag(d)*imag(d)
		}
		r = 1
	}
	for ; r < rows; r++ {
		row := x[r*stride : r*stride+n]
		for j, v := range row {
			d := complex128(v) - k[j]
			s[j] += d
			q[j] += real(d)*real(d) + imag(d)*imag(d)
		}
	}
}

// stdFoldComplex is kernels.StdFold for complex sums (|δ|², |s|²).
func stdFoldComplex(sum []complex128, varsum []float64, n0 int64, k, s []complex128, q []float64, n1 int64) {
	f1 := float64(n1)
	inv1 := 1 / f1
	w := float64(n0) * f1 / float64(n0+n1)
	var inv0 float64
	if n0 > 0 {
		inv0 = 1 / float64(n0)
	}
	for j, kj := range k {
		sj := s[j]
		dev := max(0, q[j]-(real(sj)*real(sj)+imag(sj)*imag(sj))*inv1)
		bsum := complex(f1, 0)*kj + sj
		if n0 == 0 {
			sum[j], varsum[j] = bsum, dev
			continue
		}
		delta := kj + sj*complex(inv1, 0) - sum[j]*complex(inv0, 0)
		varsum[j] += dev + (real(delta)*real(delta)+imag(delta)*imag(delta))*w
		sum[j] += bsum
	}
}

// stdMergeComplex is kernels.StdMerge for complex sums (|δ|², complex division:
// not the real merge's arithmetic, so it stays separate).
func stdMergeComplex(nd int64, sumD []complex128, varD []float64, ns int64, sumS []complex128, varS []float64) int64 {
	switch {
	case ns == 0:
		return nd
	case nd == 0:
		copy(sumD, sumS)
		copy(varD, varS)
		return ns
	}
	n := nd + ns
	w := float64(nd) * float64(ns) / float64(n)
	for k := range sumD {
		delta := sumS[k]/complex(float64(ns), 0) - sumD[k]/complex(float64(nd), 0)
		varD[k] += varS[k] + (real(delta)*real(delta)+imag(delta)*imag(delta))*w
		sumD[k] += sumS[k]
	}
	return n
}
