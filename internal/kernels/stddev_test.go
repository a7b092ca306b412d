package kernels

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// shiftRef is the shifted-sum recurrence of StdShiftF32 written out per pixel
// (column by column, unlike both kernels, which go frame by frame): the values
// the kernels must produce bit for bit, since they perform the same IEEE
// operations in the same order.
func shiftRef(k, s, q []float64, x []float32, stride, rows int, start bool) {
	for j := range k {
		r := 0
		if start {
			x0 := float64(x[j])
			k[j] = x0
			if math.IsNaN(x0) || math.IsInf(x0, 0) {
				k[j] = 0
			}
			s[j] = x0 - k[j]
			q[j] = s[j] * s[j]
			r = 1
		}
		for ; r < rows; r++ {
			d := float64(x[r*stride+j]) - k[j]
			s[j] += d
			q[j] = math.FMA(d, d, q[j])
		}
	}
}

// TestStdShiftF32 compares both kernel paths with shiftRef bit for bit, on odd
// widths, unaligned starts, strides wider than the block, one and several
// frames, a start followed by continuations, and non-finite first values.
func TestStdShiftF32(t *testing.T) {
	paths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(31, 32))
		for _, n := range testLens() {
			for _, off := range []int{0, 1, 3, 5} {
				for _, rows := range []int{1, 2, 5, 17} {
					stride := n + rng.IntN(9)
					x := make([]float32, off+3*rows*stride+n)[off:]
					for i := range x {
						x[i] = float32(1e4 + rng.NormFloat64()*3)
					}
					if n > 2 {
						x[1] = float32(math.NaN())
						x[2] = float32(math.Inf(-1))
						x[stride+n-1] = float32(math.Inf(1))
					}
					k, s, q := make([]float64, n+1), make([]float64, n+1), make([]float64, n+1)
					k[n], s[n], q[n] = 99, 99, 99
					wk, ws, wq := make([]float64, n), make([]float64, n), make([]float64, n)
					for part, start := range []bool{true, false, false} {
						xs := x[part*rows*stride:]
						StdShiftF32(k[:n], s[:n], q[:n], xs, stride, rows, start)
						shiftRef(wk, ws, wq, xs, stride, rows, start)
						for j := 0; j < n; j++ {
							if !sameBits(k[j], wk[j]) || !sameBits(s[j], ws[j]) || !sameBits(q[j], wq[j]) {
								t.Fatalf("n=%d off=%d rows=%d part %d pixel %d: k, s, q = %v %v %v, want %v %v %v", n, off, rows, part, j, k[j], s[j], q[j], wk[j], ws[j], wq[j])
							}
						}
					}
					if k[n] != 99 || s[n] != 99 || q[n] != 99 {
						t.Fatalf("n=%d: wrote past the end", n)
					}
				}
			}
		}
	})
}

func sameBits(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
}

// exactStats returns Σx and Σ(x − mean)² of the values m[i]/16, computed
// exactly in rationals and rounded once to float64.
func exactStats(m []int64) (sum, varsum float64) {
	var s, s2 big.Int
	for _, v := range m {
		b := big.NewInt(v)
		s.Add(&s, b)
		s2.Add(&s2, new(big.Int).Mul(b, b))
	}
	n := big.NewInt(int64(len(m)))
	// varsum = (Σm² − (Σm)²/n)/256 = (n·Σm² − (Σm)²)/(256·n)
	num := new(big.Int).Sub(new(big.Int).Mul(n, &s2), new(big.Int).Mul(&s, &s))
	den := new(big.Int).Mul(n, big.NewInt(256))
	sum, _ = new(big.Rat).SetFrac(&s, big.NewInt(16)).Float64()
	varsum, _ = new(big.Rat).SetFrac(num, den).Float64()
	return sum, varsum
}

// stdBlocks runs frames × px float32 data through StdShiftF32 and StdFold in
// blocks of at most block frames, fed in tiles of the given depths (a tile
// may end inside a block), and returns sum and varsum.
func stdBlocks(data []float32, px int, depths []int, block int) (sum, varsum []float64) {
	sum, varsum = make([]float64, px), make([]float64, px)
	k, s, q := make([]float64, px), make([]float64, px), make([]float64, px)
	var n0 int64
	bn := 0
	f := 0
	for _, d := range depths {
		for r := 0; r < d; {
			m := min(d-r, block-bn)
			StdShiftF32(k, s, q, data[(f+r)*px:], px, m, bn == 0)
			bn += m
			r += m
			if bn == block {
				StdFold(sum, varsum, n0, k, s, q, int64(bn))
				n0 += int64(bn)
				bn = 0
			}
		}
		f += d
	}
	if bn > 0 {
		StdFold(sum, varsum, n0, k, s, q, int64(bn))
	}
	return sum, varsum
}

// TestStdShiftAccuracy checks the one-pass blocks against the exact
// statistics on adversarial data. Values are m/16 with integer m, exact in
// float32, so the reference is exact. The tolerance on varsum has two parts:
//   - within a block, varsum1 loses at most a factor n1 + 1 = 65 of float64
//     precision (see StdShiftF32): a relative error below 65·4·2⁻⁵³ ≈ 3e-14,
//     plus a few ulps per fold; 1e-12·varsum leaves a margin of 30;
//   - each fold takes δ from two means, each rounded by about ε·|μ|
//     (ε = 2⁻⁵³), and adds δ²·w with w < 64 and δ²·w ≤ varsum, so it is off by
//     at most 2|δ|·w·2ε|μ| ≤ 4ε|μ|·sqrt(64·varsum) = 32ε|μ|·sqrt(varsum).
//
// The second part is what a large offset costs (the reference merges the
// same way); the unshifted Σx² − (Σx)²/n would be off by ε·Σx² ≈ ε·n·μ²,
// about 3·10⁵ times more in the offset cases. sum is a float64 sum of exact
// terms: 1e-14 relative.
func TestStdShiftAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	const px = 37
	cases := []struct {
		name   string
		frames int
		gen    func(f, p int) int64 // m, the value times 16
	}{
		{"offset 1e6, noise 1/16", 300, func(f, p int) int64 { return 16e6 + int64(rng.IntN(5)) - 2 }},
		{"offset 1e6, drift", 200, func(f, p int) int64 { return 16e6 + int64(f%7) - int64(p) }},
		{"constant frames", 130, func(f, p int) int64 { return int64(p*1000 - 5000) }},
		{"single frame", 1, func(f, p int) int64 { return int64(p) }},
		{"outliers", 257, func(f, p int) int64 {
			if rng.IntN(50) == 0 {
				return 1 << 23
			}
			return int64(rng.IntN(32))
		}},
		{"negative, wide", 129, func(f, p int) int64 { return int64(rng.IntN(1<<24)) - 1<<23 }},
	}
	depthSets := [][]int{{1 << 20}, {16}, {1, 3, 60, 5}, {64}, {100}, {7}}
	for _, c := range cases {
		data := make([]float32, c.frames*px)
		m := make([][]int64, px)
		for f := 0; f < c.frames; f++ {
			for p := 0; p < px; p++ {
				v := c.gen(f, p)
				data[f*px+p] = float32(v) / 16
				m[p] = append(m[p], v)
			}
		}
		var first []float64
		for _, ds := range depthSets {
			depths := tileDepths(ds, c.frames)
			sum, varsum := stdBlocks(data, px, depths, StdBlockFrames)
			for p := 0; p < px; p++ {
				ws, wv := exactStats(m[p])
				folds := float64((c.frames - 1) / StdBlockFrames)
				mu := math.Abs(ws) / float64(c.frames)
				tol := 1e-12*wv + folds*32*0x1p-53*mu*math.Sqrt(wv)
				if math.Abs(sum[p]-ws) > 1e-14*math.Abs(ws) || math.Abs(varsum[p]-wv) > tol {
					t.Fatalf("%s depths %v pixel %d: sum %v varsum %v, want %v %v", c.name, depths, p, sum[p], varsum[p], ws, wv)
				}
				if wv == 0 && varsum[p] != 0 {
					t.Fatalf("%s pixel %d: varsum %v, want exactly 0", c.name, p, varsum[p])
				}
			}
			// Blocks are counted in frames, so every tiling gives the same bits.
			if first == nil {
				first = append(sum, varsum...)
			} else if got := append(sum, varsum...); !equalBits(got, first) {
				t.Fatalf("%s depths %v: results differ from depths %v", c.name, depths, depthSets[0])
			}
		}
	}
}

// tileDepths repeats the pattern ds until it covers frames, cutting the last.
func tileDepths(ds []int, frames int) []int {
	var out []int
	for f := 0; f < frames; {
		for _, d := range ds {
			if f >= frames {
				break
			}
			d = min(d, frames-f)
			out = append(out, d)
			f += d
		}
	}
	return out
}

func equalBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameBits(a[i], b[i]) {
			return false
		}
	}
	return true
}

// TestStdShiftNonFinite: a block with NaN or ±Inf gives the sum and varsum of
// the direct two-pass formula: sum = Σx (NaN, ±Inf), varsum NaN.
func TestStdShiftNonFinite(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	cases := []struct {
		name    string
		vals    []float64 // one pixel, frames in order
		sum, vs float64
	}{
		{"first +Inf", []float64{inf, 1, 2}, inf, nan},
		{"first -Inf", []float64{math.Inf(-1), 1}, math.Inf(-1), nan},
		{"single +Inf", []float64{inf}, inf, nan},
		{"single NaN", []float64{nan}, nan, nan},
		{"later +Inf", []float64{1, 2, inf, 3}, inf, nan},
		{"+Inf and -Inf", []float64{1, inf, math.Inf(-1)}, nan, nan},
		{"NaN first", []float64{nan, 1, 2}, nan, nan},
		{"two +Inf", []float64{inf, inf}, inf, nan},
	}
	paths(t, func(t *testing.T) {
		for _, c := range cases {
			for _, before := range []int{0, 70} { // in the first block, or after one
				px := 9 // one pixel under test, the others finite; 9 > 8 reaches the assembly
				frames := before + len(c.vals)
				data := make([]float32, frames*px)
				for f := 0; f < frames; f++ {
					for p := 0; p < px; p++ {
						data[f*px+p] = float32(f + p)
					}
					if f >= before {
						data[f*px+4] = float32(c.vals[f-before])
					}
				}
				sum, vs := stdBlocks(data, px, []int{frames}, StdBlockFrames)
				wantSum := c.sum
				if before > 0 && !math.IsNaN(wantSum) && !math.IsInf(wantSum, 0) {
					t.Fatal("bad case")
				}
				if !sameBits(sum[4], wantSum) || !math.IsNaN(vs[4]) {
					t.Errorf("%s (after %d frames): sum %v varsum %v, want %v NaN", c.name, before, sum[4], vs[4], wantSum)
				}
				for _, p := range []int{0, 8} {
					if math.IsNaN(sum[p]) || math.IsNaN(vs[p]) || math.IsInf(vs[p], 0) {
						t.Errorf("%s: finite pixel %d got %v %v", c.name, p, sum[p], vs[p])
					}
				}
			}
		}
	})
}

// TestStdFold feeds hand-made blocks into empty and non-empty accumulators and
// compares with the statistics of all frames computed directly (two passes).
func TestStdFold(t *testing.T) {
	cases := []struct {
		name   string
		blocks [][][]float64 // block → pixel → values
	}{
		{"one block", [][][]float64{{{1, 2, 3}, {10, 10, 10}}}},
		{"two blocks", [][][]float64{{{1, 2, 3}, {-1, 1, 5}}, {{7}, {2}}}},
		{"three blocks", [][][]float64{{{4}, {0}}, {{4, 8}, {0, 0}}, {{-2, 0, 1, 1}, {3, 5, 7, 9}}}},
	}
	for _, c := range cases {
		sum, varsum := make([]float64, 2), make([]float64, 2)
		var n0 int64
		all := make([][]float64, 2)
		for _, blk := range c.blocks {
			n1 := len(blk[0])
			x := make([]float32, 2*n1)
			for p, vals := range blk {
				for f, v := range vals {
					x[2*f+p] = float32(v)
				}
				all[p] = append(all[p], vals...)
			}
			k, s, q := make([]float64, 2), make([]float64, 2), make([]float64, 2)
			StdShiftF32(k, s, q, x, 2, n1, true)
			StdFold(sum, varsum, n0, k, s, q, int64(n1))
			n0 += int64(n1)
		}
		for p, vals := range all {
			s := 0.0
			for _, x := range vals {
				s += x
			}
			v := 0.0
			for _, x := range vals {
				v += (x - s/float64(len(vals))) * (x - s/float64(len(vals)))
			}
			if math.Abs(sum[p]-s) > 1e-12*(1+math.Abs(s)) || math.Abs(varsum[p]-v) > 1e-12*(1+v) {
				t.Errorf("%s pixel %d: sum %v varsum %v, want %v %v", c.name, p, sum[p], varsum[p], s, v)
			}
		}
	}
}

// TestStdLengthPanics: mismatched lengths are programming errors.
func TestStdLengthPanics(t *testing.T) {
	z := func(n int) []float64 { return make([]float64, n) }
	cases := []struct {
		name string
		f    func()
	}{
		{"shift short s", func() { StdShiftF32(z(4), z(3), z(4), make([]float32, 8), 4, 2, true) }},
		{"shift short x", func() { StdShiftF32(z(4), z(4), z(4), make([]float32, 7), 4, 2, true) }},
		{"shift narrow stride", func() { StdShiftF32(z(4), z(4), z(4), make([]float32, 16), 3, 2, true) }},
		{"shift no rows", func() { StdShiftF32(z(4), z(4), z(4), make([]float32, 16), 4, 0, true) }},
		{"fold short q", func() { StdFold(z(2), z(2), 0, z(2), z(2), z(1), 1) }},
		{"fold no frames", func() { StdFold(z(2), z(2), 0, z(2), z(2), z(2), 0) }},
		{"merge short", func() { StdMerge(1, z(2), z(2), 1, z(2), z(1)) }},
	}
	for _, c := range cases {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", c.name)
				}
			}()
			c.f()
		}()
	}
}

// TestStdFoldPaths compares both paths of StdFold with the formula written out
// per pixel, bit for bit (the same IEEE operations, none fused), on odd lengths,
// empty and non-empty accumulators, a q rounded below s²/n1 (clamped to 0) and NaN.
func TestStdFoldPaths(t *testing.T) {
	paths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(35, 36))
		for _, n := range testLens() {
			for _, n0 := range []int64{0, 1, 64, 1000} {
				n1 := int64(1 + rng.IntN(64))
				k, s, q := make([]float64, n), make([]float64, n), make([]float64, n)
				sum, vs := make([]float64, n), make([]float64, n)
				for j := range k {
					k[j] = rng.NormFloat64() * 1e3
					s[j] = rng.NormFloat64() * 10
					q[j] = s[j]*s[j]/float64(n1) + rng.Float64()*50
					sum[j] = rng.NormFloat64() * 1e5
					vs[j] = rng.Float64() * 1e4
				}
				if n > 2 {
					q[1] = math.Nextafter(s[1]*(s[1]/float64(n1)), 0) // rounds below: clamped
					s[2] = math.NaN()
				}
				wantS, wantV := append([]float64(nil), sum...), append([]float64(nil), vs...)
				f1 := float64(n1)
				inv1 := 1 / f1
				for j := range k {
					dev := q[j] - float64(s[j]*float64(s[j]*inv1))
					if dev < 0 {
						dev = 0
					}
					bsum := float64(f1*k[j]) + s[j]
					if n0 == 0 {
						wantS[j], wantV[j] = bsum, dev
						continue
					}
					w := float64(n0) * f1 / float64(n0+n1)
					delta := k[j] + float64(s[j]*inv1) - float64(wantS[j]*(1/float64(n0)))
					wantV[j] += dev + float64(float64(delta*delta)*w)
					wantS[j] += bsum
				}
				StdFold(sum, vs, n0, k, s, q, n1)
				for j := range k {
					if !sameBits(sum[j], wantS[j]) || !sameBits(vs[j], wantV[j]) {
						t.Fatalf("n=%d n0=%d n1=%d pixel %d: %v %v, want %v %v", n, n0, n1, j, sum[j], vs[j], wantS[j], wantV[j])
					}
				}
				if n > 2 && (vs[1] < 0 || !math.IsNaN(vs[2])) {
					t.Fatalf("n=%d: clamp %v, NaN %v", n, vs[1], vs[2])
				}
			}
		}
	})
}
