package array

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
)

// promoOrder is the row/column order of the hand-written numpy tables below.
var promoOrder = []DType{Bool, Int8, Int16, Int32, Int64, Uint8, Uint16, Uint32, Uint64, Float32, Float64, Complex64, Complex128}

var abbrev = map[string]DType{
	"b1": Bool, "i1": Int8, "i2": Int16, "i4": Int32, "i8": Int64,
	"u1": Uint8, "u2": Uint16, "u4": Uint32, "u8": Uint64,
	"f4": Float32, "f8": Float64, "c8": Complex64, "c16": Complex128,
}

// resultTable is numpy's np.result_type(row, col), typed in from numpy's promotion rules:
// bool neutral, mixed int/uint goes to the next wider signed int (float64
// for uint64), 8/16-bit ints fit float32, 32/64-bit ints need float64.
var resultTable = []string{
	/*        b1  i1  i2  i4  i8  u1  u2  u4  u8  f4  f8  c8  c16 */
	/* b1 */ "b1  i1  i2  i4  i8  u1  u2  u4  u8  f4  f8  c8  c16",
	/* i1 */ "i1  i1  i2  i4  i8  i2  i4  i8  f8  f4  f8  c8  c16",
	/* i2 */ "i2  i2  i2  i4  i8  i2  i4  i8  f8  f4  f8  c8  c16",
	/* i4 */ "i4  i4  i4  i4  i8  i4  i4  i8  f8  f8  f8  c16 c16",
	/* i8 */ "i8  i8  i8  i8  i8  i8  i8  i8  f8  f8  f8  c16 c16",
	/* u1 */ "u1  i2  i2  i4  i8  u1  u2  u4  u8  f4  f8  c8  c16",
	/* u2 */ "u2  i4  i4  i4  i8  u2  u2  u4  u8  f4  f8  c8  c16",
	/* u4 */ "u4  i8  i8  i8  i8  u4  u4  u4  u8  f8  f8  c16 c16",
	/* u8 */ "u8  f8  f8  f8  f8  u8  u8  u8  u8  f8  f8  c16 c16",
	/* f4 */ "f4  f4  f4  f8  f8  f4  f4  f8  f8  f4  f8  c8  c16",
	/* f8 */ "f8  f8  f8  f8  f8  f8  f8  f8  f8  f8  f8  c16 c16",
	/* c8 */ "c8  c8  c8  c16 c16 c8  c8  c16 c16 c8  c16 c8  c16",
	/* c16*/ "c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16 c16",
}

// castTable is numpy's np.can_cast(row, col, casting='safe').
var castTable = []string{
	/*        b1 i1 i2 i4 i8 u1 u2 u4 u8 f4 f8 c8 c16 */
	/* b1 */ "1  1  1  1  1  1  1  1  1  1  1  1  1",
	/* i1 */ "0  1  1  1  1  0  0  0  0  1  1  1  1",
	/* i2 */ "0  0  1  1  1  0  0  0  0  1  1  1  1",
	/* i4 */ "0  0  0  1  1  0  0  0  0  0  1  0  1",
	/* i8 */ "0  0  0  0  1  0  0  0  0  0  1  0  1",
	/* u1 */ "0  0  1  1  1  1  1  1  1  1  1  1  1",
	/* u2 */ "0  0  0  1  1  0  1  1  1  1  1  1  1",
	/* u4 */ "0  0  0  0  1  0  0  1  1  0  1  0  1",
	/* u8 */ "0  0  0  0  0  0  0  0  1  0  1  0  1",
	/* f4 */ "0  0  0  0  0  0  0  0  0  1  1  1  1",
	/* f8 */ "0  0  0  0  0  0  0  0  0  0  1  0  1",
	/* c8 */ "0  0  0  0  0  0  0  0  0  0  0  1  1",
	/* c16*/ "0  0  0  0  0  0  0  0  0  0  0  0  1",
}

func TestResultTypeTable(t *testing.T) {
	for i, row := range resultTable {
		cells := strings.Fields(row)
		if len(cells) != len(promoOrder) {
			t.Fatalf("row %d has %d cells", i, len(cells))
		}
		for j, c := range cells {
			want, ok := abbrev[c]
			if !ok {
				t.Fatalf("bad cell %q", c)
			}
			a, b := promoOrder[i], promoOrder[j]
			if got := ResultType(a, b); got != want {
				t.Errorf("ResultType(%v, %v) = %v, want %v", a, b, got, want)
			}
		}
	}
}

func TestCanCastTable(t *testing.T) {
	for i, row := range castTable {
		cells := strings.Fields(row)
		if len(cells) != len(promoOrder) {
			t.Fatalf("row %d has %d cells", i, len(cells))
		}
		for j, c := range cells {
			want := c == "1"
			a, b := promoOrder[i], promoOrder[j]
			if got := CanCast(a, b); got != want {
				t.Errorf("CanCast(%v, %v) = %v, want %v", a, b, got, want)
			}
		}
	}
}

func TestResultTypeSpecial(t *testing.T) {
	tests := []struct {
		name string
		in   []DType
		want DType
	}{
		{"empty", nil, DType{}},
		{"single", []DType{Uint16}, Uint16},
		{"spec 7.1 bool,uint16", []DType{Bool, Uint16}, Uint16},
		{"spec 7.1 float32,bool", []DType{Float32, Bool}, Float32},
		{"spec 7.1 int16,uint16", []DType{Int16, Uint16}, Int32},
		{"three", []DType{Int8, Uint8, Float32}, Float32},
		{"three to f8", []DType{Float32, Bool, Int64}, Float64},
		{"complex64 int32 spec", []DType{Complex64, Int32}, Complex128},
		{"object absorbs", []DType{Float32, Object}, Object},
		{"bytes longest", []DType{Bytes(3), Bytes(8), Bytes(5)}, Bytes(8)},
		{"bytes with number", []DType{Bytes(3), Int8}, DType{}},
		{"bytes with bool", []DType{Bool, Bytes(3)}, DType{}},
		{"invalid", []DType{Float32, {}}, DType{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ResultType(tc.in...); got != tc.want {
				t.Errorf("ResultType(%v) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestCanCastSpecial(t *testing.T) {
	tests := []struct {
		from, to DType
		want     bool
	}{
		{Float64, Object, true},
		{Bytes(4), Object, true},
		{Object, Float64, false},
		{Object, Object, true},
		{Bytes(4), Bytes(4), true},
		{Bytes(4), Bytes(8), true},
		{Bytes(8), Bytes(4), false},
		{Int8, Bytes(8), false},
		{Bytes(1), Bool, false},
		{DType{}, Float32, false},
		{Float32, DType{}, false},
	}
	for _, tc := range tests {
		if got := CanCast(tc.from, tc.to); got != tc.want {
			t.Errorf("CanCast(%v, %v) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
}

func TestDTypeProperties(t *testing.T) {
	tests := []struct {
		dt      DType
		kind    Kind
		size    int
		name    string
		le, be  string
		numeric bool
	}{
		{Bool, KindBool, 1, "bool", "|b1", "|b1", true},
		{Int8, KindInt, 1, "int8", "|i1", "|i1", true},
		{Int16, KindInt, 2, "int16", "<i2", ">i2", true},
		{Int32, KindInt, 4, "int32", "<i4", ">i4", true},
		{Int64, KindInt, 8, "int64", "<i8", ">i8", true},
		{Uint8, KindUint, 1, "uint8", "|u1", "|u1", true},
		{Uint16, KindUint, 2, "uint16", "<u2", ">u2", true},
		{Uint32, KindUint, 4, "uint32", "<u4", ">u4", true},
		{Uint64, KindUint, 8, "uint64", "<u8", ">u8", true},
		{Float32, KindFloat, 4, "float32", "<f4", ">f4", true},
		{Float64, KindFloat, 8, "float64", "<f8", ">f8", true},
		{Complex64, KindComplex, 8, "complex64", "<c8", ">c8", true},
		{Complex128, KindComplex, 16, "complex128", "<c16", ">c16", true},
		{Bytes(8), KindBytes, 8, "S8", "|S8", "|S8", false},
		{Object, KindObject, 8, "object", "|O", "|O", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.dt.Kind() != tc.kind || tc.dt.ItemSize() != tc.size || tc.dt.String() != tc.name {
				t.Errorf("got kind %v size %d name %q", tc.dt.Kind(), tc.dt.ItemSize(), tc.dt.String())
			}
			if !tc.dt.IsValid() || tc.dt.IsNumeric() != tc.numeric {
				t.Errorf("IsValid %v IsNumeric %v", tc.dt.IsValid(), tc.dt.IsNumeric())
			}
			if got := tc.dt.TypeStr(binary.LittleEndian); got != tc.le {
				t.Errorf("TypeStr(LE) = %q, want %q", got, tc.le)
			}
			if got := tc.dt.TypeStr(nil); got != tc.le {
				t.Errorf("TypeStr(nil) = %q, want %q", got, tc.le)
			}
			if got := tc.dt.TypeStr(binary.BigEndian); got != tc.be {
				t.Errorf("TypeStr(BE) = %q, want %q", got, tc.be)
			}
		})
	}
	var zero DType
	if zero.IsValid() || zero.IsNumeric() || zero.String() != "invalid" {
		t.Errorf("zero DType: valid %v numeric %v name %q", zero.IsValid(), zero.IsNumeric(), zero.String())
	}
	if Bytes(0).IsValid() || Bytes(-1) != (DType{}) {
		t.Error("Bytes(0) or Bytes(-1) is valid")
	}
	if f := (DType{KindFloat, 2}); !f.IsValid() || f.IsNumeric() || f != Float16 || f.TypeStr(binary.LittleEndian) != "<f2" {
		t.Error("float16 is not a valid, non-numeric storage dtype")
	}
}

func TestParseDType(t *testing.T) {
	le, be := binary.ByteOrder(binary.LittleEndian), binary.ByteOrder(binary.BigEndian)
	tests := []struct {
		in    string
		want  DType
		order binary.ByteOrder
	}{
		{"float32", Float32, nil},
		{"uint16", Uint16, nil},
		{"f4", Float32, nil},
		{"u2", Uint16, nil},
		{"bool", Bool, nil},
		{"complex128", Complex128, nil},
		{"complex64", Complex64, nil},
		{"c16", Complex128, nil},
		{"S8", Bytes(8), nil},
		{"|S8", Bytes(8), nil},
		{"object", Object, nil},
		{"O", Object, nil},
		{"|O", Object, nil},
		{"<u2", Uint16, le},
		{">f4", Float32, be},
		{"|b1", Bool, nil},
		{"=f8", Float64, le}, // the test machine is little-endian (amd64)
		{"<u1", Uint8, nil},
		{">i1", Int8, nil},
		{"|f4", Float32, nil},
		{">c8", Complex64, be},
		{"<i8", Int64, le},
		{"?", Bool, nil},
		{"d", Float64, nil},
		{"H", Uint16, nil},
		{"bytes64", Bytes(8), nil},
		{"int64", Int64, nil},
		{"uint64", Uint64, nil},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			dt, order, err := ParseDType(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if dt != tc.want || order != tc.order {
				t.Errorf("ParseDType(%q) = %v, %v; want %v, %v", tc.in, dt, order, tc.want, tc.order)
			}
		})
	}
	for _, bad := range []string{"", "<", "float16", "f2", "<f2", "U8", "<U4", "S0", "S-1", "S+3", "Sx", "M8", "V8", "int128", "bytes7", "bytes", "<>f4", "S99999999999999"} {
		if _, _, err := ParseDType(bad); !errors.Is(err, ErrDType) {
			t.Errorf("ParseDType(%q): err = %v, want ErrDType", bad, err)
		}
	}
}

func TestParseDTypeRoundTrip(t *testing.T) {
	for _, dt := range append(append([]DType(nil), promoOrder...), Bytes(1), Bytes(17), Object) {
		for _, o := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			got, _, err := ParseDType(dt.TypeStr(o))
			if err != nil || got != dt {
				t.Errorf("ParseDType(%q) = %v, %v", dt.TypeStr(o), got, err)
			}
		}
		got, _, err := ParseDType(dt.String())
		if err != nil || got != dt {
			t.Errorf("ParseDType(%q) = %v, %v", dt.String(), got, err)
		}
	}
}

func TestDTypeOf(t *testing.T) {
	tests := []struct {
		got, want DType
	}{
		{DTypeOf[bool](), Bool}, {DTypeOf[int8](), Int8}, {DTypeOf[int16](), Int16},
		{DTypeOf[int32](), Int32}, {DTypeOf[int64](), Int64}, {DTypeOf[int](), Int64},
		{DTypeOf[uint8](), Uint8}, {DTypeOf[uint16](), Uint16}, {DTypeOf[uint32](), Uint32},
		{DTypeOf[uint64](), Uint64}, {DTypeOf[uint](), Uint64}, {DTypeOf[float32](), Float32},
		{DTypeOf[float64](), Float64}, {DTypeOf[complex64](), Complex64},
		{DTypeOf[complex128](), Complex128}, {DTypeOf[any](), Object}, {DTypeOf[string](), Object},
		{DTypeOf[struct{ x int }](), Object},
	}
	for i, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("case %d: got %v, want %v", i, tc.got, tc.want)
		}
	}
}

func TestFillValue(t *testing.T) {
	if v, ok := FillValue(Float32).(float32); !ok || !math.IsNaN(float64(v)) {
		t.Errorf("Float32: %v", FillValue(Float32))
	}
	if v, ok := FillValue(Float64).(float64); !ok || !math.IsNaN(v) {
		t.Errorf("Float64: %v", FillValue(Float64))
	}
	if v, ok := FillValue(Complex64).(complex64); !ok || !math.IsNaN(float64(real(v))) || imag(v) != 0 {
		t.Errorf("Complex64: %v", FillValue(Complex64))
	}
	if v, ok := FillValue(Complex128).(complex128); !ok || !math.IsNaN(real(v)) {
		t.Errorf("Complex128: %v", FillValue(Complex128))
	}
	exact := []struct {
		dt   DType
		want any
	}{
		{Bool, false}, {Int8, int8(0)}, {Int16, int16(0)}, {Int32, int32(0)}, {Int64, int64(0)},
		{Uint8, uint8(0)}, {Uint16, uint16(0)}, {Uint32, uint32(0)}, {Uint64, uint64(0)},
		{Bytes(4), ""}, {Object, nil}, {DType{}, nil},
	}
	for _, tc := range exact {
		if got := FillValue(tc.dt); got != tc.want {
			t.Errorf("FillValue(%v) = %#v, want %#v", tc.dt, got, tc.want)
		}
	}
}

func FuzzParseDType(f *testing.F) {
	for _, s := range []string{"float32", "<u2", ">f4", "|b1", "|S8", "=f8", "O", "S0", "bytes64", "<c16", "?", "", "<"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		dt, order, err := ParseDType(s)
		if err != nil {
			if !errors.Is(err, ErrDType) || dt != (DType{}) || order != nil {
				t.Fatalf("ParseDType(%q) = %v, %v, %v", s, dt, order, err)
			}
			return
		}
		if !dt.IsValid() {
			t.Fatalf("ParseDType(%q) returned invalid %v", s, dt)
		}
		if order != nil && !dt.byteOrderApplies() {
			t.Fatalf("ParseDType(%q): order %v for %v", s, order, dt)
		}
		back, _, err := ParseDType(dt.TypeStr(order))
		if err != nil || back != dt {
			t.Fatalf("TypeStr round trip of %q: %v, %v", s, back, err)
		}
	})
}
