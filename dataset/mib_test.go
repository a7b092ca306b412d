package dataset

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// mibHeader builds a frame header the way the Merlin software writes it, padded to size
// with NUL bytes.
func mibHeader(seq, size, chips, w, h int, dtype, layout string, depth int) []byte {
	s := fmt.Sprintf("MQ1,%06d,%05d,%02d,%04d,%04d,%s,%6s,01,2024-01-01 00:00:00.000000,0.001000,0,0,0,1.000000E+1,0.000000E+0,0.000000E+0,0.000000E+0,3RX,175,511,125,125,125,125,125,125,100,511,100,100,100,100,100,100,100,100,MQ1A,2024-01-01T00:00:00.000000000Z,0ns,%d,",
		seq, size, chips, w, h, dtype, layout, depth)
	b := []byte(s)
	for len(b) < size {
		b = append(b, 0)
	}
	return b[:size]
}

// The raw encoders below follow the format description directly (64-bit big-endian
// words with pixels packed from the least significant end), pixel by pixel.

func encR1(p []int) []byte {
	out := make([]byte, len(p)/8)
	for s := 0; s < len(p)/64; s++ {
		for k := range 8 {
			var v byte
			for b := range 8 {
				v |= byte(p[64*s+8*k+b]&1) << b
			}
			out[(s+1)*8-(k+1)] = v
		}
	}
	return out
}

func encR6(p []int) []byte {
	out := make([]byte, len(p))
	for i := range out {
		out[i] = byte(p[(i/8+1)*8-i%8-1])
	}
	return out
}

func encR12(p []int) []byte {
	out := make([]byte, 2*len(p))
	for i := range p {
		binary.BigEndian.PutUint16(out[2*i:], uint16(p[(i/4+1)*4-i%4-1]))
	}
	return out
}

// quadStore rearranges a decoded (2px, 2px) quad frame into the stored raw order: px rows
// of the chip rows of quadrants 4, 3, 2, 1, quadrants 3 and 4 flipped in x and y.
func quadStore(img []int, px int) []int {
	w := 2 * px
	out := make([]int, 0, len(img))
	for r := range px {
		y := 2*px - 1 - r
		q4 := make([]int, px)
		q3 := make([]int, px)
		for x := range px {
			q3[x] = img[y*w+px-1-x]
			q4[x] = img[y*w+2*px-1-x]
		}
		out = append(out, q4...)
		out = append(out, q3...)
		out = append(out, img[r*w+px:r*w+2*px]...)
		out = append(out, img[r*w:r*w+px]...)
	}
	return out
}

type mibCase struct {
	name   string
	dtype  string // U08, U16, U32, R64
	depth  int
	layout string
	chips  int
	rows   int // decoded frame
	cols   int
	native array.DType
}

// mibPixels returns frame f's decoded pixel values, within the counter depth.
func mibPixels(c mibCase, f int) []int {
	p := make([]int, c.rows*c.cols)
	lim := 1 << c.depth
	for i := range p {
		p[i] = (i*37 + f*101 + (i*i)%17) % lim
	}
	return p
}

// mibRecord encodes one frame and returns the record and the header's width and height.
func mibRecord(c mibCase, p []int) ([]byte, int, int) {
	w, h := c.cols, c.rows
	if c.dtype != "R64" {
		var b []byte
		for _, v := range p {
			switch c.dtype {
			case "U08":
				b = append(b, byte(v))
			case "U16":
				b = binary.BigEndian.AppendUint16(b, uint16(v))
			case "U32":
				b = binary.BigEndian.AppendUint32(b, uint32(v))
			}
		}
		return b, w, h
	}
	stored := p
	if strings.HasPrefix(c.layout, "2x2") {
		stored = quadStore(p, c.rows/2)
		w, h = 4*c.rows/2, c.rows/2
	} else if c.chips > 1 { // Nx1: stored as is
		w, h = c.cols, c.rows
	}
	switch c.depth {
	case 1:
		return encR1(stored), w, h
	case 6:
		return encR6(stored), w, h
	case 12:
		return encR12(stored), w, h
	}
	hi, lo := make([]int, len(stored)), make([]int, len(stored))
	for i, v := range stored {
		hi[i], lo[i] = v>>12, v&0xfff
	}
	return append(encR12(hi), encR12(lo)...), 2 * w, h
}

// writeMIBSet writes frames into files named prefix+names[i]+".mib" holding counts[i]
// frames each; the sequence numbers run in the order of the names. It returns the
// expected decoded values of all frames in sequence order.
func writeMIBSet(t *testing.T, dir, prefix string, c mibCase, names []string, counts []int, hdrSize int) ([]float64, []string) {
	t.Helper()
	var vals []float64
	var paths []string
	f := 0
	for i, n := range names {
		var b []byte
		for range counts[i] {
			p := mibPixels(c, f)
			rec, w, h := mibRecord(c, p)
			b = append(b, mibHeader(f+1, hdrSize, c.chips, w, h, c.dtype, c.layout, c.depth)...)
			b = append(b, rec...)
			for _, v := range p {
				vals = append(vals, float64(v))
			}
			f++
		}
		path := filepath.Join(dir, prefix+n+".mib")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	return vals, paths
}

func TestMIBModes(t *testing.T) {
	cases := []mibCase{
		{"U08-6bit", "U08", 6, "1x1", 1, 8, 16, array.Uint8},
		{"U08-1bit", "U08", 1, "1x1", 1, 8, 16, array.Uint8},
		{"U16-12bit", "U16", 12, "1x1", 1, 8, 12, array.Uint16},
		{"U32-24bit", "U32", 24, "1x1", 1, 6, 10, array.Uint32},
		{"U16-quad", "U16", 12, "2x2G", 4, 16, 16, array.Uint16},
		{"R64-1bit", "R64", 1, "1x1", 1, 8, 16, array.Uint8},
		{"R64-6bit", "R64", 6, "1x1", 1, 8, 16, array.Uint8},
		{"R64-12bit", "R64", 12, "1x1", 1, 8, 16, array.Uint16},
		{"R64-24bit", "R64", 24, "1x1", 1, 8, 16, array.Uint32},
		{"R64-quad-1bit", "R64", 1, "2x2", 4, 128, 128, array.Uint8},
		{"R64-quad-6bit", "R64", 6, "2x2", 4, 16, 16, array.Uint8},
		{"R64-quad-12bit", "R64", 12, "2x2G", 4, 16, 16, array.Uint16},
		{"R64-quad-24bit", "R64", 24, "2x2", 4, 16, 16, array.Uint32},
		{"R64-3x1-12bit", "R64", 12, "3x1", 3, 8, 24, array.Uint16},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			hdrSize := 384
			if c.chips == 4 {
				hdrSize = 768
			}
			// lexical file order differs from sequence order: scan9 holds frames 1-5,
			// scan10 frames 6-12
			vals, paths := writeMIBSet(t, dir, "scan", c, []string{"9", "10"}, []int{5, 7}, hdrSize)
			hdr := "HDR,\t\nTime and Date Stamp (day, mnth, yr, hr, min, s):\t01/01/2024 00:00:00\nChip ID:\tW530_E5\nFrames in Acquisition (Number):\t12\nFrames per Trigger (Number):\t4\nEnd\t\n"
			hdrPath := filepath.Join(dir, "scan.hdr")
			if err := os.WriteFile(hdrPath, []byte(hdr), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, io := range []string{IOMmap, IORead} {
				for _, p := range []string{hdrPath, paths[1]} {
					ds, err := Open("auto", p, OpenOptions{IO: io, SyncOffset: 1})
					if err != nil {
						t.Fatal(err)
					}
					if got := ds.Shape().Dims(); fmt.Sprint(got) != fmt.Sprint([]int{3, 4, c.rows, c.cols}) {
						t.Fatalf("shape %v", got)
					}
					if ds.DType() != c.native {
						t.Errorf("dtype %v, want %v", ds.DType(), c.native)
					}
					checkFramed(t, ds, vals, 12)
					nat := readAll[float64](t, ds, 2, mustScheme(t, []int{5, c.rows, c.cols}, []int{c.rows, c.cols}), nil, array.Float64)
					if i := sameNaN(nat.data, expect(vals, 12, c.rows*c.cols, 12, 1, nil)); i >= 0 {
						t.Fatalf("element %d", i)
					}
					info := ds.Info()
					if info.Format != "mib" || len(info.Files) != 2 || info.Files[0] != paths[0] {
						t.Errorf("info %+v", info)
					}
					ds.Close()
				}
			}
		})
	}
}

func readNativeMIB[T elem](t *testing.T, ds Dataset, c mibCase) []float64 {
	r := readAll[T](t, ds, 1, mustScheme(t, []int{4, c.rows, c.cols}, []int{c.rows, c.cols}), nil, array.DType{})
	return r.data
}

func TestMIBNativeAndNav(t *testing.T) {
	c := mibCase{"R64-12bit", "R64", 12, "1x1", 1, 8, 16, array.Uint16}
	dir := t.TempDir()
	vals, paths := writeMIBSet(t, dir, "run_", c, []string{"1"}, []int{9}, 384)
	// no .hdr: 9 frames make a 3×3 square
	ds, err := OpenMIB(paths[0], MIBOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ds.Shape().Nav()) != "[3 3]" {
		t.Errorf("nav %v", ds.Shape().Nav())
	}
	if i := sameNaN(readNativeMIB[uint16](t, ds, c), vals); i >= 0 {
		t.Fatalf("native element %d", i)
	}
	if !strings.Contains(ds.Info().String(), "nav_shape_source: square") {
		t.Error(ds.Info().String())
	}
	ds.Close()
	// ScanX/ScanY in a sidecar next to the .mib
	os.WriteFile(filepath.Join(dir, "run_.hdr"), []byte("HDR,\t\nScanX:\t3\nScanY:\t2\nFrames in Acquisition (Number):\t9\nFrames per Trigger (Number):\t9\nEnd\t"), 0o644)
	ds, err = OpenMIB(paths[0], MIBOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ds.Shape().Nav()) != "[2 3]" {
		t.Errorf("nav %v", ds.Shape().Nav())
	}
	ds.Close()
	// the option wins; sig reshape
	ds, err = OpenMIB(paths[0], MIBOptions{FramedOptions: FramedOptions{ShapeOptions: ShapeOptions{NavShape: []int{9}, SigShape: []int{16, 8}}}})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ds.Shape().Dims()) != "[9 16 8]" {
		t.Errorf("shape %v", ds.Shape().Dims())
	}
	ds.Close()
	// 7 frames, no hdr: 1-D nav
	_, paths = writeMIBSet(t, t.TempDir(), "x", c, []string{"1"}, []int{7}, 384)
	ds, err = OpenMIB(paths[0], MIBOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ds.Shape().Nav()) != "[7]" {
		t.Errorf("nav %v", ds.Shape().Nav())
	}
	ds.Close()
}

func TestMIBDetect(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.hdr")
	os.WriteFile(p, []byte("HDR,\t\nEnd\t"), 0o644)
	if f, err := DetectFormat(p); err != nil || f != "mib" {
		t.Errorf("mib .hdr detected as %q, %v", f, err)
	}
	q := filepath.Join(dir, "b.hdr")
	os.WriteFile(q, []byte("[measurementInfo]\n"), 0o644)
	if f, err := DetectFormat(q); err == nil && f == "mib" {
		t.Error("an ini .hdr detected as mib")
	}
}

func TestMIBErrors(t *testing.T) {
	c := mibCase{"U16", "U16", 12, "1x1", 1, 4, 8, array.Uint16}
	dir := t.TempDir()
	_, paths := writeMIBSet(t, dir, "ok", c, []string{"1"}, []int{3}, 384)
	good, _ := os.ReadFile(paths[0])
	write := func(name string, b []byte) string {
		p := filepath.Join(t.TempDir(), name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	hdr := func(s string) []byte {
		b := []byte(s)
		for len(b) < 384 {
			b = append(b, 0)
		}
		return append(b, make([]byte, 64)...)
	}
	for _, tc := range []struct {
		name, field string
		data        []byte
		want        error
	}{
		{"truncated header", "header", good[:100], ErrHeader},
		{"magic", "header.magic", append([]byte("XQ1,"), good[4:]...), ErrHeader},
		{"size", "header.size", hdr("MQ1,000001,abc,01,0008,0004,U16,   1x1,12"), ErrHeader},
		{"size too big", "header.size", hdr("MQ1,000001,09999,01,0008,0004,U16,   1x1,12"), ErrHeader},
		{"dtype", "header.dtype", hdr("MQ1,000001,00384,01,0008,0004,F32,   1x1,01,x,12"), ErrHeader},
		{"width", "header.width", hdr("MQ1,000001,00384,01,-008,0004,U16,   1x1,01,x,12"), ErrHeader},
		{"layout", "header.layout", hdr("MQ1,000001,00384,01,0008,0004,U16,   1y1,01,x,12"), ErrHeader},
		{"depth", "header.counter_depth", hdr("MQ1,000001,00384,01,0064,0004,R64,   1x1,01,x,7"), ErrHeader},
		{"raw words", "header.counter_depth", hdr("MQ1,000001,00384,01,0009,0003,R64,   1x1,01,x,1"), ErrHeader},
		{"quad width", "header.layout", hdr("MQ1,000001,00384,04,0016,0016,R64,   2x2,01,x,12"), ErrHeader},
		{"few fields", "header.fields", hdr("MQ1,000001,00384,01,0008"), ErrHeader},
		{"no frame", "frames", hdr("MQ1,000001,00384,01,0008,0004,U16,   1x1,01,x,12")[:390], ErrFileTooShort},
		{"second header missing", "header", append(append([]byte(nil), good...), append(make([]byte, 384), make([]byte, 64)...)...), ErrHeader},
	} {
		p := write("bad1.mib", tc.data)
		_, err := OpenMIB(p, MIBOptions{DisableGlob: true, FramedOptions: FramedOptions{ShapeOptions: ShapeOptions{NavShape: []int{1}}}})
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v, want %v naming %s and %s", tc.name, err, tc.want, p, tc.field)
		}
	}
	// a set mixing frame sizes names the odd file
	dir2 := t.TempDir()
	writeMIBSet(t, dir2, "m", c, []string{"1"}, []int{2}, 384)
	c2 := c
	c2.cols = 16
	_, odd := writeMIBSet(t, dir2, "m", c2, []string{"2"}, []int{2}, 384)
	// make the second file's sequence later
	b, _ := os.ReadFile(odd[0])
	copy(b[4:10], "000009")
	os.WriteFile(odd[0], b, 0o644)
	if _, err := OpenMIB(filepath.Join(dir2, "m1.mib"), MIBOptions{}); !errors.Is(err, ErrHeader) || !strings.Contains(err.Error(), odd[0]) {
		t.Errorf("mixed set: %v", err)
	}
	// .hdr problems
	h := write("x.hdr", []byte("HDR,\t\nFrames per Trigger (Number):\t0\nEnd\t"))
	os.WriteFile(filepath.Join(filepath.Dir(h), "x1.mib"), good, 0o644)
	if _, err := OpenMIB(h, MIBOptions{}); !errors.Is(err, ErrHeader) || !strings.Contains(err.Error(), "ScanX") {
		t.Errorf("hdr without nav: %v", err)
	}
	h = write("y.hdr", []byte("nonsense"))
	if _, err := OpenMIB(h, MIBOptions{}); !errors.Is(err, ErrHeader) {
		t.Errorf("bad hdr: %v", err)
	}
	h = write("z.hdr", []byte("HDR\nEnd\t"))
	if _, err := OpenMIB(h, MIBOptions{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("hdr without mib files: %v", err)
	}
	if _, err := OpenMIB(write("q.txt", good), MIBOptions{}); !errors.Is(err, ErrFormat) {
		t.Errorf("extension: %v", err)
	}
}

func FuzzParseMIBHeader(f *testing.F) {
	f.Add(mibHeader(1, 384, 1, 256, 256, "U16", "1x1", 12))
	f.Add(mibHeader(7, 768, 4, 1024, 256, "R64", "2x2G", 1))
	f.Add(mibHeader(7, 384, 1, 512, 256, "R64", "1x1", 24))
	f.Add([]byte("MQ1,1,20,1,1,1,U08,1x1,1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseMIBHeader(b)
		if err != nil {
			if !errors.Is(err, ErrHeader) {
				t.Fatalf("error %v does not wrap ErrHeader", err)
			}
			return
		}
		shape, rec, err := h.frame()
		if err != nil || h.HeaderBytes > len(b) || shape[0] <= 0 || shape[1] <= 0 || rec <= 0 {
			t.Fatalf("accepted header %+v: shape %v record %d err %v", h, shape, rec, err)
		}
		// the raw decoder must cope with a record of the declared size
		if h.Raw() && shape[0]*shape[1] <= 1<<16 {
			m := mibRaw{depth: h.CounterDepth, rows: shape[0], cols: shape[1], quad: h.quad(), px: h.Height}
			dst := make([]uint64, shape[0]*shape[1]) // 8-byte aligned
			if err := m.decoder()(bytesOf(dst)[:shape[0]*shape[1]*h.nativeDType().ItemSize()], make([]byte, rec)); err != nil {
				t.Fatal(err)
			}
		}
	})
}
