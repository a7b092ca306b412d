package dataset

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// mrcFile builds an MRC file by hand: header words, optional extended header, data.
func mrcFile(nx, ny, nz, mode, ext int, big bool, data []byte) []byte {
	var o binary.ByteOrder = binary.LittleEndian
	if big {
		o = binary.BigEndian
	}
	h := make([]byte, 1024)
	for i, v := range []int{nx, ny, nz, mode} {
		o.PutUint32(h[4*i:], uint32(int32(v)))
	}
	o.PutUint32(h[92:], uint32(int32(ext)))
	copy(h[208:], "MAP ")
	if big {
		h[212], h[213] = 0x11, 0x11
	} else {
		h[212], h[213] = 0x44, 0x44
	}
	out := append(h, make([]byte, ext)...)
	for i := range ext {
		out[1024+i] = 0xEE
	}
	return append(out, data...)
}

func TestMRC(t *testing.T) {
	const nx, ny, nz = 5, 4, 6
	cases := []struct {
		mode int
		dt   array.DType
	}{{0, array.Int8}, {1, array.Int16}, {2, array.Float32}, {6, array.Uint16}}
	for _, c := range cases {
		for _, big := range []bool{false, true} {
			for _, ext := range []int{0, 129} {
				vals := smallVals(nx * ny * nz)
				if c.dt.Kind() == array.KindInt {
					for i := range vals {
						vals[i] -= 40
					}
				}
				var o binary.ByteOrder = binary.LittleEndian
				if big {
					o = binary.BigEndian
				}
				p := writeFile(t, "x.mrc", mrcFile(nx, ny, nz, c.mode, ext, big, encode(vals, c.dt, o)))
				ds, err := Open("auto", p, OpenOptions{})
				if err != nil {
					t.Fatalf("mode %d big=%v ext=%d: %v", c.mode, big, ext, err)
				}
				if !slices.Equal(ds.Shape().Dims(), []int{nz, ny, nx}) || ds.DType() != c.dt {
					t.Fatalf("shape %v dtype %v", ds.Shape(), ds.DType())
				}
				sch, _ := NewTilingScheme([]int{4, 2, nx}, []int{ny, nx}, MethodTile)
				r := readAll[float64](t, ds, 2, sch, nil, array.Float64)
				if i := sameNaN(r.data, vals); i >= 0 {
					t.Fatalf("mode %d big=%v ext=%d: element %d = %v, want %v", c.mode, big, ext, i, r.data[i], vals[i])
				}
				if in := ds.Info().String(); !strings.Contains(in, "mrc_mode: ") {
					t.Fatal(in)
				}
				ds.Close()
			}
		}
	}
}

func TestMRCErrors(t *testing.T) {
	data := make([]byte, 5*4*6*2)
	cases := []struct {
		name     string
		b        []byte
		sentinel error
		field    string
	}{
		{"short header", mrcFile(5, 4, 6, 6, 0, false, nil)[:500], ErrFileTooShort, "header"},
		{"mode 3", mrcFile(5, 4, 6, 3, 0, false, data), ErrDType, "header.mode"},
		{"nx 0", mrcFile(0, 4, 6, 6, 0, false, data), ErrHeader, "header.nx"},
		{"nz negative", mrcFile(5, 4, -6, 6, 0, false, data), ErrHeader, "header.nz"},
		{"ext negative", mrcFile(5, 4, 6, 6, 0, false, data), ErrHeader, "header.nsymbt"},
		{"truncated data", mrcFile(5, 4, 6, 6, 0, false, data[:100]), ErrFileTooShort, "header.nz"},
	}
	cases[4].b[92], cases[4].b[95] = 0xFF, 0xFF
	for _, c := range cases {
		p := writeFile(t, "bad.mrc", c.b)
		_, err := OpenMRC(p, FramedOptions{})
		var e *Error
		var se *ShortFileError
		ok := errors.Is(err, c.sentinel) && (errors.As(err, &e) && e.Field == c.field && e.Path == p || errors.As(err, &se) && se.Field == c.field && se.Path == p)
		if !ok {
			t.Errorf("%s: %v, want %v on %s", c.name, err, c.sentinel, c.field)
		}
	}
}

func FuzzMRCHeader(f *testing.F) {
	f.Add(mrcFile(5, 4, 6, 2, 0, false, nil))
	f.Add(mrcFile(5, 4, 6, 12, 8, true, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseMRCHeader(b, "fuzz.mrc")
		if err != nil {
			return
		}
		if h.NX <= 0 || h.NY <= 0 || h.NZ <= 0 || h.DataOffset < mrcHeaderSize || !h.DType.IsValid() || h.dataBytes() <= 0 {
			t.Fatalf("accepted header %+v", h)
		}
	})
}

func TestMRCHalf(t *testing.T) {
	// float16 bit patterns and their values, computed by hand
	cases := []struct {
		bits uint16
		want float64
	}{
		{0x0000, 0}, {0x3C00, 1}, {0xC000, -2}, {0x3555, 0.333251953125}, {0x7BFF, 65504},
		{0x0001, 5.960464477539063e-08}, {0x03FF, 6.097555160522461e-05}, {0x8400, -6.103515625e-05},
		{0x7C00, math.Inf(1)}, {0xFC00, math.Inf(-1)},
	}
	for _, c := range cases {
		if got := float64(halfToFloat32(c.bits)); got != c.want {
			t.Errorf("%#04x: %v, want %v", c.bits, got, c.want)
		}
	}
	if !math.IsNaN(float64(halfToFloat32(0x7E00))) {
		t.Error("NaN")
	}
	const nx, ny, nz = 3, 2, 5
	for _, big := range []bool{false, true} {
		var data []byte
		var want []float64
		for i := range nx * ny * nz {
			c := cases[i%len(cases)]
			if math.IsInf(c.want, 0) {
				c = cases[i%3]
			}
			if big {
				data = binary.BigEndian.AppendUint16(data, c.bits)
			} else {
				data = binary.LittleEndian.AppendUint16(data, c.bits)
			}
			want = append(want, c.want)
		}
		p := writeFile(t, "h.mrc", mrcFile(nx, ny, nz, 12, 7, big, data))
		ds, err := Open("mrc", p, OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if ds.DType() != array.Float32 || !slices.Equal(ds.Shape().Dims(), []int{nz, ny, nx}) {
			t.Fatalf("shape %v dtype %v", ds.Shape(), ds.DType())
		}
		sch, _ := NewTilingScheme([]int{2, ny, nx}, []int{ny, nx}, MethodTile)
		r := readAll[float64](t, ds, 2, sch, nil, array.Float64)
		if i := sameNaN(r.data, want); i >= 0 {
			t.Fatalf("big=%v element %d = %v, want %v", big, i, r.data[i], want[i])
		}
		ds.Close()
	}
}
