package dataset

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/dataset/hdf5"
)

// hideFused wraps a dataset without exposing its fused reader: WithCorrections over it
// takes the unfused path (plain tiles corrected after decoding).
type hideFused struct{ Dataset }

// fusedRef is the direct loop in the tile precision T: every frame's stored value v
// becomes (v − dark)·gain, each step rounded to T, then every excluded pixel the sum of
// its non-excluded 3×3 neighbours (row by row) divided by their count, in T.
func fusedRef[T float32 | float64](vals []float64, frames, h, w int, dark, gain []float64, excl []bool) []float64 {
	out := make([]float64, 0, len(vals))
	fr := make([]T, h*w)
	for f := range frames {
		for i := range fr {
			v := T(vals[f*h*w+i])
			if dark != nil {
				v = v - T(dark[i])
			}
			if gain != nil {
				v = v * T(gain[i])
			}
			fr[i] = v
		}
		res := append([]T(nil), fr...)
		for y := range h {
			for x := range w {
				if excl == nil || !excl[y*w+x] {
					continue
				}
				var s T
				n := 0
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						yy, xx := y+dy, x+dx
						if dy == 0 && dx == 0 || yy < 0 || yy >= h || xx < 0 || xx >= w || excl[yy*w+xx] {
							continue
						}
						s += fr[yy*w+xx]
						n++
					}
				}
				res[y*w+x] = s / T(n)
			}
		}
		for _, v := range res {
			out = append(out, float64(v))
		}
	}
	return out
}

// sameBits reports the first index where a and b differ (NaN equals NaN), or -1.
func sameBits(a, b []float64) int {
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return i
		}
	}
	return -1
}

// TestCorrectionsFused reads corrected datasets through the fused decode loop (dense
// reader, mapped and pread; framed reader with gaps between records, a crop and a
// frame decoder) and checks every value bit for bit against the unfused path and a
// direct loop, for both tile dtypes, several tile shapes and an ROI.
func TestCorrectionsFused(t *testing.T) {
	const ny, nx, sy, sx = 3, 4, 12, 10
	nav, sig := ny*nx, sy*sx
	vals := smallVals(nav * sig)
	dark := make([]float64, sig)
	gain := make([]float64, sig)
	for i := range dark {
		dark[i] = float64(i%7)*0.3 + 0.1
		gain[i] = 1 + float64(i%5)*0.37
	}
	excl := make([]bool, sig)
	for _, c := range [][2]int{{0, 0}, {4, 5}, {4, 6}, {7, 9}, {11, 3}, {8, 2}} {
		excl[c[0]*sx+c[1]] = true
	}
	type opener struct {
		name string
		dt   array.DType
		open func(t *testing.T) Dataset
	}
	var openers []opener
	for _, s := range []string{"<u2", ">u2", "|u1", "<i2", ">i4", "<f4", ">f4", "<f8", "<u4", "<i8"} {
		dt, bo, err := array.ParseDType(s)
		if err != nil {
			t.Fatal(err)
		}
		if bo == nil {
			bo = binary.LittleEndian
		}
		for _, io := range []string{IOMmap, IORead} {
			openers = append(openers, opener{"raw " + s + " " + io, dt, func(t *testing.T) Dataset {
				p := writeFile(t, "f.raw", encode(vals, dt, bo))
				ds, err := OpenRaw(p, RawOptions{NavShape: []int{ny, nx}, SigShape: []int{sy, sx}, DType: s, IO: io})
				if err != nil {
					t.Fatal(err)
				}
				return ds
			}})
		}
	}
	rec := sig * 2
	// records with 8-byte headers between them
	openers = append(openers, opener{"framed gaps", array.Uint16, func(t *testing.T) Dataset {
		var b []byte
		b = append(b, make([]byte, 16)...)
		for f := range nav {
			b = append(b, encode(vals[f*sig:(f+1)*sig], array.Uint16, binary.LittleEndian)...)
			b = append(b, "HEADER.."...)
		}
		p := writeFile(t, "g.bin", b)
		ds, err := OpenFramed(FrameLayout{Format: "test", Path: p, Files: []FrameFile{{Path: p, Frames: nav, Offset: 16, Stride: int64(rec + 8)}},
			RecordBytes: rec, DType: array.Uint16, ByteOrder: binary.LittleEndian, SigShape: []int{sy, sx}, NavShape: []int{ny, nx}}, FramedOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}})
	// stored (sy+2, sx+1) frames, the kept box at (1, 1)
	openers = append(openers, opener{"framed crop", array.Uint16, func(t *testing.T) Dataset {
		var b []byte
		for f := range nav {
			for y := range sy + 2 {
				for x := range sx + 1 {
					v := uint16(60000)
					if y >= 1 && y <= sy && x >= 1 {
						v = uint16(vals[f*sig+(y-1)*sx+x-1])
					}
					b = binary.BigEndian.AppendUint16(b, v)
				}
			}
		}
		p := writeFile(t, "c.bin", b)
		ds, err := OpenFramed(FrameLayout{Format: "test", Path: p, Files: []FrameFile{{Path: p, Frames: nav, Stride: int64(len(b) / nav)}},
			RecordBytes: len(b) / nav, DType: array.Uint16, ByteOrder: binary.BigEndian, SigShape: []int{sy, sx}, StoredShape: []int{sy + 2, sx + 1},
			CropOrigin: []int{1, 1}, NavShape: []int{ny, nx}}, FramedOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}})
	// records stored frame-reversed, put right by a frame decoder
	openers = append(openers, opener{"framed decoder", array.Uint16, func(t *testing.T) Dataset {
		var b []byte
		for f := range nav {
			for i := sig - 1; i >= 0; i-- {
				b = binary.LittleEndian.AppendUint16(b, uint16(vals[f*sig+i]))
			}
		}
		p := writeFile(t, "d.bin", b)
		ds, err := OpenFramed(FrameLayout{Format: "test", Path: p, Files: []FrameFile{{Path: p, Frames: nav, Stride: int64(rec)}},
			RecordBytes: rec, DType: array.Uint16, SigShape: []int{sy, sx}, NavShape: []int{ny, nx},
			NewDecoder: func() FrameDecodeFunc {
				return func(dst, r []byte) error {
					for i := range sig {
						binary.NativeEndian.PutUint16(dst[2*i:], binary.LittleEndian.Uint16(r[2*(sig-1-i):]))
					}
					return nil
				}
			}}, FramedOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}})
	for _, c := range []struct {
		name       string
		dark, gain []float64
		excl       []bool
	}{{"all", dark, gain, excl}, {"dark", dark, nil, nil}, {"gain+excluded", nil, gain, excl}, {"excluded", nil, nil, excl}} {
		want32 := fusedRef[float32](vals, nav, sy, sx, c.dark, c.gain, c.excl)
		want64 := fusedRef[float64](vals, nav, sy, sx, c.dark, c.gain, c.excl)
		for _, o := range openers {
			base := o.open(t)
			if _, ok := base.(fusingReader); !ok {
				t.Fatalf("%s: %T has no fused reader", o.name, base)
			}
			cs := Corrections{Dark: c.dark, Gain: c.gain, Excluded: c.excl}
			fused, err := WithCorrections(base, cs)
			if err != nil {
				t.Fatal(err)
			}
			unfused, err := WithCorrections(hideFused{base}, cs)
			if err != nil {
				t.Fatal(err)
			}
			checkFusedReads(t, c.name+" "+o.name, fused, unfused, []int{sy, sx}, nav, randomROI(nav, 5), [][]int{{5, sy, sx}, {2, 3, sx}, {4, 1, sx}, {3, 4, 5}}, want32, want64)
			fused.Close()
		}
	}
}

// TestCorrectionsFusedNoAlloc checks that a steady stream of corrected reads allocates
// nothing per frame: one partition of many frames costs what one of few frames costs.
func TestCorrectionsFusedNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	const frames, sy, sx = 256, 16, 16
	p := filepath.Join(t.TempDir(), "a.raw")
	if err := os.WriteFile(p, encode(smallVals(frames*sy*sx), array.Uint16, binary.LittleEndian), 0o644); err != nil {
		t.Fatal(err)
	}
	raw, err := OpenRaw(p, RawOptions{NavShape: []int{frames}, SigShape: []int{sy, sx}, DType: "<u2"})
	if err != nil {
		t.Fatal(err)
	}
	excl := make([]bool, sy*sx)
	excl[5*sx+5] = true
	ds, err := WithCorrections(raw, Corrections{Dark: make([]float64, sy*sx), Gain: make([]float64, sy*sx), Excluded: excl})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	checkAllocsFlat(t, ds, []int{sy, sx}, 0, array.Float32)
}

// TestCorrectionsFusedK2IS reads corrected hand-built K2IS datasets (both block
// geometries, mapped and pread) through the fused decode loop and checks every value
// bit for bit against the unfused path and a direct loop over the camera's pixel rule,
// for both tile dtypes, tile shapes that cut blocks and sectors, and an ROI.
func TestCorrectionsFusedK2IS(t *testing.T) {
	for _, g := range []k2Geom{k2Small, k2Odd} {
		cfg := k2Uniform(g, 9, 2, []int{2, 4})
		gtg, _ := cfg.write(t, t.TempDir())
		sig := g.sig()
		h, w := sig[0], sig[1]
		n := h * w
		fr := cfg.navFrames(8, 0, true)
		vals := cfg.want(fr, nil)
		if i := slices.IndexFunc(vals, math.IsNaN); i >= 0 {
			t.Fatalf("test set-up: nav element %d has no frame", i)
		}
		dark := make([]float64, n)
		gain := make([]float64, n)
		for i := range dark {
			dark[i] = float64(i%11)*0.7 + 0.3
			gain[i] = 1 + float64(i%13)*0.21
		}
		excl := make([]bool, n)
		for _, c := range [][2]int{{0, 0}, {1, g.blockW - 1}, {1, g.blockW}, {h - 1, w - 1}, {h / 2, w / 2}, {0, w / 3}} {
			excl[c[0]*w+c[1]] = true
		}
		for _, io := range []string{IOMmap, IORead} {
			base, err := openK2IS(gtg, K2ISOptions{FramedOptions: FramedOptions{IO: io}, DetectSyncOffset: true}, g)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := Dataset(base).(fusingReader); !ok {
				t.Fatalf("%T has no fused reader", base)
			}
			for _, c := range []struct {
				name       string
				dark, gain []float64
				excl       []bool
			}{{"all", dark, gain, excl}, {"dark", dark, nil, nil}, {"gain+excluded", nil, gain, excl}, {"excluded", nil, nil, excl}} {
				want32 := fusedRef[float32](vals, 8, h, w, c.dark, c.gain, c.excl)
				want64 := fusedRef[float64](vals, 8, h, w, c.dark, c.gain, c.excl)
				cs := Corrections{Dark: c.dark, Gain: c.gain, Excluded: c.excl}
				fused, err := WithCorrections(base, cs)
				if err != nil {
					t.Fatal(err)
				}
				unfused, err := WithCorrections(hideFused{base}, cs)
				if err != nil {
					t.Fatal(err)
				}
				checkFusedReads(t, fmt.Sprintf("geom %+v %s %s", g, io, c.name), fused, unfused, sig, 8, randomROI(8, 9), [][]int{{4, h, w}, {2, g.blockH, g.blockW * 3}, {3, 2, 5}, {1, 1, w}, {5, h, 7}}, want32, want64)
			}
			// the plain reads of the same dataset after corrected ones stay uncorrected
			if got := k2ReadAll(t, base, []int{2, h, w}, nil, array.Float32, 2); sameNaN(got, vals) >= 0 {
				t.Fatalf("geom %+v %s: plain read after corrected reads: element %d = %v, want %v", g, io, sameNaN(got, vals), got[sameNaN(got, vals)], vals[sameNaN(got, vals)])
			}
			base.Close()
		}
	}
}

// TestCorrectionsFusedK2ISNoAlloc checks that corrected K2IS reads allocate nothing per
// frame: one partition of many frames costs what one of few frames costs.
func TestCorrectionsFusedK2ISNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	g := k2Small
	cfg := k2Uniform(g, 200, 0, nil)
	_, bins := cfg.write(t, t.TempDir())
	k, err := openK2IS(bins[0], K2ISOptions{DetectSyncOffset: true}, g)
	if err != nil {
		t.Fatal(err)
	}
	sig := g.sig()
	n := sig[0] * sig[1]
	excl := make([]bool, n)
	excl[2*sig[1]+5] = true
	dark, gain := make([]float64, n), make([]float64, n)
	for i := range gain {
		dark[i], gain[i] = 1, 2
	}
	ds, err := WithCorrections(k, Corrections{Dark: dark, Gain: gain, Excluded: excl})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	checkAllocsFlat(t, ds, sig, 128, array.Float32, array.Float64)
}

// TestCorrectionsFusedHDF5 reads corrected HDF5 datasets (chunked with chunks that cut
// frames and boxes, filtered, chunks decoded straight into tiles, a signal-shape
// override, contiguous) through the fused reader and checks every value bit for bit
// against the unfused path and a direct loop, for both tile dtypes, several tile
// shapes and an ROI.
func TestCorrectionsFusedHDF5(t *testing.T) {
	needHDF5(t)
	u2 := hdf5.Type{Kind: hdf5.KindUint, Size: 2}
	for _, tc := range []struct {
		name string
		spec hdf5.DatasetSpec
		sig  []int // signal-shape override, or nil
	}{
		{"gzip odd chunks u2", hdf5.DatasetSpec{Shape: []int{3, 5, 8, 7}, Type: u2, Chunk: []int{2, 2, 3, 4}, Filters: []hdf5.Filter{{ID: hdf5.FilterDeflate, Params: []uint32{1}}}}, nil},
		{"frame chunks u2", hdf5.DatasetSpec{Shape: []int{15, 8, 7}, Type: u2, Chunk: []int{1, 8, 7}}, nil},
		{"shuffle+gzip >i4", hdf5.DatasetSpec{Shape: []int{3, 5, 8, 7}, Type: hdf5.Type{Kind: hdf5.KindInt, Size: 4, BigEndian: true}, Chunk: []int{1, 5, 8, 7}, Filters: []hdf5.Filter{{ID: hdf5.FilterShuffle}, {ID: hdf5.FilterDeflate}}}, nil},
		{"frame chunks f4", hdf5.DatasetSpec{Shape: []int{15, 8, 7}, Type: hdf5.Type{Kind: hdf5.KindFloat, Size: 4}, Chunk: []int{1, 8, 7}}, nil},
		{"fletcher32 f8", hdf5.DatasetSpec{Shape: []int{15, 8, 7}, Type: hdf5.Type{Kind: hdf5.KindFloat, Size: 8}, Chunk: []int{1, 8, 7}, Filters: []hdf5.Filter{{ID: hdf5.FilterFletcher32}}}, nil},
		{"sig override u2", hdf5.DatasetSpec{Shape: []int{15, 8, 7}, Type: u2, Chunk: []int{2, 3, 7}}, []int{7, 8}},
		{"contiguous u2", hdf5.DatasetSpec{Shape: []int{15, 8, 7}, Type: u2}, nil},
	} {
		path := filepath.Join(t.TempDir(), "d.h5")
		writeH5(t, path, 2, h5ds{"/g/data", tc.spec})
		base, err := OpenHDF5(path, HDF5Options{SigShape: tc.sig})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := base.(fusingReader); !ok {
			t.Fatalf("%s: %T has no fused reader", tc.name, base)
		}
		sig := base.Shape().Sig()
		sy, sx := sig[0], sig[1]
		nav, n := base.Shape().NavSize(), sy*sx
		vals := make([]float64, nav*n)
		for f := range nav {
			for i := range n {
				vals[f*n+i] = h5val(f, i)
			}
		}
		dark := make([]float64, n)
		gain := make([]float64, n)
		for i := range dark {
			dark[i] = float64(i%7)*0.3 + 0.1
			gain[i] = 1 + float64(i%5)*0.37
		}
		excl := make([]bool, n)
		for _, c := range [][2]int{{0, 0}, {3, 3}, {3, 4}, {sy - 1, sx - 1}, {5, 1}} {
			excl[c[0]*sx+c[1]] = true
		}
		for _, c := range []struct {
			name       string
			dark, gain []float64
			excl       []bool
		}{{"all", dark, gain, excl}, {"dark", dark, nil, nil}, {"gain+excluded", nil, gain, excl}, {"excluded", nil, nil, excl}} {
			want32 := fusedRef[float32](vals, nav, sy, sx, c.dark, c.gain, c.excl)
			want64 := fusedRef[float64](vals, nav, sy, sx, c.dark, c.gain, c.excl)
			cs := Corrections{Dark: c.dark, Gain: c.gain, Excluded: c.excl}
			fused, err := WithCorrections(base, cs)
			if err != nil {
				t.Fatal(err)
			}
			unfused, err := WithCorrections(hideFused{base}, cs)
			if err != nil {
				t.Fatal(err)
			}
			checkFusedReads(t, tc.name+" "+c.name, fused, unfused, sig, nav, randomROI(nav, 5), [][]int{{4, sy, sx}, {3, 3, 4}, {2, sy, 3}, {5, 1, sx}}, want32, want64)
		}
		// plain reads after corrected ones stay uncorrected
		plain := readAll[float64](t, base, 2, mustScheme(t, []int{4, sy, sx}, sig), nil, array.Float64).data
		if i := sameBits(plain, vals); i >= 0 {
			t.Fatalf("%s: plain read after corrected reads: [%d] = %v, want %v", tc.name, i, plain[i], vals[i])
		}
		base.Close()
	}
}

// TestCorrectionsFusedHDF5NoAlloc checks that corrected reads of a chunked HDF5
// dataset allocate nothing per frame.
func TestCorrectionsFusedHDF5NoAlloc(t *testing.T) {
	needHDF5(t)
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	const frames, sy, sx = 256, 16, 16
	path := filepath.Join(t.TempDir(), "d.h5")
	writeH5(t, path, 2, h5ds{"/data", hdf5.DatasetSpec{Shape: []int{frames, sy, sx}, Type: hdf5.Type{Kind: hdf5.KindUint, Size: 2}, Chunk: []int{4, 8, 16},
		Filters: []hdf5.Filter{{ID: hdf5.FilterDeflate, Params: []uint32{1}}}}})
	h5, err := OpenHDF5(path, HDF5Options{})
	if err != nil {
		t.Fatal(err)
	}
	excl := make([]bool, sy*sx)
	excl[5*sx+5] = true
	dark, gain := make([]float64, sy*sx), make([]float64, sy*sx)
	for i := range gain {
		dark[i], gain[i] = 1, 2
	}
	ds, err := WithCorrections(h5, Corrections{Dark: dark, Gain: gain, Excluded: excl})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	checkAllocsFlat(t, ds, []int{sy, sx}, 0, array.Float32, array.Float64)
}

// checkFusedReads reads fused and unfused (the same dataset through the separate
// correction pass) with each tile shape (as fused adjusts it), without and with roi,
// as float32 and float64, and fails unless every value equals the direct loop's
// (want32, want64: nav frames of the signal shape sig) and the unfused path's, bit for
// bit.
func checkFusedReads(t *testing.T, label string, fused, unfused Dataset, sig []int, nav int, roi []bool, tileShapes [][]int, want32, want64 []float64) {
	t.Helper()
	n := 1
	for _, d := range sig {
		n *= d
	}
	for _, ts := range tileShapes {
		adj := fused.AdjustTileShape(ts, nil)
		sch := mustScheme(t, adj, sig)
		for _, r := range [][]bool{nil, roi} {
			for _, read := range []struct {
				dt   array.DType
				want []float64
				rd   func(ds Dataset) []float64
			}{
				{array.Float32, want32, func(ds Dataset) []float64 { return readAll[float32](t, ds, 2, sch, r, array.Float32).data }},
				{array.Float64, want64, func(ds Dataset) []float64 { return readAll[float64](t, ds, 3, sch, r, array.Float64).data }},
			} {
				got, ref := read.rd(fused), read.rd(unfused)
				w := expect(read.want, nav, n, nav, 0, r)
				if i := sameBits(got, w); i >= 0 {
					t.Fatalf("%s %v ts=%v: fused [%d] = %v, direct loop %v", label, read.dt, adj, i, got[i], w[i])
				}
				if i := sameBits(got, ref); i >= 0 {
					t.Fatalf("%s %v ts=%v: fused [%d] = %v, unfused %v", label, read.dt, adj, i, got[i], ref[i])
				}
			}
		}
	}
}

// checkAllocsFlat reads ds as one partition in 8-frame tiles of each dtype and fails
// when reading all its frames allocates more than reading only its first 8: the
// corrected read allocates nothing per frame. minFrames > 0 also requires the
// partition to hold at least that many frames (the test's set-up).
func checkAllocsFlat(t *testing.T, ds Dataset, sig []int, minFrames int, dts ...array.DType) {
	t.Helper()
	sch := mustScheme(t, ds.AdjustTileShape(append([]int{8}, sig...), nil), sig)
	parts := Partitions(ds, 1)
	if parts[0].Len() < minFrames {
		t.Fatalf("test set-up: partition of %d frames, want ≥ %d", parts[0].Len(), minFrames)
	}
	for _, dt := range dts {
		req := TileRequest{Scheme: sch, DType: dt}
		read := func(p Partition) {
			if err := ds.ReadTiles(t.Context(), p, req, func(*Tile) error { return nil }); err != nil {
				t.Fatal(err)
			}
		}
		read(parts[0])
		short := parts[0]
		short.Slice.Shape = array.NewShape(append([]int{8}, sig...), 2)
		few := testing.AllocsPerRun(20, func() { read(short) })
		many := testing.AllocsPerRun(20, func() { read(parts[0]) })
		if many > few {
			t.Errorf("%v: allocations grow with frames: %v for 8 frames, %v for %d", dt, few, many, parts[0].Len())
		}
	}
}
