package array

import (
	"errors"
	"reflect"
	"slices"
	"testing"
)

// iota3 returns a (2,3,4) float64 array whose element (i,j,k) is 100i+10j+k.
func iota3() *Dense[float64] {
	d := make([]float64, 24)
	for i := range 2 {
		for j := range 3 {
			for k := range 4 {
				d[i*12+j*4+k] = float64(100*i + 10*j + k)
			}
		}
	}
	return Wrap(d, 2, 3, 4)
}

func collect[T any](a *Dense[T]) []T {
	var out []T
	for _, v := range a.All() {
		out = append(out, v)
	}
	return out
}

func TestZerosWrapNew(t *testing.T) {
	z := Zeros[float32](2, 3)
	if z.Size() != 6 || len(z.Data()) != 6 || z.DType() != Float32 || z.Format() != FormatDense {
		t.Fatalf("Zeros: size %d dtype %v", z.Size(), z.DType())
	}
	if !reflect.DeepEqual(z.Strides(), []int{3, 1}) || !z.IsContiguous() {
		t.Errorf("strides %v", z.Strides())
	}
	s := Zeros[int16]()
	if s.Size() != 1 || s.NDim() != 0 {
		t.Errorf("0-d: size %d ndim %d", s.Size(), s.NDim())
	}
	s.Set(7)
	if s.At() != 7 {
		t.Error("0-d Set/At")
	}
	data := []uint16{1, 2, 3, 4, 5, 6}
	w := Wrap(data, 3, 2)
	data[3] = 40
	if w.At(1, 1) != 40 {
		t.Error("Wrap copied")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Wrap with wrong length did not panic")
			}
		}()
		Wrap(data, 4, 2)
	}()
	types := []struct {
		dt   DType
		want any
	}{
		{Bool, (*Dense[bool])(nil)}, {Int8, (*Dense[int8])(nil)}, {Int16, (*Dense[int16])(nil)},
		{Int32, (*Dense[int32])(nil)}, {Int64, (*Dense[int64])(nil)}, {Uint8, (*Dense[uint8])(nil)},
		{Uint16, (*Dense[uint16])(nil)}, {Uint32, (*Dense[uint32])(nil)}, {Uint64, (*Dense[uint64])(nil)},
		{Float32, (*Dense[float32])(nil)}, {Float64, (*Dense[float64])(nil)},
		{Complex64, (*Dense[complex64])(nil)}, {Complex128, (*Dense[complex128])(nil)},
		{Bytes(5), (*Dense[string])(nil)}, {Object, (*Dense[any])(nil)},
	}
	for _, tc := range types {
		a := New(tc.dt, 2, 2)
		if reflect.TypeOf(a) != reflect.TypeOf(tc.want) || a.DType() != tc.dt || a.Size() != 4 || !slices.Equal(a.Shape(), []int{2, 2}) {
			t.Errorf("New(%v) = %T dtype %v", tc.dt, a, a.DType())
		}
	}
	if o := New(Object, 2).(*Dense[any]); o.At(0) != nil {
		t.Errorf("object cell = %#v, want nil", o.At(0))
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("New(invalid) did not panic")
			}
		}()
		New(DType{}, 1)
	}()
}

func TestAtSetPanics(t *testing.T) {
	a := iota3()
	if a.At(1, 2, 3) != 123 {
		t.Fatalf("At(1,2,3) = %v", a.At(1, 2, 3))
	}
	for _, idx := range [][]int{{2, 0, 0}, {0, -1, 0}, {0, 0}, {0, 0, 4}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("At(%v) did not panic", idx)
				}
			}()
			a.At(idx...)
		}()
	}
}

func TestSliceView(t *testing.T) {
	a := iota3()
	v := a.Slice(Range{1, 2}, Range{1, 3}, Range{1, 3})
	if !slices.Equal(v.Shape(), []int{1, 2, 2}) {
		t.Fatalf("shape %v", v.Shape())
	}
	if got, want := collect(v), []float64{111, 112, 121, 122}; !slices.Equal(got, want) {
		t.Errorf("elements %v, want %v", got, want)
	}
	if v.IsContiguous() || v.Offset() != 0 {
		t.Errorf("contiguous %v offset %d", v.IsContiguous(), v.Offset())
	}
	v.Set(-1, 0, 1, 1)
	if a.At(1, 2, 2) != -1 {
		t.Error("view does not share memory")
	}
	// axes without ranges are kept whole; a row block is contiguous
	r := a.Slice(Range{1, 2})
	if !r.IsContiguous() || !slices.Equal(r.Shape(), []int{1, 3, 4}) || r.Data()[0] != 100 || len(r.Data()) != 12 {
		t.Errorf("row block: contiguous %v shape %v data[0] %v", r.IsContiguous(), r.Shape(), r.Data()[0])
	}
	e := a.Slice(Range{0, 0})
	if e.Size() != 0 || len(collect(e)) != 0 {
		t.Error("empty slice has elements")
	}
	for _, bad := range [][]Range{{{0, 3}}, {{2, 1}}, {{-1, 1}}, {{0, 1}, {0, 1}, {0, 1}, {0, 1}}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Slice(%v) did not panic", bad)
				}
			}()
			a.Slice(bad...)
		}()
	}
}

func TestRow(t *testing.T) {
	a := iota3()
	r := a.Row(1).Row(2)
	if got, want := collect(r), []float64{120, 121, 122, 123}; !slices.Equal(got, want) {
		t.Errorf("Row(1).Row(2) = %v", got)
	}
	col := a.Transpose(2, 0, 1).Row(3) // a[:, :, 3]
	if got, want := collect(col), []float64{3, 13, 23, 103, 113, 123}; !slices.Equal(got, want) {
		t.Errorf("column = %v, want %v", got, want)
	}
}

func TestTranspose(t *testing.T) {
	a := iota3()
	tr := a.Transpose()
	if !slices.Equal(tr.Shape(), []int{4, 3, 2}) || !slices.Equal(tr.Strides(), []int{1, 4, 12}) {
		t.Fatalf("shape %v strides %v", tr.Shape(), tr.Strides())
	}
	if tr.At(3, 1, 0) != 13 || tr.At(2, 2, 1) != 122 {
		t.Errorf("At: %v %v", tr.At(3, 1, 0), tr.At(2, 2, 1))
	}
	p := a.Transpose(1, 0, 2)
	want := []float64{0, 1, 2, 3, 100, 101, 102, 103, 10, 11, 12, 13, 110, 111, 112, 113, 20, 21, 22, 23, 120, 121, 122, 123}
	if got := collect(p); !slices.Equal(got, want) {
		t.Errorf("Transpose(1,0,2) = %v", got)
	}
	if got := collect(p.Copy()); !slices.Equal(got, want) || !slices.Equal(p.Copy().Data(), want) {
		t.Errorf("Copy = %v", got)
	}
	for _, bad := range [][]int{{0, 0, 1}, {0, 1}, {0, 1, 3}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Transpose(%v) did not panic", bad)
				}
			}()
			a.Transpose(bad...)
		}()
	}
}

func TestReshape(t *testing.T) {
	a := iota3()
	r, err := a.Reshape(6, -1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Shape(), []int{6, 4}) || r.At(5, 3) != 123 {
		t.Errorf("shape %v At(5,3) %v", r.Shape(), r.At(5, 3))
	}
	r.Set(-5, 0, 0)
	if a.At(0, 0, 0) != -5 {
		t.Error("reshape of contiguous array copied")
	}
	// non-contiguous: copy in C order of the view
	tr := iota3().Transpose()
	f, err := tr.Reshape(24)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0, 100, 10, 110, 20, 120, 1, 101, 11, 111, 21, 121, 2, 102, 12, 112, 22, 122, 3, 103, 13, 113, 23, 123}
	if !slices.Equal(f.Data(), want) {
		t.Errorf("flattened transpose = %v", f.Data())
	}
	s, err := a.Reshape()
	if err == nil || !errors.Is(err, ErrShape) {
		t.Errorf("reshape to 0-d: %v, %v", s, err)
	}
	for _, bad := range [][]int{{5, 5}, {-1, -1}, {-2, 12}, {0, -1}, {7, -1}} {
		if _, err := a.Reshape(bad...); !errors.Is(err, ErrShape) {
			t.Errorf("Reshape(%v): err = %v", bad, err)
		}
	}
	one := Wrap([]int8{9})
	if r, err := one.Reshape(1, 1); err != nil || r.At(0, 0) != 9 {
		t.Errorf("0-d reshape: %v", err)
	}
}

func TestFillCopyFrom(t *testing.T) {
	a := iota3()
	a.Slice(Range{0, 2}, Range{1, 2}).Fill(7)
	for i := range 2 {
		for j := range 3 {
			for k := range 4 {
				want := float64(100*i + 10*j + k)
				if j == 1 {
					want = 7
				}
				if a.At(i, j, k) != want {
					t.Fatalf("(%d,%d,%d) = %v, want %v", i, j, k, a.At(i, j, k), want)
				}
			}
		}
	}
	dst := Zeros[float64](4, 3, 2)
	if err := dst.CopyFrom(iota3().Transpose()); err != nil {
		t.Fatal(err)
	}
	if dst.At(3, 2, 1) != 123 || dst.At(1, 0, 1) != 101 {
		t.Errorf("CopyFrom transpose: %v %v", dst.At(3, 2, 1), dst.At(1, 0, 1))
	}
	// strided destination from strided source
	big := Zeros[float64](3, 4, 2)
	view := big.Transpose(1, 0, 2).Slice(Range{0, 3})                              // shape (3,3,2)
	src := iota3().Transpose(1, 2, 0).Slice(Range{0, 3}, Range{1, 4}, Range{0, 2}) // (3,3,2): src[j,k',i] = 100i+10j+k'+1
	if err := view.CopyFrom(src); err != nil {
		t.Fatal(err)
	}
	for j := range 3 {
		for k := range 3 {
			for i := range 2 {
				if got, want := big.At(k, j, i), float64(100*i+10*j+k+1); got != want {
					t.Fatalf("big(%d,%d,%d) = %v, want %v", k, j, i, got, want)
				}
			}
		}
	}
	if err := dst.CopyFrom(iota3()); !errors.Is(err, ErrShape) {
		t.Errorf("shape mismatch: %v", err)
	}
}

func TestForEachContiguous(t *testing.T) {
	a := iota3().Transpose(2, 1, 0).Slice(Range{1, 3})
	if a.Contiguous() == a {
		t.Error("Contiguous returned a non-contiguous view")
	}
	c := iota3()
	if c.Contiguous() != c {
		t.Error("Contiguous copied a contiguous array")
	}
	n := 0
	a.ForEach(func(idx []int, v float64) {
		if want := float64(100*idx[2] + 10*idx[1] + idx[0] + 1); v != want {
			t.Errorf("%v: %v, want %v", idx, v, want)
		}
		n++
	})
	if n != 12 {
		t.Errorf("ForEach visited %d", n)
	}
	stop := 0
	for range iota3().Transpose().All() {
		stop++
		if stop == 5 {
			break
		}
	}
	if stop != 5 {
		t.Error("All did not stop")
	}
}

func TestRewrapAndInto(t *testing.T) {
	var v Dense[float32]
	buf := []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	v.Rewrap(buf, 3, 4)
	if v.DType() != Float32 || v.At(2, 1) != 9 || !slices.Equal(v.Strides(), []int{4, 1}) {
		t.Fatalf("Rewrap: dtype %v At %v strides %v", v.DType(), v.At(2, 1), v.Strides())
	}
	v.Rewrap(buf[:6], 2, 1, 3)
	if v.At(1, 0, 2) != 5 || v.Dim(0) != 2 || v.Stride(0) != 3 || v.NDim() != 3 {
		t.Fatalf("second Rewrap: %v %v", v.Shape(), v.At(1, 0, 2))
	}
	s := WrapBytes(2, []string{"ab"}, 1)
	s.Rewrap([]string{"x", "y"}, 2)
	if s.DType() != Bytes(2) {
		t.Errorf("Rewrap lost the S dtype: %v", s.DType())
	}

	a := iota3()
	var row, sl Dense[float64]
	a.RowInto(&row, 1)
	if got := collect(&row); !slices.Equal(got, collect(a.Row(1))) || got[0] != 100 || len(got) != 12 {
		t.Errorf("RowInto = %v", got)
	}
	a.SliceInto(&sl, Range{0, 2}, Range{2, 3}, Range{1, 3})
	if got, want := collect(&sl), []float64{21, 22, 121, 122}; !slices.Equal(got, want) {
		t.Errorf("SliceInto = %v, want %v", got, want)
	}
	allocs := testing.AllocsPerRun(100, func() {
		v.Rewrap(buf, 2, 6)
		a.RowInto(&row, 0)
		a.SliceInto(&sl, Range{1, 2}, Range{0, 3})
	})
	if allocs != 0 {
		t.Errorf("Rewrap/RowInto/SliceInto allocate %v times", allocs)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Rewrap with wrong length did not panic")
			}
		}()
		v.Rewrap(buf, 5)
	}()
}

func TestReshapeStridedViews(t *testing.T) {
	// (2,3,4,5) with element value = flat C index; sig-slice the last axis
	d := make([]int32, 120)
	for i := range d {
		d[i] = int32(i)
	}
	a := Wrap(d, 2, 3, 4, 5)
	tests := []struct {
		name    string
		view    *Dense[int32]
		shape   []int
		strides []int // nil: a copy is expected
	}{
		{"merge nav of sig-sliced view", a.Slice(Range{0, 2}, Range{0, 3}, Range{0, 4}, Range{1, 4}), []int{6, 4, 3}, []int{20, 5, 1}},
		{"split an axis", a.Slice(Range{0, 2}, Range{0, 3}, Range{0, 4}, Range{1, 4}), []int{2, 3, 2, 2, 3}, []int{60, 20, 10, 5, 1}},
		{"insert ones", a.Slice(Range{0, 2}, Range{0, 3}, Range{0, 4}, Range{1, 4}), []int{1, 6, 1, 4, 3, 1}, []int{120, 20, 20, 5, 1, 1}},
		{"cannot merge sliced axis", a.Slice(Range{0, 2}, Range{0, 3}, Range{0, 4}, Range{1, 4}), []int{6, 12}, nil},
		{"transpose flatten copies", a.Transpose(), []int{120}, nil},
		{"transpose keep", a.Transpose(1, 0, 2, 3), []int{3, 2, 20}, []int{20, 60, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := collect(tc.view)
			r, err := tc.view.Reshape(tc.shape...)
			if err != nil {
				t.Fatal(err)
			}
			if got := collect(r); !slices.Equal(got, want) {
				t.Fatalf("elements %v, want %v", got, want)
			}
			if tc.strides == nil {
				if !r.IsContiguous() {
					t.Error("copy is not contiguous")
				}
				r.Data()[0] = -7
				if slices.Contains(d, -7) {
					t.Error("copy shares memory")
				}
				return
			}
			if !slices.Equal(r.Strides(), tc.strides) {
				t.Errorf("strides %v, want %v", r.Strides(), tc.strides)
			}
			r.ForEach(func(idx []int, v int32) {}) // walk without panicking
			first := collect(r)[0]
			r.Set(-1, make([]int, len(tc.shape))...)
			if !slices.Contains(d, -1) {
				t.Error("view does not share memory")
			}
			d[first] = first
		})
	}
}

func TestSetView(t *testing.T) {
	buf := make([]int32, 24)
	for i := range buf {
		buf[i] = int32(i)
	}
	tests := []struct {
		name    string
		offset  int
		shape   []int
		strides []int
		want    []int32 // elements in C order
	}{
		{"contiguous rows", 8, []int{2, 4}, []int{4, 1}, []int32{8, 9, 10, 11, 12, 13, 14, 15}},
		{"strided box", 5, []int{2, 2}, []int{12, 1}, []int32{5, 6, 17, 18}},
		{"transposed", 0, []int{3, 2}, []int{1, 12}, []int32{0, 12, 1, 13, 2, 14}},
		{"one element 1-d", 23, []int{1}, []int{1}, []int32{23}},
		{"0-d", 7, nil, nil, []int32{7}},
		{"empty", 30, []int{0, 5}, []int{5, 1}, nil},
		{"last element", 20, []int{4}, []int{1}, []int32{20, 21, 22, 23}},
	}
	var v Dense[int32]
	for _, tc := range tests {
		v.SetView(buf, tc.offset, tc.shape, tc.strides)
		if !slices.Equal(v.Shape(), tc.shape) && !(len(tc.shape) == 0 && v.NDim() == 0) {
			t.Errorf("%s: shape %v", tc.name, v.Shape())
		}
		if got := collect(&v); !slices.Equal(got, tc.want) {
			t.Errorf("%s: elements %v, want %v", tc.name, got, tc.want)
		}
		if v.Offset() != 0 || v.DType() != Int32 {
			t.Errorf("%s: offset %d dtype %v", tc.name, v.Offset(), v.DType())
		}
	}
	// writes reach data; the header copies shape and strides
	shape, strides := []int{2, 2}, []int{12, 1}
	v.SetView(buf, 1, shape, strides)
	shape[0], strides[0] = 9, 9
	v.Set(-1, 1, 1)
	if buf[14] != -1 || v.Dim(0) != 2 || v.Stride(0) != 12 {
		t.Errorf("write through view: buf[14]=%d dims %v", buf[14], v.Shape())
	}
	// the S dtype is kept
	s := WrapBytes(3, []string{"a", "b", "c"}, 3)
	s.SetView(s.Data(), 2, []int{1}, []int{1})
	if s.DType() != Bytes(3) || s.At(0) != "c" {
		t.Errorf("byte strings: %v %q", s.DType(), s.At(0))
	}
	if n := testing.AllocsPerRun(100, func() { v.SetView(buf, 4, []int{2, 3}, []int{6, 2}) }); n != 0 {
		t.Errorf("SetView allocates %v times", n)
	}
	bad := []struct {
		name    string
		offset  int
		shape   []int
		strides []int
	}{
		{"rank mismatch", 0, []int{2}, []int{1, 1}},
		{"negative offset", -1, []int{1}, []int{1}},
		{"negative dim", 0, []int{-1}, []int{1}},
		{"negative stride", 4, []int{2}, []int{-1}},
		{"past the end", 20, []int{5}, []int{1}},
		{"0-d past the end", 24, nil, nil},
	}
	for _, tc := range bad {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			v.SetView(buf, tc.offset, tc.shape, tc.strides)
		}()
	}
}
