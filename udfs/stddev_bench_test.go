package udfs

import (
	"context"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// BenchmarkStdDevPass is StdDev's pass next to Sum's over the same in-memory frames
// (1024 frames of 128×128 float32, 64 MiB, the one-shot CLI's 16-frame tiles, two
// partitions, two workers): the compute of the pass without the reads. Run with
// -benchmem; allocations per run do not grow with the frames (TestNoAllocsPerFrame).
func BenchmarkStdDevPass(b *testing.B) {
	const frames = 1024
	f32, _ := benchArrays()
	arr := array.Wrap(f32[:frames*bPx], frames, bsY, bsX)
	ds, err := dataset.NewMemory(arr, dataset.MemoryOptions{NumPartitions: 2, TileShape: []int{16, bsY, bsX}})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		u    udf.UDF
	}{{"Sum", Sum{}}, {"StdDev", StdDev{}}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := udf.RunOne(context.Background(), ds, c.u, udf.Options{Workers: 2}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/frames, "us/frame")
			b.ReportMetric(float64(4*frames*bPx)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}
