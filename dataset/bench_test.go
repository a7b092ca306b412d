package dataset

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/internal/kernels"
)

// The benchmark dataset: float32 (64, 64, 128, 128) = 256 MiB and the same values as
// uint16 (128 MiB), generated once under bench/data/ at the repository root
// (git-ignored) and then kept, so the page cache is warm after the first run.
var benchNav, benchSig = []int{64, 64}, []int{128, 128}

const benchElems = 64 * 64 * 128 * 128

func benchValue(i int) uint16 { return uint16((i*7)%13 + (i>>14)%5) }

// benchFile returns the path of the benchmark file for dt, writing it if it is missing
// or has the wrong size.
func benchFile(b *testing.B, dt array.DType) string {
	b.Helper()
	dir := filepath.Join("..", "bench", "data")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "dataset_64x64x128x128_"+dt.String()+".raw")
	size := int64(benchElems * dt.ItemSize())
	if st, err := os.Stat(path); err == nil && st.Size() == size {
		return path
	}
	buf := make([]byte, 0, 1<<20)
	f, err := os.Create(path + ".tmp")
	if err != nil {
		b.Fatal(err)
	}
	for i := range benchElems {
		v := benchValue(i)
		if dt == array.Float32 {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(float32(v)))
		} else {
			buf = binary.LittleEndian.AppendUint16(buf, v)
		}
		if len(buf) == cap(buf) {
			if _, err := f.Write(buf); err != nil {
				b.Fatal(err)
			}
			buf = buf[:0]
		}
	}
	if _, err := f.Write(buf); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		b.Fatal(err)
	}
	return path
}

// benchWant is the exact sum of all values (small integers: exact in float64).
var benchWant = func() float64 {
	s := 0.0
	for i := range benchElems {
		s += float64(benchValue(i))
	}
	return s
}()

func checkSum(b *testing.B, got float64) {
	if math.Abs(got-benchWant) > 1e-4*benchWant {
		b.Fatalf("sum %v, want %v", got, benchWant)
	}
}

func reportGBs(b *testing.B, storedBytes int64) {
	b.ReportMetric(float64(storedBytes)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}

// benchTiles runs a tile UDF's read (negotiated for one worker) that sums every
// element of every tile with kernels.SumF32.
func benchTiles(b *testing.B, dt array.DType) {
	path := benchFile(b, dt)
	ds, err := OpenRaw(path, RawOptions{NavShape: benchNav, SigShape: benchSig, DType: dt.TypeStr(binary.LittleEndian)})
	if err != nil {
		b.Fatal(err)
	}
	defer ds.Close()
	n := NumPartitions(ds, 1, 0)
	parts := Partitions(ds, n)
	sch, err := Negotiate(NegotiationFor(ds, []TilingPrefs{{Method: MethodTile}}, array.Float32, nil, n))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: %d partitions, scheme %v", dt, len(parts), sch)
	ctx := context.Background()
	req := TileRequest{Scheme: sch, DType: array.Float32}
	var total float64
	fn := func(t *Tile) error {
		total += float64(kernels.SumF32(t.Data.(*array.Dense[float32]).Data()))
		return nil
	}
	run := func() {
		total = 0
		for _, p := range parts {
			if err := ds.ReadTiles(ctx, p, req, fn); err != nil {
				b.Fatal(err)
			}
		}
	}
	run() // warm the page cache and the mapping's page tables
	checkSum(b, total)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		run()
	}
	b.StopTimer()
	checkSum(b, total)
	reportGBs(b, int64(benchElems*dt.ItemSize()))
}

// BenchmarkTilesFloat32: float32 file read as float32 (zero-copy from the mapping).
func BenchmarkTilesFloat32(b *testing.B) { benchTiles(b, array.Float32) }

// BenchmarkTilesUint16: uint16 file read as float32 (decoded per tile into reused
// buffers); GB/s counts stored (uint16) bytes.
func BenchmarkTilesUint16(b *testing.B) { benchTiles(b, array.Uint16) }

// BenchmarkPlainLoopFloat32 is the same summation kernel over the same mapped bytes
// without the dataset layer, in 1 MiB chunks: the reference for BenchmarkTilesFloat32.
func BenchmarkPlainLoopFloat32(b *testing.B) {
	path := benchFile(b, array.Float32)
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	m, err := mapFile(f, benchElems*4, false) // the same mapping and advice as the dataset's
	if err != nil {
		b.Fatal(err)
	}
	defer unmapFile(m)
	x, _ := typedView[float32](m)
	var total float64
	run := func() {
		total = 0
		const chunk = 1 << 18
		for i := 0; i < len(x); i += chunk {
			total += float64(kernels.SumF32(x[i : i+chunk]))
		}
	}
	run()
	checkSum(b, total)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		run()
	}
	b.StopTimer()
	checkSum(b, total)
	reportGBs(b, benchElems*4)
}

// BenchmarkOneShotUint16 measures a one-shot pass, as a CLI run does: open the uint16
// file, read every tile as float32 and sum it, close — with each I/O method. A fresh
// mapping pays page-table set-up; pread pays a copy instead. GB/s of stored bytes.
func BenchmarkOneShotUint16(b *testing.B) {
	path := benchFile(b, array.Uint16)
	for _, c := range []struct {
		name     string
		io       string
		populate bool
	}{{"mmap", IOMmap, false}, {"mmap-populate", IOMmap, true}, {"pread", IORead, false}} {
		b.Run(c.name, func(b *testing.B) {
			var total float64
			run := func() {
				ds, err := OpenRaw(path, RawOptions{NavShape: benchNav, SigShape: benchSig, DType: "<u2", IO: c.io, Populate: c.populate})
				if err != nil {
					b.Fatal(err)
				}
				n := NumPartitions(ds, 1, 0)
				sch, err := Negotiate(NegotiationFor(ds, []TilingPrefs{{Method: MethodTile}}, array.Float32, nil, n))
				if err != nil {
					b.Fatal(err)
				}
				req := TileRequest{Scheme: sch, DType: array.Float32}
				total = 0
				for _, p := range Partitions(ds, n) {
					err := ds.ReadTiles(context.Background(), p, req, func(t *Tile) error {
						total += float64(kernels.SumF32(t.Data.(*array.Dense[float32]).Data()))
						return nil
					})
					if err != nil {
						b.Fatal(err)
					}
				}
				if err := ds.Close(); err != nil {
					b.Fatal(err)
				}
			}
			run()
			b.ResetTimer()
			for b.Loop() {
				run()
			}
			b.StopTimer()
			checkSum(b, total)
			reportGBs(b, benchElems*2)
		})
	}
}

// BenchmarkPartitionOverhead: the fixed cost of one ReadTiles call (one zero-copy tile
// of a small partition): ns per partition.
func BenchmarkPartitionOverhead(b *testing.B) {
	ds, _ := NewMemory(array.Wrap(make([]float32, 128*4*4), 128, 4, 4), MemoryOptions{})
	parts := Partitions(ds, 128)
	sch, _ := NewTilingScheme([]int{1, 4, 4}, []int{4, 4}, MethodPartition)
	req := TileRequest{Scheme: sch, DType: array.Float32}
	ctx := context.Background()
	fn := func(*Tile) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range parts {
			if err := ds.ReadTiles(ctx, p, req, fn); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(parts)), "ns/partition")
}

// BenchmarkTilesVsPlainFloat32 alternates the float32 tile path and the plain loop in
// every iteration, so both see the same machine load, and reports the ratio of their
// throughputs (tiles / plain; 1 = no dataset overhead).
func BenchmarkTilesVsPlainFloat32(b *testing.B) {
	path := benchFile(b, array.Float32)
	ds, err := OpenRaw(path, RawOptions{NavShape: benchNav, SigShape: benchSig, DType: "<f4"})
	if err != nil {
		b.Fatal(err)
	}
	defer ds.Close()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	m, err := mapFile(f, benchElems*4, false)
	if err != nil {
		b.Fatal(err)
	}
	defer unmapFile(m)
	x, _ := typedView[float32](m)
	n := NumPartitions(ds, 1, 0)
	parts := Partitions(ds, n)
	sch, err := Negotiate(NegotiationFor(ds, []TilingPrefs{{Method: MethodTile}}, array.Float32, nil, n))
	if err != nil {
		b.Fatal(err)
	}
	req := TileRequest{Scheme: sch, DType: array.Float32}
	var total float64
	fn := func(t *Tile) error {
		total += float64(kernels.SumF32(t.Data.(*array.Dense[float32]).Data()))
		return nil
	}
	tiles := func() {
		total = 0
		for _, p := range parts {
			if err := ds.ReadTiles(context.Background(), p, req, fn); err != nil {
				b.Fatal(err)
			}
		}
	}
	plain := func() {
		total = 0
		const chunk = 1 << 18
		for i := 0; i < len(x); i += chunk {
			total += float64(kernels.SumF32(x[i : i+chunk]))
		}
	}
	tiles()
	plain()
	var tTiles, tPlain time.Duration
	timed := func(f func()) time.Duration {
		t0 := time.Now()
		f()
		return time.Since(t0)
	}
	odd := false
	for b.Loop() {
		// alternate the order so neither path always runs first
		if odd {
			tPlain += timed(plain)
			tTiles += timed(tiles)
		} else {
			tTiles += timed(tiles)
			tPlain += timed(plain)
		}
		odd = !odd
	}
	checkSum(b, total)
	gb := float64(benchElems*4) * float64(b.N) / 1e9
	b.ReportMetric(gb/tTiles.Seconds(), "tiles-GB/s")
	b.ReportMetric(gb/tPlain.Seconds(), "plain-GB/s")
	b.ReportMetric(tPlain.Seconds()/tTiles.Seconds(), "ratio")
}

// BenchmarkTilesViewBound alternates, in every iteration, the float32 zero-copy tile
// path with the negotiated bound on view tiles (ViewMaxBytes: 64-frame tiles here) and
// with the reference's whole-partition tiles (MaxViewBytes 0), and reports both
// throughputs and the median per-iteration ratio bounded / partition (1 = the bound
// costs nothing).
func BenchmarkTilesViewBound(b *testing.B) {
	path := benchFile(b, array.Float32)
	ds, err := OpenRaw(path, RawOptions{NavShape: benchNav, SigShape: benchSig, DType: "<f4"})
	if err != nil {
		b.Fatal(err)
	}
	defer ds.Close()
	n := NumPartitions(ds, 1, 0)
	parts := Partitions(ds, n)
	in := NegotiationFor(ds, []TilingPrefs{{Method: MethodTile}}, array.Float32, nil, n)
	bounded, err := Negotiate(in)
	if err != nil {
		b.Fatal(err)
	}
	in.MaxViewBytes = 0
	whole, err := Negotiate(in)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("bounded %v, whole %v", bounded, whole)
	var total float64
	fn := func(t *Tile) error {
		total += float64(kernels.SumF32(t.Data.(*array.Dense[float32]).Data()))
		return nil
	}
	timed := func(s TilingScheme) time.Duration {
		t0 := time.Now()
		total = 0
		for _, p := range parts {
			if err := ds.ReadTiles(context.Background(), p, TileRequest{Scheme: s, DType: array.Float32}, fn); err != nil {
				b.Fatal(err)
			}
		}
		checkSum(b, total)
		return time.Since(t0)
	}
	timed(bounded)
	timed(whole)
	var tb, tw time.Duration
	var ratios []float64
	odd := false
	for b.Loop() {
		var x, y time.Duration
		if odd { // alternate the order so neither path always runs first
			y = timed(whole)
			x = timed(bounded)
		} else {
			x = timed(bounded)
			y = timed(whole)
		}
		odd = !odd
		tb += x
		tw += y
		ratios = append(ratios, y.Seconds()/x.Seconds())
	}
	gb := float64(benchElems*4) * float64(b.N) / 1e9
	b.ReportMetric(gb/tb.Seconds(), "bounded-GB/s")
	b.ReportMetric(gb/tw.Seconds(), "partition-GB/s")
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "median-speed-ratio")
}
