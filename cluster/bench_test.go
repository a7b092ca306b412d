package cluster

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/udf"
)

// empty is a UDF that does nothing: its runs measure per-task overhead.
type empty struct{}

func (empty) ResultBuffers(*udf.Meta) []udf.BufferSpec {
	return []udf.BufferSpec{udf.SingleBuffer("n", array.Float32)}
}
func (empty) ProcessPartition(*udf.Env, array.Array) error  { return nil }
func (empty) Merge(dest, src *udf.Views, m *udf.Meta) error { return nil }

// BenchmarkTaskOverhead runs an empty UDF over 1,000 one-frame partitions on two
// worker processes (loopback): ns/op divided by 1,000 is the per-task overhead.
func BenchmarkTaskOverhead(b *testing.B) {
	f := newFixture(b, []int{1000}, []int{4, 4})
	for _, n := range []string{"b1", "b2"} {
		startWorker(b, f.srv.URL(), n, f.dir, 2)
	}
	reg := testRegistry("1")
	spec := f.spec([]UDFSpec{{Name: "empty"}}, udf.Options{NumPartitions: 1000})
	// warm up: workers connected and job caches built
	if _, err := Run(context.Background(), f.c, reg, spec); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Run(context.Background(), f.c, reg, spec); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "µs/task")
}

// BenchmarkThroughput runs StdDev and 16 masks over a float32 file of
// STEMFLOW_BENCH_MIB MiB (default 64) with 1 and 2 worker processes of one slot.
func BenchmarkThroughput(b *testing.B) {
	mib := 64
	if v, err := strconv.Atoi(os.Getenv("STEMFLOW_BENCH_MIB")); err == nil && v > 0 {
		mib = v
	}
	frames := mib << 20 / (128 * 128 * 4)
	f := newFixture(b, []int{1, 1}, []int{1, 1})
	path := filepath.Join(f.dir, "big.npy")
	data := array.Zeros[float32](frames, 128, 128)
	for i := range data.Data() {
		data.Data()[i] = float32(i % 251)
	}
	if err := array.WriteNPYFile(path, data); err != nil {
		b.Fatal(err)
	}
	data = nil
	masks := array.Zeros[float32](16, 128, 128)
	for i := range masks.Data() {
		masks.Data()[i] = float32((i / 7) % 3)
	}
	reg := testRegistry("1")
	for _, tc := range []struct {
		name string
		u    UDFSpec
	}{
		{"stddev", UDFSpec{Name: "stddev"}},
		{"masks16", UDFSpec{Name: "masks", Arrays: map[string]array.Array{"masks": masks}}},
	} {
		for procs := 1; procs <= 2; procs++ {
			b.Run(tc.name+"/procs="+strconv.Itoa(procs), func(b *testing.B) {
				ws := make([]func(), 0, procs)
				for p := range procs {
					cmd := startWorker(b, f.srv.URL(), tc.name+strconv.Itoa(p), f.dir, 1)
					ws = append(ws, func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
				}
				defer func() {
					for _, w := range ws {
						w()
					}
				}()
				spec := RunSpec{Dataset: DatasetSpec{Format: "npy", Path: path}, UDFs: []UDFSpec{tc.u}, Options: udf.Options{NumPartitions: 32}}
				if _, err := Run(context.Background(), f.c, reg, spec); err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(mib) << 20)
				b.ResetTimer()
				for b.Loop() {
					if _, err := Run(context.Background(), f.c, reg, spec); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
