package udfs

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends/blas"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/internal/kernels"
	"github.com/stemflow/stemflow/udf"
)

// The built-in benchmark harness (make bench → bench/run.sh): every built-in on a
// (64,64,128,128) dataset, float32 and the same values as uint16, as an in-memory
// dataset and from a raw file in the page cache, inline and with 2 workers, next to
// the plain-loop limit (the same summation kernel over the same bytes, 2 goroutines)
// measured in the same run. Metrics: GB/s of stored input and µs per frame.

var benchData = flag.String("benchdata", "", "directory for the benchmark raw files (default: <module>/bench/data)")

const (
	bnY, bnX, bsY, bsX = 64, 64, 128, 128
	bFrames            = bnY * bnX
	bPx                = bsY * bsX
)

var (
	benchOnce sync.Once
	benchF32  []float32
	benchU16  []uint16
)

// benchArrays returns the benchmark values: integers 0..1023 (so the uint16 file holds
// exactly the same values) plus a fraction in the float32 version.
func benchArrays() ([]float32, []uint16) {
	benchOnce.Do(func() {
		benchU16 = randU16(bFrames*bPx, 2026)
		benchF32 = make([]float32, len(benchU16))
		for i, v := range benchU16 {
			benchF32[i] = float32(v)
		}
	})
	return benchF32, benchU16
}

func benchDir(tb testing.TB) string {
	if *benchData != "" {
		return *benchData
	}
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	return filepath.Join(filepath.Dir(wd), "bench", "data")
}

// ensureBenchFiles writes the raw files if missing and returns their paths.
func ensureBenchFiles(tb testing.TB) (f32Path, u16Path string) {
	dir := benchDir(tb)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	f32Path = filepath.Join(dir, fmt.Sprintf("f32_%dx%dx%dx%d.raw", bnY, bnX, bsY, bsX))
	u16Path = filepath.Join(dir, fmt.Sprintf("u16_%dx%dx%dx%d.raw", bnY, bnX, bsY, bsX))
	f, u := benchArrays()
	write := func(path string, b []byte) {
		if st, err := os.Stat(path); err == nil && st.Size() == int64(len(b)) {
			return
		}
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			tb.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			tb.Fatal(err)
		}
	}
	write(f32Path, unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), len(f)*4))
	write(u16Path, unsafe.Slice((*byte)(unsafe.Pointer(&u[0])), len(u)*2))
	return f32Path, u16Path
}

// TestGenerateBenchData writes the benchmark files when -benchgen is set (bench/run.sh).
var benchGen = flag.Bool("benchgen", false, "write the benchmark raw files and exit")

func TestGenerateBenchData(t *testing.T) {
	if !*benchGen {
		t.Skip("only with -benchgen")
	}
	a, b := ensureBenchFiles(t)
	t.Logf("wrote %s and %s", a, b)
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Fatal("big-endian host: the files would not be little-endian")
	}
}

type benchUDF struct {
	name string
	mk   func() udf.UDF
	// full runs it in every configuration; otherwise only memory × 2 workers.
	full bool
}

func benchUDFs(tb testing.TB) []benchUDF {
	_, masks16 := randMasks(16, bPx, 77)
	com, err := NewCoM(WithRadius(48))
	if err != nil {
		tb.Fatal(err)
	}
	comFull, err := NewCoM() // the whole frame: the CLI's default
	if err != nil {
		tb.Fatal(err)
	}
	rc := [2]float64{64, 64}
	return []benchUDF{
		{"NoOp", func() udf.UDF { return NoOp{} }, true},
		{"Sum", func() udf.UDF { return Sum{} }, true},
		{"SumSig", func() udf.UDF { return SumSig{} }, true},
		{"StdDev", func() udf.UDF { return StdDev{} }, true},
		{"ApplyMasks1", func() udf.UDF { return &ApplyMasks{Factories: []MaskFactory{DiskMask(64, 64, 40)}} }, true},
		{"ApplyMasks16", func() udf.UDF { return &ApplyMasks{Factories: masks16} }, true},
		{"CoM", func() udf.UDF { return com }, true},
		{"CoMFull", func() udf.UDF { return comFull }, true},
		{"Logsum", func() udf.UDF { return Logsum{} }, false},
		{"FEM", func() udf.UDF { return FEM{Center: [2]float64{64, 64}, RadIn: 10, RadOut: 40} }, false},
		{"Crystallinity", func() udf.UDF { return Crystallinity{RadIn: 4, RadOut: 30, RealCenter: &rc, RealRad: 10} }, false},
	}
}

// loop runs f in a b.Loop and reports GB/s of stored input and µs per frame from
// the measured wall time per iteration. With limit set, every iteration also runs the
// plain loop over the same bytes (timed apart), so that the two are measured under the
// same machine load: limit-GB/s and pct-of-limit are reported beside.
func loop(b *testing.B, bytes int64, f, limit func()) {
	n := 0
	var tf, tl time.Duration
	for b.Loop() {
		t0 := time.Now()
		f()
		tf += time.Since(t0)
		if limit != nil {
			t1 := time.Now()
			limit()
			tl += time.Since(t1)
		}
		n++
	}
	s := tf.Seconds() / float64(n)
	b.ReportMetric(float64(bytes)/s/1e9, "GB/s")
	b.ReportMetric(s*1e6/bFrames, "us/frame")
	if limit != nil {
		l := tl.Seconds() / float64(n)
		b.ReportMetric(float64(bytes)/l/1e9, "limit-GB/s")
		b.ReportMetric(100*l/s, "pct-of-limit")
	}
}

// BenchmarkBuiltins runs every built-in (see the file comment).
func BenchmarkBuiltins(b *testing.B) {
	f32, u16 := benchArrays()
	f32Path, u16Path := ensureBenchFiles(b)
	b.Logf("BLAS: %s", blas.Name())
	type src struct {
		name  string
		dtype string
		bytes int64
		ds    func(tb testing.TB) dataset.Dataset
		limit func(workers int) // the plain loop over the same bytes
	}
	var once [4]sync.Once
	var dss [4]dataset.Dataset
	mk := func(i int, f func() (dataset.Dataset, error)) func(testing.TB) dataset.Dataset {
		return func(tb testing.TB) dataset.Dataset {
			once[i].Do(func() {
				var err error
				if dss[i], err = f(); err != nil {
					tb.Fatal(err)
				}
			})
			return dss[i]
		}
	}
	mapped := func(path string) []byte {
		fd, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer fd.Close()
		st, _ := fd.Stat()
		m, err := syscall.Mmap(int(fd.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
		if err != nil {
			b.Fatal(err)
		}
		return m
	}
	rawF32 := mapped(f32Path)
	rawU16 := mapped(u16Path)
	defer syscall.Munmap(rawF32)
	defer syscall.Munmap(rawU16)
	limF32 := func(x []float32) func(int) {
		return func(w int) { parallelSum(len(x), w, func(a, e int) { kernels.SumF32(x[a:e]) }) }
	}
	limU16 := func(x []uint16) func(int) {
		return func(w int) { parallelSum(len(x), w, func(a, e int) { kernels.SumU16AsF32(x[a:e]) }) }
	}
	srcs := []src{
		{"memory", "f32", int64(len(f32)) * 4, mk(0, func() (dataset.Dataset, error) {
			return dataset.NewMemory(array.Wrap(f32, bnY, bnX, bsY, bsX), dataset.MemoryOptions{NumPartitions: 2})
		}), limF32(f32)},
		{"memory", "u16", int64(len(u16)) * 2, mk(1, func() (dataset.Dataset, error) {
			return dataset.NewMemory(array.Wrap(u16, bnY, bnX, bsY, bsX), dataset.MemoryOptions{NumPartitions: 2})
		}), limU16(u16)},
		{"raw", "f32", int64(len(f32)) * 4, mk(2, func() (dataset.Dataset, error) {
			return dataset.OpenRaw(f32Path, dataset.RawOptions{NavShape: []int{bnY, bnX}, SigShape: []int{bsY, bsX}, DType: "<f4"})
		}), limF32(unsafe.Slice((*float32)(unsafe.Pointer(&rawF32[0])), len(rawF32)/4))},
		{"raw", "u16", int64(len(u16)) * 2, mk(3, func() (dataset.Dataset, error) {
			return dataset.OpenRaw(u16Path, dataset.RawOptions{NavShape: []int{bnY, bnX}, SigShape: []int{bsY, bsX}, DType: "<u2"})
		}), limU16(unsafe.Slice((*uint16)(unsafe.Pointer(&rawU16[0])), len(rawU16)/2))},
	}
	engs := []struct {
		name string
		opts udf.Options
		w    int
	}{{"inline", udf.Options{Inline: true}, 1}, {"workers2", udf.Options{Workers: 2}, 2}}
	for _, s := range srcs {
		for _, e := range engs {
			b.Run(fmt.Sprintf("Limit/%s/%s/%s", s.name, e.name, s.dtype), func(b *testing.B) {
				loop(b, s.bytes, func() { s.limit(e.w) }, nil)
			})
		}
	}
	for _, u := range benchUDFs(b) {
		for _, s := range srcs {
			for _, e := range engs {
				if !u.full && (s.name != "memory" || e.name != "workers2") {
					continue
				}
				b.Run(fmt.Sprintf("%s/%s/%s/%s", u.name, s.name, e.name, s.dtype), func(b *testing.B) {
					ds := s.ds(b)
					x := u.mk()
					ctx := context.Background()
					b.ReportAllocs()
					loop(b, s.bytes, func() {
						if _, err := udf.RunOne(ctx, ds, x, e.opts); err != nil {
							b.Fatal(err)
						}
					}, func() { s.limit(2) })
				})
			}
		}
	}
}

// parallelSum runs f over w contiguous chunks of [0, n) on w goroutines.
func parallelSum(n, w int, f func(a, e int)) {
	if w <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for i := range w {
		a, e := n*i/w, n*(i+1)/w
		wg.Add(1)
		go func() { defer wg.Done(); f(a, e) }()
	}
	wg.Wait()
}
