package array

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// randSparse returns a row-major rows×cols matrix with about density·rows·cols non-zero
// values in [-4, 12) (some negative), and the COO lists of its non-zeros.
func randSparse(rng *rand.Rand, rows, cols int, density float64) (dense []float64, ri, ci []int, v []float64) {
	dense = make([]float64, rows*cols)
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			if rng.Float64() < density {
				x := float64(rng.IntN(16) - 4)
				if x == 0 {
					x = 7
				}
				dense[i*cols+j] = x
				ri = append(ri, i)
				ci = append(ci, j)
				v = append(v, x)
			}
		}
	}
	return
}

func convertSlice[T SparseValue](src []float64) []T {
	out := make([]T, len(src))
	for i, x := range src {
		out[i] = fromF64[T](x)
	}
	return out
}

// fromF64 converts a small integral float64 to T (Go has no float→complex conversion
// that a type parameter including complex types would allow).
func fromF64[T SparseValue](x float64) T {
	var z T
	switch p := any(&z).(type) {
	case *int8:
		*p = int8(x)
	case *int16:
		*p = int16(x)
	case *int32:
		*p = int32(x)
	case *int64:
		*p = int64(x)
	case *uint8:
		*p = uint8(x)
	case *uint16:
		*p = uint16(x)
	case *uint32:
		*p = uint32(x)
	case *uint64:
		*p = uint64(x)
	case *float32:
		*p = float32(x)
	case *float64:
		*p = x
	case *complex64:
		*p = complex(float32(x), 0)
	case *complex128:
		*p = complex(x, 0)
	}
	return z
}

func TestCSRFromCOOHandBuilt(t *testing.T) {
	// Matrix (3×4):
	//   [0 2 0 1]
	//   [0 0 0 0]
	//   [5 0 3 0]
	// given unsorted, with (0,1) split into 1.5 + 0.5 and (2,2) into 4 + -1.
	ri := []int{2, 0, 0, 2, 0, 2}
	ci := []int{2, 3, 1, 0, 1, 2}
	v := []float32{4, 1, 1.5, 5, 0.5, -1}
	m, err := CSRFromCOO[float32, int32](3, 4, ri, ci, v)
	if err != nil {
		t.Fatal(err)
	}
	wantPtr := []int32{0, 2, 2, 4}
	wantIdx := []int32{1, 3, 0, 2}
	wantDat := []float32{2, 1, 5, 3}
	if !slices.Equal(m.Indptr, wantPtr) || !slices.Equal(m.Indices, wantIdx) || !slices.Equal(m.Data, wantDat) {
		t.Fatalf("got indptr %v indices %v data %v, want %v %v %v", m.Indptr, m.Indices, m.Data, wantPtr, wantIdx, wantDat)
	}
	if m.Format() != FormatCSR || m.DType() != Float32 || m.Size() != 12 || !slices.Equal(m.Shape(), []int{3, 4}) {
		t.Fatalf("metadata: format %v dtype %v size %d shape %v", m.Format(), m.DType(), m.Size(), m.Shape())
	}
	if m.At(2, 0) != 5 || m.At(1, 3) != 0 || m.At(0, 1) != 2 {
		t.Fatalf("At gives wrong values")
	}
	if !m.IsCanonical() || m.NNZ() != 4 {
		t.Fatalf("canonical %v nnz %d", m.IsCanonical(), m.NNZ())
	}
	var _ Array = m
}

func TestCSRFromCOOErrors(t *testing.T) {
	tests := []struct {
		name       string
		rows, cols int
		ri, ci     []int
		v          []float64
	}{
		{"length mismatch", 2, 2, []int{0}, []int{0, 1}, []float64{1}},
		{"row out of range", 2, 2, []int{2}, []int{0}, []float64{1}},
		{"negative column", 2, 2, []int{0}, []int{-1}, []float64{1}},
		{"column out of range", 2, 2, []int{0}, []int{2}, []float64{1}},
		{"negative shape", -1, 2, nil, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CSRFromCOO[float64, int32](tc.rows, tc.cols, tc.ri, tc.ci, tc.v)
			if !errors.Is(err, ErrSparse) {
				t.Fatalf("err = %v, want ErrSparse", err)
			}
			_, err = CSCFromCOO[float64, int64](tc.rows, tc.cols, tc.ri, tc.ci, tc.v)
			if !errors.Is(err, ErrSparse) {
				t.Fatalf("CSC err = %v, want ErrSparse", err)
			}
		})
	}
}

func TestNewCSRValidation(t *testing.T) {
	tests := []struct {
		name       string
		rows, cols int
		indptr     []int32
		indices    []int32
		data       []float32
		ok         bool
	}{
		{"valid", 2, 3, []int32{0, 1, 3}, []int32{2, 0, 1}, []float32{1, 2, 3}, true},
		{"valid empty", 0, 3, []int32{0}, nil, nil, true},
		{"indptr too short", 2, 3, []int32{0, 1}, []int32{2}, []float32{1}, false},
		{"indptr not starting at 0", 2, 3, []int32{1, 1, 3}, []int32{2, 0, 1}, []float32{1, 2, 3}, false},
		{"indptr decreasing", 2, 3, []int32{0, 2, 1}, []int32{2, 0}, []float32{1, 2}, false},
		{"indptr end mismatch", 2, 3, []int32{0, 1, 2}, []int32{2, 0, 1}, []float32{1, 2, 3}, false},
		{"indices/data length", 2, 3, []int32{0, 1, 3}, []int32{2, 0, 1}, []float32{1, 2}, false},
		{"index too large", 2, 3, []int32{0, 1, 3}, []int32{3, 0, 1}, []float32{1, 2, 3}, false},
		{"negative index", 2, 3, []int32{0, 1, 3}, []int32{-1, 0, 1}, []float32{1, 2, 3}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewCSR(tc.rows, tc.cols, tc.indptr, tc.indices, tc.data)
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrSparse) {
				t.Fatalf("err %v does not wrap ErrSparse", err)
			}
			// The same triple read as CSC of the transposed shape has the same validity.
			_, err = NewCSC(tc.cols, tc.rows, tc.indptr, tc.indices, tc.data)
			if tc.ok != (err == nil) {
				t.Fatalf("CSC err = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func testRoundTrip[T SparseValue, I SparseIndex](t *testing.T, rng *rand.Rand) {
	for _, dims := range [][2]int{{0, 5}, {1, 1}, {7, 13}, {31, 64}, {5, 0}} {
		src, ri, ci, v := randSparse(rng, dims[0], dims[1], 0.2)
		want := convertSlice[T](src)
		m, err := CSRFromCOO[T, I](dims[0], dims[1], ri, ci, convertSlice[T](v))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Validate(); err != nil {
			t.Fatal(err)
		}
		if got := m.ToDense().Data(); !slices.Equal(got, want) {
			t.Fatalf("%v: COO→CSR→dense differs", dims)
		}
		d, err := CSRFromDense[T, I](Wrap(append([]T(nil), want...), dims[0], dims[1]))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(d.Indptr, m.Indptr) || !slices.Equal(d.Indices, m.Indices) || !slices.Equal(d.Data, m.Data) {
			t.Fatalf("%v: CSRFromDense and CSRFromCOO differ", dims)
		}
		for i := 0; i < dims[0]; i++ {
			for j := 0; j < dims[1]; j++ {
				if m.At(i, j) != want[i*dims[1]+j] {
					t.Fatalf("At(%d,%d) = %v, want %v", i, j, m.At(i, j), want[i*dims[1]+j])
				}
			}
		}
		c, err := CSCFromDense[T, I](Wrap(append([]T(nil), want...), dims[0], dims[1]))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil || !c.IsCanonical() {
			t.Fatalf("CSC invalid: %v", err)
		}
		if got := c.ToDense().Data(); !slices.Equal(got, want) {
			t.Fatalf("%v: dense→CSC→dense differs", dims)
		}
		if got := c.ToCSR().ToDense().Data(); !slices.Equal(got, want) {
			t.Fatalf("%v: CSC→CSR differs", dims)
		}
		if got := m.ToCSC().ToDense().Data(); !slices.Equal(got, want) {
			t.Fatalf("%v: CSR→CSC differs", dims)
		}
		c2, err := CSCFromCOO[T, I](dims[0], dims[1], ri, ci, convertSlice[T](v))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(c2.Indptr, c.Indptr) || !slices.Equal(c2.Indices, c.Indices) || !slices.Equal(c2.Data, c.Data) {
			t.Fatalf("%v: CSCFromCOO and CSCFromDense differ", dims)
		}
	}
}

func TestCSRRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	t.Run("float32/int32", func(t *testing.T) { testRoundTrip[float32, int32](t, rng) })
	t.Run("float64/int64", func(t *testing.T) { testRoundTrip[float64, int64](t, rng) })
	t.Run("int32/int32", func(t *testing.T) { testRoundTrip[int32, int32](t, rng) })
	t.Run("uint16/int64", func(t *testing.T) { testRoundTrip[uint16, int64](t, rng) })
	t.Run("complex64/int32", func(t *testing.T) { testRoundTrip[complex64, int32](t, rng) })
}

func TestCSRDenseWithMoreDims(t *testing.T) {
	// A (2, 2, 3) dense array is the 2×6 matrix of its flattened frames.
	d := Wrap([]float32{0, 1, 0, 0, 0, 2, 3, 0, 0, 0, 4, 0}, 2, 2, 3)
	m, err := CSRFromDense[float32, int32](d)
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows != 2 || m.Cols != 6 || !slices.Equal(m.Indptr, []int32{0, 2, 4}) || !slices.Equal(m.Indices, []int32{1, 5, 0, 4}) {
		t.Fatalf("got %+v", m)
	}
	// Densify back into a (2, 2, 3) buffer.
	out := Zeros[float32](2, 2, 3)
	out.Fill(9)
	if err := m.DensifyInto(out); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Data(), d.Data()) {
		t.Fatalf("DensifyInto = %v", out.Data())
	}
	if err := m.DensifyInto(Zeros[float32](3, 3)); !errors.Is(err, ErrShape) {
		t.Fatalf("wrong-size destination: err = %v", err)
	}
	// A transposed (non-contiguous) dense input is read by its logical layout.
	tr := Wrap([]float32{1, 0, 2, 0, 0, 3}, 2, 3).Transpose(1, 0) // 3×2: [1 0][0 0][2 3]
	mt, err := CSRFromDense[float32, int32](tr)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(mt.ToDense().Data(), []float32{1, 0, 0, 0, 2, 3}) {
		t.Fatalf("transposed input gives %v", mt.ToDense().Data())
	}
	if err := m.DensifyRaw(make([]float32, 5)); !errors.Is(err, ErrShape) {
		t.Fatalf("DensifyRaw wrong length: %v", err)
	}
}

func TestCSRSliceRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	src, ri, ci, v := randSparse(rng, 20, 9, 0.3)
	m, _ := CSRFromCOO[float64, int32](20, 9, ri, ci, v)
	for _, r := range [][2]int{{0, 20}, {3, 11}, {5, 5}, {19, 20}, {0, 1}} {
		s := m.SliceRows(r[0], r[1])
		if err := s.Validate(); err != nil {
			t.Fatalf("%v: %v", r, err)
		}
		if got, want := s.ToDense().Data(), src[r[0]*9:r[1]*9]; !slices.Equal(got, want) {
			t.Fatalf("%v: rows differ", r)
		}
		if s.NNZ() > 0 && &s.Data[0] != &m.Data[m.Indptr[r[0]]] {
			t.Fatalf("%v: data was copied", r)
		}
	}
	var dst CSR[float64, int32]
	m.SliceRowsInto(&dst, 0, 8)
	allocs := testing.AllocsPerRun(50, func() { m.SliceRowsInto(&dst, 2, 9) })
	if allocs != 0 {
		t.Fatalf("SliceRowsInto allocates %v times in steady state", allocs)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("out-of-range slice did not panic")
		}
	}()
	m.SliceRows(4, 21)
}

func TestCSRGatherAndSelect(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	src, ri, ci, v := randSparse(rng, 15, 7, 0.4)
	m, _ := CSRFromCOO[float32, int64](15, 7, ri, ci, convertSlice[float32](v))
	rows := []int{14, 0, 3, 3, 9}
	g := m.GatherRows(rows)
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	gd := g.ToDense().Data()
	for k, r := range rows {
		for j := 0; j < 7; j++ {
			if gd[k*7+j] != float32(src[r*7+j]) {
				t.Fatalf("gathered row %d (source %d) differs", k, r)
			}
		}
	}
	keep := make([]bool, 15)
	var sel []int
	for i := range keep {
		keep[i] = rng.IntN(2) == 0
		if keep[i] {
			sel = append(sel, i)
		}
	}
	var dst CSR[float32, int64]
	if err := m.SelectRowsInto(&dst, keep); err != nil {
		t.Fatal(err)
	}
	if err := dst.Validate(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dst.ToDense().Data(), m.GatherRows(sel).ToDense().Data()) || dst.Rows != len(sel) {
		t.Fatal("SelectRowsInto differs from the selected rows")
	}
	if allocs := testing.AllocsPerRun(20, func() { _ = m.SelectRowsInto(&dst, keep) }); allocs != 0 {
		t.Fatalf("SelectRowsInto allocates %v times in steady state", allocs)
	}
	if err := m.SelectRowsInto(&dst, keep[:3]); !errors.Is(err, ErrShape) {
		t.Fatalf("short mask: %v", err)
	}
}

func TestSparseSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const rows, cols = 17, 23
	src, ri, ci, v := randSparse(rng, rows, cols, 0.25)
	m, _ := CSRFromCOO[float64, int32](rows, cols, ri, ci, v)
	c := m.ToCSC()
	want0 := make([]float64, cols)
	want1 := make([]float64, rows)
	var total float64
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			want0[j] += src[i*cols+j]
			want1[i] += src[i*cols+j]
			total += src[i*cols+j]
		}
	}
	if got := m.SumAxis0(nil); !slices.Equal(got, want0) {
		t.Fatalf("CSR SumAxis0 %v, want %v", got, want0)
	}
	if got := m.SumAxis1(nil); !slices.Equal(got, want1) {
		t.Fatalf("CSR SumAxis1 %v, want %v", got, want1)
	}
	if got := c.SumAxis0(nil); !slices.Equal(got, want0) {
		t.Fatalf("CSC SumAxis0 %v, want %v", got, want0)
	}
	if got := c.SumAxis1(nil); !slices.Equal(got, want1) {
		t.Fatalf("CSC SumAxis1 %v, want %v", got, want1)
	}
	if m.Sum() != total || c.Sum() != total {
		t.Fatalf("Sum %v / %v, want %v", m.Sum(), c.Sum(), total)
	}
	// Add variants accumulate.
	acc := slices.Clone(want0)
	m.AddSumAxis0(acc)
	for j := range acc {
		if acc[j] != 2*want0[j] {
			t.Fatal("AddSumAxis0 does not accumulate")
		}
	}
	acc1 := make([]float64, rows)
	c.AddSumAxis1(acc1)
	c.AddSumAxis1(acc1)
	for i := range acc1 {
		if acc1[i] != 2*want1[i] {
			t.Fatal("CSC AddSumAxis1 does not accumulate")
		}
	}
}

func TestCSRTransposeViews(t *testing.T) {
	m, _ := CSRFromCOO[int32, int32](2, 3, []int{0, 1, 1}, []int{2, 0, 1}, []int32{7, 8, 9})
	tc := m.T() // 3×2 CSC
	if tc.Rows != 3 || tc.Cols != 2 || tc.At(2, 0) != 7 || tc.At(0, 1) != 8 || tc.At(1, 1) != 9 || tc.At(0, 0) != 0 {
		t.Fatalf("T view wrong: %+v", tc)
	}
	if &tc.Data[0] != &m.Data[0] {
		t.Fatal("T copied")
	}
	back := tc.T()
	if back.Rows != 2 || back.At(0, 2) != 7 {
		t.Fatal("CSC.T wrong")
	}
}

func TestScale(t *testing.T) {
	m, _ := CSRFromCOO[float32, int32](2, 2, []int{0, 1}, []int{1, 0}, []float32{2, -3})
	var d CSR[float32, int32]
	m.ScaleInto(&d, 0.5)
	if !slices.Equal(d.ToDense().Data(), []float32{0, 1, -1.5, 0}) || m.At(0, 1) != 2 {
		t.Fatalf("ScaleInto: %v (source %v)", d.ToDense().Data(), m.ToDense().Data())
	}
	m.Scale(2)
	if !slices.Equal(m.ToDense().Data(), []float32{0, 4, -6, 0}) {
		t.Fatalf("Scale: %v", m.ToDense().Data())
	}
	c := m.ToCSC()
	var dc CSC[float32, int32]
	c.ScaleInto(&dc, -1)
	if !slices.Equal(dc.ToDense().Data(), []float32{0, -4, 6, 0}) {
		t.Fatalf("CSC ScaleInto: %v", dc.ToDense().Data())
	}
	c.Scale(3)
	if !slices.Equal(c.ToDense().Data(), []float32{0, 12, -18, 0}) {
		t.Fatalf("CSC Scale: %v", c.ToDense().Data())
	}
}

func TestSetDenseReuse(t *testing.T) {
	var m CSR[float32, int32]
	var c CSC[float32, int32]
	big := []float32{1, 0, 2, 3, 0, 4, 5, 6, 0}
	if err := m.SetDense(big, 3, 3); err != nil {
		t.Fatal(err)
	}
	if err := c.SetDense(big, 3, 3); err != nil {
		t.Fatal(err)
	}
	small := []float32{0, 7, 0, 0, 0, 8}
	allocs := testing.AllocsPerRun(20, func() {
		_ = m.SetDense(small, 2, 3)
		_ = c.SetDense(small, 2, 3)
	})
	if allocs != 0 {
		t.Fatalf("SetDense allocates %v times when reusing", allocs)
	}
	if !slices.Equal(m.ToDense().Data(), small) || !slices.Equal(c.ToDense().Data(), small) {
		t.Fatal("reused SetDense gives wrong values")
	}
	if err := m.SetDense(small, 4, 3); !errors.Is(err, ErrShape) {
		t.Fatalf("length mismatch: %v", err)
	}
	var back CSR[float32, int32]
	back.SetCSC(&c)
	if !slices.Equal(back.ToDense().Data(), small) {
		t.Fatal("SetCSC wrong")
	}
	if allocs := testing.AllocsPerRun(20, func() { back.SetCSC(&c); c.SetCSR(&back) }); allocs != 0 {
		t.Fatalf("SetCSC/SetCSR allocate %v times when reusing", allocs)
	}
}

// FuzzNewCSR builds a CSR triple from fuzz bytes: NewCSR must either reject it with
// ErrSparse or accept a matrix whose every operation stays in bounds.
func FuzzNewCSR(f *testing.F) {
	f.Add(uint8(2), uint8(3), []byte{0, 1, 3}, []byte{2, 0, 1})
	f.Add(uint8(1), uint8(1), []byte{0, 5}, []byte{0})
	f.Fuzz(func(t *testing.T, rows, cols uint8, ptr, idx []byte) {
		indptr := make([]int32, len(ptr))
		for i, b := range ptr {
			indptr[i] = int32(int8(b))
		}
		indices := make([]int32, len(idx))
		data := make([]float32, len(idx))
		for i, b := range idx {
			indices[i] = int32(int8(b))
			data[i] = float32(i + 1)
		}
		m, err := NewCSR(int(rows%16), int(cols%16), indptr, indices, data)
		if err != nil {
			if !errors.Is(err, ErrSparse) {
				t.Fatalf("error %v does not wrap ErrSparse", err)
			}
			return
		}
		d := m.ToDense().Data()
		var sum float32
		for _, x := range d {
			sum += x
		}
		if sum != m.Sum() {
			t.Fatalf("densified sum %v != Sum %v", sum, m.Sum())
		}
		_ = m.ToCSC().ToCSR()
		_ = m.SumAxis0(nil)
		_ = m.SumAxis1(nil)
	})
}

func TestDestinationsNeverWriteIntoSources(t *testing.T) {
	src, _ := CSRFromCOO[float32, int32](3, 3, []int{0, 1, 2, 2}, []int{0, 2, 0, 1}, []float32{1, 2, 3, 4})
	want := slices.Clone(src.ToDense().Data())
	wantIdx := slices.Clone(src.Indices)
	check := func(step string) {
		t.Helper()
		if !slices.Equal(src.ToDense().Data(), want) || !slices.Equal(src.Indices, wantIdx) {
			t.Fatalf("%s modified the source: %v", step, src.ToDense().Data())
		}
	}
	var d CSR[float32, int32]
	// d's Indices/Data become views into src; 2 entries fit their capacity.
	src.SliceRowsInto(&d, 0, 3)
	if err := d.SetDense([]float32{9, 0, 0, 0, 0, 0, 0, 0, 9}, 3, 3); err != nil {
		t.Fatal(err)
	}
	check("SetDense after SliceRowsInto")
	src.SliceRowsInto(&d, 1, 3)
	src.GatherRowsInto(&d, []int{2, 2})
	check("GatherRowsInto after SliceRowsInto")
	src.ScaleInto(&d, 3) // d shares src's Indptr and Indices
	_ = d.SelectRowsInto(&CSR[float32, int32]{}, []bool{true, true, true})
	d.SetCSC(src.ToCSC())
	check("SetCSC after ScaleInto")
	var ls CSR[float32, int32]
	if err := LogScaleCSRInto(&ls, src.SliceRows(1, 2)); err != nil {
		t.Fatal(err)
	}
	_ = ls.SetDense([]float32{0, 0, 0, 7, 0, 0, 0, 0, 0}, 3, 3)
	check("SetDense after LogScaleCSRInto")
	tv := src.T()
	_ = tv.SetDense([]float32{0, 5, 0, 0, 0, 0, 0, 0, 5}, 3, 3)
	check("CSC.SetDense on a transposed view")
	var c CSC[float32, int32]
	src.ToCSC().ScaleInto(&c, 2)
	c.SetCSR(src)
	check("CSC.SetCSR after ScaleInto")
	// Steady-state reuse of own slices still allocates nothing.
	if n := testing.AllocsPerRun(20, func() { src.ScaleInto(&d, 2) }); n != 0 {
		t.Fatalf("repeated ScaleInto allocates %v times", n)
	}
}
