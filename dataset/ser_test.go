package dataset

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// serFile builds a .ser file: dims (as stored), n valid elements of shape (x) or (x, y)
// (ArraySizeX, ArraySizeY), dtype code, values v(e, row, col) in the frame's displayed
// orientation (the file stores rows bottom-up). Elements are placed with gaps so the
// offset array matters.
func serFile(version int, dims []int, n int, twoD bool, code, sx, sy int, v func(e, r, c int) float64) []byte {
	le := binary.LittleEndian
	b := le.AppendUint16(nil, 0x4949)
	b = le.AppendUint16(b, 0x0197)
	b = le.AppendUint16(b, uint16(version))
	dtid := uint32(0x4120)
	if twoD {
		dtid = 0x4122
	}
	b = le.AppendUint32(b, dtid)
	b = le.AppendUint32(b, 0x4152)
	b = le.AppendUint32(b, uint32(n+1)) // total > valid
	b = le.AppendUint32(b, uint32(n))
	offPos := len(b)
	wide := version == 0x0220
	if wide {
		b = le.AppendUint64(b, 0)
	} else {
		b = le.AppendUint32(b, 0)
	}
	b = le.AppendUint32(b, uint32(len(dims)))
	for _, d := range dims {
		b = le.AppendUint32(b, uint32(d))
		b = le.AppendUint64(b, math.Float64bits(0))
		b = le.AppendUint64(b, math.Float64bits(1e-9))
		b = le.AppendUint32(b, 0)
		b = le.AppendUint32(b, 4)
		b = append(b, "Scan"...)
		b = le.AppendUint32(b, 1)
		b = append(b, "m"...)
	}
	dt := serDTypes[code]
	var offs []int
	for e := range n {
		b = append(b, make([]byte, 3+e)...) // gap
		offs = append(offs, len(b))
		ncal := 1
		if twoD {
			ncal = 2
		}
		b = append(b, make([]byte, 20*ncal)...)
		b = le.AppendUint16(b, uint16(code))
		b = le.AppendUint32(b, uint32(sx))
		rows := 1
		if twoD {
			b = le.AppendUint32(b, uint32(sy))
			rows = sy
		}
		for sr := range rows {
			r := rows - 1 - sr // stored bottom-up
			var vals []float64
			for c := range sx {
				vals = append(vals, v(e, r, c))
			}
			b = append(b, encode(vals, dt, le)...)
		}
	}
	arr := len(b)
	if wide {
		le.PutUint64(b[offPos:], uint64(arr))
	} else {
		le.PutUint32(b[offPos:], uint32(arr))
	}
	for _, o := range offs {
		if wide {
			b = le.AppendUint64(b, uint64(o))
		} else {
			b = le.AppendUint32(b, uint32(o))
		}
	}
	for range offs {
		if wide {
			b = le.AppendUint64(b, 0)
		} else {
			b = le.AppendUint32(b, 0)
		}
	}
	return b
}

func serValue(e, r, c int) float64 { return float64(e*100 + r*10 + c) }

func TestSER(t *testing.T) {
	cases := []struct {
		name    string
		version int
		dims    []int
		twoD    bool
		code    int
		dt      array.DType
	}{
		{"v0210 2-D uint16", 0x0210, []int{3, 2}, true, 2, array.Uint16},
		{"v0220 2-D float32", 0x0220, []int{3, 2}, true, 7, array.Float32},
		{"v0220 2-D int32", 0x0220, []int{6}, true, 6, array.Int32},
		{"v0210 1-D spectra", 0x0210, []int{3, 2}, false, 5, array.Int16},
	}
	const sx, sy = 4, 3
	for _, c := range cases {
		n := prodInts(c.dims)
		p := writeFile(t, "x.ser", serFile(c.version, c.dims, n, c.twoD, c.code, sx, sy, serValue))
		ds, err := Open("auto", p, OpenOptions{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		nav := slices.Clone(c.dims)
		slices.Reverse(nav)
		sig := []int{sy, sx}
		rows := sy
		if !c.twoD {
			sig, rows = []int{sx}, 1
		}
		if !slices.Equal(ds.Shape().Nav(), nav) || !slices.Equal(ds.Shape().Sig(), sig) || ds.DType() != c.dt {
			t.Fatalf("%s: shape %v dtype %v", c.name, ds.Shape(), ds.DType())
		}
		want := make([]float64, 0, n*rows*sx)
		for e := range n {
			for r := range rows {
				for col := range sx {
					want = append(want, serValue(e, r, col))
				}
			}
		}
		sch, _ := NewTilingScheme(append([]int{1}, sig...), sig, MethodTile)
		r := readAll[float64](t, ds, 2, sch, nil, array.Float64)
		if i := sameNaN(r.data, want); i >= 0 {
			t.Fatalf("%s: element %d = %v, want %v", c.name, i, r.data[i], want[i])
		}
		ds.Close()
	}
}

func TestSERErrors(t *testing.T) {
	good := serFile(0x0210, []int{2}, 2, true, 2, 2, 2, serValue)
	mod := func(f func(b []byte)) []byte { b := slices.Clone(good); f(b); return b }
	le := binary.LittleEndian
	cases := []struct {
		name     string
		b        []byte
		sentinel error
		field    string
	}{
		{"byte order", mod(func(b []byte) { b[0] = 0x4D }), ErrHeader, "header.byte_order"},
		{"series id", mod(func(b []byte) { b[2] = 0 }), ErrHeader, "header.series_id"},
		{"version", mod(func(b []byte) { b[4] = 0x30 }), ErrHeader, "header.series_version"},
		{"data type id", mod(func(b []byte) { b[6] = 0x21 }), ErrHeader, "header.data_type_id"},
		{"valid > total", mod(func(b []byte) { le.PutUint32(b[18:], 9) }), ErrHeader, "header.valid_number_elements"},
		{"no valid", mod(func(b []byte) { le.PutUint32(b[18:], 0) }), ErrFileTooShort, "header.valid_number_elements"},
		{"offset array", mod(func(b []byte) { le.PutUint32(b[22:], 1<<30) }), ErrHeader, "header.offset_array_offset"},
		{"truncated", good[:40], ErrHeader, "dimensions[0]"},
		{"element dtype", mod(func(b []byte) {
			off := le.Uint32(b[le.Uint32(b[22:]):])
			b[off+40] = 77
		}), ErrDType, "element[0].data_type"},
		{"elements differ", mod(func(b []byte) {
			arr := le.Uint32(b[22:])
			off := le.Uint32(b[arr+4:])
			b[off+42] = 3
		}), ErrHeader, "element[1]"},
	}
	for _, c := range cases {
		p := writeFile(t, "bad.ser", c.b)
		_, err := Open("ser", p, OpenOptions{})
		var e *Error
		if !errors.Is(err, c.sentinel) || !errors.As(err, &e) || e.Field != c.field || e.Path != p {
			t.Errorf("%s: %v, want %v on %s", c.name, err, c.sentinel, c.field)
		}
	}
}

func FuzzSERHeader(f *testing.F) {
	f.Add(serFile(0x0210, []int{2}, 2, true, 2, 2, 2, serValue))
	f.Add(serFile(0x0220, []int{2, 1}, 2, false, 7, 3, 1, serValue))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseSERHeader(bytesReaderAt(b), int64(len(b)), "fuzz.ser")
		if err != nil {
			return
		}
		if len(h.DataOffsets) != h.Valid || h.Valid > h.Total {
			t.Fatalf("accepted %+v", h)
		}
		for _, d := range h.Dims {
			if d <= 0 {
				t.Fatalf("dims %v", h.Dims)
			}
		}
	})
}
