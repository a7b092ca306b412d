package array

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Kind is numpy's one-letter dtype kind code.
type Kind byte

// The dtype kinds stemflow supports. The values are numpy's kind characters, so
// Kind(dt.Kind()) prints as numpy prints dtype.kind.
const (
	KindBool    Kind = 'b'
	KindInt     Kind = 'i'
	KindUint    Kind = 'u'
	KindFloat   Kind = 'f'
	KindComplex Kind = 'c'
	KindBytes   Kind = 'S'
	KindObject  Kind = 'O'
)

// String returns the kind character.
func (k Kind) String() string { return string(rune(k)) }

// DType is an element type: a kind plus an item size in bytes. DType values are
// comparable with ==; the zero DType is invalid (IsValid reports false) and is what
// functions return when no dtype applies.
type DType struct {
	kind Kind
	size int32
}

// The fixed-size dtypes. Object's ItemSize is 8, the size of a pointer, as in numpy.
var (
	Bool       = DType{KindBool, 1}
	Int8       = DType{KindInt, 1}
	Int16      = DType{KindInt, 2}
	Int32      = DType{KindInt, 4}
	Int64      = DType{KindInt, 8}
	Uint8      = DType{KindUint, 1}
	Uint16     = DType{KindUint, 2}
	Uint32     = DType{KindUint, 4}
	Uint64     = DType{KindUint, 8}
	Float32    = DType{KindFloat, 4}
	Float64    = DType{KindFloat, 8}
	Complex64  = DType{KindComplex, 8}
	Complex128 = DType{KindComplex, 16}
	Object     = DType{KindObject, 8}
	// Float16 is numpy's half-precision float as a storage dtype only: .npy files may
	// hold it (ReadNPY and the npy dataset decode it to float32), but it is not numeric
	// here (IsNumeric is false: no array, tile or buffer has it) and ParseDType does not
	// accept it.
	Float16 = DType{KindFloat, 2}
)

// numericDTypes lists the numeric dtypes in numpy's order of type characters.
var numericDTypes = []DType{Bool, Int8, Int16, Int32, Int64, Uint8, Uint16, Uint32, Uint64, Float32, Float64, Complex64, Complex128}

// Bytes returns numpy's fixed-width byte-string dtype S<n>: every element is n bytes,
// shorter values padded with NUL bytes. Bytes(n) for n < 1 returns the invalid zero DType
// (numpy's unsized "S" is not a storage type).
func Bytes(n int) DType {
	if n < 1 || n > math.MaxInt32 {
		return DType{}
	}
	return DType{KindBytes, int32(n)}
}

// ErrDType is wrapped by every error about an unknown, unsupported or malformed dtype.
var ErrDType = errors.New("invalid dtype")

// Kind returns the dtype's kind; 0 for the invalid zero DType.
func (d DType) Kind() Kind { return d.kind }

// ItemSize returns the size of one element in bytes (numpy's itemsize).
func (d DType) ItemSize() int { return int(d.size) }

// IsValid reports whether d is one of the supported dtypes.
func (d DType) IsValid() bool {
	switch d.kind {
	case KindBytes:
		return d.size >= 1
	case KindObject:
		return d == Object
	case 0:
		return false
	}
	if d == Float16 {
		return true
	}
	for _, n := range numericDTypes {
		if n == d {
			return true
		}
	}
	return false
}

// IsNumeric reports whether d is bool, an integer, a float or a complex dtype.
func (d DType) IsNumeric() bool {
	switch d.kind {
	case KindBool, KindInt, KindUint, KindFloat, KindComplex:
		return d.IsValid() && d != Float16
	}
	return false
}

// String returns numpy's name of the dtype: "bool", "int8" … "complex128", "object",
// and "S<n>" for byte strings (numpy's dtype.name would say "bytes<8n>"; S<n> is what
// users type). The invalid DType prints as "invalid".
func (d DType) String() string {
	if !d.IsValid() {
		return "invalid"
	}
	switch d.kind {
	case KindBool:
		return "bool"
	case KindInt:
		return "int" + strconv.Itoa(8*int(d.size))
	case KindUint:
		return "uint" + strconv.Itoa(8*int(d.size))
	case KindFloat:
		return "float" + strconv.Itoa(8*int(d.size))
	case KindComplex:
		return "complex" + strconv.Itoa(8*int(d.size))
	case KindBytes:
		return "S" + strconv.Itoa(int(d.size))
	}
	return "object"
}

// byteOrderApplies reports whether the dtype's storage depends on byte order.
func (d DType) byteOrderApplies() bool {
	switch d.kind {
	case KindInt, KindUint, KindFloat, KindComplex:
		return d.size > 1
	}
	return false
}

// TypeStr returns numpy's array-interface type string, as written in .npy headers:
// "<f4", ">u2", "|u1", "|b1", "|S8", "|O". The order character is '|' where byte order
// does not apply (one-byte items, bool, bytes, object); otherwise '>' for
// binary.BigEndian and '<' for anything else, including nil (little-endian is the
// default because it is what stemflow writes).
func (d DType) TypeStr(order binary.ByteOrder) string {
	if !d.IsValid() {
		return "invalid"
	}
	c := "|"
	if d.byteOrderApplies() {
		c = "<"
		if isBigEndian(order) {
			c = ">"
		}
	}
	if d.kind == KindObject {
		return c + "O"
	}
	return c + string(rune(d.kind)) + strconv.Itoa(int(d.size))
}

func isBigEndian(order binary.ByteOrder) bool {
	if order == nil {
		return false
	}
	var b [2]byte
	order.PutUint16(b[:], 1)
	return b[1] == 1
}

// nativeOrder is binary.LittleEndian or binary.BigEndian, whichever this machine uses;
// ParseDType resolves numpy's '=' to it so callers can compare with ==.
var nativeOrder = func() binary.ByteOrder {
	if isBigEndian(binary.NativeEndian) {
		return binary.BigEndian
	}
	return binary.LittleEndian
}()

// dtypeNames maps the spellings ParseDType accepts (without an order prefix) to dtypes:
// numpy names, array-protocol codes and numpy's one-character type codes.
var dtypeNames = map[string]DType{
	"bool": Bool, "bool_": Bool, "b1": Bool, "?": Bool,
	"int8": Int8, "i1": Int8, "b": Int8, "byte": Int8,
	"int16": Int16, "i2": Int16, "h": Int16, "short": Int16,
	"int32": Int32, "i4": Int32, "i": Int32, "intc": Int32,
	"int64": Int64, "i8": Int64, "l": Int64, "q": Int64, "int": Int64, "int_": Int64, "longlong": Int64, "intp": Int64,
	"uint8": Uint8, "u1": Uint8, "B": Uint8, "ubyte": Uint8,
	"uint16": Uint16, "u2": Uint16, "H": Uint16, "ushort": Uint16,
	"uint32": Uint32, "u4": Uint32, "I": Uint32, "uintc": Uint32,
	"uint64": Uint64, "u8": Uint64, "L": Uint64, "Q": Uint64, "uint": Uint64, "ulonglong": Uint64, "uintp": Uint64,
	"float32": Float32, "f4": Float32, "f": Float32, "single": Float32,
	"float64": Float64, "f8": Float64, "d": Float64, "double": Float64, "float": Float64, "float_": Float64,
	"complex64": Complex64, "c8": Complex64, "F": Complex64, "csingle": Complex64,
	"complex128": Complex128, "c16": Complex128, "D": Complex128, "cdouble": Complex128, "complex": Complex128, "complex_": Complex128,
	"object": Object, "O": Object, "object_": Object,
}

// ParseDType parses a numpy dtype spelling: names ("float32", "uint16", "bool",
// "complex128", "object"), array-protocol codes ("f4", "u2", "c16", "O", "S8"), numpy's
// one-character codes ("f", "d", "H", "?") and type strings with a byte-order prefix
// ("<u2", ">f4", "|b1", "|S8", "=f8"). The returned order is binary.LittleEndian or
// binary.BigEndian when the string states one ('=' resolves to this machine's order) and
// the dtype has a byte order; it is nil when the string gives none ('|' or no prefix) or
// byte order does not apply (one-byte items, bool, bytes, object). Unknown or
// unsupported dtypes (float16, unicode "U", datetimes, structs) give an error wrapping
// ErrDType.
func ParseDType(s string) (DType, binary.ByteOrder, error) {
	body := s
	var order binary.ByteOrder
	if len(body) > 1 {
		switch body[0] {
		case '<':
			order = binary.LittleEndian
			body = body[1:]
		case '>':
			order = binary.BigEndian
			body = body[1:]
		case '=':
			order = nativeOrder
			body = body[1:]
		case '|':
			body = body[1:]
		}
	}
	var dt DType
	if d, ok := dtypeNames[body]; ok {
		dt = d
	} else if len(body) > 1 && (body[0] == 'S' || body[0] == 'a') {
		n, err := strconv.Atoi(body[1:])
		if err != nil || n < 1 || strings.ContainsAny(body[1:], "+-") {
			return DType{}, nil, fmt.Errorf("%w: %q: byte-string size must be a positive integer", ErrDType, s)
		}
		dt = Bytes(n)
		if !dt.IsValid() {
			return DType{}, nil, fmt.Errorf("%w: %q: byte-string size too large", ErrDType, s)
		}
	} else if strings.HasPrefix(body, "bytes") && len(body) > 5 {
		bits, err := strconv.Atoi(body[5:])
		if err != nil || bits < 8 || bits%8 != 0 || strings.ContainsAny(body[5:], "+-") {
			return DType{}, nil, fmt.Errorf("%w: %q: want bytes<8n>", ErrDType, s)
		}
		dt = Bytes(bits / 8)
		if !dt.IsValid() {
			return DType{}, nil, fmt.Errorf("%w: %q: byte-string size too large", ErrDType, s)
		}
	} else {
		return DType{}, nil, fmt.Errorf("%w: %q is not a supported dtype (want bool, int8..int64, uint8..uint64, float32, float64, complex64, complex128, S<n> or object)", ErrDType, s)
	}
	if !dt.byteOrderApplies() {
		order = nil
	}
	return dt, order, nil
}

// rank of a numeric dtype inside its kind, used by promotion.
func floatSizeFor(d DType) int32 {
	// smallest float (in bytes; no float16 here) that holds every value of integer d
	switch d.kind {
	case KindBool:
		return 4
	case KindInt, KindUint:
		if d.size <= 2 {
			return 4
		}
		return 8
	case KindFloat:
		return d.size
	case KindComplex:
		return d.size / 2
	}
	return 0
}

// promote2 is numpy's promotion of two valid dtypes; the zero DType when none exists.
func promote2(a, b DType) DType {
	if a == b {
		return a
	}
	if a.kind == KindObject || b.kind == KindObject {
		return Object
	}
	if a.kind == KindBytes || b.kind == KindBytes {
		if a.kind == KindBytes && b.kind == KindBytes {
			if a.size >= b.size {
				return a
			}
			return b
		}
		return DType{}
	}
	if a.kind == KindBool {
		return b
	}
	if b.kind == KindBool {
		return a
	}
	// order so that a's kind is "lower or equal": i/u < f < c
	lvl := func(k Kind) int {
		switch k {
		case KindInt, KindUint:
			return 0
		case KindFloat:
			return 1
		}
		return 2
	}
	if lvl(a.kind) > lvl(b.kind) {
		a, b = b, a
	}
	switch {
	case lvl(a.kind) == 0 && lvl(b.kind) == 0:
		if a.kind == b.kind {
			return DType{a.kind, max(a.size, b.size)}
		}
		s, u := a, b
		if s.kind == KindUint {
			s, u = u, s
		}
		if s.size > u.size {
			return s
		}
		if u.size == 8 {
			return Float64
		}
		return DType{KindInt, 2 * u.size}
	case lvl(b.kind) == 1: // a is integer or float
		return DType{KindFloat, max(b.size, floatSizeFor(a))}
	default: // b complex
		return DType{KindComplex, max(b.size, 2*floatSizeFor(a))}
	}
}

// ResultType is numpy's result_type for the supported dtypes: the smallest dtype to
// which all of ds can be cast safely. Bool is neutral among numeric dtypes only in the
// sense numpy gives it (bool ⊕ X = X for numeric X); object absorbs everything; byte
// strings promote to the longest. It returns the invalid zero DType when ds is empty,
// contains an invalid dtype, or mixes byte strings with numbers (numpy raises there).
func ResultType(ds ...DType) DType {
	if len(ds) == 0 {
		return DType{}
	}
	r := ds[0]
	if !r.IsValid() {
		return DType{}
	}
	for _, d := range ds[1:] {
		if !d.IsValid() {
			return DType{}
		}
		r = promote2(r, d)
		if !r.IsValid() {
			return DType{}
		}
	}
	return r
}

// CanCast reports whether numpy's 'safe' casting allows from → to: every value of from
// is representable in to. Anything casts safely to object; object casts only to itself;
// S<n> casts to S<m> for m ≥ n. Numbers never cast safely to byte strings here (numpy
// allows some via their decimal text; stemflow does not convert numbers to text).
func CanCast(from, to DType) bool {
	if !from.IsValid() || !to.IsValid() {
		return false
	}
	if from == to || to == Object {
		return true
	}
	if from.kind == KindObject {
		return false
	}
	if from.kind == KindBytes || to.kind == KindBytes {
		return from.kind == KindBytes && to.kind == KindBytes && to.size >= from.size
	}
	return promote2(from, to) == to
}

// DTypeOf returns the dtype of Go type T: Bool for bool, Int8…Int64 for int8…int64 (int
// is Int64, uint is Uint64), Uint8…Uint64, Float32, Float64, Complex64, Complex128, and
// Object for every other type — any, string and named types included. (A []string array
// holds byte strings only when it is made with New(Bytes(n)) or WrapBytes.)
func DTypeOf[T any]() DType {
	switch any((*T)(nil)).(type) {
	case *bool:
		return Bool
	case *int8:
		return Int8
	case *int16:
		return Int16
	case *int32:
		return Int32
	case *int64, *int:
		return Int64
	case *uint8:
		return Uint8
	case *uint16:
		return Uint16
	case *uint32:
		return Uint32
	case *uint64, *uint:
		return Uint64
	case *float32:
		return Float32
	case *float64:
		return Float64
	case *complex64:
		return Complex64
	case *complex128:
		return Complex128
	}
	return Object
}

// FillValue returns the value that marks "no data" in a dtype, typed as the
// Go element type of New(dt): NaN for float32/float64 (float32(NaN), math.NaN()),
// complex(NaN, 0) for complex64/complex128, false for bool, a zero of the matching Go
// integer type for integers, "" for byte strings and nil for object. It returns nil for
// the invalid DType.
func FillValue(dt DType) any {
	nan := math.NaN()
	switch dt {
	case Bool:
		return false
	case Int8:
		return int8(0)
	case Int16:
		return int16(0)
	case Int32:
		return int32(0)
	case Int64:
		return int64(0)
	case Uint8:
		return uint8(0)
	case Uint16:
		return uint16(0)
	case Uint32:
		return uint32(0)
	case Uint64:
		return uint64(0)
	case Float32:
		return float32(nan)
	case Float64:
		return nan
	case Complex64:
		return complex64(complex(nan, 0))
	case Complex128:
		return complex(nan, 0)
	}
	if dt.kind == KindBytes && dt.IsValid() {
		return ""
	}
	return nil
}

// HalfToFloat32 converts the IEEE 754 binary16 value with bits h to float32 (exact:
// every half value, subnormals, infinities and NaNs included, is a float32).
func HalfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf, NaN (payload kept)
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	case mant == 0: // ±0
		return math.Float32frombits(sign)
	}
	// subnormal: mant × 2^-24
	v := float32(mant) * (1.0 / (1 << 24))
	if sign != 0 {
		v = -v
	}
	return v
}
