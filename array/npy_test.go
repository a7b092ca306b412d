package array

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// npyFile builds .npy bytes by hand from the format description: magic, version, header
// length (2 bytes for 1.0, 4 for 2.0/3.0, little-endian), the dict padded with spaces
// and ending in '\n' so that magic+version+length+header is a multiple of 64, then data.
func npyFile(major byte, dict string, data []byte) []byte {
	pre := 10
	if major > 1 {
		pre = 12
	}
	total := pre + len(dict) + 1
	for total%64 != 0 {
		total++
	}
	hl := total - pre
	b := []byte("\x93NUMPY")
	b = append(b, major, 0)
	if major == 1 {
		b = append(b, byte(hl), byte(hl>>8))
	} else {
		b = append(b, byte(hl), byte(hl>>8), byte(hl>>16), byte(hl>>24))
	}
	b = append(b, dict...)
	b = append(b, strings.Repeat(" ", total-len(b)-1)...)
	b = append(b, '\n')
	return append(b, data...)
}

func TestReadNPYHandBuilt(t *testing.T) {
	tests := []struct {
		name   string
		file   []byte
		dtype  DType
		order  binary.ByteOrder
		shape  []int
		want   any
		offset int64
	}{
		{
			"v1 <u2", npyFile(1, "{'descr': '<u2', 'fortran_order': False, 'shape': (2, 3), }",
				[]byte{0, 0, 1, 0, 2, 0, 0, 1, 4, 0, 255, 255}),
			Uint16, binary.LittleEndian, []int{2, 3}, []uint16{0, 1, 2, 256, 4, 65535}, 128,
		},
		{
			"v2 >f4", npyFile(2, "{'descr': '>f4', 'fortran_order': False, 'shape': (3,), }",
				[]byte{0x3f, 0x80, 0, 0, 0xc0, 0x20, 0, 0, 0x3e, 0x20, 0, 0}),
			Float32, binary.BigEndian, []int{3}, []float32{1, -2.5, 0.15625}, 128,
		},
		{
			"v3 <i8 scalar", npyFile(3, `{"descr": "<i8", "fortran_order": False, "shape": ()}`,
				[]byte{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
			Int64, binary.LittleEndian, []int{}, []int64{-2}, 128,
		},
		{
			"bool", npyFile(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (4,), }", []byte{1, 0, 0, 1}),
			Bool, nil, []int{4}, []bool{true, false, false, true}, 128,
		},
		{
			"S3", npyFile(1, "{'descr': '|S3', 'fortran_order': False, 'shape': (2,), }", []byte("ab\x00xyz")),
			Bytes(3), nil, []int{2}, []string{"ab", "xyz"}, 128,
		},
		{
			"<c8", npyFile(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40}),
			Complex64, binary.LittleEndian, []int{1}, []complex64{1 + 2i}, 128,
		},
		{
			">c16", npyFile(1, "{'descr': '>c16', 'fortran_order': False, 'shape': (1,), }",
				[]byte{0xbf, 0xf0, 0, 0, 0, 0, 0, 0, 0x40, 0x08, 0, 0, 0, 0, 0, 0}),
			Complex128, binary.BigEndian, []int{1}, []complex128{-1 + 3i}, 128,
		},
		{
			">i4", npyFile(1, "{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }", []byte{0xff, 0xff, 0xff, 0xfe, 0, 0, 1, 0}),
			Int32, binary.BigEndian, []int{2}, []int32{-2, 256}, 128,
		},
		{
			">u8", npyFile(1, "{'descr': '>u8', 'fortran_order': False, 'shape': (1,), }", []byte{1, 0, 0, 0, 0, 0, 0, 2}),
			Uint64, binary.BigEndian, []int{1}, []uint64{1<<56 + 2}, 128,
		},
		{
			"|i1 and |u1", npyFile(1, "{'descr': '|i1', 'fortran_order': False, 'shape': (2,), }", []byte{0x80, 0x7f}),
			Int8, nil, []int{2}, []int8{-128, 127}, 128,
		},
		{
			"<f8 key order and L suffix", npyFile(1, "{'shape': (1L, 1L), 'fortran_order': False, 'descr': '<f8'}",
				[]byte{0, 0, 0, 0, 0, 0, 0xf8, 0x7f}),
			Float64, binary.LittleEndian, []int{1, 1}, nil, 128, // NaN checked below
		},
		{
			">i2 empty", npyFile(1, "{'descr': '>i2', 'fortran_order': False, 'shape': (0, 5), }", nil),
			Int16, binary.BigEndian, []int{0, 5}, []int16{}, 128,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := ReadNPYHeader(bytes.NewReader(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if h.DType != tc.dtype || h.ByteOrder != tc.order || !slices.Equal(h.Shape, tc.shape) || h.FortranOrder || h.DataOffset != tc.offset {
				t.Errorf("header = %+v", h)
			}
			a, err := ReadNPY(bytes.NewReader(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if a.DType() != tc.dtype || !slices.Equal(a.Shape(), tc.shape) {
				t.Fatalf("array dtype %v shape %v", a.DType(), a.Shape())
			}
			if tc.want == nil {
				if v := a.(*Dense[float64]).At(0, 0); !math.IsNaN(v) {
					t.Errorf("want NaN, got %v", v)
				}
				return
			}
			checkData(t, a, tc.want)
		})
	}
}

func TestWriteNPYExactBytes(t *testing.T) {
	tests := []struct {
		name string
		a    Array
		want []byte
	}{
		{"uint16", Wrap([]uint16{1, 2, 258}, 3),
			npyFile(1, "{'descr': '<u2', 'fortran_order': False, 'shape': (3,), }", []byte{1, 0, 2, 0, 2, 1})},
		{"float32 transposed", Wrap([]float32{1, 2, 3, 4}, 2, 2).Transpose(),
			npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }",
				[]byte{0, 0, 0x80, 0x3f, 0, 0, 0x40, 0x40, 0, 0, 0, 0x40, 0, 0, 0x80, 0x40})},
		{"bool 0-d", Wrap([]bool{true}), npyFile(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (), }", []byte{1})},
		{"bytes", WrapBytes(3, []string{"a", "xyz"}, 2),
			npyFile(1, "{'descr': '|S3', 'fortran_order': False, 'shape': (2,), }", []byte("a\x00\x00xyz"))},
		{"go int", Wrap([]int{-1}, 1, 1),
			npyFile(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1), }", []byte{255, 255, 255, 255, 255, 255, 255, 255})},
		{"complex64", Wrap([]complex64{1 + 2i}, 1),
			npyFile(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteNPY(&b, tc.a); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b.Bytes(), tc.want) {
				t.Errorf("got\n%q\nwant\n%q", b.Bytes(), tc.want)
			}
		})
	}
}

func TestNPYRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	big := 300_000 // several read/write chunks of float32
	if testing.Short() {
		big = 70_000
	}
	f32 := make([]float32, big)
	for i := range f32 {
		f32[i] = rng.Float32()
	}
	i64 := make([]int64, 60)
	for i := range i64 {
		i64[i] = int64(rng.Uint64())
	}
	arrays := []Array{
		Wrap(f32, big/10, 10),
		Wrap(f32, big/10, 10).Transpose().Slice(Range{2, 7}),
		Wrap(i64, 3, 4, 5).Transpose(2, 0, 1),
		Wrap([]int8{-1, 2, -3}, 3),
		Wrap([]int16{-1, 2, -300}, 3),
		Wrap([]int32{-1, 2, -3e6}, 1, 3),
		Wrap([]uint8{1, 2, 255}, 3),
		Wrap([]uint16{1, 2, 65535}, 3),
		Wrap([]uint32{1, 2, 4e9}, 3),
		Wrap([]uint64{1, 2, 1 << 63}, 3),
		Wrap([]float64{math.Inf(-1), 2.5, math.MaxFloat64}, 3),
		Wrap([]complex64{1 + 2i, -3i}, 2),
		Wrap([]complex128{1 + 2i, -3i, 7}, 3, 1),
		Wrap([]bool{true, false, true, true}, 2, 2),
		WrapBytes(4, []string{"", "abcd", "a\x00b"}, 3),
		Zeros[float32](0, 7),
		Wrap([]float64{42}),
	}
	for i, a := range arrays {
		var b bytes.Buffer
		if err := WriteNPY(&b, a); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		got, err := ReadNPY(&b)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if got.DType() != a.DType() || !slices.Equal(got.Shape(), a.Shape()) {
			t.Fatalf("%d: dtype %v shape %v, want %v %v", i, got.DType(), got.Shape(), a.DType(), a.Shape())
		}
		if !denseEqual(a, got) {
			t.Errorf("%d (%v): values differ", i, a.DType())
		}
	}
}

// denseEqual compares element by element in C order (through All, which the views'
// tests check against hand-computed values).
func denseEqual(a, b Array) bool {
	switch x := a.(type) {
	case *Dense[float32]:
		return slices.Equal(collect(x), collect(b.(*Dense[float32])))
	case *Dense[float64]:
		return slices.Equal(collect(x), collect(b.(*Dense[float64])))
	case *Dense[int8]:
		return slices.Equal(collect(x), collect(b.(*Dense[int8])))
	case *Dense[int16]:
		return slices.Equal(collect(x), collect(b.(*Dense[int16])))
	case *Dense[int32]:
		return slices.Equal(collect(x), collect(b.(*Dense[int32])))
	case *Dense[int64]:
		return slices.Equal(collect(x), collect(b.(*Dense[int64])))
	case *Dense[uint8]:
		return slices.Equal(collect(x), collect(b.(*Dense[uint8])))
	case *Dense[uint16]:
		return slices.Equal(collect(x), collect(b.(*Dense[uint16])))
	case *Dense[uint32]:
		return slices.Equal(collect(x), collect(b.(*Dense[uint32])))
	case *Dense[uint64]:
		return slices.Equal(collect(x), collect(b.(*Dense[uint64])))
	case *Dense[complex64]:
		return slices.Equal(collect(x), collect(b.(*Dense[complex64])))
	case *Dense[complex128]:
		return slices.Equal(collect(x), collect(b.(*Dense[complex128])))
	case *Dense[bool]:
		return slices.Equal(collect(x), collect(b.(*Dense[bool])))
	case *Dense[string]:
		// trailing NULs are not part of a value; "a\x00b" keeps its inner NUL
		return slices.Equal(collect(x), collect(b.(*Dense[string])))
	}
	return false
}

func TestReadNPYErrors(t *testing.T) {
	good := "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
	data := make([]byte, 8)
	tests := []struct {
		name  string
		file  []byte
		field string
		want  error
	}{
		{"empty", nil, "magic", io.ErrUnexpectedEOF},
		{"bad magic", append([]byte("\x93NUMPZ"), npyFile(1, good, data)[6:]...), "magic", ErrNPYFormat},
		{"version 4", append(append([]byte("\x93NUMPY\x04\x00"), 0, 0), data...), "version", ErrNPYFormat},
		{"version 1.1", []byte("\x93NUMPY\x01\x01\x00\x00"), "version", ErrNPYFormat},
		{"huge v2 header length", []byte("\x93NUMPY\x02\x00\xff\xff\xff\xff"), "header length", ErrNPYFormat},
		{"header truncated", []byte("\x93NUMPY\x01\x00\x40\x00{'descr'"), "header", io.ErrUnexpectedEOF},
		{"not a dict", npyFile(1, "['<f4']", nil), "header", ErrNPYFormat},
		{"missing shape", npyFile(1, "{'descr': '<f4', 'fortran_order': False}", nil), "shape", ErrNPYFormat},
		{"missing descr", npyFile(1, "{'fortran_order': False, 'shape': ()}", nil), "descr", ErrNPYFormat},
		{"missing fortran", npyFile(1, "{'descr': '<f4', 'shape': ()}", nil), "fortran_order", ErrNPYFormat},
		{"extra key", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}", nil), "header", ErrNPYFormat},
		{"duplicate key", npyFile(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': ()}", nil), "header", ErrNPYFormat},
		{"structured", npyFile(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': ()}", nil), "descr", ErrDType},
		{"float16 truncated", npyFile(1, "{'descr': '<f2', 'fortran_order': False, 'shape': ()}", nil), "data", io.ErrUnexpectedEOF},
		{"unicode", npyFile(1, "{'descr': '<U4', 'fortran_order': False, 'shape': ()}", nil), "descr", ErrDType},
		{"fortran yes", npyFile(1, "{'descr': '<f4', 'fortran_order': yes, 'shape': ()}", nil), "fortran_order", ErrNPYFormat},
		{"negative extent", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", nil), "shape", ErrNPYFormat},
		{"float extent", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1.5,)}", nil), "shape", ErrNPYFormat},
		{"overflow", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", nil), "shape", ErrNPYFormat},
		{"unterminated string", npyFile(1, "{'descr: '<f4', 'fortran_order': False, 'shape': ()}", nil), "header", ErrNPYFormat},
		{"trailing garbage", npyFile(1, good+" x", data), "header", ErrNPYFormat},
		{"shape not tuple", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': 3}", nil), "shape", ErrNPYFormat},
		{"data truncated", npyFile(1, good, data[:7]), "data", io.ErrUnexpectedEOF},
		{"fortran order", npyFile(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", data), "fortran_order", ErrNPYFortranOrder},
		{"object", npyFile(1, "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", data), "descr", ErrNPYObject},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadNPY(bytes.NewReader(tc.file))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var ne *NPYError
			if !errors.As(err, &ne) || ne.Field != tc.field {
				t.Errorf("err = %#v, want an *NPYError on field %q", err, tc.field)
			}
		})
	}
	// Fortran order and object dtype are reported by the header reader, not rejected.
	h, err := ReadNPYHeader(bytes.NewReader(npyFile(1, "{'descr': '|O', 'fortran_order': True, 'shape': (2,), }", nil)))
	if err != nil || !h.FortranOrder || h.DType != Object {
		t.Errorf("header %+v, err %v", h, err)
	}
}

func TestReadNPYTruncatedEverywhere(t *testing.T) {
	full := npyFile(2, "{'descr': '>c8', 'fortran_order': False, 'shape': (2, 2), }", make([]byte, 32))
	for n := range len(full) {
		if _, err := ReadNPY(bytes.NewReader(full[:n])); err == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
	if _, err := ReadNPY(bytes.NewReader(full)); err != nil {
		t.Errorf("full file: %v", err)
	}
}

func TestWriteNPYErrors(t *testing.T) {
	tests := []struct {
		name string
		a    Array
		want error
	}{
		{"object", Zeros[any](2), ErrNPYObject},
		{"strings without S dtype", Zeros[string](2), ErrNPYObject},
		{"too long", WrapBytes(2, []string{"abc"}, 1), ErrNPYUnsupported},
		{"sparse", fakeArray{}, ErrNPYUnsupported},
		{"unknown element (dtype object)", Wrap([]uintptr{1}, 1), ErrNPYObject},
		{"nil", nil, ErrNPYUnsupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			err := WriteNPY(&b, tc.a)
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if b.Len() != 0 {
				t.Errorf("%d bytes written on error", b.Len())
			}
		})
	}
}

func TestNPYFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.npy")
	a := Wrap([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	if err := WriteNPYFile(p, a); err != nil {
		t.Fatal(err)
	}
	got, err := ReadNPYFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !denseEqual(a, got) {
		t.Errorf("read back %v", got)
	}
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v", st.Mode(), err)
	}
	// a failed write leaves the old file and no temporary files
	if err := WriteNPYFile(p, Zeros[any](3)); !errors.Is(err, ErrNPYObject) || !strings.Contains(err.Error(), p) {
		t.Errorf("err = %v, want ErrNPYObject naming %s", err, p)
	}
	if got, err := ReadNPYFile(p); err != nil || !denseEqual(a, got) {
		t.Errorf("old file damaged: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want 1", len(ents))
	}
	if err := WriteNPYFile(filepath.Join(dir, "missing", "x.npy"), a); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing dir: %v", err)
	}
	bad := filepath.Join(dir, "bad.npy")
	if err := os.WriteFile(bad, []byte("\x93NUMPY\x09\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadNPYFile(bad); !errors.Is(err, ErrNPYFormat) || !strings.Contains(err.Error(), bad) {
		t.Errorf("err = %v, want ErrNPYFormat naming the file", err)
	}
	if _, err := ReadNPYFile(filepath.Join(dir, "nope.npy")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v", err)
	}
}

func FuzzNPYHeader(f *testing.F) {
	f.Add(npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", make([]byte, 24)))
	f.Add(npyFile(2, "{'descr': '>u2', 'fortran_order': True, 'shape': (), }", []byte{1, 2}))
	f.Add(npyFile(3, `{"shape": (1L,), "descr": "|S5", "fortran_order": False}`, []byte("hello")))
	f.Add(npyFile(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (0,), }", nil))
	f.Add([]byte("\x93NUMPY\x01\x00\x05\x00{'a':"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ReadNPYHeader(bytes.NewReader(b))
		if err != nil {
			var ne *NPYError
			if !errors.As(err, &ne) {
				t.Fatalf("error is not an *NPYError: %v", err)
			}
			return
		}
		if !h.DType.IsValid() || h.DataOffset > int64(len(b)) || h.DataOffset < 10 {
			t.Fatalf("bad header %+v for %d bytes", h, len(b))
		}
		for _, d := range h.Shape {
			if d < 0 {
				t.Fatalf("negative extent in %+v", h)
			}
		}
		a, err := ReadNPY(bytes.NewReader(b))
		if err != nil {
			return
		}
		if int64(len(b))-h.DataOffset < h.DataLen() {
			t.Fatalf("read %v from %d data bytes, header wants %d", a.Shape(), int64(len(b))-h.DataOffset, h.DataLen())
		}
		// what was read writes back and re-reads to the same header
		var out bytes.Buffer
		if err := WriteNPY(&out, a); err != nil {
			t.Fatal(err)
		}
		h2, err := ReadNPYHeader(&out)
		if err != nil || h2.DType != h.DType || !slices.Equal(h2.Shape, h.Shape) {
			t.Fatalf("rewrite: %+v, %v; want %+v", h2, err, h)
		}
	})
}

func TestNPYVersion2Header(t *testing.T) {
	// 25,000 axes of extent 1 need a header longer than 65,535 bytes: version 2.0
	shape := make([]int, 25000)
	for i := range shape {
		shape[i] = 1
	}
	var b bytes.Buffer
	if err := WriteNPY(&b, Wrap([]int16{-2}, shape...)); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	if raw[6] != 2 || raw[7] != 0 {
		t.Fatalf("version %d.%d, want 2.0", raw[6], raw[7])
	}
	hl := int(binary.LittleEndian.Uint32(raw[8:12]))
	if (12+hl)%64 != 0 || raw[12+hl-1] != '\n' || len(raw) != 12+hl+2 {
		t.Fatalf("header length %d, file %d bytes", hl, len(raw))
	}
	h, err := ReadNPYHeader(bytes.NewReader(raw))
	if err != nil || len(h.Shape) != 25000 || h.DataOffset != int64(12+hl) || h.Major != 2 {
		t.Fatalf("header: %v, %v", h.DataOffset, err)
	}
	a, err := ReadNPY(bytes.NewReader(raw))
	if err != nil || a.(*Dense[int16]).Data()[0] != -2 {
		t.Fatalf("data: %v", err)
	}
}

// TestNPYFloat16: half-precision .npy files decode to float32, both byte orders, with
// the bit patterns of every class written out by hand (IEEE 754 binary16).
func TestNPYFloat16(t *testing.T) {
	bits := []uint16{0x0000, 0x8000, 0x3c00, 0xc000, 0x3555, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x7c00, 0xfc00}
	want := []float32{0, float32(math.Copysign(0, -1)), 1, -2, 0.333251953125, 65504, 5.9604645e-08, 6.097555e-05, 6.1035156e-05, float32(math.Inf(1)), float32(math.Inf(-1))}
	for _, order := range []string{"<", ">"} {
		var data []byte
		for _, b := range bits {
			if order == "<" {
				data = append(data, byte(b), byte(b>>8))
			} else {
				data = append(data, byte(b>>8), byte(b))
			}
		}
		f := npyFile(1, fmt.Sprintf("{'descr': '%sf2', 'fortran_order': False, 'shape': (%d,), }", order, len(bits)), data)
		h, err := ReadNPYHeader(bytes.NewReader(f))
		if err != nil || h.DType != Float16 || h.DType.IsNumeric() || !h.DType.IsValid() || h.DType.String() != "float16" || h.DataLen() != int64(2*len(bits)) {
			t.Fatalf("%s: header %+v, %v", order, h, err)
		}
		a, err := ReadNPY(bytes.NewReader(f))
		if err != nil {
			t.Fatal(err)
		}
		d, ok := a.(*Dense[float32])
		if !ok {
			t.Fatalf("%s: %T, want *Dense[float32]", order, a)
		}
		for i, v := range d.Data() {
			if math.Float32bits(v) != math.Float32bits(want[i]) {
				t.Errorf("%s: element %d (0x%04x) = %g, want %g", order, i, bits[i], v, want[i])
			}
		}
	}
	if v := HalfToFloat32(0x7e00); !math.IsNaN(float64(v)) {
		t.Errorf("NaN decodes to %v", v)
	}
	if _, _, err := ParseDType("float16"); err == nil {
		t.Error("ParseDType accepts float16")
	}
}

// TestNPYErrorQuoting: what an error quotes from a file is escaped and capped, and a
// negative extent is reported with its value.
func TestNPYErrorQuoting(t *testing.T) {
	// a version 1.0 header of the largest length, 0xFFFF bytes of binary garbage
	f := []byte("\x93NUMPY\x01\x00\xff\xff")
	for i := range 0xffff {
		f = append(f, byte(i*7+1))
	}
	_, err := ReadNPYHeader(bytes.NewReader(f))
	if err == nil {
		t.Fatal("garbage header accepted")
	}
	msg := err.Error()
	if len(msg) > 400 || strings.ContainsAny(msg, "\n\r\x00\x1b") || !strings.Contains(msg, "(65535 bytes)") {
		t.Errorf("message of %d bytes: %q", len(msg), msg)
	}
	for _, k := range []string{"'descr'", "'x" + strings.Repeat("y", 5000) + "'"} {
		f := npyFile(2, "{"+k+": '"+strings.Repeat("\x01", 3000)+"', 'fortran_order': False, 'shape': ()}", nil)
		_, err := ReadNPYHeader(bytes.NewReader(f))
		if err == nil || len(err.Error()) > 400 || strings.Contains(err.Error(), "\x01") {
			t.Errorf("long %s: %d-byte message %q", k[:3], len(fmt.Sprint(err)), err)
		}
	}
	_, err = ReadNPYHeader(bytes.NewReader(npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, -12)}", nil)))
	if err == nil || !strings.Contains(err.Error(), "extent -12 is negative") {
		t.Errorf("negative extent: %v", err)
	}
}
