package dataset

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// seqFile builds a .seq file: a header of the given version, then n frames of h × w
// little-endian pixels of bits each, each followed by footer bytes of 0xEE.
func seqFile(version, w, h, bits, n, footer int, v func(f, i int) int) []byte {
	le := binary.LittleEndian
	off := 1024
	if version >= 5 {
		off = 8192
	}
	b := make([]byte, off)
	le.PutUint32(b, 0xFEED)
	for i, c := range "Norpix seq" {
		le.PutUint16(b[4+2*i:], uint16(c))
	}
	le.PutUint32(b[28:], uint32(version))
	le.PutUint32(b[32:], 1024)
	le.PutUint32(b[548:], uint32(w))
	le.PutUint32(b[552:], uint32(h))
	le.PutUint32(b[556:], uint32(bits))
	le.PutUint32(b[560:], uint32(bits))
	le.PutUint32(b[564:], uint32(w*h*bits/8))
	le.PutUint32(b[568:], 100)
	le.PutUint32(b[572:], uint32(n))
	le.PutUint32(b[580:], uint32(w*h*bits/8+footer))
	for f := range n {
		for i := range w * h {
			x := uint64(v(f, i))
			for k := range bits / 8 {
				b = append(b, byte(x>>(8*k)))
			}
		}
		for range footer {
			b = append(b, 0xEE)
		}
	}
	return b
}

func seqValue(f, i int) int { return (f*37 + i*11) % 251 }

func TestSeq(t *testing.T) {
	cases := []struct {
		name             string
		version, bits, n int
		footer           int
		nav, wantNav     []int
		dtype            array.DType
	}{
		{"v4 uint16 footer", 4, 16, 6, 8, []int{2, 3}, []int{2, 3}, array.Uint16},
		{"v5 uint8 square nav", 5, 8, 4, 0, nil, []int{2, 2}, array.Uint8},
		{"v6 uint32 line", 6, 32, 3, 16, nil, []int{3}, array.Uint32},
	}
	const w, h = 5, 3
	for _, c := range cases {
		p := writeFile(t, "scan.seq", seqFile(c.version, w, h, c.bits, c.n, c.footer, seqValue))
		ds, err := Open("auto", p, OpenOptions{NavShape: c.nav})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !slices.Equal(ds.Shape().Dims(), append(slices.Clone(c.wantNav), h, w)) || ds.DType() != c.dtype {
			t.Fatalf("%s: shape %v dtype %v", c.name, ds.Shape(), ds.DType())
		}
		want := make([]float64, c.n*w*h)
		for f := range c.n {
			for i := range w * h {
				want[f*w*h+i] = float64(seqValue(f, i))
			}
		}
		sch, _ := NewTilingScheme([]int{1, 2, w}, []int{h, w}, MethodTile)
		r := readAll[float64](t, ds, 2, sch, nil, array.Float64)
		if i := sameNaN(r.data, want); i >= 0 {
			t.Fatalf("%s: element %d = %v, want %v", c.name, i, r.data[i], want[i])
		}
		if s := ds.Info().String(); !strings.Contains(s, "true image size") {
			t.Fatal(s)
		}
		ds.Close()
	}
}

func TestSeqSidecars(t *testing.T) {
	const w, h, n = 4, 2, 4
	p := writeFile(t, "scan.seq.seq", seqFile(5, w, h, 16, n, 4, seqValue))
	base := strings.TrimSuffix(p, ".seq")
	// dark: float32 little-endian (1, h, w); gain: int16 big-endian (h, w, 1)
	var dark, gain []byte
	for i := range w * h {
		dark = binary.LittleEndian.AppendUint32(dark, math.Float32bits(float32(i)+0.5))
		gain = binary.BigEndian.AppendUint16(gain, uint16(i%3+1))
	}
	for s, b := range map[string][]byte{
		".dark.mrc": mrcFile(w, h, 1, 2, 0, false, dark), ".gain.mrc": mrcFile(1, w, h, 1, 0, true, gain),
		".Config.Metadata.xml": []byte(seqBadPixelXML), ".metadata": seqDEMetaFile(4, 2, 0, 1, 1),
	} {
		if err := os.WriteFile(base+s, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := Open("auto", p, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	if ds.DType() != array.Float32 {
		t.Fatalf("dtype %v", ds.DType())
	}
	want := make([]float64, n*w*h)
	for f := range n {
		for i := range w * h {
			want[f*w*h+i] = float64((float32(seqValue(f, i)) - (float32(i) + 0.5)) * float32(i%3+1))
		}
		// the map cropped to map rows 1, 2: column 1 and the pixel (map row 2, column 3)
		excl := func(r, c int) bool { return c == 1 || r == 1 && c == 3 }
		fr := slices.Clone(want[f*w*h : (f+1)*w*h])
		for r := range h {
			for c := range w {
				if !excl(r, c) {
					continue
				}
				sum, k := 0.0, 0
				for dr := -1; dr <= 1; dr++ {
					for dc := -1; dc <= 1; dc++ {
						rr, cc := r+dr, c+dc
						if rr >= 0 && rr < h && cc >= 0 && cc < w && !excl(rr, cc) {
							sum += fr[rr*w+cc]
							k++
						}
					}
				}
				want[f*w*h+r*w+c] = sum / float64(k)
			}
		}
	}
	sch, _ := NewTilingScheme([]int{2, h, w}, []int{h, w}, MethodTile)
	r := readAll[float64](t, ds, 1, sch, nil, array.Float64)
	for i := range want {
		if math.Abs(r.data[i]-want[i]) > 1e-5*(1+math.Abs(want[i])) {
			t.Fatalf("element %d = %v, want %v", i, r.data[i], want[i])
		}
	}
	info := ds.Info().String()
	for _, k := range []string{"seq_dark", "seq_gain", "seq_bad_pixels", "scan.seq.dark.mrc (applied)", "3 excluded pixels"} {
		if !strings.Contains(info, k) {
			t.Errorf("info lacks %q:\n%s", k, info)
		}
	}
	// switched off: the stored values, the sidecars listed as not applied
	raw, err := Open("seq", p, OpenOptions{SkipFileCorrections: true})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if raw.DType() != array.Uint16 || !strings.Contains(raw.Info().String(), "not applied") {
		t.Fatalf("dtype %v\n%s", raw.DType(), raw.Info())
	}
	// a reference of the wrong size names the file and field
	if err := os.WriteFile(base+".gain.mrc", mrcFile(2, 2, 1, 1, 0, false, make([]byte, 8)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Open("seq", p, OpenOptions{})
	var e *Error
	if !errors.Is(err, ErrShape) || !errors.As(err, &e) || e.Path != base+".gain.mrc" || e.Field != "header.nx" {
		t.Fatalf("wrong-size gain: %v", err)
	}
}

// seqBadPixelXML has a binned 8 × 8 map with row 1 (used only for a binned camera) and an
// unbinned 4 × 4 one: row 0, column 1, the pixel (2, 3).
const seqBadPixelXML = `<?xml version="1.0"?>
<Config><Maps>
<BadPixelMap Columns="8" Rows="8" Binning="2"><Defect Row="1"/></BadPixelMap>
<BadPixelMap Columns="4" Rows="4"><Defect Rows="0-0"/><Defect Column="1"/><Defect Column="3" Row="2"/></BadPixelMap>
</Maps></Config>`

// seqDEMetaFile builds a .seq.metadata file with the camera values at byte 282.
func seqDEMetaFile(ux, uy, ox, oy, bin int) []byte {
	b := make([]byte, 400)
	for k, v := range []int{400, 1, ux, uy, ox, oy, bin} {
		binary.LittleEndian.PutUint32(b[282+4*k:], uint32(v))
	}
	return b
}

func TestSeqBadPixels(t *testing.T) {
	cases := []struct {
		name       string
		xml        string
		meta       seqDEMeta
		rows, cols int
		excluded   [][2]int
		field      string
	}{
		{"uncropped", seqBadPixelXML, seqDEMeta{4, 4, 0, 0, 1}, 4, 4, [][2]int{{0, 0}, {0, 1}, {0, 2}, {0, 3}, {1, 1}, {2, 1}, {3, 1}, {2, 3}}, ""},
		{"window too big", seqBadPixelXML, seqDEMeta{4, 4, 1, 1, 1}, 4, 4, nil, ""},
		{"binned", seqBadPixelXML, seqDEMeta{8, 8, 0, 0, 2}, 4, 4, [][2]int{{1, 0}, {1, 1}, {1, 2}, {1, 3}}, ""},
		{"no map", "<a/>", seqDEMeta{}, 0, 0, nil, "BadPixelMap"},
		{"bad range", `<B><BadPixelMap Columns="2" Rows="2"><Defect Rows="1-5"/></BadPixelMap></B>`, seqDEMeta{}, 0, 0, nil, "Defect.Rows"},
		{"bad pixel", `<BadPixelMap Columns="2" Rows="2"><Defect Row="1" Column="x"/></BadPixelMap>`, seqDEMeta{}, 0, 0, nil, "Defect"},
		{"bad xml", `<BadPixelMap Columns="2" Rows="2">`, seqDEMeta{}, 0, 0, nil, "xml"},
	}
	for _, c := range cases {
		mask, rows, cols, err := parseSEQBadPixels([]byte(c.xml), c.meta, "x.xml")
		if c.field != "" {
			var e *Error
			if !errors.As(err, &e) || e.Field != c.field || e.Path != "x.xml" {
				t.Errorf("%s: %v, want an error on %s", c.name, err, c.field)
			}
			continue
		}
		if err != nil || rows != c.rows || cols != c.cols {
			t.Fatalf("%s: %d × %d, %v", c.name, rows, cols, err)
		}
		if c.excluded == nil {
			continue
		}
		want := make([]bool, rows*cols)
		for _, p := range c.excluded {
			want[p[0]*cols+p[1]] = true
		}
		if !slices.Equal(mask, want) {
			t.Errorf("%s: mask %v, want %v", c.name, mask, want)
		}
	}
}

func FuzzSEQBadPixels(f *testing.F) {
	f.Add([]byte(seqBadPixelXML), 4, 2, 0, 1, 1)
	f.Fuzz(func(t *testing.T, x []byte, ux, uy, ox, oy, bin int) {
		mask, rows, cols, err := parseSEQBadPixels(x, seqDEMeta{ux, uy, ox, oy, bin}, "fuzz.xml")
		if err == nil && len(mask) != rows*cols {
			t.Fatalf("mask of %d for %d × %d", len(mask), rows, cols)
		}
	})
}

func TestSeqErrors(t *testing.T) {
	good := seqFile(5, 4, 4, 16, 2, 4, seqValue)
	le := binary.LittleEndian
	mod := func(f func(b []byte)) []byte { b := slices.Clone(good); f(b); return b }
	cases := []struct {
		name     string
		b        []byte
		sentinel error
		field    string
	}{
		{"short header", good[:100], ErrFileTooShort, "header"},
		{"magic", mod(func(b []byte) { b[0] = 0 }), ErrHeader, "header.magic"},
		{"compressed", mod(func(b []byte) { le.PutUint32(b[620:], 1) }), ErrHeader, "header.compression_format"},
		{"colour", mod(func(b []byte) { le.PutUint32(b[568:], 200) }), ErrHeader, "header.image_format"},
		{"bit depth 12", mod(func(b []byte) { le.PutUint32(b[556:], 12) }), ErrDType, "header.bit_depth"},
		{"width 0", mod(func(b []byte) { le.PutUint32(b[548:], 0) }), ErrHeader, "header.width"},
		{"true size", mod(func(b []byte) { le.PutUint32(b[580:], 31) }), ErrHeader, "header.true_image_size"},
		{"no frames", good[:8192+20], ErrFileTooShort, "frames"},
	}
	for _, c := range cases {
		p := writeFile(t, "bad.seq", c.b)
		_, err := Open("seq", p, OpenOptions{})
		var e *Error
		var se *ShortFileError
		ok := errors.Is(err, c.sentinel) && (errors.As(err, &e) && e.Field == c.field && e.Path == p || errors.As(err, &se) && se.Field == c.field && se.Path == p)
		if !ok {
			t.Errorf("%s: %v, want %v on %s", c.name, err, c.sentinel, c.field)
		}
	}
}

func FuzzSEQHeader(f *testing.F) {
	f.Add(seqFile(5, 2, 2, 16, 1, 8, seqValue)[:seqHeaderBytes])
	f.Add(seqFile(3, 3, 1, 8, 1, 0, seqValue)[:seqHeaderBytes])
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseSEQHeader(b, "fuzz.seq")
		if err != nil {
			return
		}
		if h.Width <= 0 || h.Height <= 0 || h.BitDepth%8 != 0 || h.TrueImageSize < h.Width*h.Height*h.BitDepth/8 {
			t.Fatalf("accepted %+v", h)
		}
		if o := h.DataOffset(); o != 1024 && o != 8192 {
			t.Fatalf("data offset %d", o)
		}
	})
}
