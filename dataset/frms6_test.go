package dataset

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/array"
)

func frms6HdrText(dark, signal int, nav string, bin int) string {
	return fmt.Sprintf("[general]\nfoo = bar\n\n[measurementInfo]\nDarkFrames = %d\nSignalFrames=%d\nStemImageSize = %s\nreadoutMode = \"bin: %d, windowing: 264 x 264\"\ngain=3\n", dark, signal, nav, bin)
}

// frms6File builds one .frms6 file of n stored (h, w) frames with values v(f, y, x);
// numFrames 0 leaves the header's count at 0.
func frms6File(w, h, n int, numFrames bool, v func(f, y, x int) int) []byte {
	le := binary.LittleEndian
	b := make([]byte, 1024)
	le.PutUint16(b, 1024)
	le.PutUint16(b[2:], 64)
	b[7] = 6
	le.PutUint16(b[88:], uint16(w))
	le.PutUint16(b[90:], uint16(h))
	if numFrames {
		le.PutUint32(b[1020:], uint32(n))
	}
	for f := range n {
		fh := make([]byte, 64)
		le.PutUint32(fh[12:], uint32(f))
		b = append(b, fh...)
		for y := range h {
			for x := range w {
				b = le.AppendUint16(b, uint16(v(f, y, x)))
			}
		}
	}
	return b
}

func frms6Sig(f, y, x int) int   { return 1000 + f*100 + y*10 + x }
func frms6Dark0(f, y, x int) int { return (y*7+x*3)%5 + f%2*2 }

// frms6Set writes name.hdr, name_000.frms6 (dark) and signal files of the given frame
// counts into a temporary folder and returns the .hdr path.
func frms6Set(t *testing.T, w, h, bin, dark int, counts []int, nav string) string {
	dir := t.TempDir()
	base := filepath.Join(dir, "scan")
	sum := 0
	for _, c := range counts {
		sum += c
	}
	must := func(p string, b []byte) {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must(base+".hdr", []byte(frms6HdrText(dark, sum, nav, bin)))
	must(base+"_000.frms6", frms6File(w, h, dark, true, frms6Dark0))
	f0 := 0
	for i, c := range counts {
		must(fmt.Sprintf("%s_%03d.frms6", base, i+1), frms6File(w, h, c, i%2 == 0, func(f, y, x int) int { return frms6Sig(f0+f, y, x) }))
		f0 += c
	}
	return base + ".hdr"
}

func TestFRMS6(t *testing.T) {
	const w, h = 6, 2
	for _, c := range []struct {
		name string
		bin  int
		dark bool
	}{{"bin 1 dark", 1, true}, {"bin 2 dark", 2, true}, {"bin 4 raw", 4, false}, {"bin 1 raw", 1, false}} {
		p := frms6Set(t, w, h, c.bin, 3, []int{2, 3, 1}, "2x3")
		var ds Dataset
		var err error
		if c.dark {
			ds, err = Open("auto", p, OpenOptions{})
		} else {
			ds, err = Open("auto", p, OpenOptions{SkipFileCorrections: true})
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		rows, cols := 2*h*c.bin, w/2
		dt := array.Uint16
		if c.dark {
			dt = array.Float32
		}
		if !slices.Equal(ds.Shape().Dims(), []int{2, 3, rows, cols}) || ds.DType() != dt {
			t.Fatalf("%s: shape %v dtype %v", c.name, ds.Shape(), ds.DType())
		}
		// the detector image by hand: upper half the stored left half, lower half the
		// stored right half turned by 180°, every stored row repeated bin times
		det := func(v func(f, y, x int) int, f, r, x int) float64 {
			y := r / c.bin
			if y < h {
				return float64(v(f, y, x))
			}
			return float64(v(f, 2*h-1-y, w-1-x))
		}
		want := make([]float64, 6*rows*cols)
		for f := range 6 {
			for r := range rows {
				for x := range cols {
					v := det(frms6Sig, f, r, x)
					if c.dark {
						d := (det(frms6Dark0, 0, r, x) + det(frms6Dark0, 1, r, x) + det(frms6Dark0, 2, r, x)) / 3
						v = float64(float32(v) - float32(d))
					}
					want[(f*rows+r)*cols+x] = v
				}
			}
		}
		sch, _ := NewTilingScheme([]int{2, c.bin, cols}, []int{rows, cols}, MethodTile)
		got := readAll[float64](t, ds, 2, sch, nil, array.Float64)
		if i := sameNaN(got.data, want); i >= 0 {
			t.Fatalf("%s: element %d = %v, want %v", c.name, i, got.data[i], want[i])
		}
		if s := ds.Info().String(); !strings.Contains(s, "unfolded") {
			t.Fatal(s)
		}
		ds.Close()
	}
}

func TestFRMS6OpenByDataFile(t *testing.T) {
	p := frms6Set(t, 4, 2, 1, 1, []int{4}, "2x2")
	ds, err := Open("auto", strings.TrimSuffix(p, ".hdr")+"_001.frms6", OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	if !slices.Equal(ds.Shape().Dims(), []int{2, 2, 4, 2}) {
		t.Fatal(ds.Shape())
	}
	if f, _ := DetectFormat(p); f != "frms6" {
		t.Fatalf("detected %q", f)
	}
}

func TestFRMS6Errors(t *testing.T) {
	le := binary.LittleEndian
	cases := []struct {
		name     string
		mod      func(base string)
		sentinel error
		path     string
		field    string
	}{
		{"no section", func(b string) { os.WriteFile(b+".hdr", []byte("[x]\na=1\n"), 0o644) }, ErrHeader, ".hdr", "measurementInfo"},
		{"readout", func(b string) {
			os.WriteFile(b+".hdr", []byte(strings.Replace(frms6HdrText(2, 2, "1x2", 1), "bin: 1", "bin: 3", 1)), 0o644)
		}, ErrHeader, ".hdr", "measurementInfo.readoutmode"},
		{"nav", func(b string) { os.WriteFile(b+".hdr", []byte(frms6HdrText(2, 2, "1xq", 1)), 0o644) }, ErrHeader, ".hdr", "measurementInfo.stemimagesize"},
		{"signalframes", func(b string) {
			os.WriteFile(b+".hdr", []byte(strings.Replace(frms6HdrText(2, 2, "1x2", 1), "SignalFrames=2", "SignalFrames=x", 1)), 0o644)
		}, ErrHeader, ".hdr", "measurementInfo.signalframes"},
		{"version", func(b string) { patch(t, b+"_001.frms6", 7, 5) }, ErrHeader, "_001.frms6", "header.version"},
		{"frame header size", func(b string) { patch(t, b+"_001.frms6", 2, 32) }, ErrHeader, "_001.frms6", "header.frame_header_size"},
		{"odd width", func(b string) { patch(t, b+"_000.frms6", 88, 5) }, ErrHeader, "_000.frms6", "header.width"},
		{"size mismatch", func(b string) { patch(t, b+"_001.frms6", 90, 3) }, ErrHeader, "_001.frms6", "header.width"},
		{"ragged", func(b string) {
			patch(t, b+"_001.frms6", 1020, 0) // count from the size
			f, _ := os.OpenFile(b+"_001.frms6", os.O_APPEND|os.O_WRONLY, 0)
			f.Write([]byte{1, 2, 3})
			f.Close()
		}, ErrHeader, "_001.frms6", "header.num_frames"},
		{"short header", func(b string) { os.Truncate(b+"_001.frms6", 100) }, ErrFileTooShort, "_001.frms6", "header"},
		{"short dark", func(b string) { os.Truncate(b+"_000.frms6", 1024+64+10) }, ErrFileTooShort, "_000.frms6", "dark frames"},
		{"truncated frames", func(b string) {
			bb, _ := os.ReadFile(b + "_001.frms6")
			le.PutUint32(bb[1020:], 2)
			os.WriteFile(b+"_001.frms6", bb[:len(bb)-5], 0o644)
		}, ErrFileTooShort, "_001.frms6", "frames"},
	}
	for _, c := range cases {
		p := frms6Set(t, 4, 2, 1, 2, []int{2}, "1x2")
		base := strings.TrimSuffix(p, ".hdr")
		c.mod(base)
		_, err := Open("frms6", p, OpenOptions{})
		var e *Error
		var se *ShortFileError
		ok := errors.Is(err, c.sentinel) && (errors.As(err, &e) && e.Field == c.field && e.Path == base+c.path || errors.As(err, &se) && se.Field == c.field && se.Path == base+c.path)
		if !ok {
			t.Errorf("%s: %v, want %v on %s of %s", c.name, err, c.sentinel, c.field, c.path)
		}
	}
}

// patch sets the byte at off of the file at p.
func patch(t *testing.T, p string, off int, v byte) {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[off] = v
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func FuzzFRMS6Header(f *testing.F) {
	f.Add(frms6File(4, 2, 1, true, frms6Sig))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseFRMS6Header(b, "fuzz.frms6")
		if err != nil {
			return
		}
		if h.Width <= 0 || h.Width%2 != 0 || h.Height <= 0 || h.Version != 6 {
			t.Fatalf("accepted %+v", h)
		}
	})
}

func FuzzFRMS6Hdr(f *testing.F) {
	f.Add([]byte(frms6HdrText(2, 4, "2x2", 2)))
	f.Add([]byte("[measurementInfo]\nreadoutmode: \"bin:1,windowing:1x1\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseFRMS6Hdr(b, "fuzz.hdr")
		if err != nil {
			return
		}
		if len(h.NavShape) == 0 || (h.Binning != 1 && h.Binning != 2 && h.Binning != 4) || h.SignalFrames < 0 || h.DarkFrames < 0 {
			t.Fatalf("accepted %+v", h)
		}
		for _, n := range h.NavShape {
			if n <= 0 {
				t.Fatalf("accepted nav %v", h.NavShape)
			}
		}
	})
}

// BenchmarkFRMS6Decode measures the unfold + dark subtraction of one 264 × 264 pnCCD
// frame (bytes = the stored frame).
func BenchmarkFRMS6Decode(b *testing.B) {
	const h, w = 132, 528
	src := frms6Unfold(h, w, 1)
	dark := make([]float32, len(src))
	rec := make([]byte, 2*h*w)
	dst := make([]byte, 4*len(src))
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for b.Loop() {
		frms6DecodeDark(dst, rec, src, dark)
	}
}
