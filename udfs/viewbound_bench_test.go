package udfs

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// wholePartitionTiles is a dataset whose veto restores the reference's zero-copy
// tiles, one per partition of pn frames, in place of the negotiated bound
// (dataset.ViewMaxBytes).
type wholePartitionTiles struct {
	dataset.Dataset
	pn int
}

func (w wholePartitionTiles) AdjustTileShape([]int, []bool) []int {
	return append([]int{w.pn}, w.Shape().Sig()...)
}

// BenchmarkViewBound runs Sum, StdDev and both together over the float32 benchmark
// file, mapped (zero-copy tiles), with 2 workers, alternating in every iteration the
// negotiated bounded tiles and whole-partition tiles, and reports both throughputs and
// the median per-iteration ratio bounded / partition (1 = the bound costs nothing; the
// results are compared bit for bit).
func BenchmarkViewBound(b *testing.B) {
	path, _ := ensureBenchFiles(b)
	ds, err := dataset.OpenRaw(path, dataset.RawOptions{NavShape: []int{bnY, bnX}, SigShape: []int{bsY, bsX}, DType: "<f4", IO: dataset.IOMmap})
	if err != nil {
		b.Fatal(err)
	}
	defer ds.Close()
	const workers = 2
	whole := wholePartitionTiles{ds, bFrames / workers}
	opts := udf.Options{Workers: workers, NumPartitions: workers}
	for _, c := range []struct {
		name string
		mk   func() []udf.UDF
	}{
		{"Sum", func() []udf.UDF { return []udf.UDF{Sum{}} }},
		{"StdDev", func() []udf.UDF { return []udf.UDF{StdDev{}} }},
		{"Sum+StdDev", func() []udf.UDF { return []udf.UDF{Sum{}, StdDev{}} }},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			timed := func(d dataset.Dataset) (time.Duration, [][]uint64) {
				t0 := time.Now()
				res, err := udf.Run(ctx, d, c.mk(), opts)
				took := time.Since(t0)
				if err != nil {
					b.Fatal(err)
				}
				var bits [][]uint64
				for _, r := range res {
					for _, name := range r.Names() {
						bits = append(bits, bitsOf(b, r.Get(name).RawData()))
					}
				}
				return took, bits
			}
			_, want := timed(ds)
			if _, got := timed(whole); !slices.EqualFunc(got, want, slices.Equal) {
				b.Fatal("whole-partition tiles give other results than bounded tiles")
			}
			var tb, tw time.Duration
			var ratios []float64
			odd := false
			for b.Loop() {
				var x, y time.Duration
				if odd { // alternate the order so neither always runs first
					y, _ = timed(whole)
					x, _ = timed(ds)
				} else {
					x, _ = timed(ds)
					y, _ = timed(whole)
				}
				odd = !odd
				tb += x
				tw += y
				ratios = append(ratios, y.Seconds()/x.Seconds())
			}
			gb := float64(bFrames*bPx*4) * float64(b.N) / 1e9
			b.ReportMetric(gb/tb.Seconds(), "bounded-GB/s")
			b.ReportMetric(gb/tw.Seconds(), "partition-GB/s")
			slices.Sort(ratios)
			b.ReportMetric(ratios[len(ratios)/2], "median-speed-ratio")
		})
	}
}
