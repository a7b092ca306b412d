package udfs

import (
	"context"
	"math"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// TestRunIterSumFillsIn checks that iterating a Sum run shows the partitions merged so
// far (Sum has both Merge and MergeAll; iterated runs use its Merge chain), and that
// the last snapshot equals the whole sum. Expectations are direct loops.
func TestRunIterSumFillsIn(t *testing.T) {
	const nav, sy, sx, parts = 16, 4, 5, 4
	data := make([]float32, nav*sy*sx)
	for i := range data {
		data[i] = float32((i*7)%13) + 0.5
	}
	ds, err := dataset.NewMemory(array.Wrap(data, nav, sy, sx), dataset.MemoryOptions{NumPartitions: parts, SigDims: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, inline := range []bool{true, false} {
		n := 0
		for snap, err := range udf.RunIter(context.Background(), ds, []udf.UDF{Sum{}}, udf.Options{Inline: inline, Workers: 2}) {
			if err != nil {
				t.Fatal(err)
			}
			res, err := snap.Results()
			if err != nil {
				t.Fatal(err)
			}
			got := res[0].Get("intensity").Data().(*array.Dense[float32]).Contiguous().Data()
			damage := snap.Damage()
			want := make([]float64, sy*sx)
			for f := 0; f < nav; f++ {
				if !damage[f] {
					continue
				}
				for p := range want {
					want[p] += float64(data[f*sy*sx+p])
				}
			}
			for p := range want {
				if float64(got[p]) != float64(float32(want[p])) {
					t.Fatalf("inline=%v snapshot %d pixel %d: got %v, want %v", inline, n, p, got[p], want[p])
				}
			}
			n++
		}
		if n != parts {
			t.Fatalf("inline=%v: %d snapshots, want %d", inline, n, parts)
		}
	}
}

// TestCoMRunIterBitIdentical: the last snapshot of an iterated whole-frame CoM run
// (the unweighted bounding-box kernels) has the same bits as Run's results, for
// float32 and uint16 input.
func TestCoMRunIterBitIdentical(t *testing.T) {
	const ny, nx, sy, sx = 4, 6, 16, 24
	f32 := randF32(ny*nx*sy*sx, 70)
	u16 := randU16(ny*nx*sy*sx, 71)
	for _, arr := range []array.Array{array.Wrap(f32, ny, nx, sy, sx), array.Wrap(u16, ny, nx, sy, sx)} {
		ds, err := dataset.NewMemory(arr, dataset.MemoryOptions{NumPartitions: 3})
		if err != nil {
			t.Fatal(err)
		}
		com, err := NewCoM()
		if err != nil {
			t.Fatal(err)
		}
		opts := udf.Options{Workers: 2}
		rs, err := udf.Run(context.Background(), ds, []udf.UDF{com}, opts)
		if err != nil {
			t.Fatal(err)
		}
		var last []*udf.Result
		for snap, err := range udf.RunIter(context.Background(), ds, []udf.UDF{com}, opts) {
			if err != nil {
				t.Fatal(err)
			}
			if last, err = snap.Results(); err != nil {
				t.Fatal(err)
			}
		}
		for _, name := range []string{"raw_com", "field", "divergence", "curl"} {
			a, _ := f64(t, rs[0].Get(name).RawData())
			b, _ := f64(t, last[0].Get(name).RawData())
			for i := range a {
				if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
					t.Fatalf("%v %s[%d]: Run %v, RunIter %v", arr.DType(), name, i, a[i], b[i])
				}
			}
		}
	}
}
