package udf

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
)

// testData returns a float32 array of the given shape with data[i] = (i*7) % 13 (+ a
// small fraction so that sums depend on the order of additions).
func testData(shape ...int) *array.Dense[float32] {
	d := array.Zeros[float32](shape...)
	for i := range d.Data() {
		d.Data()[i] = float32((i*7)%13) + float32(i%5)*0.125
	}
	return d
}

func memDS(t testing.TB, data array.Array, opts dataset.MemoryOptions) *dataset.Memory {
	t.Helper()
	ds, err := dataset.NewMemory(data, opts)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// randomROI returns a random bool nav mask with a fixed seed.
func randomROI(seed uint64, nav ...int) *array.Dense[bool] {
	r := rand.New(rand.NewPCG(seed, 1))
	m := array.Zeros[bool](nav...)
	for i := range m.Data() {
		m.Data()[i] = r.IntN(2) == 0
	}
	return m
}

// frameSums returns Σ over each frame (float64) of a (frames, sigSize) view of data.
func frameSums(data []float32, sigSize int) []float64 {
	n := len(data) / sigSize
	out := make([]float64, n)
	for f := 0; f < n; f++ {
		var s float64
		for _, v := range data[f*sigSize : (f+1)*sigSize] {
			s += float64(v)
		}
		out[f] = s
	}
	return out
}

// navSums returns Σ over selected frames per sig pixel (float64).
func navSums(data []float32, sigSize int, roi []bool) []float64 {
	out := make([]float64, sigSize)
	for f := 0; f < len(data)/sigSize; f++ {
		if roi != nil && !roi[f] {
			continue
		}
		for p := 0; p < sigSize; p++ {
			out[p] += float64(data[f*sigSize+p])
		}
	}
	return out
}

func close32(a float32, b float64) bool {
	return math.Abs(float64(a)-b) <= 1e-5*math.Max(1, math.Abs(b))
}

func runOne(t testing.TB, ds dataset.Dataset, u UDF, opts Options) *Result {
	t.Helper()
	res, err := RunOne(context.Background(), ds, u, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// runBoth runs u eagerly and lazily ([D] scenarios) and returns both results.
func runBoth(t *testing.T, ds dataset.Dataset, u UDF, opts Options) []*Result {
	t.Helper()
	a := runOne(t, ds, u, opts)
	l, err := RunLazy(ds, []UDF{u}, opts)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := l.Results[0].Compute(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return []*Result{a, rs}
}

func f32data(t testing.TB, a array.Array) []float32 {
	t.Helper()
	d, ok := a.(*array.Dense[float32])
	if !ok {
		t.Fatalf("want float32 dense, got %T", a)
	}
	return d.Copy().Data()
}

func roiFlat(m *array.Dense[bool]) []bool {
	if m == nil {
		return nil
	}
	return m.Copy().Data()
}

func count(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}
