package dataset

import (
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// bloFile builds a .blo file: header, optional metadata text (MAGIC 259), a VBF block,
// then NY×NX frames with 6-byte headers.
func bloFile(big bool, magic, nx, ny, dp int, meta string, bits int, v func(f, i int) int) []byte {
	var o binary.ByteOrder = binary.LittleEndian
	if big {
		o = binary.BigEndian
	}
	h := make([]byte, 240)
	copy(h, "IMGBLO")
	o.PutUint16(h[6:], uint16(magic))
	off1 := 240 + len(meta)
	off2 := off1 + nx*ny // a uint8 VBF image
	o.PutUint32(h[8:], uint32(off1))
	o.PutUint32(h[12:], uint32(off2))
	o.PutUint16(h[20:], uint16(dp))
	o.PutUint16(h[24:], uint16(nx))
	o.PutUint16(h[26:], uint16(ny))
	b := append(h, meta...)
	b = append(b, make([]byte, nx*ny)...)
	for f := range nx * ny {
		b = append(b, 0xAA, 0x55, byte(f), 0, 0, 0xFF)
		for i := range dp * dp {
			if bits == 8 {
				b = append(b, byte(v(f, i)))
			} else {
				b = o.(binary.AppendByteOrder).AppendUint16(b, uint16(v(f, i)))
			}
		}
	}
	return b
}

func bloValue(f, i int) int { return (f*13 + i*5) % 256 }

func TestBLO(t *testing.T) {
	cases := []struct {
		name  string
		big   bool
		magic int
		meta  string
		bits  int
	}{
		{"258 uint8", false, 258, "", 8},
		{"259 16 bits", false, 259, "\r\nSoftware: ASTAR\r\nBlo Bit Depth: 16 bits\r\n\x00\x00", 16},
		{"259 no depth", false, 259, "Software: x\r\n", 8},
		{"big-endian 16 bits", true, 259, "Blo Bit Depth: 16 bits", 16},
	}
	const nx, ny, dp = 3, 2, 4
	for _, c := range cases {
		p := writeFile(t, "x.blo", bloFile(c.big, c.magic, nx, ny, dp, c.meta, c.bits, bloValue))
		ds, err := Open("auto", p, OpenOptions{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		dt := map[int]array.DType{8: array.Uint8, 16: array.Uint16}[c.bits]
		if !slices.Equal(ds.Shape().Dims(), []int{ny, nx, dp, dp}) || ds.DType() != dt {
			t.Fatalf("%s: shape %v dtype %v", c.name, ds.Shape(), ds.DType())
		}
		want := make([]float64, nx*ny*dp*dp)
		for f := range nx * ny {
			for i := range dp * dp {
				want[f*dp*dp+i] = float64(bloValue(f, i))
			}
		}
		sch, _ := NewTilingScheme([]int{2, 2, dp}, []int{dp, dp}, MethodTile)
		r := readAll[float64](t, ds, 2, sch, nil, array.Float64)
		if i := sameNaN(r.data, want); i >= 0 {
			t.Fatalf("%s: element %d = %v, want %v", c.name, i, r.data[i], want[i])
		}
		if !strings.Contains(ds.Info().String(), "MAGIC") {
			t.Fatal(ds.Info())
		}
		ds.Close()
	}
}

func TestBLOErrors(t *testing.T) {
	good := bloFile(false, 258, 3, 2, 4, "", 8, bloValue)
	mod := func(f func(b []byte)) []byte { b := slices.Clone(good); f(b); return b }
	cases := []struct {
		name     string
		b        []byte
		sentinel error
		field    string
	}{
		{"short", good[:100], ErrFileTooShort, "header"},
		{"id", mod(func(b []byte) { b[0] = 'X' }), ErrHeader, "header.id"},
		{"magic", mod(func(b []byte) { b[6] = 7 }), ErrHeader, "header.magic"},
		{"dp 0", mod(func(b []byte) { b[20], b[21] = 0, 0 }), ErrHeader, "header.dp_sz"},
		{"offset 2", mod(func(b []byte) { binary.LittleEndian.PutUint32(b[12:], 10) }), ErrHeader, "header.data_offset_2"},
		{"bit depth 12", bloFile(false, 259, 3, 2, 4, "Blo Bit Depth: 12 bits", 8, bloValue), ErrDType, "metadata.bit_depth"},
		{"truncated frames", good[:len(good)-3], ErrFileTooShort, "frames"},
	}
	for _, c := range cases {
		p := writeFile(t, "bad.blo", c.b)
		_, err := Open("blo", p, OpenOptions{})
		var e *Error
		var se *ShortFileError
		ok := errors.Is(err, c.sentinel) && (errors.As(err, &e) && e.Field == c.field && e.Path == p || errors.As(err, &se) && se.Field == c.field && se.Path == p)
		if !ok {
			t.Errorf("%s: %v, want %v on %s", c.name, err, c.sentinel, c.field)
		}
	}
}

func FuzzBLOHeader(f *testing.F) {
	f.Add(bloFile(false, 259, 2, 2, 2, "Blo Bit Depth: 16 bits", 16, bloValue))
	f.Add(bloFile(true, 258, 2, 2, 2, "", 8, bloValue))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseBLOHeader(b, "fuzz.blo")
		if err != nil {
			return
		}
		if h.DPSize <= 0 || h.NX <= 0 || h.NY <= 0 || h.DataOffset2 < bloHeaderBytes || h.BitDepth%8 != 0 {
			t.Fatalf("accepted %+v", h)
		}
	})
}
