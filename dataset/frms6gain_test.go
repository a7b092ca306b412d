package dataset

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// matFile builds a MATLAB level-5 MAT-file by hand: a 128-byte header and one matrix
// element per variable (class double, real part in data type typ), compressed with
// zlib when compress is set. vals are column-major.
func matFile(bo interface {
	binary.ByteOrder
	binary.AppendByteOrder
}, compress bool, vars map[string]struct {
	dims []int
	vals []float64
	typ  uint32
}, order []string) []byte {
	h := make([]byte, 128)
	copy(h, "MATLAB 5.0 MAT-file, written by hand")
	for i := 36; i < 116; i++ {
		h[i] = ' '
	}
	bo.PutUint16(h[124:], 0x0100)
	bo.PutUint16(h[126:], 'M'<<8|'I') // "IM" little-endian, "MI" big-endian
	out := h
	el := func(typ uint32, data []byte) []byte {
		var b []byte
		b = bo.AppendUint32(b, typ)
		b = bo.AppendUint32(b, uint32(len(data)))
		b = append(b, data...)
		for len(b)%8 != 0 {
			b = append(b, 0)
		}
		return b
	}
	for _, name := range order {
		v := vars[name]
		var flags, dims, real []byte
		flags = bo.AppendUint32(flags, 6) // mxDOUBLE_CLASS
		flags = bo.AppendUint32(flags, 0)
		for _, d := range v.dims {
			dims = bo.AppendUint32(dims, uint32(d))
		}
		for _, x := range v.vals {
			switch v.typ {
			case 9:
				real = bo.AppendUint64(real, math.Float64bits(x))
			case 7:
				real = bo.AppendUint32(real, math.Float32bits(float32(x)))
			case 2:
				real = append(real, byte(x))
			}
		}
		var m []byte
		m = append(m, el(6, flags)...)
		m = append(m, el(5, dims)...)
		m = append(m, el(1, []byte(name))...)
		m = append(m, el(v.typ, real)...)
		mat := el(14, m)
		if compress {
			var z bytes.Buffer
			w := zlib.NewWriter(&z)
			w.Write(mat)
			w.Close()
			var c []byte
			c = bo.AppendUint32(c, 15)
			c = bo.AppendUint32(c, uint32(z.Len()))
			mat = append(c, z.Bytes()...)
		}
		out = append(out, mat...)
	}
	return out
}

// TestFRMS6Gain checks the gain map file correction: each unfolded, dark-subtracted
// value multiplied by the map's value, in float32, for the MAT-file (both byte orders,
// compressed or not, double, single or uint8 storage) and the transposed CSV map; and
// that --no-file-corrections (SkipFileCorrections) turns it off with the dark frame.
func TestFRMS6Gain(t *testing.T) {
	const w, h, bin = 6, 2, 1
	rows, cols := 2*h*bin, w/2
	gainAt := func(r, c int) float64 { return float64(1+r*cols+c) * 0.25 } // 0.25 … 3
	colMajor := make([]float64, rows*cols)
	for r := range rows {
		for c := range cols {
			colMajor[c*rows+r] = gainAt(r, c)
		}
	}
	type v = struct {
		dims []int
		vals []float64
		typ  uint32
	}
	var csv strings.Builder
	for c := range cols {
		for r := range rows {
			fmt.Fprintf(&csv, "%g;", gainAt(r, c))
		}
		csv.WriteString("\r\n")
	}
	u8 := make([]float64, rows*cols)
	for i := range u8 {
		u8[i] = float64(i%4 + 1)
	}
	cases := []struct {
		name, file string
		data       []byte
		gain       func(r, c int) float64
	}{
		{"mat le double", "_gain.mat", matFile(binary.LittleEndian, false, map[string]v{"Other": {[]int{1, 1}, []float64{7}, 9}, "GainMap": {[]int{rows, cols}, colMajor, 9}}, []string{"Other", "GainMap"}), gainAt},
		{"mat be single zlib", "_gain.mat", matFile(binary.BigEndian, true, map[string]v{"GainMap": {[]int{rows, cols}, colMajor, 7}}, []string{"GainMap"}), gainAt},
		{"mat uint8 storage", "_gain.mat", matFile(binary.LittleEndian, true, map[string]v{"GainMap": {[]int{rows, cols}, u8, 2}}, []string{"GainMap"}), func(r, c int) float64 { return u8[c*rows+r] }},
		{"csv transposed", "_gain.csv", []byte(csv.String()), gainAt},
	}
	for _, c := range cases {
		p := frms6Set(t, w, h, bin, 3, []int{2, 4}, "2x3")
		base := strings.TrimSuffix(p, ".hdr")
		if err := os.WriteFile(base+c.file, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		ds, err := Open("auto", p, OpenOptions{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		det := func(v func(f, y, x int) int, f, r, x int) float64 {
			y := r / bin
			if y < h {
				return float64(v(f, y, x))
			}
			return float64(v(f, 2*h-1-y, w-1-x))
		}
		want := make([]float64, 6*rows*cols)
		for f := range 6 {
			for r := range rows {
				for x := range cols {
					d := (det(frms6Dark0, 0, r, x) + det(frms6Dark0, 1, r, x) + det(frms6Dark0, 2, r, x)) / 3
					want[(f*rows+r)*cols+x] = float64((float32(det(frms6Sig, f, r, x)) - float32(d)) * float32(c.gain(r, x)))
				}
			}
		}
		sch := mustScheme(t, []int{2, 1, cols}, []int{rows, cols})
		got := readAll[float32](t, ds, 2, sch, nil, array.Float32)
		if i := sameBits(got.data, want); i >= 0 {
			t.Fatalf("%s: element %d = %v, want %v", c.name, i, got.data[i], want[i])
		}
		if s := ds.Info().String(); !strings.Contains(s, "gain map") {
			t.Errorf("%s: info does not name the gain map: %s", c.name, s)
		}
		ds.Close()
		raw, err := Open("auto", p, OpenOptions{SkipFileCorrections: true})
		if err != nil {
			t.Fatal(err)
		}
		if raw.DType() != array.Uint16 {
			t.Errorf("%s: file corrections off, dtype %v", c.name, raw.DType())
		}
		raw.Close()
	}
}

func TestFRMS6GainErrors(t *testing.T) {
	const w, h = 6, 2
	rows, cols := 4, 3
	type v = struct {
		dims []int
		vals []float64
		typ  uint32
	}
	for _, c := range []struct {
		name, file string
		data       []byte
		want       error
		field      string
	}{
		{"mat shape", "_gain.mat", matFile(binary.LittleEndian, false, map[string]v{"GainMap": {[]int{cols, rows}, make([]float64, 12), 9}}, []string{"GainMap"}), ErrShape, "GainMap"},
		{"mat no variable", "_gain.mat", matFile(binary.LittleEndian, false, map[string]v{"Gain": {[]int{rows, cols}, make([]float64, 12), 9}}, []string{"Gain"}), ErrNotFound, "GainMap"},
		{"mat v7.3", "_gain.mat", append(make([]byte, 126), 'H', 'D'), ErrHeader, "header.endian"},
		{"mat truncated", "_gain.mat", matFile(binary.LittleEndian, false, map[string]v{"GainMap": {[]int{rows, cols}, make([]float64, 12), 9}}, []string{"GainMap"})[:150], ErrHeader, "element"},
		{"csv rows", "_gain.csv", []byte("1;2;3\n1;2;3\n1;2;3\n"), ErrShape, "line 1"},
		{"csv lines", "_gain.csv", []byte("1;2;3;4\n1;2;3;4\n"), ErrShape, "lines"},
		{"csv number", "_gain.csv", []byte("1;2;x;4\n"), ErrHeader, "line 1"},
	} {
		p := frms6Set(t, w, h, 1, 1, []int{2}, "1x2")
		base := strings.TrimSuffix(p, ".hdr")
		if err := os.WriteFile(base+c.file, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Open("auto", p, OpenOptions{})
		var e *Error
		if !errors.Is(err, c.want) || !errors.As(err, &e) || e.Field != c.field || !strings.HasSuffix(e.Path, c.file) {
			t.Errorf("%s: %v (want %v, field %q)", c.name, err, c.want, c.field)
		}
	}
}

func FuzzMATVariable(f *testing.F) {
	type v = struct {
		dims []int
		vals []float64
		typ  uint32
	}
	f.Add(matFile(binary.LittleEndian, false, map[string]v{"GainMap": {[]int{2, 2}, []float64{1, 2, 3, 4}, 9}}, []string{"GainMap"}))
	f.Add(matFile(binary.BigEndian, true, map[string]v{"GainMap": {[]int{1, 3}, []float64{1, 2, 3}, 7}}, []string{"GainMap"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		dims, vals, err := readMATVariable(b, "f.mat", "GainMap")
		if err != nil {
			return
		}
		n := 1
		for _, d := range dims {
			n *= d
		}
		if n != len(vals) {
			t.Fatalf("dims %v but %d values", dims, len(vals))
		}
	})
}

func FuzzFRMS6GainCSV(f *testing.F) {
	f.Add([]byte("1;2\n3;4\n5;6\n"), 2, 3)
	f.Add([]byte("1;;2;\r\n\n3;4\n5;6"), 2, 3)
	f.Fuzz(func(t *testing.T, b []byte, rows, cols int) {
		if rows <= 0 || cols <= 0 || rows*cols > 1<<16 {
			return
		}
		g, err := parseFRMS6GainCSV(b, "g.csv", rows, cols)
		if err == nil && len(g) != rows*cols {
			t.Fatalf("%d values for %d × %d", len(g), rows, cols)
		}
	})
}
