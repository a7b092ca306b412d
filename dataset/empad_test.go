package dataset

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// empadRaw builds n EMPAD frames: 128×128 signal values v(f, y, x) and 2 footer rows
// filled with a marker that must never show up in tiles.
func empadRaw(n int, v func(f, y, x int) float32) []byte {
	var b []byte
	for f := range n {
		for y := range 130 {
			for x := range 128 {
				val := float32(-9999)
				if y < 128 {
					val = v(f, y, x)
				}
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(val))
			}
		}
	}
	return b
}

func empadXMLText(raw string, acquire, search [2]int) string {
	return `<?xml version="1.0"?>
<root>
  <raw_file filename="C:\data\` + raw + `"/>
  <scan_parameters mode="search"><scan_resolution_x>` + itoa(search[1]) + `</scan_resolution_x><scan_resolution_y>` + itoa(search[0]) + `</scan_resolution_y></scan_parameters>
  <scan_parameters mode="acquire"><scan_resolution_x> ` + itoa(acquire[1]) + ` </scan_resolution_x><scan_resolution_y>` + itoa(acquire[0]) + `</scan_resolution_y></scan_parameters>
</root>`
}

func itoa(i int) string { return strconv.Itoa(i) }

func empadValue(f, y, x int) float32 { return float32(f*1000+y*3) + float32(x)/4 }

func TestEMPAD(t *testing.T) {
	cases := []struct {
		name            string
		acquire, search [2]int
		frames          int
		nav             []int
		source          string
	}{
		{"acquire", [2]int{2, 3}, [2]int{5, 5}, 6, []int{2, 3}, "acquire"},
		{"search quirk", [2]int{4, 4}, [2]int{3, 1}, 3, []int{3, 1}, "search"},
	}
	for _, c := range cases {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "scan_x.raw"), empadRaw(c.frames, empadValue), 0o644); err != nil {
			t.Fatal(err)
		}
		xp := filepath.Join(dir, "scan.xml")
		if err := os.WriteFile(xp, []byte(empadXMLText("scan_x.raw", c.acquire, c.search)), 0o644); err != nil {
			t.Fatal(err)
		}
		ds, err := Open("auto", xp, OpenOptions{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !slices.Equal(ds.Shape().Nav(), c.nav) || !slices.Equal(ds.Shape().Sig(), []int{128, 128}) || ds.DType() != array.Float32 || ds.ImageCount() != c.frames {
			t.Fatalf("%s: shape %v dtype %v count %d", c.name, ds.Shape(), ds.DType(), ds.ImageCount())
		}
		want := make([]float64, c.frames*128*128)
		for f := range c.frames {
			for y := range 128 {
				for x := range 128 {
					want[(f*128+y)*128+x] = float64(empadValue(f, y, x))
				}
			}
		}
		for _, tile := range [][]int{{2, 128, 128}, {1, 16, 128}, {3, 32, 64}} {
			sch, _ := NewTilingScheme(tile, []int{128, 128}, MethodTile)
			r := readAll[float64](t, ds, 2, sch, nil, array.Float64)
			if i := sameNaN(r.data, want); i >= 0 {
				t.Fatalf("%s tile %v: element %d = %v, want %v", c.name, tile, i, r.data[i], want[i])
			}
		}
		if in := ds.Info().String(); !strings.Contains(in, c.source) || !strings.Contains(in, "scan_x.raw") {
			t.Fatalf("%s: info %s", c.name, in)
		}
		ds.Close()
		// the .raw path with a nav shape; sync offset
		ds, err = Open("empad", filepath.Join(dir, "scan_x.raw"), OpenOptions{NavShape: []int{c.frames}, SyncOffset: 1})
		if err != nil {
			t.Fatal(err)
		}
		sch, _ := NewTilingScheme([]int{1, 128, 128}, []int{128, 128}, MethodTile)
		r := readAll[float64](t, ds, 1, sch, nil, array.Float64)
		if i := sameNaN(r.data, expect(want, c.frames, 128*128, c.frames, 1, nil)); i >= 0 {
			t.Fatalf("%s raw: element %d", c.name, i)
		}
		ds.Close()
	}
}

func TestEMPADErrors(t *testing.T) {
	dir := t.TempDir()
	w := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	w("d.raw", string(empadRaw(5, empadValue)))
	cases := []struct {
		name, path string
		opts       OpenOptions
		sentinel   error
		field      string
	}{
		{"size mismatch", w("a.xml", empadXMLText("d.raw", [2]int{2, 3}, [2]int{2, 2})), OpenOptions{}, ErrFileTooShort, "size"},
		{"no raw_file", w("b.xml", "<root><type>scan</type></root>"), OpenOptions{}, ErrHeader, "raw_file.filename"},
		{"bad type", w("c.xml", `<root><raw_file filename="d.raw"/><type>movie</type></root>`), OpenOptions{}, ErrHeader, "type"},
		{"no acquire", w("e.xml", `<root><raw_file filename="d.raw"/><scan_parameters mode="search"/></root>`), OpenOptions{}, ErrHeader, "scan_parameters"},
		{"bad resolution", w("f.xml", `<root><raw_file filename="d.raw"/><scan_parameters mode="acquire"><scan_resolution_x>x</scan_resolution_x></scan_parameters></root>`), OpenOptions{}, ErrHeader, "scan_parameters[acquire].scan_resolution_x"},
		{"not xml", w("g.xml", "<root><raw_file"), OpenOptions{}, ErrHeader, "xml"},
		{"missing raw", w("h.xml", `<root><raw_file filename="nope.raw"/><type>series</type><count>5</count></root>`), OpenOptions{}, ErrNotFound, "raw_file.filename"},
		{"raw without nav", filepath.Join(dir, "d.raw"), OpenOptions{}, ErrShape, "nav_shape"},
		{"sig size", w("i.xml", `<root><raw_file filename="d.raw"/><type>series</type><count>5</count></root>`), OpenOptions{SigShape: []int{128, 127}}, ErrSigSize, "sig_shape"},
	}
	for _, c := range cases {
		_, err := Open("empad", c.path, c.opts)
		var e *Error
		var se *ShortFileError
		ok := errors.Is(err, c.sentinel) && (errors.As(err, &e) && e.Field == c.field || errors.As(err, &se) && se.Field == c.field)
		if !ok {
			t.Errorf("%s: %v, want %v on %s", c.name, err, c.sentinel, c.field)
		}
	}
	// a series XML opens with nav (count,)
	ds, err := Open("auto", filepath.Join(dir, "i.xml"), OpenOptions{})
	if err != nil || !slices.Equal(ds.Shape().Nav(), []int{5}) {
		t.Fatalf("series: %v", err)
	}
	ds.Close()
}

func FuzzEMPADXML(f *testing.F) {
	f.Add([]byte(empadXMLText("a.raw", [2]int{2, 3}, [2]int{4, 4})), "acquire")
	f.Add([]byte(`<root><raw_file filename="d.raw"/><type>series</type><count>5</count></root>`), "search")
	f.Fuzz(func(t *testing.T, b []byte, mode string) {
		in, err := ParseEMPADXML(b, "/x/fuzz.xml", mode)
		if err != nil {
			if !errors.Is(err, ErrHeader) {
				t.Fatalf("error %v does not wrap ErrHeader", err)
			}
			return
		}
		if filepath.Dir(in.RawPath) != "/x" || len(in.NavShape) == 0 {
			t.Fatalf("accepted %+v", in)
		}
		for _, v := range in.NavShape {
			if v <= 0 {
				t.Fatalf("nav %v", in.NavShape)
			}
		}
	})
}
