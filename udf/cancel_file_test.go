package udf_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
	"github.com/stemflow/stemflow/udfs"
)

// gibFile creates a 1 GiB float32 raw file, (128, 128, 128, 128), in a test
// directory. It is sparse (made by truncation): reading it costs what reading a
// cached file costs (pread copies, a mapping faults pages in) without writing 1 GiB
// to the disk.
func gibFile(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "gib.raw")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil {
		f.Close()
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// cancelFileToReturn runs Sum and StdDev over the 1 GiB file with the given I/O
// method, cancels after 30 ms and returns the time from the cancel to Run's return.
func cancelFileToReturn(tb testing.TB, path, io string) time.Duration {
	tb.Helper()
	ds, err := dataset.OpenRaw(path, dataset.RawOptions{NavShape: []int{128, 128}, SigShape: []int{128, 128}, DType: "float32", IO: io})
	if err != nil {
		tb.Fatal(err)
	}
	defer ds.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var at time.Time
	timer := time.AfterFunc(30*time.Millisecond, func() { at = time.Now(); cancel() })
	defer timer.Stop()
	_, err = udf.Run(ctx, ds, []udf.UDF{udfs.Sum{}, udfs.StdDev{}}, udf.Options{Workers: 2})
	took := time.Since(at)
	if !errors.Is(err, context.Canceled) {
		tb.Fatalf("%s: got %v, want context.Canceled (the pass over 1 GiB ended before the cancel?)", io, err)
	}
	return took
}

// TestCancelGiBFile: cancelling a pass over a 1 GiB raw file returns within a few
// tiles with context.Canceled and leaves no goroutine behind, read with pread (the
// one-shot CLI's I/O below 8 CPUs) and with a mapping (the Go API's default, whose
// zero-copy tiles negotiation bounds to dataset.ViewMaxBytes; as whole 512 MiB
// partitions they took seconds to cancel under load). The bound is generous for a
// loaded machine; the whole pass takes seconds. Skipped with -short.
func TestCancelGiBFile(t *testing.T) {
	if testing.Short() {
		t.Skip("creates a 1 GiB (sparse) file")
	}
	defer goleak.VerifyNone(t)
	path := gibFile(t)
	for _, io := range []string{dataset.IORead, dataset.IOMmap} {
		t.Run(io, func(t *testing.T) {
			if took := cancelFileToReturn(t, path, io); took > time.Duration(cancelBound) {
				t.Errorf("Run returned %v after the cancel, want ≤ %v", took, time.Duration(cancelBound))
			} else {
				t.Logf("cancel → return %v", took)
			}
		})
	}
}

// BenchmarkCancelGiBFile reports the time from cancel to return of a pass over a
// 1 GiB raw file (cancel-ms), per I/O method.
func BenchmarkCancelGiBFile(b *testing.B) {
	path := gibFile(b)
	for _, io := range []string{dataset.IORead, dataset.IOMmap} {
		b.Run(io, func(b *testing.B) {
			var sum time.Duration
			n := 0
			for b.Loop() {
				sum += cancelFileToReturn(b, path, io)
				n++
			}
			b.ReportMetric(float64(sum.Microseconds())/1000/float64(n), "cancel-ms")
		})
	}
}
