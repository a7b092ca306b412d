package dataset

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stemflow/stemflow/array"
)

const k2BenchFrames = 8

// k2BenchSet writes a real-geometry dataset of k2BenchFrames frames (46 MB), all with
// frame 0's pixels, the shutter flag set throughout, no .gtg (a time series).
func k2BenchSet(b *testing.B) string {
	dir := b.TempDir()
	g := k2Real
	P := g.perFrame()
	for s := range k2Sectors {
		blocks := make([][]byte, P)
		for i := range P {
			blocks[i] = k2Block(g, s, 0, i, 0, 1)
		}
		buf := make([]byte, 0, k2BenchFrames*int(g.frameBytes()))
		for j := range k2BenchFrames {
			for i, blk := range blocks {
				binary.BigEndian.PutUint32(blk[16:], uint32(1000+j*P+i))
				binary.BigEndian.PutUint32(blk[24:], uint32(100+j))
				buf = append(buf, blk...)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("bench_%d.bin", s+1)), buf, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return filepath.Join(dir, "bench_1.bin")
}

// BenchmarkK2IS reads every frame of an 8-frame dataset (one op) into tiles: whole
// frames as uint16, 930 × 256 boxes as uint16, and the tiling a tile UDF negotiates as
// float32, mapped and with pread. GB/s counts the uint16 output (7.6 MB a frame);
// allocs/op is per 8 frames.
func BenchmarkK2IS(b *testing.B) {
	path := k2BenchSet(b)
	sig := k2Real.sig()
	for _, io := range []string{IOMmap, IORead} {
		ds, err := OpenK2IS(path, K2ISOptions{FramedOptions: FramedOptions{IO: io}, DetectSyncOffset: true})
		if err != nil {
			b.Fatal(err)
		}
		if ds.ImageCount() != k2BenchFrames {
			b.Fatalf("image count %d", ds.ImageCount())
		}
		neg, err := Negotiate(NegotiationFor(ds, []TilingPrefs{{Method: MethodTile}}, array.Float32, nil, 1))
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range []struct {
			name string
			dt   array.DType
			sch  TilingScheme
		}{
			{"frames-u16", array.Uint16, mustSchemeB(b, []int{2, sig[0], sig[1]}, sig)},
			{"blocks-u16", array.Uint16, mustSchemeB(b, []int{4, 930, 256}, sig)},
			{"negotiated-f32", array.Float32, neg},
		} {
			b.Run(io+"/"+c.name, func(b *testing.B) {
				b.Logf("scheme %v", c.sch)
				parts := Partitions(ds, 1)
				req := TileRequest{Scheme: c.sch, DType: c.dt}
				var sum float64
				fn := func(t *Tile) error {
					switch d := t.Data.(type) {
					case *array.Dense[uint16]:
						v := d.Data()
						sum += float64(v[0]) + float64(v[len(v)-1])
					case *array.Dense[float32]:
						v := d.Data()
						sum += float64(v[0]) + float64(v[len(v)-1])
					}
					return nil
				}
				ctx := context.Background()
				run := func() {
					for _, p := range parts {
						if err := ds.ReadTiles(ctx, p, req, fn); err != nil {
							b.Fatal(err)
						}
					}
				}
				run()
				b.ReportAllocs()
				cpu0 := k2CPUTime()
				b.ResetTimer()
				for b.Loop() {
					run()
				}
				b.StopTimer()
				out := int64(k2BenchFrames * sig[0] * sig[1] * 2)
				reportGBs(b, out)
				// on a shared machine wall time mostly measures the other processes:
				// also report the output per second of this process's CPU time
				if cpu := k2CPUTime() - cpu0; cpu > 0 {
					b.ReportMetric(float64(out)*float64(b.N)/cpu.Seconds()/1e9, "GB/s-cpu")
				}
			})
		}
		ds.Close()
	}
}

// k2CPUTime returns the user and system CPU time of the process so far.
func k2CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func mustSchemeB(b *testing.B, ts, sig []int) TilingScheme {
	s, err := NewTilingScheme(ts, sig, MethodTile)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func FuzzK2ISBlockHeader(f *testing.F) {
	f.Add(k2Block(k2Small, 0, 0, 0, 1000, 1)[:40])
	f.Add(make([]byte, 39))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseK2ISBlockHeader(b)
		if err != nil {
			if len(b) >= 40 {
				t.Fatalf("%d bytes: %v", len(b), err)
			}
			return
		}
		if h.Sync != binary.BigEndian.Uint32(b) || h.FrameID != binary.BigEndian.Uint32(b[24:]) || h.ShutterActive() != (b[9]&1 == 1) {
			t.Fatalf("fields %+v from % X", h, b[:40])
		}
		err = h.validate(k2Small)
		if ok := h.Sync == 0xFFFF0055 && h.Width == 32 && h.Height == 6; ok != (err == nil) {
			t.Fatalf("validate %+v: %v", h, err)
		}
	})
}

// FuzzK2ISOpen writes a small valid dataset, overwrites bytes of one sector file at an
// offset (or cuts it there), then opens and reads it: any outcome but a panic or a hang.
func FuzzK2ISOpen(f *testing.F) {
	f.Add([]byte{0x12}, uint8(3), uint32(0), false)
	f.Add([]byte{0, 0, 0x13, 0x88}, uint8(0), uint32(16), false)
	f.Add([]byte{0xFF}, uint8(5), uint32(9), false)
	f.Add([]byte{}, uint8(2), uint32(300), true)
	f.Add([]byte{0, 0, 0, 0}, uint8(7), uint32(112*9+24), false)
	cfg := k2Uniform(k2Small, 6, 2, []int{2, 2})
	cfg.start[3] = 1
	secs := cfg.sectors()
	f.Fuzz(func(t *testing.T, data []byte, sec uint8, off uint32, cut bool) {
		dir := t.TempDir()
		for s, b := range secs {
			if s == int(sec)%k2Sectors {
				b = append([]byte(nil), b...)
				o := int(off % uint32(len(b)+1))
				if cut {
					b = b[:o]
				} else {
					n := copy(b[o:], data)
					b = append(b, data[n:]...)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f_%d.bin", s+1)), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for _, io := range []string{IOMmap, IORead} {
			ds, err := openK2IS(filepath.Join(dir, "f_1.bin"), K2ISOptions{FramedOptions: FramedOptions{IO: io}, DetectSyncOffset: true}, k2Small)
			if err != nil {
				continue
			}
			sig := k2Small.sig()
			for _, ts := range [][]int{{2, sig[0], sig[1]}, {3, 2, 5}} {
				sch, _ := NewTilingScheme(ts, sig, MethodTile)
				for _, p := range Partitions(ds, 2) {
					_ = ds.ReadTiles(context.Background(), p, TileRequest{Scheme: sch}, func(*Tile) error { return nil })
				}
			}
			ds.Close()
		}
	})
}

// BenchmarkK2ISCorrections reads the 8-frame dataset as float32 in the negotiated
// tiling (tiles summed): "off" plain decoding, "on" dark, gain and 16 excluded pixels
// fused into the decode loop, "unfused" the separate pass after decoding, "dark+gain"
// fused without excluded pixels (whose tiling veto changes the boxes: the same
// tiling as "off").
func BenchmarkK2ISCorrections(b *testing.B) {
	path := k2BenchSet(b)
	sig := k2Real.sig()
	n := sig[0] * sig[1]
	dark, gain, excl := make([]float64, n), make([]float64, n), make([]bool, n)
	for i := range n {
		dark[i], gain[i] = float64(i%3), 1+float64(i%5)/8
	}
	for k := range 16 {
		excl[(100*k+5)*sig[1]+111*k+3] = true
	}
	for _, mode := range []string{"off", "on", "unfused", "dark+gain"} {
		b.Run(mode, func(b *testing.B) {
			k, err := OpenK2IS(path, K2ISOptions{DetectSyncOffset: true})
			if err != nil {
				b.Fatal(err)
			}
			var ds Dataset = k
			defer ds.Close()
			switch mode {
			case "on":
				ds, err = WithCorrections(k, Corrections{Dark: dark, Gain: gain, Excluded: excl})
			case "unfused":
				ds, err = WithCorrections(hideFused{k}, Corrections{Dark: dark, Gain: gain, Excluded: excl})
			case "dark+gain":
				ds, err = WithCorrections(k, Corrections{Dark: dark, Gain: gain})
			}
			if err != nil {
				b.Fatal(err)
			}
			benchReadTiles(b, ds, int64(k2BenchFrames*n*2), true)
		})
	}
}
