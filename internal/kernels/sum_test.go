package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// testLens are the lengths every kernel is checked on: all of 0..67 (every
// remainder of the 8- and 32/64-element blocks) and a few large ones.
func testLens() []int {
	var ns []int
	for n := 0; n <= 67; n++ {
		ns = append(ns, n)
	}
	return append(ns, 127, 128, 129, 1000, 4099, 65536+13)
}

// offsets are the unaligned starts every kernel is checked on.
var offsets = []int{0, 1, 2, 3, 4, 5, 6, 7}

// intF32 returns n float32 holding small integers (so every summation order
// is exact) starting at element off of a larger backing array.
func intF32(rng *rand.Rand, n, off int) []float32 {
	b := make([]float32, n+off+8)
	for i := range b {
		b[i] = float32(rng.IntN(33) - 16)
	}
	return b[off : off+n]
}

func TestSumF32Exact(t *testing.T) {
	paths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for _, n := range testLens() {
			for _, off := range offsets {
				x := intF32(rng, n, off)
				var want int64
				for _, v := range x {
					want += int64(v)
				}
				if got := SumF32(x); got != float32(want) {
					t.Fatalf("n=%d off=%d: SumF32 = %v, want %d", n, off, got, want)
				}
				if got := SumF32To64(x); got != float64(want) {
					t.Fatalf("n=%d off=%d: SumF32To64 = %v, want %d", n, off, got, want)
				}
				x64 := make([]float64, n+off)[off:]
				for i, v := range x {
					x64[i] = float64(v)
				}
				if got := SumF64(x64); got != float64(want) {
					t.Fatalf("n=%d off=%d: SumF64 = %v, want %d", n, off, got, want)
				}
			}
		}
	})
}

func TestSumU16AsF32Exact(t *testing.T) {
	paths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, n := range testLens() {
			for _, off := range offsets {
				x := make([]uint16, n+off)[off:]
				var want int64
				for i := range x {
					x[i] = uint16(rng.IntN(200))
					want += int64(x[i])
				}
				if got := SumU16AsF32(x); got != float32(want) {
					t.Fatalf("n=%d off=%d: got %v, want %d", n, off, got, want)
				}
			}
		}
	})
}

// TestSumF32Twins compares the assembly and Go sums on random real data,
// where rounding differs by order: both must be within a tight bound of the
// float64 sum.
func TestSumF32Twins(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{7, 8, 63, 64, 65, 1001, 1 << 16, 1<<20 + 3} {
		x := make([]float32, n)
		var ref, abs float64
		for i := range x {
			x[i] = float32(rng.NormFloat64()) + 0.5
			ref += float64(x[i])
			abs += math.Abs(float64(x[i]))
		}
		tol := 1e-6*abs + 1e-6
		restore := setSIMD(true)
		simd := SumF32(x)
		restore()
		goSum := sumF32Go(x)
		for name, got := range map[string]float32{"simd": simd, "go": goSum} {
			if d := math.Abs(float64(got) - ref); d > tol {
				t.Errorf("n=%d %s: sum %v, float64 sum %v, |diff| %g > %g", n, name, got, ref, d, tol)
			}
		}
	}
}

func TestAdd(t *testing.T) {
	paths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 8))
		for _, n := range testLens() {
			for _, off := range offsets {
				src := intF32(rng, n, off)
				dstBack := make([]float32, n+off+4)
				dst := dstBack[off : off+n]
				d64Back := make([]float64, n+off+4)
				d64 := d64Back[off : off+n]
				s64 := make([]float64, n+off)[off:]
				want := make([]float64, n)
				for i := range dst {
					dst[i] = float32(i%7) - 3
					d64[i] = float64(dst[i])
					s64[i] = float64(src[i])
					want[i] = float64(dst[i]) + float64(src[i])
				}
				for i := off + n; i < len(dstBack); i++ {
					dstBack[i], d64Back[i] = 99, 99
				}
				d2 := append([]float64(nil), d64...)
				AddF32(dst, src)
				AddF64(d64, s64)
				AddF32ToF64(d2, src)
				for i := range want {
					if float64(dst[i]) != want[i] || d64[i] != want[i] || d2[i] != want[i] {
						t.Fatalf("n=%d off=%d i=%d: AddF32 %v AddF64 %v AddF32ToF64 %v, want %v", n, off, i, dst[i], d64[i], d2[i], want[i])
					}
				}
				for i := off + n; i < len(dstBack); i++ {
					if dstBack[i] != 99 || d64Back[i] != 99 {
						t.Fatalf("n=%d off=%d: wrote past the end at %d", n, off, i)
					}
				}
			}
		}
	})
}

func TestSumRowsCols(t *testing.T) {
	paths(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(9, 10))
		for _, rows := range []int{0, 1, 3, 4, 5, 8, 9} {
			for _, n := range []int{1, 7, 8, 9, 31, 33, 67, 256} {
				off := rng.IntN(8)
				src := intF32(rng, rows*n, off)
				cols := make([]float32, n)
				sums := make([]float32, rows)
				wantCols := make([]float32, n)
				wantRows := make([]float32, rows)
				for j := range cols {
					cols[j] = float32(j)
					wantCols[j] = float32(j)
				}
				for i := range sums {
					sums[i] = 1
					wantRows[i] = 1
				}
				for i := 0; i < rows; i++ {
					for j := 0; j < n; j++ {
						wantCols[j] += src[i*n+j]
						wantRows[i] += src[i*n+j]
					}
				}
				SumColsF32(cols, src)
				cols64 := make([]float64, n)
				for j := range cols64 {
					cols64[j] = float64(j)
				}
				SumColsF32ToF64(cols64, src)
				for j := range cols64 {
					if cols64[j] != float64(wantCols[j]) {
						t.Fatalf("rows=%d n=%d: SumColsF32ToF64[%d] = %v, want %v", rows, n, j, cols64[j], wantCols[j])
					}
				}
				SumRowsF32(sums, src, n)
				name := fmt.Sprintf("rows=%d n=%d", rows, n)
				for j := range cols {
					if cols[j] != wantCols[j] {
						t.Fatalf("%s: SumColsF32[%d] = %v, want %v", name, j, cols[j], wantCols[j])
					}
				}
				for i := range sums {
					if sums[i] != wantRows[i] {
						t.Fatalf("%s: SumRowsF32[%d] = %v, want %v", name, i, sums[i], wantRows[i])
					}
				}
			}
		}
	})
}

func TestLengthPanics(t *testing.T) {
	cases := []struct {
		name string
		f    func()
	}{
		{"AddF32", func() { AddF32(make([]float32, 3), make([]float32, 4)) }},
		{"AddF64", func() { AddF64(make([]float64, 3), make([]float64, 2)) }},
		{"AddF32ToF64", func() { AddF32ToF64(make([]float64, 3), make([]float32, 2)) }},
		{"SumRowsF32", func() { SumRowsF32(make([]float32, 3), make([]float32, 10), 3) }},
		{"SumColsF32", func() { SumColsF32(make([]float32, 3), make([]float32, 10)) }},
		{"SumColsF32 empty dst", func() { SumColsF32(nil, make([]float32, 1)) }},
		{"SumColsF32ToF64", func() { SumColsF32ToF64(make([]float64, 3), make([]float32, 10)) }},
		{"SumColsF32ToF64 empty dst", func() { SumColsF32ToF64(nil, make([]float32, 1)) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic on mismatched lengths", c.name)
				}
			}()
			c.f()
		})
	}
}
