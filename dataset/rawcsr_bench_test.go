package dataset_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
	"github.com/stemflow/stemflow/udfs"
)

// BenchmarkRawCSR: Sum and SumSig over a raw_csr dataset of shape (64, 64, 128, 128)
// (float32 values, int32 indices, int64 indptr) at 1 % and 10 % density, next to the
// dense float32 path over the same data densified into a raw file, both through
// udf.Run with 2 workers. The two runs alternate in one loop so that machine load hits
// both alike; the benchmark reports the sparse run's us/frame, the dense run's
// dense-us/frame and their ratio speedup (dense time / sparse time). Files are
// generated once under bench/data/ (git-ignored) and kept.
func BenchmarkRawCSR(b *testing.B) {
	for _, pct := range []int{1, 10} {
		toml, dense := csrBenchFiles(b, pct)
		for _, name := range []string{"Sum", "SumSig"} {
			b.Run(fmt.Sprintf("density=%d%%/%s", pct, name), func(b *testing.B) {
				sp, err := dataset.OpenRawCSR(toml, dataset.RawCSROptions{})
				if err != nil {
					b.Fatal(err)
				}
				defer sp.Close()
				dn, err := dataset.OpenRaw(dense, dataset.RawOptions{NavShape: csrBenchNav, SigShape: csrBenchSig, DType: "<f4"})
				if err != nil {
					b.Fatal(err)
				}
				defer dn.Close()
				var u udf.UDF = udfs.Sum{}
				if name == "SumSig" {
					u = udfs.SumSig{}
				}
				want := csrBenchTotal(pct)
				run := func(ds dataset.Dataset) time.Duration {
					t0 := time.Now()
					res, err := udf.RunOne(context.Background(), ds, u, udf.Options{Workers: 2})
					if err != nil {
						b.Fatal(err)
					}
					d := time.Since(t0)
					v, err := array.Convert(res.Get("intensity").RawData(), array.Float64)
					if err != nil {
						b.Fatal(err)
					}
					s := 0.0
					for _, x := range v.(*array.Dense[float64]).Contiguous().Data() {
						s += x
					}
					if math.Abs(s-want) > 1e-6*want {
						b.Fatalf("%s total %v, want %v", name, s, want)
					}
					return d
				}
				run(sp) // warm the page cache and mappings
				run(dn)
				var ts, td time.Duration
				b.ResetTimer()
				for b.Loop() {
					ts += run(sp)
					b.StopTimer()
					td += run(dn)
					b.StartTimer()
				}
				frames := float64(b.N) * float64(csrBenchFrames)
				b.ReportMetric(float64(ts.Microseconds())/frames, "us/frame")
				b.ReportMetric(float64(td.Microseconds())/frames, "dense-us/frame")
				b.ReportMetric(float64(td)/float64(ts), "speedup")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

var csrBenchNav, csrBenchSig = []int{64, 64}, []int{128, 128}

const (
	csrBenchFrames = 64 * 64
	csrBenchPx     = 128 * 128
)

// csrBenchValue returns the value of element i of the benchmark data at pct %
// density: a small integer (exact in float32) or 0.
func csrBenchValue(i, pct int) float32 {
	h := uint32(i) * 2654435761
	h ^= h >> 15
	h *= 2246822519
	h ^= h >> 13
	if int(h%1000) >= pct*10 {
		return 0
	}
	return float32(1 + (h>>20)%8)
}

// csrBenchTotal is the sum of all values (exact in float64).
func csrBenchTotal(pct int) float64 {
	s := 0.0
	for i := 0; i < csrBenchFrames*csrBenchPx; i++ {
		s += float64(csrBenchValue(i, pct))
	}
	return s
}

// csrBenchFiles writes (once) the raw_csr files and the dense float32 raw file of the
// pct % benchmark data and returns the TOML's and the dense file's paths.
func csrBenchFiles(b testing.TB, pct int) (string, string) {
	b.Helper()
	dir := filepath.Join("..", "bench", "data", fmt.Sprintf("csr_64x64x128x128_%dpct", pct))
	toml := filepath.Join(dir, "sparse.toml")
	dense := filepath.Join(dir, "dense_f32.raw")
	if st, err := os.Stat(dense); err == nil && st.Size() == int64(csrBenchFrames*csrBenchPx*4) {
		if _, err := os.Stat(toml); err == nil {
			return toml, dense
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	create := func(name string) (*os.File, *bufio.Writer) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		return f, bufio.NewWriterSize(f, 1<<20)
	}
	fp, wp := create("indptr.raw")
	fi, wi := create("coords.raw")
	fv, wv := create("values.raw")
	fd, wd := create("dense_f32.raw.tmp")
	var buf [8]byte
	nnz := int64(0)
	binary.LittleEndian.PutUint64(buf[:], 0)
	wp.Write(buf[:8])
	for f := 0; f < csrBenchFrames; f++ {
		for p := 0; p < csrBenchPx; p++ {
			v := csrBenchValue(f*csrBenchPx+p, pct)
			binary.LittleEndian.PutUint32(buf[:4], math.Float32bits(v))
			wd.Write(buf[:4])
			if v != 0 {
				wv.Write(buf[:4])
				binary.LittleEndian.PutUint32(buf[:4], uint32(p))
				wi.Write(buf[:4])
				nnz++
			}
		}
		binary.LittleEndian.PutUint64(buf[:], uint64(nnz))
		wp.Write(buf[:8])
	}
	for _, fw := range []struct {
		f *os.File
		w *bufio.Writer
	}{{fp, wp}, {fi, wi}, {fv, wv}, {fd, wd}} {
		if err := fw.w.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := fw.f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	desc := `[params]
filetype = "raw_csr"
nav_shape = [64, 64]
sig_shape = [128, 128]

[raw_csr]
indptr_file = "indptr.raw"
indptr_dtype = "<i8"
indices_file = "coords.raw"
indices_dtype = "<i4"
data_file = "values.raw"
data_dtype = "<f4"
`
	if err := os.WriteFile(toml, []byte(desc), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "dense_f32.raw.tmp"), dense); err != nil {
		b.Fatal(err)
	}
	return toml, dense
}
