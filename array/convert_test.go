package array

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func TestConvertNumeric(t *testing.T) {
	f := Wrap([]float64{-2.7, -0.5, 0, 0.5, 1.9, 300.2}, 2, 3)
	tests := []struct {
		name string
		to   DType
		want any
	}{
		{"float->int8 truncates and wraps", Int8, []int8{-2, 0, 0, 0, 1, 44}}, // 300 mod 256 = 44
		{"float->int32", Int32, []int32{-2, 0, 0, 0, 1, 300}},
		{"float->uint8 negative wraps", Uint8, []uint8{254, 0, 0, 0, 1, 44}},
		{"float->uint16", Uint16, []uint16{65534, 0, 0, 0, 1, 300}},
		{"float->bool", Bool, []bool{true, true, false, true, true, true}},
		{"float->float32", Float32, []float32{-2.7, -0.5, 0, 0.5, 1.9, 300.2}},
		{"float->complex64", Complex64, []complex64{-2.7, -0.5, 0, 0.5, 1.9, 300.2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Convert(f, tc.to)
			if err != nil {
				t.Fatal(err)
			}
			if got.DType() != tc.to || !slices.Equal(got.Shape(), []int{2, 3}) {
				t.Fatalf("dtype %v shape %v", got.DType(), got.Shape())
			}
			checkData(t, got, tc.want)
		})
	}
}

func checkData(t *testing.T, a Array, want any) {
	t.Helper()
	var ok bool
	switch w := want.(type) {
	case []int8:
		ok = slices.Equal(a.(*Dense[int8]).Data(), w)
	case []int16:
		ok = slices.Equal(a.(*Dense[int16]).Data(), w)
	case []int32:
		ok = slices.Equal(a.(*Dense[int32]).Data(), w)
	case []int64:
		ok = slices.Equal(a.(*Dense[int64]).Data(), w)
	case []uint8:
		ok = slices.Equal(a.(*Dense[uint8]).Data(), w)
	case []uint16:
		ok = slices.Equal(a.(*Dense[uint16]).Data(), w)
	case []uint64:
		ok = slices.Equal(a.(*Dense[uint64]).Data(), w)
	case []bool:
		ok = slices.Equal(a.(*Dense[bool]).Data(), w)
	case []float32:
		ok = slices.Equal(a.(*Dense[float32]).Data(), w)
	case []float64:
		ok = slices.Equal(a.(*Dense[float64]).Data(), w)
	case []complex64:
		ok = slices.Equal(a.(*Dense[complex64]).Data(), w)
	case []complex128:
		ok = slices.Equal(a.(*Dense[complex128]).Data(), w)
	case []string:
		ok = slices.Equal(a.(*Dense[string]).Data(), w)
	case []any:
		ok = slices.Equal(a.(*Dense[any]).Data(), w)
	default:
		t.Fatalf("checkData: type %T", want)
	}
	if !ok {
		t.Errorf("data = %v, want %v", a, want)
	}
}

func TestConvertMore(t *testing.T) {
	tests := []struct {
		name string
		in   Array
		to   DType
		want any
	}{
		{"int16->int8 wraps", Wrap([]int16{-129, 127, 128, 255, 256}, 5), Int8, []int8{127, 127, -128, -1, 0}},
		{"int8->uint16 sign-extends", Wrap([]int8{-1, 5}, 2), Uint16, []uint16{65535, 5}},
		{"uint64->int64", Wrap([]uint64{1<<63 + 5, 7}, 2), Int64, []int64{math.MinInt64 + 5, 7}},
		{"int64->float64", Wrap([]int64{1 << 53, -3}, 2), Float64, []float64{1 << 53, -3}},
		{"uint64->float32", Wrap([]uint64{1 << 40}, 1), Float32, []float32{1 << 40}},
		{"bool->uint8", Wrap([]bool{true, false}, 2), Uint8, []uint8{1, 0}},
		{"bool->float64", Wrap([]bool{true, false}, 2), Float64, []float64{1, 0}},
		{"bool->complex128", Wrap([]bool{true, false}, 2), Complex128, []complex128{1, 0}},
		{"int->bool", Wrap([]int32{0, -3, 0, 1}, 4), Bool, []bool{false, true, false, true}},
		{"complex->float drops imag", Wrap([]complex128{1.5 + 2i, -3 - 1i}, 2), Float32, []float32{1.5, -3}},
		{"complex->int", Wrap([]complex64{2.9 + 9i, -2.9}, 2), Int16, []int16{2, -2}},
		{"complex->uint8", Wrap([]complex64{-1 + 9i, 3}, 2), Uint8, []uint8{255, 3}},
		{"complex->bool", Wrap([]complex128{0, 1i, 0}, 3), Bool, []bool{false, true, false}},
		{"complex64->complex128", Wrap([]complex64{1 + 2i}, 1), Complex128, []complex128{1 + 2i}},
		{"float->object", Wrap([]float32{1.5}, 1), Object, []any{float32(1.5)}},
		{"go int", Wrap([]int{-1, 2}, 2), Uint8, []uint8{255, 2}},
		{"same dtype copies", Wrap([]int64{4, 5}, 2), Int64, []int64{4, 5}},
		{"object->float64", Wrap([]any{int(3), float32(2.5), true, uint8(7)}, 4), Float64, []float64{3, 2.5, 1, 7}},
		{"object->int8", Wrap([]any{int64(300), -1.7}, 2), Int8, []int8{44, -1}},
		{"object->object", Wrap([]any{"x", 1}, 2), Object, []any{"x", 1}},
		{"bytes truncate", WrapBytes(5, []string{"hello", "hi"}, 2), Bytes(3), []string{"hel", "hi"}},
		{"bytes->object", WrapBytes(5, []string{"hello"}, 1), Object, []any{"hello"}},
		{"strided source", iota3().Transpose().Slice(Range{3, 4}), Int32, []int32{3, 103, 13, 113, 23, 123}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Convert(tc.in, tc.to)
			if err != nil {
				t.Fatal(err)
			}
			if got.DType() != tc.to || !slices.Equal(got.Shape(), tc.in.Shape()) {
				t.Errorf("dtype %v shape %v", got.DType(), got.Shape())
			}
			checkData(t, got, tc.want)
		})
	}
	// a copy, not the input
	src := Wrap([]int64{1}, 1)
	c, _ := Convert(src, Int64)
	c.(*Dense[int64]).Set(9, 0)
	if src.At(0) != 1 {
		t.Error("same-dtype Convert aliased its input")
	}
}

func TestConvertNaN(t *testing.T) {
	got, err := Convert(Wrap([]float64{math.NaN()}, 1), Bool)
	if err != nil || !got.(*Dense[bool]).At(0) {
		t.Errorf("NaN->bool = %v, %v (numpy: True)", got, err)
	}
	c, err := Convert(Wrap([]float32{float32(math.NaN())}, 1), Complex128)
	if err != nil || !math.IsNaN(real(c.(*Dense[complex128]).At(0))) {
		t.Errorf("NaN->complex = %v, %v", c, err)
	}
}

func TestConvertErrors(t *testing.T) {
	tests := []struct {
		name string
		in   Array
		to   DType
		want error
	}{
		{"bytes->float", WrapBytes(3, []string{"1.5"}, 1), Float32, ErrConvert},
		{"float->bytes", Wrap([]float32{1}, 1), Bytes(4), ErrConvert},
		{"object holding struct", Wrap([]any{struct{}{}}, 1), Float32, ErrConvert},
		{"object holding nil", Wrap([]any{nil}, 1), Int8, ErrConvert},
		{"object string->int", Wrap([]any{"7"}, 1), Int8, ErrConvert},
		{"invalid target", Wrap([]float32{1}, 1), DType{}, ErrDType},
		{"unknown element type", Wrap([]uintptr{1}, 1), Float32, ErrConvert},
		{"csr-like non-dense", fakeArray{}, Float32, ErrConvert},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Convert(tc.in, tc.to); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

type fakeArray struct{}

func (fakeArray) DType() DType   { return Float32 }
func (fakeArray) Shape() []int   { return []int{1} }
func (fakeArray) Size() int      { return 1 }
func (fakeArray) Format() Format { return FormatCSR }

func TestConvertInto(t *testing.T) {
	// contiguous → contiguous, no allocation
	src := Wrap([]uint16{1, 2, 65535, 7}, 2, 2)
	dst := Zeros[float32](2, 2)
	allocs := testing.AllocsPerRun(20, func() {
		if err := ConvertInto(dst, src); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("ConvertInto allocated %v times", allocs)
	}
	if got, want := dst.Data(), []float32{1, 2, 65535, 7}; !slices.Equal(got, want) {
		t.Errorf("got %v", got)
	}
	// strided source and strided destination
	big := Zeros[int32](2, 4)
	view := big.Slice(Range{0, 2}, Range{1, 3}) // (2,2) non-contiguous
	if err := ConvertInto(view, Wrap([]float64{-1.5, 2.5, 3.9, 4}, 2, 2).Transpose()); err != nil {
		t.Fatal(err)
	}
	if got, want := big.Data(), []int32{0, -1, 3, 0, 0, 2, 4, 0}; !slices.Equal(got, want) {
		t.Errorf("strided: %v, want %v", got, want)
	}
	// object cells into Go int and into S<n>
	gi := Zeros[int](2)
	if err := ConvertInto(gi, Wrap([]any{int8(-3), 2.7}, 2)); err != nil || !slices.Equal(gi.Data(), []int{-3, 2}) {
		t.Errorf("object->int: %v %v", gi.Data(), err)
	}
	sb := New(Bytes(2), 2).(*Dense[string])
	if err := ConvertInto(sb, Wrap([]any{"hello", "x"}, 2)); err != nil || !slices.Equal(sb.Data(), []string{"he", "x"}) {
		t.Errorf("object->S2: %v %v", sb.Data(), err)
	}
	errs := []struct {
		name     string
		dst, src Array
		want     error
	}{
		{"shape", Zeros[float32](3), Zeros[float32](4), ErrShape},
		{"sparse dst", fakeArray{}, Zeros[float32](1), ErrConvert},
		{"sparse src", Zeros[float32](1), fakeArray{}, ErrConvert},
		{"number into bytes", New(Bytes(3), 1), Zeros[float32](1), ErrConvert},
		{"number into object-typed strings", Zeros[string](1), Zeros[int8](1), ErrConvert},
	}
	for _, tc := range errs {
		if err := ConvertInto(tc.dst, tc.src); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := Convert(nil, Float32); !errors.Is(err, ErrConvert) {
		t.Errorf("Convert(nil): %v", err)
	}
}
