package kernels

import (
	"math"
	"testing"
)

// TestStdCombine feeds blocks, given as hand-computed means and squared
// deviations, into empty and non-empty accumulators and compares with the
// statistics of all frames computed directly.
func TestStdCombine(t *testing.T) {
	// two pixels; frames of each block listed per pixel
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
			n1 := int64(len(blk[0]))
			mean, dev := make([]float64, 2), make([]float64, 2)
			for p, vals := range blk {
				for _, x := range vals {
					mean[p] += x / float64(n1)
				}
				for _, x := range vals {
					dev[p] += (x - mean[p]) * (x - mean[p])
				}
				all[p] = append(all[p], vals...)
			}
			StdCombine(sum, varsum, n0, mean, dev, n1)
			n0 += n1
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
	defer func() {
		if recover() == nil {
			t.Error("StdCombine with a short mean did not panic")
		}
	}()
	StdCombine(make([]float64, 2), make([]float64, 2), 0, make([]float64, 1), make([]float64, 2), 1)
}
