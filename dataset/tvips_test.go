package dataset

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// tvipsSeries builds a series header.
func tvipsSeries(version, w, h, bpp, imgHdr int) []byte {
	b := make([]byte, 256)
	for i, v := range []int{256, version, w, h, bpp, 0, 0, 1, 1, 5, 300, 1000, imgHdr} {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(int32(v)))
	}
	return b
}

// tvipsRecord builds one frame record: an image header of hdr bytes (scan position at
// bytes 68/72 when it fits) and the pixels v(y, x).
func tvipsRecord(hdr, w, h, bpp int, sy, sx float32, v func(y, x int) int) []byte {
	b := make([]byte, hdr)
	if hdr >= 76 {
		binary.LittleEndian.PutUint32(b[68:], math.Float32bits(sx))
		binary.LittleEndian.PutUint32(b[72:], math.Float32bits(sy))
	}
	for y := range h {
		for x := range w {
			if bpp == 8 {
				b = append(b, byte(v(y, x)))
			} else {
				b = binary.LittleEndian.AppendUint16(b, uint16(v(y, x)))
			}
		}
	}
	return b
}

func tvipsValue(f, y, x int) int { return (f*31 + y*7 + x) % 251 }

func TestTVIPS(t *testing.T) {
	const w, h = 5, 3
	// 2 frames before the scan, a 3 × 4 raster, 1 frame after: 15 frames in 2 files
	type pos struct{ y, x float32 }
	var scan []pos
	scan = append(scan, pos{0, 0}, pos{0, 0})
	for y := range 3 {
		for x := range 4 {
			scan = append(scan, pos{float32(y), float32(x) + 0.25})
		}
	}
	scan = append(scan, pos{7, 7})
	cases := []struct {
		name          string
		version, bpp  int
		hdr           int
		opts          OpenOptions
		nav           []int
		sync          int
		detailSnippet string
	}{
		{"v2 16-bit detected", 2, 16, 108, OpenOptions{}, []int{3, 4}, 2, "width 4"},
		{"v2 8-bit nav given", 2, 8, 128, OpenOptions{NavShape: []int{13}}, []int{13}, 2, "given"},
		{"v2 sync given", 2, 16, 108, OpenOptions{SyncOffset: 1}, []int{3, 4}, 1, "given"},
		{"v1", 1, 16, 0, OpenOptions{}, []int{15}, 0, "version 1"},
	}
	for _, c := range cases {
		dir := t.TempDir()
		hdr := c.hdr
		if c.version == 1 {
			hdr = 12
		}
		f0 := tvipsSeries(c.version, w, h, c.bpp, c.hdr)
		var f1 []byte
		for i, s := range scan {
			r := tvipsRecord(hdr, w, h, c.bpp, s.y, s.x, func(y, x int) int { return tvipsValue(i, y, x) })
			if i < 9 {
				f0 = append(f0, r...)
			} else {
				f1 = append(f1, r...)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "scan_000.tvips"), f0, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "scan_001.tvips"), f1, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "scan_notes.tvips"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		// any file of the set opens the whole set
		ds, err := Open("auto", filepath.Join(dir, "scan_001.tvips"), c.opts)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		dt := array.Uint16
		if c.bpp == 8 {
			dt = array.Uint8
		}
		if !slices.Equal(ds.Shape().Nav(), c.nav) || !slices.Equal(ds.Shape().Sig(), []int{h, w}) || ds.DType() != dt || ds.ImageCount() != 15 || ds.SyncOffset() != c.sync {
			t.Fatalf("%s: shape %v dtype %v count %d sync %d", c.name, ds.Shape(), ds.DType(), ds.ImageCount(), ds.SyncOffset())
		}
		src := make([]float64, 15*h*w)
		for f := range 15 {
			for y := range h {
				for x := range w {
					src[(f*h+y)*w+x] = float64(tvipsValue(f, y, x))
				}
			}
		}
		nav := ds.Shape().NavSize()
		sch, _ := NewTilingScheme([]int{4, h, w}, []int{h, w}, MethodTile)
		roi := randomROI(nav, 3)
		r := readAll[float64](t, ds, 3, sch, roi, array.Float64)
		if i := sameNaN(r.data, expect(src, nav, h*w, 15, c.sync, roi)); i >= 0 {
			t.Fatalf("%s: element %d = %v", c.name, i, r.data[i])
		}
		in := ds.Info()
		if len(in.Files) != 2 || !strings.Contains(in.String(), c.detailSnippet) {
			t.Fatalf("%s: info %s", c.name, in)
		}
		ds.Close()
	}
}

func TestTVIPSDetect(t *testing.T) {
	type p struct{ y, x int }
	cases := []struct {
		name  string
		scan  []p
		count int
		sync  int
		nav   []int
	}{
		{"no start", []p{{0, 0}, {0, 0}, {1, 1}}, 3, 0, []int{3}},
		{"start, no row end", []p{{0, 0}, {0, 1}, {0, 2}}, 3, 0, []int{3}},
		{"zero then later (0,1)", []p{{0, 0}, {5, 5}, {0, 1}, {0, 2}, {1, 0}, {1, 1}, {1, 2}}, 7, 1, []int{2, 3}},
		{"rows floor", []p{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {2, 0}}, 5, 0, []int{2, 2}},
	}
	for _, c := range cases {
		sync, nav, _, err := tvipsDetect(c.count, func(i int) (int, int, bool, error) { return c.scan[i].y, c.scan[i].x, true, nil })
		if err != nil || sync != c.sync || !slices.Equal(nav, c.nav) {
			t.Errorf("%s: sync %d nav %v err %v, want %d %v", c.name, sync, nav, err, c.sync, c.nav)
		}
	}
}

func TestTVIPSErrors(t *testing.T) {
	good := append(tvipsSeries(2, 4, 2, 16, 108), tvipsRecord(108, 4, 2, 16, 0, 0, func(y, x int) int { return x })...)
	mod := func(i, v int) []byte {
		b := slices.Clone(good)
		binary.LittleEndian.PutUint32(b[4*i:], uint32(int32(v)))
		return b
	}
	cases := []struct {
		name     string
		files    map[string][]byte
		open     string
		sentinel error
		field    string
	}{
		{"version 3", map[string][]byte{"a_000.tvips": mod(1, 3)}, "a_000.tvips", ErrHeader, "series_header.version"},
		{"size 100", map[string][]byte{"a_000.tvips": mod(0, 100)}, "a_000.tvips", ErrHeader, "series_header.size"},
		{"bpp 12", map[string][]byte{"a_000.tvips": mod(4, 12)}, "a_000.tvips", ErrDType, "series_header.bpp"},
		{"width 0", map[string][]byte{"a_000.tvips": mod(2, 0)}, "a_000.tvips", ErrHeader, "series_header.dims"},
		{"short header", map[string][]byte{"a_000.tvips": good[:100]}, "a_000.tvips", ErrFileTooShort, "header"},
		{"truncated frame", map[string][]byte{"a_000.tvips": good[:len(good)-1]}, "a_000.tvips", ErrFileTooShort, "size"},
		{"truncated second file", map[string][]byte{"a_000.tvips": good, "a_001.tvips": good[256+5:]}, "a_000.tvips", ErrFileTooShort, "size"},
		{"no _000", map[string][]byte{"a_001.tvips": good}, "a_001.tvips", ErrNotFound, "path"},
	}
	for _, c := range cases {
		dir := t.TempDir()
		for n, b := range c.files {
			if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		_, err := Open("tvips", filepath.Join(dir, c.open), OpenOptions{})
		var e *Error
		var se *ShortFileError
		ok := errors.Is(err, c.sentinel) && (errors.As(err, &e) && e.Field == c.field || errors.As(err, &se) && se.Field == c.field)
		if !ok {
			t.Errorf("%s: %v, want %v on %s", c.name, err, c.sentinel, c.field)
		}
	}
}

func FuzzTVIPSHeader(f *testing.F) {
	f.Add(tvipsSeries(2, 4, 2, 16, 108))
	f.Add(tvipsSeries(1, 4, 2, 8, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseTVIPSHeader(b, "fuzz.tvips")
		if err != nil {
			return
		}
		if h.recordBytes() <= 0 || h.pixelBytes() <= 0 || h.ImageHeaderBytes < 0 {
			t.Fatalf("accepted %+v", h)
		}
	})
}
