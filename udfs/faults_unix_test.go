//go:build unix

package udfs

import (
	"context"
	"runtime"
	"syscall"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// minorFaults returns the process's minor page faults so far.
func minorFaults(tb testing.TB) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return int64(ru.Minflt)
}

// BenchmarkRepeatedRunFaults runs a UDF again and again on one in-memory dataset
// ((32,32,128,128) float32, 2 workers), as the Go API and the web view do, and
// reports the minor page faults per run (minflt/run): memory the run takes fresh from
// the operating system instead of reusing. The first run (masks, pools, heap growth)
// is left out.
func BenchmarkRepeatedRunFaults(b *testing.B) {
	const ny, nx = 32, 32
	data := randF32(ny*nx*bPx, 5)
	ds, err := dataset.NewMemory(array.Wrap(data, ny, nx, bsY, bsX), dataset.MemoryOptions{NumPartitions: 2})
	if err != nil {
		b.Fatal(err)
	}
	_, masks16 := randMasks(16, bPx, 77)
	cases := []struct {
		name string
		u    udf.UDF
	}{
		{"Sum", Sum{}},
		{"ApplyMasks1", &ApplyMasks{Factories: []MaskFactory{DiskMask(64, 64, 40)}}},
		{"ApplyMasks16", &ApplyMasks{Factories: masks16}},
	}
	ctx := context.Background()
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			opts := udf.Options{Workers: 2}
			if _, err := udf.RunOne(ctx, ds, c.u, opts); err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			f0 := minorFaults(b)
			n := 0
			for b.Loop() {
				if _, err := udf.RunOne(ctx, ds, c.u, opts); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(minorFaults(b)-f0)/float64(n), "minflt/run")
		})
	}
}
