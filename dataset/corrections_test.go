package dataset

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// correctRef corrects one frame (h, w) the direct way: dark, gain, then each excluded
// pixel from the mean of its non-excluded 3×3 neighbours in the frame.
func correctRef(f []float64, h, w int, dark, gain []float64, excl []bool) []float64 {
	out := make([]float64, len(f))
	for i := range f {
		v := f[i]
		if dark != nil {
			v -= dark[i]
		}
		if gain != nil {
			v *= gain[i]
		}
		out[i] = v
	}
	res := append([]float64(nil), out...)
	for y := range h {
		for x := range w {
			if excl == nil || !excl[y*w+x] {
				continue
			}
			s, n := 0.0, 0
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					yy, xx := y+dy, x+dx
					if (dy == 0 && dx == 0) || yy < 0 || yy >= h || xx < 0 || xx >= w || excl[yy*w+xx] {
						continue
					}
					s += out[yy*w+xx]
					n++
				}
			}
			res[y*w+x] = s / float64(n)
		}
	}
	return res
}

func TestCorrections(t *testing.T) {
	const ny, nx, sy, sx = 3, 4, 12, 10
	nav, sig := ny*nx, sy*sx
	vals := smallVals(nav * sig)
	dark := make([]float64, sig)
	gain := make([]float64, sig)
	for i := range dark {
		dark[i] = float64(i%5) * 0.5
		gain[i] = 1 + float64(i%3)*0.25
	}
	excl := make([]bool, sig)
	for _, c := range [][2]int{{0, 0}, {4, 5}, {4, 6}, {7, 9}, {11, 3}, {8, 2}} {
		excl[c[0]*sx+c[1]] = true
	}
	for _, c := range []struct {
		name       string
		dark, gain []float64
		excl       []bool
	}{{"all", dark, gain, excl}, {"dark", dark, nil, nil}, {"gain", nil, gain, nil}, {"excluded", nil, nil, excl}} {
		var want []float64
		for f := range nav {
			want = append(want, correctRef(vals[f*sig:(f+1)*sig], sy, sx, c.dark, c.gain, c.excl)...)
		}
		for _, dt := range []struct {
			s  string
			dt array.DType
		}{{"<u2", array.Uint16}, {"<f4", array.Float32}, {">i4", array.Int32}} {
			var bo binary.ByteOrder = binary.LittleEndian
			if dt.s[0] == '>' {
				bo = binary.BigEndian
			}
			path := writeFile(t, "c.raw", encode(vals, dt.dt, bo))
			ds, err := Open("raw", path, OpenOptions{NavShape: []int{ny, nx}, SigShape: []int{sy, sx}, DType: dt.s, Corrections: &Corrections{Dark: c.dark, Gain: c.gain, Excluded: c.excl}})
			if err != nil {
				t.Fatal(err)
			}
			if ds.DType() != array.Float32 && dt.dt != array.Int32 || dt.dt == array.Int32 && ds.DType() != array.Float64 {
				t.Errorf("%s: corrected dtype %v", dt.s, ds.DType())
			}
			if !ds.NeedDecode(ds.DType(), nil) {
				t.Error("corrections must decode")
			}
			if !strings.Contains(ds.Info().String(), "corrections:") {
				t.Error(ds.Info().String())
			}
			for _, ts := range [][]int{{5, sy, sx}, {2, 3, sx}, {4, 1, sx}, {3, 4, 5}} {
				adj := ds.AdjustTileShape(ts, nil)
				sch := mustScheme(t, adj, []int{sy, sx})
				for _, roi := range [][]bool{nil, randomROI(nav, 3)} {
					w := expect(want, nav, sig, nav, 0, roi)
					r := readAll[float64](t, ds, 2, sch, roi, array.Float64)
					if i := closeNaN(r.data, w, 1e-12); i >= 0 {
						t.Fatalf("%s %s ts=%v→%v: element %d = %v, want %v", c.name, dt.s, ts, adj, i, r.data[i], w[i])
					}
					r32 := readAll[float32](t, ds, 3, sch, roi, array.Float32)
					if i := closeNaN(r32.data, w, 1e-5); i >= 0 {
						t.Fatalf("f32 %s %s ts=%v→%v: element %d = %v, want %v", c.name, dt.s, ts, adj, i, r32.data[i], w[i])
					}
				}
			}
			ds.Close()
		}
	}
}

func closeNaN(a, b []float64, tol float64) int {
	for i := range a {
		if math.IsNaN(a[i]) && math.IsNaN(b[i]) {
			continue
		}
		if math.Abs(a[i]-b[i]) > tol*max(1, math.Abs(b[i])) {
			return i
		}
	}
	return -1
}

func TestCorrectionsTileEdges(t *testing.T) {
	sig := []int{16, 16}
	excl := make([]bool, 256)
	excl[4*16+3] = true  // row 4
	excl[11*16+8] = true // row 11
	w := &corrected{Dataset: nil, sig: sig, c: Corrections{Excluded: excl}, excl: []int{4*16 + 3, 11*16 + 8}}
	w.Dataset = &Raw{}
	w.Dataset.(*Raw).shape = array.NewShape([]int{1, 16, 16}, 2)
	for _, c := range []struct{ in, want []int }{
		{[]int{8, 4, 16}, []int{8, 7, 16}},   // rows 4, 11 sit on edges of boxes 4, 3, 2, 5, 6 rows high; 7 works
		{[]int{8, 16, 16}, []int{8, 16, 16}}, // whole frame untouched
		{[]int{8, 1, 16}, []int{8, 7, 16}},   // single rows: the next larger extent that works
		{[]int{8, 16, 8}, []int{8, 16, 7}},   // column 8 is an edge of 8-wide boxes
	} {
		if got := w.AdjustTileShape(c.in, nil); !slicesEqual(got, c.want) {
			t.Errorf("AdjustTileShape(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCorrectionsErrors(t *testing.T) {
	path := writeFile(t, "e.raw", encode(smallVals(4*9), array.Uint16, binary.LittleEndian))
	o := OpenOptions{NavShape: []int{4}, SigShape: []int{3, 3}, DType: "<u2"}
	for _, c := range []struct {
		name string
		c    Corrections
		want error
	}{
		{"dark size", Corrections{Dark: make([]float64, 8)}, ErrShape},
		{"gain size", Corrections{Gain: make([]float64, 10)}, ErrShape},
		{"excluded size", Corrections{Excluded: []bool{true, false, false}}, ErrShape},
		{"no neighbour", Corrections{Excluded: []bool{true, true, true, true, true, true, true, true, true}}, ErrOption},
	} {
		o.Corrections = &c.c
		if _, err := Open("raw", path, o); !errors.Is(err, c.want) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// inactive corrections leave the dataset alone
	o.Corrections = &Corrections{Excluded: make([]bool, 9)}
	ds, err := Open("raw", path, o)
	if err != nil || ds.DType() != array.Uint16 {
		t.Errorf("inactive: %v %v", err, ds)
	}
	ds.Close()
	m, err := ExcludedFromCoords([]int{3, 3}, [][]int{{0, 2}, {1, 2}})
	if err != nil || !m[1] || !m[8] || m[0] {
		t.Errorf("coords: %v %v", m, err)
	}
	if _, err := ExcludedFromCoords([]int{3, 3}, [][]int{{3}, {0}}); !errors.Is(err, ErrShape) {
		t.Error(err)
	}
}
