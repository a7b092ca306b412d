package kernels

import "fmt"

// SqDevF32 adds the squared deviations of x from mean to acc:
// acc[i] += (float64(x[i]) − mean[i])². It panics if the lengths differ.
func SqDevF32(acc []float64, x []float32, mean []float64) {
	if len(x) != len(acc) || len(mean) != len(acc) {
		panic(fmt.Sprintf("kernels.SqDevF32: len(acc) = %d, len(x) = %d, len(mean) = %d", len(acc), len(x), len(mean)))
	}
	sqDevF32(acc, x, mean)
}

// StdBlockPixels and StdBlockFrames bound the block of a tile that
// StdTileF32 reduces at once, so that the block stays in L2 for its two
// passes. StdTileF32's scratch must hold 2·StdBlockPixels values.
const (
	StdBlockPixels = 1024
	StdBlockFrames = 64
)

// StdTileF32 combines a tile of depth frames × px pixels (row-major, frame
// stride px, px = len(sum)) into per-pixel accumulators that hold n0 frames:
// sum (Σx) and varsum (Σ(x − mean)²), both float64. It returns the new frame
// count n0 + depth.
//
// Each block of at most StdBlockFrames frames × StdBlockPixels pixels is
// reduced on its own in two passes (block mean, then squared deviations from
// it) and combined with the pairwise formula of Chan et al.:
//
//	n = n0 + n1, δ = mean1 − mean0, sum += sum1, varsum += varsum1 + δ²·n0·n1/n.
//
// It panics if len(varsum) != len(sum), len(tile) is not a multiple of
// len(sum), or len(scratch) < 2·StdBlockPixels.
func StdTileF32(sum, varsum []float64, n0 int64, tile []float32, scratch []float64) int64 {
	px := len(sum)
	if len(varsum) != px || len(scratch) < 2*StdBlockPixels || (px == 0 && len(tile) != 0) || (px != 0 && len(tile)%px != 0) {
		panic(fmt.Sprintf("kernels.StdTileF32: len(sum) = %d, len(varsum) = %d, len(tile) = %d, len(scratch) = %d (want ≥ %d)", px, len(varsum), len(tile), len(scratch), 2*StdBlockPixels))
	}
	if px == 0 {
		return n0
	}
	depth := len(tile) / px
	mean := scratch[:StdBlockPixels]
	dev := scratch[StdBlockPixels : 2*StdBlockPixels]
	for f0 := 0; f0 < depth; f0 += StdBlockFrames {
		d := min(StdBlockFrames, depth-f0)
		n1 := float64(d)
		n := n0 + int64(d)
		for p0 := 0; p0 < px; p0 += StdBlockPixels {
			b := min(StdBlockPixels, px-p0)
			mb, vb := mean[:b], dev[:b]
			clear(mb)
			row := func(f int) []float32 { return tile[f*px+p0 : f*px+p0+b] }
			f := f0
			for ; f+4 <= f0+d; f += 4 {
				addRows4F32ToF64(mb, row(f), row(f+1), row(f+2), row(f+3))
			}
			for ; f < f0+d; f++ {
				addF32ToF64(mb, row(f))
			}
			inv1 := 1 / n1
			for k := range mb {
				mb[k] *= inv1
			}
			clear(vb)
			f = f0
			for ; f+4 <= f0+d; f += 4 {
				sqDev4F32(vb, mb, row(f), row(f+1), row(f+2), row(f+3))
			}
			for ; f < f0+d; f++ {
				sqDevF32(vb, row(f), mb)
			}
			StdCombine(sum[p0:p0+b], varsum[p0:p0+b], n0, mb, vb, int64(d))
		}
		n0 = n
	}
	return n0
}

// StdCombine combines a block of n1 frames, given as its per-pixel mean and
// dev = Σ(x − mean)² over the block, into accumulators sum (Σx) and varsum
// (Σ(x − mean)²) that hold n0 frames, with the pairwise formula of StdTileF32.
// It is the combine step of StdTileF32, for callers that reduce blocks of
// other element types themselves. It panics if the lengths differ.
func StdCombine(sum, varsum []float64, n0 int64, mean, dev []float64, n1 int64) {
	if len(varsum) != len(sum) || len(mean) != len(sum) || len(dev) != len(sum) {
		panic(fmt.Sprintf("kernels.StdCombine: lengths %d, %d, %d, %d differ", len(sum), len(varsum), len(mean), len(dev)))
	}
	f1 := float64(n1)
	if n0 == 0 {
		for k := range mean {
			sum[k] = mean[k] * f1
			varsum[k] = dev[k]
		}
		return
	}
	w := float64(n0) * f1 / float64(n0+n1) // n0·n1/n
	inv0 := 1 / float64(n0)
	for k := range mean {
		delta := mean[k] - sum[k]*inv0
		varsum[k] += dev[k] + delta*delta*w
		sum[k] += mean[k] * f1
	}
}

// StdMerge merges per-pixel accumulators (ns frames: sumS, varS) into
// (nd frames: sumD, varD) with the pairwise formula of StdTileF32 and returns
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
