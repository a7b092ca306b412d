package dataset

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// framedFiles writes the frames of vals (frames of sig elements, dtype dt, order bo)
// into files of counts[i] frames each: a fileHdr-byte file header, then per frame a
// frameHdr-byte header (filled with 0xEE) and the record. It returns the layout files.
func framedFiles(t *testing.T, dir string, vals []float64, sig int, dt array.DType, bo binary.ByteOrder, counts []int, fileHdr, frameHdr int) []FrameFile {
	t.Helper()
	rb := sig * dt.ItemSize()
	var out []FrameFile
	f := 0
	for i, n := range counts {
		b := make([]byte, fileHdr)
		for range n {
			for range frameHdr {
				b = append(b, 0xEE)
			}
			b = append(b, encode(vals[f*sig:(f+1)*sig], dt, bo)...)
			f++
		}
		p := filepath.Join(dir, "part"+string(rune('a'+i))+".bin")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, FrameFile{Path: p, Frames: n, Offset: int64(fileHdr + frameHdr), Stride: int64(frameHdr + rb)})
	}
	return out
}

// checkFramed reads ds with several tilings, ROIs and read dtypes and compares with the
// expected frames src (sync offset k).
func checkFramed(t *testing.T, ds Dataset, src []float64, imageCount int) {
	t.Helper()
	k := ds.SyncOffset()
	sh := ds.Shape()
	nav, sig := sh.NavSize(), sh.SigSize()
	sigDims := sh.Sig()
	for _, roi := range [][]bool{nil, randomROI(nav, uint64(k+5))} {
		for _, ts := range [][]int{append([]int{4}, sigDims...), {3, 2, 3}, {1, 1, sigDims[1]}} {
			sch, err := NewTilingScheme(ts, sigDims, MethodTile)
			if err != nil {
				t.Fatal(err)
			}
			want := expect(src, nav, sig, imageCount, k, roi)
			r := readAll[float32](t, ds, 3, sch, roi, array.Float32)
			if i := sameNaN(r.data, want); i >= 0 {
				t.Fatalf("float32 k=%d ts=%v roi=%v: element %d = %v, want %v", k, ts, roi != nil, i, r.data[i], want[i])
			}
			r64 := readAll[float64](t, ds, 2, sch, roi, array.Float64)
			if i := sameNaN(r64.data, want); i >= 0 {
				t.Fatalf("float64 k=%d ts=%v: element %d = %v, want %v", k, ts, i, r64.data[i], want[i])
			}
			ri := readAll[int32](t, ds, 1, sch, roi, array.Int32)
			if i := sameNaN(ri.data, want); i >= 0 {
				t.Fatalf("int32 k=%d ts=%v: element %d = %v, want %v", k, ts, i, ri.data[i], want[i])
			}
		}
	}
}

func TestFramedStrideSets(t *testing.T) {
	const sy, sx = 5, 6
	counts := []int{7, 5}
	n := 12
	vals := smallVals(n * sy * sx)
	for _, c := range []struct {
		name string
		dt   array.DType
		bo   binary.ByteOrder
	}{
		{"u16be", array.Uint16, binary.BigEndian},
		{"u16le", array.Uint16, binary.LittleEndian},
		{"u8", array.Uint8, nil},
		{"f32be", array.Float32, binary.BigEndian},
		{"u32be", array.Uint32, binary.BigEndian},
	} {
		t.Run(c.name, func(t *testing.T) {
			files := framedFiles(t, t.TempDir(), vals, sy*sx, c.dt, c.bo, counts, 16, 7)
			for _, io := range []string{IOMmap, IORead} {
				for _, k := range []int{0, 3, -2} {
					ds, err := OpenFramed(FrameLayout{
						Format: "test", Path: files[0].Path, Files: files, RecordBytes: sy * sx * c.dt.ItemSize(),
						DType: c.dt, ByteOrder: c.bo, SigShape: []int{sy, sx}, NavShape: []int{3, 4},
					}, FramedOptions{ShapeOptions: ShapeOptions{SyncOffset: k}, IO: io})
					if err != nil {
						t.Fatal(err)
					}
					if !ds.NeedDecode(c.dt, nil) {
						t.Error("headers between frames: NeedDecode must be true")
					}
					checkFramed(t, ds, vals, n)
					info := ds.Info()
					if len(info.Files) != 2 || info.Bytes != int64(n*sy*sx*c.dt.ItemSize()) || info.IO != io && !(io == IOMmap && info.IO != IORead) {
						t.Errorf("info %+v", info)
					}
					if err := ds.Close(); err != nil {
						t.Fatal(err)
					}
					if err := ds.Close(); err != nil {
						t.Fatal(err)
					}
					err = ds.ReadTiles(context.Background(), Partitions(ds, 1)[0], TileRequest{Scheme: mustScheme(t, []int{1, sy, sx}, []int{sy, sx})}, func(*Tile) error { return nil })
					if !errors.Is(err, ErrClosed) {
						t.Errorf("read after close: %v", err)
					}
				}
			}
		})
	}
}

func mustScheme(t *testing.T, ts, sig []int) TilingScheme {
	t.Helper()
	s, err := NewTilingScheme(ts, sig, MethodTile)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFramedOffsetsTableAndOverrides(t *testing.T) {
	const sy, sx = 4, 6
	const n = 9
	vals := smallVals(n * sy * sx)
	// irregular gaps, frames stored out of order in the file
	order := []int{3, 0, 8, 1, 5, 2, 7, 4, 6}
	rb := sy * sx * 2
	offs := make([]int64, n)
	b := []byte("HEADER")
	for i, f := range order {
		b = append(b, make([]byte, 3+i*5)...)
		offs[f] = int64(len(b))
		b = append(b, encode(vals[f*sy*sx:(f+1)*sy*sx], array.Uint16, binary.LittleEndian)...)
	}
	p := writeFile(t, "table.bin", b)
	for _, io := range []string{IOMmap, IORead} {
		l := FrameLayout{Path: p, Files: []FrameFile{{Path: p, Frames: n, Offsets: offs}}, RecordBytes: rb, DType: array.Uint16, ByteOrder: binary.LittleEndian, SigShape: []int{sy, sx}}
		// nav required when the layout has none
		if _, err := OpenFramed(l, FramedOptions{IO: io}); !errors.Is(err, ErrShape) {
			t.Fatalf("missing nav: %v", err)
		}
		ds, err := OpenFramed(l, FramedOptions{ShapeOptions: ShapeOptions{NavShape: []int{3, 3}, SigShape: []int{2, 12}, SyncOffset: 1}, IO: io})
		if err != nil {
			t.Fatal(err)
		}
		if got := ds.Shape().Dims(); got[2] != 2 || got[3] != 12 {
			t.Fatalf("shape %v", got)
		}
		checkFramed(t, ds, vals, n)
		ds.Close()
		// nav larger than the stored frames: the missing positions get no data
		ds, err = OpenFramed(l, FramedOptions{ShapeOptions: ShapeOptions{NavShape: []int{4, 3}}, IO: io})
		if err != nil {
			t.Fatal(err)
		}
		checkFramed(t, ds, vals, n)
		ds.Close()
	}
}

func TestFramedCrop(t *testing.T) {
	// stored 7×8 float32 frames, keep the 5×6 box at (1, 2) (an EMPAD-like footer)
	const ry, rx, sy, sx, oy, ox = 7, 8, 5, 6, 1, 2
	const n = 10
	stored := smallVals(n * ry * rx)
	var kept []float64
	for f := range n {
		for y := range sy {
			for x := range sx {
				kept = append(kept, stored[f*ry*rx+(y+oy)*rx+x+ox])
			}
		}
	}
	for _, full := range []bool{false, true} {
		cx, kx := ox, sx
		if full { // keep whole rows: the runs can span rows
			cx, kx = 0, rx
			kept = kept[:0]
			for f := range n {
				for y := range sy {
					for x := range rx {
						kept = append(kept, stored[f*ry*rx+(y+oy)*rx+x])
					}
				}
			}
		}
		p := writeFile(t, "crop.raw", encode(stored, array.Float32, binary.LittleEndian))
		for _, io := range []string{IOMmap, IORead} {
			ds, err := OpenFramed(FrameLayout{Path: p, Files: []FrameFile{{Path: p, Frames: n, Stride: ry * rx * 4}}, RecordBytes: ry * rx * 4,
				DType: array.Float32, ByteOrder: binary.LittleEndian, SigShape: []int{sy, kx}, StoredShape: []int{ry, rx}, CropOrigin: []int{oy, cx}, NavShape: []int{2, 5}},
				FramedOptions{IO: io, ShapeOptions: ShapeOptions{SyncOffset: -3}})
			if err != nil {
				t.Fatal(err)
			}
			checkFramed(t, ds, kept, n)
			ds.Close()
		}
	}
	p := writeFile(t, "crop.raw", encode(stored, array.Float32, binary.LittleEndian))
	_, err := OpenFramed(FrameLayout{Path: p, Files: []FrameFile{{Path: p, Frames: n, Stride: ry * rx * 4}}, RecordBytes: ry * rx * 4,
		DType: array.Float32, SigShape: []int{sy, sx}, StoredShape: []int{ry, rx}, CropOrigin: []int{3, 3}, NavShape: []int{n}}, FramedOptions{})
	if !errors.Is(err, ErrShape) || !strings.Contains(err.Error(), "crop_origin") {
		t.Errorf("crop outside: %v", err)
	}
}

// nibbleDecoder decodes records of packed 4-bit values (high nibble first) into uint8.
func nibbleDecoder() FrameDecodeFunc {
	return func(dst, rec []byte) error {
		for i := range dst {
			b := rec[i/2]
			if i%2 == 0 {
				dst[i] = b >> 4
			} else {
				dst[i] = b & 15
			}
		}
		return nil
	}
}

func TestFramedDecoder(t *testing.T) {
	const sy, sx, n = 4, 6, 11
	vals := make([]float64, n*sy*sx)
	var b []byte
	b = append(b, "FILEHDR!"...)
	for f := range n {
		b = append(b, "fh"...)
		for i := 0; i < sy*sx; i += 2 {
			hi, lo := (f*3+i)%16, (f+i*5)%16
			vals[f*sy*sx+i], vals[f*sy*sx+i+1] = float64(hi), float64(lo)
			b = append(b, byte(hi<<4|lo))
		}
	}
	p := writeFile(t, "nib.bin", b)
	for _, io := range []string{IOMmap, IORead} {
		ds, err := OpenFramed(FrameLayout{Path: p, Files: []FrameFile{{Path: p, Frames: n, Offset: 10, Stride: 2 + sy*sx/2}}, RecordBytes: sy * sx / 2,
			DType: array.Uint8, SigShape: []int{sy, sx}, NewDecoder: nibbleDecoder, NavShape: []int{n}}, FramedOptions{IO: io, ShapeOptions: ShapeOptions{SyncOffset: 2}})
		if err != nil {
			t.Fatal(err)
		}
		checkFramed(t, ds, vals, n)
		r := readAll[uint8](t, ds, 2, mustScheme(t, []int{3, sy, sx}, []int{sy, sx}), nil, array.DType{})
		if i := sameNaN(r.data, expect(vals, n, sy*sx, n, 2, nil)); i >= 0 {
			t.Fatalf("native: element %d", i)
		}
		ds.Close()
	}
	// a decoder error names the file and frame
	bad := func() FrameDecodeFunc {
		return func(dst, rec []byte) error { return errors.New("bad bits") }
	}
	ds, err := OpenFramed(FrameLayout{Path: p, Files: []FrameFile{{Path: p, Frames: n, Offset: 10, Stride: 2 + sy*sx/2}}, RecordBytes: sy * sx / 2,
		DType: array.Uint8, SigShape: []int{sy, sx}, NewDecoder: bad, NavShape: []int{n}}, FramedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	err = ds.ReadTiles(context.Background(), Partitions(ds, 1)[0], TileRequest{Scheme: mustScheme(t, []int{2, sy, sx}, []int{sy, sx})}, func(*Tile) error { return nil })
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "frame 0") {
		t.Errorf("decoder error: %v", err)
	}
}

func TestFramedContiguousIsZeroCopy(t *testing.T) {
	const sy, sx, n = 4, 4, 8
	vals := smallVals(n * sy * sx)
	b := append(make([]byte, 64), encode(vals, array.Float32, binary.LittleEndian)...)
	p := writeFile(t, "c.bin", b)
	ds, err := OpenFramed(FrameLayout{Path: p, Files: []FrameFile{{Path: p, Frames: n, Offset: 64, Stride: sy * sx * 4}}, RecordBytes: sy * sx * 4,
		DType: array.Float32, ByteOrder: binary.LittleEndian, SigShape: []int{sy, sx}, NavShape: []int{2, 4}}, FramedOptions{ShapeOptions: ShapeOptions{SyncOffset: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	if !hostBig && ds.NeedDecode(array.Float32, nil) {
		t.Error("contiguous native frames should be zero-copy")
	}
	if ds.Info().DataOffset != 64 {
		t.Errorf("data offset %d", ds.Info().DataOffset)
	}
	checkFramed(t, ds, vals, n)
}

func TestFramedErrors(t *testing.T) {
	dir := t.TempDir()
	vals := smallVals(4 * 6)
	files := framedFiles(t, dir, vals, 6, array.Uint16, binary.BigEndian, []int{2, 2}, 4, 2)
	base := FrameLayout{Path: files[0].Path, Files: files, RecordBytes: 12, DType: array.Uint16, ByteOrder: binary.BigEndian, SigShape: []int{2, 3}, NavShape: []int{4}}
	// second file truncated: the error names it
	short := append([]FrameFile(nil), files...)
	short[1].Frames = 3
	l := base
	l.Files = short
	_, err := OpenFramed(l, FramedOptions{})
	if !errors.Is(err, ErrFileTooShort) || !strings.Contains(err.Error(), files[1].Path) {
		t.Errorf("short second file: %v", err)
	}
	for _, c := range []struct {
		name string
		mod  func(l *FrameLayout)
		o    FramedOptions
		want error
	}{
		{"small stride", func(l *FrameLayout) { l.Files = []FrameFile{{Path: files[0].Path, Frames: 2, Stride: 4}} }, FramedOptions{}, ErrHeader},
		{"record too small", func(l *FrameLayout) { l.RecordBytes = 10 }, FramedOptions{}, ErrShape},
		{"no files", func(l *FrameLayout) { l.Files = nil }, FramedOptions{}, ErrOption},
		{"no frames", func(l *FrameLayout) { l.Files = []FrameFile{{Path: files[0].Path}} }, FramedOptions{}, ErrFileTooShort},
		{"dtype", func(l *FrameLayout) { l.DType = array.DType{} }, FramedOptions{}, ErrDType},
		{"sync", func(l *FrameLayout) {}, FramedOptions{ShapeOptions: ShapeOptions{SyncOffset: 4}}, ErrSyncOffset},
		{"sig size", func(l *FrameLayout) {}, FramedOptions{ShapeOptions: ShapeOptions{SigShape: []int{7}}}, ErrSigSize},
		{"missing file", func(l *FrameLayout) { l.Files = []FrameFile{{Path: filepath.Join(dir, "nope"), Frames: 1}} }, FramedOptions{}, ErrNotFound},
		{"offsets count", func(l *FrameLayout) { l.Files = []FrameFile{{Path: files[0].Path, Frames: 2, Offsets: []int64{6}}} }, FramedOptions{}, ErrHeader},
		{"negative offset", func(l *FrameLayout) { l.Files = []FrameFile{{Path: files[0].Path, Frames: 1, Offsets: []int64{-6}}} }, FramedOptions{}, ErrHeader},
	} {
		l := base
		c.mod(&l)
		if _, err := OpenFramed(l, c.o); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestFramedReadAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations differ under -race")
	}
	const sy, sx = 8, 8
	n := 64
	vals := smallVals(n * sy * sx)
	files := framedFiles(t, t.TempDir(), vals, sy*sx, array.Uint16, binary.BigEndian, []int{n}, 0, 12)
	for _, io := range []string{IOMmap, IORead} {
		ds, err := OpenFramed(FrameLayout{Path: files[0].Path, Files: files, RecordBytes: sy * sx * 2, DType: array.Uint16, ByteOrder: binary.BigEndian, SigShape: []int{sy, sx}, NavShape: []int{n}}, FramedOptions{IO: io})
		if err != nil {
			t.Fatal(err)
		}
		sch := mustScheme(t, []int{2, 4, sx}, []int{sy, sx})
		p := Partitions(ds, 1)[0]
		ctx := context.Background()
		req := TileRequest{Scheme: sch, DType: array.Float32}
		fn := func(*Tile) error { return nil }
		_ = ds.ReadTiles(ctx, p, req, fn)
		a := testing.AllocsPerRun(20, func() { _ = ds.ReadTiles(ctx, p, req, fn) })
		if a > 2 { // 64 tiles per call: anything per tile would show
			t.Errorf("%s: %v allocations per ReadTiles of 64 tiles", io, a)
		}
		ds.Close()
	}
}
