package udfs

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// randF32 returns n float32 values in [0, 1) with a few large outliers (like the
// reference's _mk_random), deterministic for a seed.
func randF32(n int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 99))
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.Float64())
		if r.IntN(1000) == 0 {
			v[i] = 1000 + float32(r.IntN(100))
		}
	}
	return v
}

// randU16 returns n uint16 values in 0..1023.
func randU16(n int, seed uint64) []uint16 {
	r := rand.New(rand.NewPCG(seed, 7))
	v := make([]uint16, n)
	for i := range v {
		v[i] = uint16(r.IntN(1024))
	}
	return v
}

// randROI returns a random nav mask with about half the positions selected.
func randROI(n int, seed uint64) []bool {
	r := rand.New(rand.NewPCG(seed, 5))
	m := make([]bool, n)
	for i := range m {
		m[i] = r.IntN(2) == 0
	}
	return m
}

// runCase names one engine configuration.
type runCase struct {
	name string
	opts udf.Options
}

// engines are the configurations every scenario runs under: inline and 2 workers.
var engines = []runCase{
	{"inline", udf.Options{Inline: true}},
	{"workers2", udf.Options{Workers: 2}},
}

func memDS(t testing.TB, arr array.Array, opts dataset.MemoryOptions) *dataset.Memory {
	t.Helper()
	ds, err := dataset.NewMemory(arr, opts)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func runOne(t testing.TB, ds dataset.Dataset, u udf.UDF, opts udf.Options, roi []bool) *udf.Result {
	t.Helper()
	if roi != nil {
		opts.ROI = array.Wrap(append([]bool(nil), roi...), len(roi))
	}
	res, err := udf.RunOne(context.Background(), ds, u, opts)
	if err != nil {
		t.Fatalf("run %T: %v", u, err)
	}
	return res
}

// f64 returns the buffer's array as float64 values with its shape.
func f64(t testing.TB, a array.Array) ([]float64, []int) {
	t.Helper()
	v, err := toF64(a)
	if err != nil {
		t.Fatal(err)
	}
	return v, a.Shape()
}

// closeTo checks got against want element-wise: |got−want| ≤ atol + rtol·|want|; NaN
// must match NaN.
func closeTo(t testing.TB, what string, got, want []float64, rtol, atol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if math.IsNaN(w) {
			if !math.IsNaN(g) {
				t.Fatalf("%s[%d] = %v, want NaN", what, i, g)
			}
			continue
		}
		if !(math.Abs(g-w) <= atol+rtol*math.Abs(w)) {
			t.Fatalf("%s[%d] = %v, want %v (diff %g)", what, i, g, w, g-w)
		}
	}
}

func shapeIs(t testing.TB, what string, got []int, want ...int) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s shape %v, want %v", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s shape %v, want %v", what, got, want)
		}
	}
}

// selected returns the flat frame indices selected by roi (all when nil).
func selected(n int, roi []bool) []int {
	var idx []int
	for i := 0; i < n; i++ {
		if roi == nil || roi[i] {
			idx = append(idx, i)
		}
	}
	return idx
}

// directSum returns Σ over the selected frames, per pixel, in float64.
func directSum[T realNumber](data []T, frames, px int, roi []bool) []float64 {
	out := make([]float64, px)
	for _, f := range selected(frames, roi) {
		for p := 0; p < px; p++ {
			out[p] += float64(data[f*px+p])
		}
	}
	return out
}

// directSumSig returns per-frame sums of the selected frames in float64.
func directSumSig[T realNumber](data []T, frames, px int, roi []bool) []float64 {
	var out []float64
	for _, f := range selected(frames, roi) {
		var s float64
		for p := 0; p < px; p++ {
			s += float64(data[f*px+p])
		}
		out = append(out, s)
	}
	return out
}

// f32tol is a relative tolerance that a float64-accumulated, once-rounded float32
// result meets (a few ulp) and a float32 running sum over thousands of frames does not.
const f32tol = 4e-7

// checkLazy runs u again through udf.RunLazy (the delayed executor's equivalent) and
// checks that every result buffer equals the eager run's bit for bit (NaN matches NaN).
func checkLazy(t testing.TB, ds dataset.Dataset, u udf.UDF, opts udf.Options, roi []bool, eager *udf.Result) {
	t.Helper()
	if roi != nil {
		opts.ROI = array.Wrap(append([]bool(nil), roi...), len(roi))
	}
	lr, err := udf.RunLazy(ds, []udf.UDF{u}, opts)
	if err != nil {
		t.Fatalf("RunLazy: %v", err)
	}
	rs, err := lr.Compute(context.Background())
	if err != nil {
		t.Fatalf("lazy compute: %v", err)
	}
	lazy := rs[0]
	if len(lazy.Buffers) != len(eager.Buffers) {
		t.Fatalf("lazy results %v, eager %v", lazy.Names(), eager.Names())
	}
	for _, b := range eager.Buffers {
		lb := lazy.Get(b.Name())
		if lb == nil {
			t.Fatalf("lazy run lacks %q", b.Name())
		}
		if b.DType() != lb.DType() {
			t.Fatalf("%s: lazy dtype %v, eager %v", b.Name(), lb.DType(), b.DType())
		}
		shapeIs(t, b.Name()+" lazy", lb.Data().Shape(), b.Data().Shape()...)
		if b.DType().Kind() == array.KindComplex {
			e, _ := toC128(b.RawData())
			l, _ := toC128(lb.RawData())
			for i := range e {
				if e[i] != l[i] {
					t.Fatalf("%s[%d]: lazy %v, eager %v", b.Name(), i, l[i], e[i])
				}
			}
			continue
		}
		e, _ := f64(t, b.RawData())
		l, _ := f64(t, lb.RawData())
		for i := range e {
			if e[i] != l[i] && !(math.IsNaN(e[i]) && math.IsNaN(l[i])) {
				t.Fatalf("%s[%d]: lazy %v, eager %v", b.Name(), i, l[i], e[i])
			}
		}
	}
}
