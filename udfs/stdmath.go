package udfs

import "github.com/stemflow/stemflow/internal/kernels"

// Per-pixel mean/variance accumulation for StdDev. A partition keeps, per pixel, the
// sum of its n frames and varsum = Σ (x − mean)². A tile (or a block of at most
// stdSubDepth frames of it) is reduced on its own, in two passes over data that stays
// in cache, and then combined into the partition's accumulators with the pairwise
// formula of Chan et al. (Schubert & Gertz 2018):
//
//	n = n0 + n1, δ = mean1 − mean0,
//	sum = sum0 + sum1, varsum = varsum0 + varsum1 + |δ|²·n0·n1/n.
//
// The same formula merges partitions (Merge, MergeAll). Complex data use |x − mean|².

// stdSubDepth bounds the frames reduced in one block, so that a block of pixels ×
// frames stays in L2 when a tile is a whole partition.
const stdSubDepth = 64

// stdPixBlock is the number of pixels reduced together.
const stdPixBlock = 512

// realNumber is the set of real element types StdDev reads.
type realNumber interface {
	~float32 | ~float64 | ~uint8 | ~int8 | ~uint16 | ~int16 | ~uint32 | ~int32 | ~uint64 | ~int64
}

// stdTileReal combines a tile of depth frames × px pixels (row-major, frame stride
// px) into the accumulators sum, varsum (length px) that hold n0 frames, and returns
// the new frame count. scratch must hold at least 2·stdPixBlock values.
func stdTileReal[T realNumber](tile []T, depth, px int, n0 int64, sum, varsum, scratch []float64) int64 {
	s := scratch[:stdPixBlock]
	v := scratch[stdPixBlock : 2*stdPixBlock]
	for f0 := 0; f0 < depth; f0 += stdSubDepth {
		d := min(stdSubDepth, depth-f0)
		n1 := float64(d)
		n := n0 + int64(d)
		for p0 := 0; p0 < px; p0 += stdPixBlock {
			b := min(stdPixBlock, px-p0)
			sb, vb := s[:b], v[:b]
			clear(sb)
			for f := f0; f < f0+d; f++ {
				row := tile[f*px+p0 : f*px+p0+b]
				addRowF64(sb, row)
			}
			for k := range sb {
				sb[k] /= n1 // now the block mean
			}
			clear(vb)
			for f := f0; f < f0+d; f++ {
				row := tile[f*px+p0 : f*px+p0+b]
				sqDevRow(vb, row, sb)
			}
			kernels.StdCombine(sum[p0:p0+b], varsum[p0:p0+b], n0, sb, vb, int64(d))
		}
		n0 = n
	}
	return n0
}

// addRowF64 adds row to acc element-wise, converting to float64.
func addRowF64[T realNumber](acc []float64, row []T) {
	acc = acc[:len(row)]
	i := 0
	for ; i+4 <= len(row); i += 4 {
		acc[i] += float64(row[i])
		acc[i+1] += float64(row[i+1])
		acc[i+2] += float64(row[i+2])
		acc[i+3] += float64(row[i+3])
	}
	for ; i < len(row); i++ {
		acc[i] += float64(row[i])
	}
}

// sqDevRow adds (row − mean)² to acc element-wise.
func sqDevRow[T realNumber](acc []float64, row []T, mean []float64) {
	acc = acc[:len(row)]
	mean = mean[:len(row)]
	i := 0
	for ; i+4 <= len(row); i += 4 {
		d0 := float64(row[i]) - mean[i]
		d1 := float64(row[i+1]) - mean[i+1]
		d2 := float64(row[i+2]) - mean[i+2]
		d3 := float64(row[i+3]) - mean[i+3]
		acc[i] += d0 * d0
		acc[i+1] += d1 * d1
		acc[i+2] += d2 * d2
		acc[i+3] += d3 * d3
	}
	for ; i < len(row); i++ {
		d := float64(row[i]) - mean[i]
		acc[i] += d * d
	}
}

// complexNumber is the set of complex element types StdDev reads.
type complexNumber interface{ ~complex64 | ~complex128 }

// stdTileComplex is stdTileReal for complex data: sums are complex128, varsum uses
// |x − mean|². scratch must hold at least stdPixBlock values.
func stdTileComplex[T complexNumber](tile []T, depth, px int, n0 int64, sum []complex128, varsum []float64, scratch []complex128, vscratch []float64) int64 {
	s := scratch[:stdPixBlock]
	v := vscratch[:stdPixBlock]
	for f0 := 0; f0 < depth; f0 += stdSubDepth {
		d := min(stdSubDepth, depth-f0)
		n1 := float64(d)
		n := n0 + int64(d)
		w := float64(n0) * n1 / float64(n)
		for p0 := 0; p0 < px; p0 += stdPixBlock {
			b := min(stdPixBlock, px-p0)
			sb, vb := s[:b], v[:b]
			clear(sb)
			for f := f0; f < f0+d; f++ {
				row := tile[f*px+p0 : f*px+p0+b]
				for k, x := range row {
					sb[k] += complex128(x)
				}
			}
			for k := range sb {
				sb[k] /= complex(n1, 0)
			}
			clear(vb)
			for f := f0; f < f0+d; f++ {
				row := tile[f*px+p0 : f*px+p0+b]
				for k, x := range row {
					dd := complex128(x) - sb[k]
					vb[k] += real(dd)*real(dd) + imag(dd)*imag(dd)
				}
			}
			acc, accV := sum[p0:p0+b], varsum[p0:p0+b]
			if n0 == 0 {
				for k := range sb {
					acc[k] = sb[k] * complex(n1, 0)
					accV[k] = vb[k]
				}
				continue
			}
			for k := range sb {
				delta := sb[k] - acc[k]/complex(float64(n0), 0)
				accV[k] += vb[k] + (real(delta)*real(delta)+imag(delta)*imag(delta))*w
				acc[k] += sb[k] * complex(n1, 0)
			}
		}
		n0 = n
	}
	return n0
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
