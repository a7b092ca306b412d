package dataset

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/internal/kernels"
)

// mibBenchFrames frames of 128×128 (u16 cases) or 256×256 (1-bit raw).
const mibBenchFrames = 2048

// mibBenchFile writes the benchmark file of kind "raw-u16" (headerless little-endian
// uint16), "mib-u16" (MIB U16, 12-bit counter) or "mib-r1" (MIB raw 1-bit, 256×256).
func mibBenchFile(b *testing.B, kind string) (string, int, int64) {
	b.Helper()
	dir := b.TempDir()
	path := filepath.Join(dir, "bench1.mib")
	side := 128
	var out []byte
	switch kind {
	case "raw-u16":
		path = filepath.Join(dir, "bench.raw")
		for i := range mibBenchFrames * side * side {
			out = binary.LittleEndian.AppendUint16(out, benchValue(i))
		}
	case "mib-u16":
		for f := range mibBenchFrames {
			out = append(out, mibHeader(f+1, 384, 1, side, side, "U16", "1x1", 12)...)
			for i := range side * side {
				out = binary.BigEndian.AppendUint16(out, benchValue(f*side*side+i))
			}
		}
	case "mib-r1":
		side = 256
		p := make([]int, side*side)
		for f := range mibBenchFrames {
			for i := range p {
				p[i] = int(benchValue(f*side*side+i)) & 1
			}
			out = append(out, mibHeader(f+1, 384, 1, side, side, "R64", "1x1", 1)...)
			out = append(out, encR1(p)...)
		}
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		b.Fatal(err)
	}
	var stored int64
	switch kind {
	case "mib-r1":
		stored = int64(mibBenchFrames * side * side / 8)
	default:
		stored = int64(mibBenchFrames * side * side * 2)
	}
	return path, side, stored
}

func benchSumTiles(b *testing.B, ds Dataset, stored int64) { benchReadTiles(b, ds, stored, true) }

// benchReadTiles reads every partition of ds as float32 tiles (one worker); with sum
// every tile is summed (kernels.SumF32), without the callback only counts the tiles,
// so the time is the reader's alone.
func benchReadTiles(b *testing.B, ds Dataset, stored int64, sum bool) {
	n := NumPartitions(ds, 1, 0)
	parts := Partitions(ds, n)
	sch, err := Negotiate(NegotiationFor(ds, []TilingPrefs{{Method: MethodTile}}, array.Float32, nil, n))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d partitions, scheme %v", len(parts), sch)
	ctx := context.Background()
	req := TileRequest{Scheme: sch, DType: array.Float32}
	var total float64
	fn := func(t *Tile) error {
		if sum {
			total += float64(kernels.SumF32(t.Data.(*array.Dense[float32]).Data()))
		} else {
			total++
		}
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
	run()
	want := total
	// The machine may be shared: besides wall time, report the reading thread's own
	// CPU time per frame (cpu-µs/frame), which waiting for a core does not inflate.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0, cpuOK := threadCPU()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		run()
	}
	b.StopTimer()
	if cpu1, ok := threadCPU(); ok && cpuOK {
		b.ReportMetric(float64(cpu1-cpu0)/1e3/float64(b.N)/float64(ds.Shape().NavSize()), "cpu-µs/frame")
	}
	if total != want {
		b.Fatalf("sum changed: %v then %v", want, total)
	}
	reportGBs(b, stored)
	b.ReportMetric(b.Elapsed().Seconds()*1e6/float64(b.N)/float64(ds.Shape().NavSize()), "µs/frame")
}

// BenchmarkMIB reads MIB files as float32 tiles and sums them (one worker), next to a
// headerless uint16 file of the same frames. GB/s counts stored bytes.
func BenchmarkMIB(b *testing.B) {
	for _, kind := range []string{"raw-u16", "mib-u16", "mib-r1"} {
		b.Run(kind, func(b *testing.B) {
			path, side, stored := mibBenchFile(b, kind)
			var ds Dataset
			var err error
			if kind == "raw-u16" {
				ds, err = OpenRaw(path, RawOptions{NavShape: []int{mibBenchFrames}, SigShape: []int{side, side}, DType: "<u2"})
			} else {
				ds, err = OpenMIB(path, MIBOptions{DisableGlob: true, FramedOptions: FramedOptions{ShapeOptions: ShapeOptions{NavShape: []int{mibBenchFrames}}}})
			}
			if err != nil {
				b.Fatal(err)
			}
			defer ds.Close()
			benchSumTiles(b, ds, stored)
		})
	}
}

// BenchmarkCorrections reads the uint16 frames (a headerless file, and the same frames
// as a big-endian MIB file; "-decode": the headerless file, tiles not summed) as float32 with and without corrections (dark, gain and 16
// excluded pixels): "off" plain decoding, "on" the corrections fused into the decode
// loop, "unfused" the separate pass after decoding (the reader hidden from the
// corrections wrapper).
func BenchmarkCorrections(b *testing.B) {
	for _, kind := range []string{"raw-u16", "mib-u16", "raw-u16-decode"} {
		sum := kind != "raw-u16-decode"
		path, side, stored := mibBenchFile(b, strings.TrimSuffix(kind, "-decode"))
		n := side * side
		dark, gain, excl := make([]float64, n), make([]float64, n), make([]bool, n)
		for i := range n {
			dark[i], gain[i] = float64(i%3), 1+float64(i%5)/8
		}
		for k := range 16 {
			excl[(8*k+5)*side+7*k+3] = true
		}
		for _, mode := range []string{"off", "on", "unfused"} {
			b.Run(kind+"/"+mode, func(b *testing.B) {
				var ds Dataset
				var err error
				if kind != "mib-u16" {
					ds, err = OpenRaw(path, RawOptions{NavShape: []int{mibBenchFrames}, SigShape: []int{side, side}, DType: "<u2"})
				} else {
					ds, err = OpenMIB(path, MIBOptions{DisableGlob: true, FramedOptions: FramedOptions{ShapeOptions: ShapeOptions{NavShape: []int{mibBenchFrames}}}})
				}
				if err != nil {
					b.Fatal(err)
				}
				defer ds.Close()
				switch mode {
				case "on":
					ds, err = WithCorrections(ds, Corrections{Dark: dark, Gain: gain, Excluded: excl})
				case "unfused":
					ds, err = WithCorrections(hideFused{ds}, Corrections{Dark: dark, Gain: gain, Excluded: excl})
				}
				if err != nil {
					b.Fatal(err)
				}
				benchReadTiles(b, ds, stored, sum)
			})
		}
	}
}
