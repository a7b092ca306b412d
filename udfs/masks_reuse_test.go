package udfs

import (
	"context"
	"runtime"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// bytesPerRun returns the bytes allocated by one run of u over ds, the median of 5
// repeated runs after a warm-up run.
func bytesPerRun(t *testing.T, ds dataset.Dataset, u udf.UDF) uint64 {
	t.Helper()
	run := func() {
		if _, err := udf.RunOne(context.Background(), ds, u, udf.Options{Workers: 2}); err != nil {
			t.Fatal(err)
		}
	}
	run()
	var got []uint64
	for range 5 {
		var a, b runtime.MemStats
		runtime.ReadMemStats(&a)
		run()
		runtime.ReadMemStats(&b)
		got = append(got, b.TotalAlloc-a.TotalAlloc)
	}
	for i := range got { // median
		for j := i + 1; j < len(got); j++ {
			if got[j] < got[i] {
				got[i], got[j] = got[j], got[i]
			}
		}
	}
	return got[2]
}

// TestApplyMasksReusesMasks: repeated in-process runs of ApplyMasks with 16 masks do
// not recompute (and reallocate) the masks, their float copies and their transposed
// cuts: the bytes one run allocates stay below Sum's on the same
// dataset (the 16 masks alone are 16 × 128 × 128 × (4 + 8 + 4 + 4) bytes ≈ 5 MiB per
// evaluation, and they used to be evaluated once on the main node and once per task).
func TestApplyMasksReusesMasks(t *testing.T) {
	a := array.Zeros[float32](8, 8, 128, 128)
	ds := memDS(t, a, dataset.MemoryOptions{NumPartitions: 4})
	var fs []MaskFactory
	for i := range 16 {
		fs = append(fs, DiskMask(float64(32+4*i), 64, 20))
	}
	masks := &ApplyMasks{Factories: fs}
	sum := bytesPerRun(t, ds, Sum{})
	am := bytesPerRun(t, ds, masks)
	t.Logf("bytes per run: Sum %d, ApplyMasks(16) %d", sum, am)
	if am > sum+256<<10 {
		t.Errorf("ApplyMasks allocates %d bytes per repeated run, Sum %d: the masks are rebuilt", am, sum)
	}
}
