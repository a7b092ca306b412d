package udfs

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync/atomic"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset"
	"github.com/stemflow/stemflow/udf"
)

// Raw files of the native-dtype Sum tests: 6 × 7 frames of 16 × 24 pixels.
const (
	nsNY, nsNX = 6, 7
	nsSY, nsSX = 16, 24
	nsFrames   = nsNY * nsNX
	nsPx       = nsSY * nsSX
)

// nsValue is the stored value of pixel p of frame f for dtype dt: small integers
// (every per-pixel and per-frame sum stays below 2^24, so float32 holds every sum
// exactly and the expected results are exact), with pixel 0 near the top (or bottom)
// of the dtype's range, and fractions for float32.
func nsValue(dt array.DType, f, p int) float64 {
	v := float64((f*131 + p*17) % 1000)
	if p == 0 {
		switch dt {
		case array.Uint8:
			return float64(255 - f)
		case array.Uint16:
			return float64(65535 - f)
		case array.Uint32:
			return float64(300000 + f)
		case array.Int16:
			return float64(-32768 + f)
		case array.Int32:
			return float64(-300000 - f)
		}
	}
	switch dt {
	case array.Uint8:
		return float64(int(v) % 256)
	case array.Int16, array.Int32:
		return v - 500
	case array.Float32:
		return float64(float32(v/8 + 0.1))
	}
	return v
}

// writeNSFile writes the raw file of dtype dt (little endian) and returns its path
// and the stored values as float64, frame after frame.
func writeNSFile(t *testing.T, dt array.DType) (string, []float64) {
	t.Helper()
	vals := make([]float64, nsFrames*nsPx)
	b := make([]byte, 0, nsFrames*nsPx*dt.ItemSize())
	for f := range nsFrames {
		for p := range nsPx {
			v := nsValue(dt, f, p)
			vals[f*nsPx+p] = v
			switch dt {
			case array.Uint8:
				b = append(b, uint8(v))
			case array.Uint16:
				b = binary.LittleEndian.AppendUint16(b, uint16(v))
			case array.Uint32:
				b = binary.LittleEndian.AppendUint32(b, uint32(v))
			case array.Int16:
				b = binary.LittleEndian.AppendUint16(b, uint16(int16(v)))
			case array.Int32:
				b = binary.LittleEndian.AppendUint32(b, uint32(int32(v)))
			case array.Float32:
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(v)))
			default:
				t.Fatalf("no writer for %v", dt)
			}
		}
	}
	path := filepath.Join(t.TempDir(), dt.String()+".raw")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, vals
}

// nsCorrections are the corrections of the "corrected" cases: a dark frame, a gain
// map and two excluded pixels (a corner and an inner one).
func nsCorrections() dataset.Corrections {
	c := dataset.Corrections{Dark: make([]float64, nsPx), Gain: make([]float64, nsPx), Excluded: make([]bool, nsPx)}
	for p := range nsPx {
		c.Dark[p] = float64(p%5) - 2
		c.Gain[p] = 1 + float64(p%3)/4
	}
	c.Excluded[0] = true
	c.Excluded[5*nsSX+7] = true
	return c
}

// correctedFrames applies c to vals by its definition, in float64: (v − dark)·gain,
// then each excluded pixel becomes the mean of the non-excluded pixels among its
// (up to) 8 neighbours in the frame.
func correctedFrames(vals []float64, c *dataset.Corrections) []float64 {
	out := make([]float64, len(vals))
	for f := range nsFrames {
		fr := out[f*nsPx : (f+1)*nsPx]
		for p := range nsPx {
			fr[p] = (vals[f*nsPx+p] - c.Dark[p]) * c.Gain[p]
		}
		for p := range nsPx {
			if !c.Excluded[p] {
				continue
			}
			y, x := p/nsSX, p%nsSX
			var s float64
			n := 0
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					yy, xx := y+dy, x+dx
					if (dy == 0 && dx == 0) || yy < 0 || yy >= nsSY || xx < 0 || xx >= nsSX || c.Excluded[yy*nsSX+xx] {
						continue
					}
					s += fr[yy*nsSX+xx]
					n++
				}
			}
			fr[p] = s / float64(n)
		}
	}
	return out
}

// dtypeProbe records the dtype of the tiles it is given (a tile UDF with the
// neutral input-dtype preference, so that it never changes the run's dtype). Tasks
// run on several workers: seen is atomic.
type dtypeProbe struct{ seen *atomic.Value }

func (dtypeProbe) Name() string                               { return "dtypeProbe" }
func (dtypeProbe) PreferredInputDType() array.DType           { return udf.NativeDType }
func (dtypeProbe) ResultBuffers(m *udf.Meta) []udf.BufferSpec { return nil }
func (p dtypeProbe) ProcessTile(_ *udf.Env, tile array.Array) error {
	p.seen.Store(tile.DType())
	return nil
}
func (dtypeProbe) Merge(dest, src *udf.Views, _ *udf.Meta) error { return nil }

// TestSumNativeDTypeFiles: Sum and SumSig over raw files of every integer dtype and
// float32, with and without a ROI and corrections, alone and next to UDFs that take
// the stored dtype (CoM) or need float32 tiles (StdDev), read with pread and through
// a mapping, with whole-frame and sig-box tiles, 1 or 3 partitions, Run and RunIter.
// Expected values come from a direct loop over the stored values (corrections
// applied by their definition): exact for integer files, within float32 rounding
// otherwise. Every configuration of one case gives the same bits. The tile dtype is
// the stored one unless corrections or a float32 UDF ask for float32.
func TestSumNativeDTypeFiles(t *testing.T) {
	roi := randROI(nsFrames, 11)
	roi[0], roi[nsFrames-1] = true, false
	com, err := NewCoM()
	if err != nil {
		t.Fatal(err)
	}
	passes := []struct {
		name   string
		others []udf.UDF
		float  bool // forces float32 tiles
	}{
		{"sum+sumsig", nil, false},
		{"with-com", []udf.UDF{com}, false},
		{"with-stddev", []udf.UDF{&StdDev{}}, true},
	}
	for _, dt := range []array.DType{array.Uint8, array.Uint16, array.Uint32, array.Int16, array.Int32, array.Float32} {
		path, vals := writeNSFile(t, dt)
		for _, corrected := range []bool{false, true} {
			for _, withROI := range []bool{false, true} {
				for _, pass := range passes {
					name := fmt.Sprintf("%v/corr=%v/roi=%v/%s", dt, corrected, withROI, pass.name)
					t.Run(name, func(t *testing.T) {
						var corr *dataset.Corrections
						src := vals
						if corrected {
							c := nsCorrections()
							corr = &c
							src = correctedFrames(vals, corr)
						}
						var r []bool
						if withROI {
							r = roi
						}
						wantSum := directSum(src, nsFrames, nsPx, r)
						wantSig := directSumSig(src, nsFrames, nsPx, r)
						exact := dt != array.Float32 && !corrected
						// Corrections and float32 UDFs make the tiles result_type(stored,
						// float32): float64 for 32-bit integers.
						wantTile := dt
						if corrected || pass.float {
							wantTile = array.ResultType(dt, array.Float32)
						}
						// Configurations that must give the same bits share a key: all of
						// them for exact sums; for float sums, those with the same
						// partitions (float32 sums depend on where a partition starts)
						// and, with corrections or a ROI, the same I/O size (tile depths
						// are then the reference's, not rounded to Sum's 16-frame
						// groups: a 4 KiB I/O size gives tiles of 2 frames).
						refSum, refSig := map[string][]float64{}, map[string][]float64{}
						for _, io := range []string{dataset.IORead, dataset.IOMmap} {
							for _, maxIO := range []int64{0, 4096} {
								for _, parts := range []int{1, 3} {
									for _, iter := range []bool{false, true} {
										cfg := fmt.Sprintf("%s/maxio=%d/parts=%d/iter=%v", io, maxIO, parts, iter)
										var seen atomic.Value
										us := append([]udf.UDF{&Sum{}, SumSig{}, dtypeProbe{&seen}}, pass.others...)
										res := runNSFile(t, path, dt, io, maxIO, parts, corr, r, us, iter)
										if got, _ := seen.Load().(array.DType); got != wantTile {
											t.Fatalf("%s: tiles of %v, want %v", cfg, got, wantTile)
										}
										gotSum, sh := f64(t, res[0].Get("intensity").Data())
										shapeIs(t, cfg+" Sum", sh, nsSY, nsSX)
										gotSig, _ := f64(t, res[1].Get("intensity").Data())
										gotSig = compactNav(gotSig, r)
										if exact {
											closeTo(t, cfg+" Sum", gotSum, wantSum, 0, 0)
											closeTo(t, cfg+" SumSig", gotSig, wantSig, 0, 0)
										} else {
											closeTo(t, cfg+" Sum", gotSum, wantSum, 1e-5, 1e-3)
											closeTo(t, cfg+" SumSig", gotSig, wantSig, 1e-5, 1e-3)
										}
										key := fmt.Sprintf("parts=%d", parts)
										if corrected || withROI {
											key += fmt.Sprintf("/maxio=%d", maxIO)
										}
										if exact {
											key = ""
										}
										if refSum[key] == nil {
											refSum[key], refSig[key] = gotSum, gotSig
											continue
										}
										sameBits(t, cfg+" Sum", gotSum, refSum[key])
										sameBits(t, cfg+" SumSig", gotSig, refSig[key])
									}
								}
							}
						}
					})
				}
			}
		}
	}
}

// compactNav returns the ROI-selected entries of a flat nav result (all without ROI;
// unselected entries are NaN or zero and not compared).
func compactNav(v []float64, roi []bool) []float64 {
	if roi == nil {
		return v
	}
	var out []float64
	for i, ok := range roi {
		if ok {
			out = append(out, v[i])
		}
	}
	return out
}

// sameBits fails unless got and want hold the same float64 bit patterns.
func sameBits(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%s[%d] = %v, another configuration gave %v", what, i, got[i], want[i])
		}
	}
}

// runNSFile opens the raw file with the given I/O method, I/O size and partition
// count, applies corr (if any) and runs us with Run, or with RunIter keeping the
// last snapshot.
func runNSFile(t *testing.T, path string, dt array.DType, io string, maxIO int64, parts int, corr *dataset.Corrections, roi []bool, us []udf.UDF, iter bool) []*udf.Result {
	t.Helper()
	raw, err := dataset.OpenRaw(path, dataset.RawOptions{
		NavShape: []int{nsNY, nsNX}, SigShape: []int{nsSY, nsSX}, DType: "<" + dt.String(),
		NumPartitions: parts, MaxIOSize: maxIO, IO: io,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	var ds dataset.Dataset = raw
	if corr != nil {
		if ds, err = dataset.WithCorrections(raw, *corr); err != nil {
			t.Fatal(err)
		}
	}
	opts := udf.Options{Workers: 2}
	if roi != nil {
		opts.ROI = array.Wrap(roi, nsNY, nsNX)
	}
	ctx := context.Background()
	if !iter {
		res, err := udf.Run(ctx, ds, us, opts)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	var last *udf.Snapshot
	for s, err := range udf.RunIter(ctx, ds, us, opts) {
		if err != nil {
			t.Fatal(err)
		}
		last = s
	}
	res, err := last.Results()
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestNoAllocsPerFramePread: Sum and SumSig over a pread raw file (uint16, read
// natively, and float32) allocate nothing per frame or per tile: 64× more frames
// (1,008 more; a 32 KiB I/O size makes tiles of 16 frames, so 63 more tiles) add
// fewer allocations than tiles. The slack absorbs sync.Pool refills (-race drops
// pooled items at random).
func TestNoAllocsPerFramePread(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, dt := range []array.DType{array.Uint16, array.Float32} {
		open := func(n int) dataset.Dataset {
			v := randU16(n*n*32*32, 3)
			var path string
			if dt == array.Uint16 {
				path = writeRawFile(t, dir, fmt.Sprintf("u16-%d.raw", n), v)
			} else {
				f := make([]float32, len(v))
				for i, x := range v {
					f[i] = float32(x)
				}
				path = writeRawFile(t, dir, fmt.Sprintf("f32-%d.raw", n), f)
			}
			ds, err := dataset.OpenRaw(path, dataset.RawOptions{
				NavShape: []int{n, n}, SigShape: []int{32, 32}, DType: "<" + dt.String(),
				NumPartitions: 2, IO: dataset.IORead, MaxIOSize: 32 << 10,
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ds.Close() })
			return ds
		}
		small, large := open(4), open(32)
		for _, u := range []udf.UDF{&Sum{}, SumSig{}} {
			allocs := func(ds dataset.Dataset) float64 {
				return testing.AllocsPerRun(3, func() {
					if _, err := udf.RunOne(ctx, ds, u, udf.Options{Inline: true}); err != nil {
						t.Fatal(err)
					}
				})
			}
			a, b := allocs(small), allocs(large)
			t.Logf("%T, %v: %v allocations for 16 frames, %v for 1024", u, dt, a, b)
			if b-a > 48 {
				t.Errorf("%T, %v: %v allocations for 16 frames, %v for 1024", u, dt, a, b)
			}
		}
	}
}

// BenchmarkSumPreadU16 is the per-frame cost of Sum over a pread uint16 raw file of
// 128 × 128 frames (2 partitions, 2 workers). "warm" reuses the opened dataset (pooled
// tile buffers, the steady state of repeated passes); "fresh" opens the file for
// every pass after returning the heap's free memory to the system (untimed), so that
// tile buffers and accumulators are fresh memory, as in a one-shot `stemflow run`.
func BenchmarkSumPreadU16(b *testing.B) {
	const frames = 1024
	path := writeRawFile(b, b.TempDir(), "u16.raw", randU16(frames*128*128, 9))
	open := func() *dataset.Raw {
		ds, err := dataset.OpenRaw(path, dataset.RawOptions{
			NavShape: []int{frames}, SigShape: []int{128, 128}, DType: "<u2", IO: dataset.IORead,
		})
		if err != nil {
			b.Fatal(err)
		}
		return ds
	}
	ctx := context.Background()
	pass := func(ds dataset.Dataset) {
		if _, err := udf.RunOne(ctx, ds, &Sum{}, udf.Options{Workers: 2}); err != nil {
			b.Fatal(err)
		}
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*frames), "ns/frame")
	}
	b.Run("warm", func(b *testing.B) {
		ds := open()
		defer ds.Close()
		b.SetBytes(frames * 128 * 128 * 2)
		for b.Loop() {
			pass(ds)
		}
		report(b)
	})
	b.Run("fresh", func(b *testing.B) {
		b.SetBytes(frames * 128 * 128 * 2)
		for b.Loop() {
			b.StopTimer()
			debug.FreeOSMemory()
			b.StartTimer()
			ds := open()
			pass(ds)
			ds.Close()
		}
		report(b)
	})
}
