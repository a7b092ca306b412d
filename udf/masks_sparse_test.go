package udf

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/stemflow/stemflow/array"
)

// refMasks returns n random sy×sx masks (about 20 % non-zero) as [mask][pixel].
func refMasks(rng *rand.Rand, n, sy, sx int) [][]float32 {
	out := make([][]float32, n)
	for k := range out {
		out[k] = make([]float32, sy*sx)
		for i := range out[k] {
			if rng.IntN(5) == 0 {
				out[k][i] = float32(rng.IntN(7) + 1)
			}
		}
	}
	return out
}

// wantCut returns mask k cut to the box (y0:y1, x0:x1) in C order, by direct loops.
func wantCut(m []float32, sx, y0, y1, x0, x1 int) []float32 {
	var out []float32
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			out = append(out, m[y*sx+x])
		}
	}
	return out
}

func csrOf(t *testing.T, v []float32, rows, cols int) *array.CSR[float32, int32] {
	t.Helper()
	m, err := array.CSRFromDense[float32, int32](array.Wrap(append([]float32(nil), v...), rows, cols))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMaskContainerSparse(t *testing.T) {
	const n, sy, sx = 3, 5, 6
	rng := rand.New(rand.NewPCG(6, 11))
	ref := refMasks(rng, n, sy, sx)
	flat := make([]float32, 0, n*sy*sx)
	for _, m := range ref {
		flat = append(flat, m...)
	}
	listOf := func(sparse []bool) *MaskContainer {
		var fs []MaskFactory
		for k := range ref {
			if sparse[k] {
				m := csrOf(t, ref[k], sy, sx)
				fs = append(fs, func([]int) (array.Array, error) { return m, nil })
			} else {
				d := array.Wrap(append([]float32(nil), ref[k]...), sy, sx)
				fs = append(fs, func([]int) (array.Array, error) { return d, nil })
			}
		}
		return NewMaskList(fs, array.DType{})
	}
	cases := []struct {
		name       string
		c          *MaskContainer
		wantSparse bool
	}{
		{"list all sparse: auto sparse", listOf([]bool{true, true, true}), true},
		{"list mixed: auto dense", listOf([]bool{true, false, true}), false},
		{"list dense, always", listOf([]bool{false, false, false}).WithSparse(SparseAlways), true},
		{"list sparse, never", listOf([]bool{true, true, true}).WithSparse(SparseNever), false},
		{"stack CSR (n, px) with sig shape", NewMaskStack(func([]int) (array.Array, error) {
			return csrOf(t, flat, n, sy*sx), nil
		}, array.DType{}).WithSigShape([]int{sy, sx}), true},
		{"stack CSC (n, px), float64", NewMaskStack(func([]int) (array.Array, error) {
			return csrOf(t, flat, n, sy*sx).ToCSC(), nil
		}, array.Float64).WithSigShape([]int{sy, sx}), true},
		{"stack dense, always", NewMaskStack(func([]int) (array.Array, error) {
			return array.Wrap(append([]float32(nil), flat...), n, sy, sx), nil
		}, array.DType{}).WithSparse(SparseAlways), true},
	}
	boxes := []struct{ y0, y1, x0, x1 int }{{0, sy, 0, sx}, {1, 4, 2, 5}, {0, 2, 0, sx}, {4, 5, 5, 6}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sp, err := tc.c.IsSparse()
			if err != nil {
				t.Fatal(err)
			}
			if sp != tc.wantSparse {
				t.Fatalf("IsSparse = %v, want %v", sp, tc.wantSparse)
			}
			if cnt, err := tc.c.Count(); err != nil || cnt != n {
				t.Fatalf("Count = %d, %v", cnt, err)
			}
			for _, b := range boxes {
				box := array.NewSlice([]int{b.y0, b.x0}, array.NewShape([]int{b.y1 - b.y0, b.x1 - b.x0}, 2))
				bp := (b.y1 - b.y0) * (b.x1 - b.x0)
				for _, tr := range []bool{false, true} {
					got, err := tc.c.Get(box, tr)
					if err != nil {
						t.Fatal(err)
					}
					again, _ := tc.c.Get(box, tr)
					if again != got {
						t.Errorf("box %v transpose %v: second Get is not the cached array", b, tr)
					}
					if wantFmt := map[bool]array.Format{false: array.FormatDense, true: array.FormatCSR}[sp]; sp && tr {
						wantFmt = array.FormatCSC
						if got.Format() != wantFmt {
							t.Fatalf("format %v, want %v", got.Format(), wantFmt)
						}
					} else if got.Format() != wantFmt {
						t.Fatalf("format %v, want %v", got.Format(), wantFmt)
					}
					d, err := array.Densify(got)
					if err != nil {
						t.Fatal(err)
					}
					dc, err := array.Convert(d, array.Float64)
					if err != nil {
						t.Fatal(err)
					}
					gv := dc.(*array.Dense[float64]).Contiguous().Data()
					for k := 0; k < n; k++ {
						w := wantCut(ref[k], sx, b.y0, b.y1, b.x0, b.x1)
						for p := 0; p < bp; p++ {
							g := gv[k*bp+p]
							if tr {
								g = gv[p*n+k]
							}
							if g != float64(w[p]) {
								t.Fatalf("box %v transpose %v: mask %d pixel %d = %v, want %v", b, tr, k, p, g, w[p])
							}
						}
					}
				}
			}
		})
	}
}

// TestMaskContainerSparseProduct checks the intended use: a dense and a sparse tile
// times the transposed sparse cut (array.MulAddDenseCSC, MulAddCSRCSC) equal direct
// dot products.
func TestMaskContainerSparseProduct(t *testing.T) {
	const n, sy, sx, depth = 4, 8, 7, 5
	rng := rand.New(rand.NewPCG(1, 6))
	ref := refMasks(rng, n, sy, sx)
	var fs []MaskFactory
	for k := range ref {
		m := csrOf(t, ref[k], sy, sx)
		fs = append(fs, func([]int) (array.Array, error) { return m, nil })
	}
	c := NewMaskList(fs, array.Float32)
	y0, y1, x0, x1 := 2, 6, 1, 7
	box := array.NewSlice([]int{y0, x0}, array.NewShape([]int{y1 - y0, x1 - x0}, 2))
	bp := (y1 - y0) * (x1 - x0)
	tile := make([]float32, depth*bp)
	for i := range tile {
		if rng.IntN(3) == 0 {
			tile[i] = float32(rng.IntN(9))
		}
	}
	want := make([]float32, depth*n)
	for f := 0; f < depth; f++ {
		for k := 0; k < n; k++ {
			w := wantCut(ref[k], sx, y0, y1, x0, x1)
			for p := 0; p < bp; p++ {
				want[f*n+k] += tile[f*bp+p] * w[p]
			}
		}
	}
	g, err := c.Get(box, true)
	if err != nil {
		t.Fatal(err)
	}
	csc := g.(*array.CSC[float32, int32])
	dst := array.Zeros[float32](depth, n)
	if err := array.MulAddDenseCSC(dst, array.Wrap(tile, depth, y1-y0, x1-x0), csc); err != nil {
		t.Fatal(err)
	}
	dst2 := array.Zeros[float32](depth, n)
	if err := array.MulAddCSRCSC(dst2, csrOf(t, tile, depth, bp), csc); err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		if dst.Data()[i] != w || dst2.Data()[i] != w {
			t.Fatalf("product[%d] = %v (dense tile), %v (sparse tile), want %v", i, dst.Data()[i], dst2.Data()[i], w)
		}
	}
}

func TestMaskContainerSparseErrors(t *testing.T) {
	boolMask := func([]int) (array.Array, error) { return array.Zeros[bool](3, 4), nil }
	tooBig := func([]int) (array.Array, error) { return array.Zeros[float32](2, 7), nil }
	ok := func([]int) (array.Array, error) { return array.Zeros[float32](3, 4), nil }
	cases := []struct {
		name string
		c    *MaskContainer
	}{
		{"bool sparse", NewMaskList([]MaskFactory{boolMask}, array.DType{}).WithSparse(SparseAlways)},
		{"size mismatch", NewMaskList([]MaskFactory{ok, tooBig}, array.DType{}).WithSparse(SparseAlways)},
		{"stack not a multiple", NewMaskStack(func([]int) (array.Array, error) {
			return array.CSRFromCOO[float32, int32](2, 5, nil, nil, nil)
		}, array.DType{}).WithSigShape([]int{3, 3})},
	}
	for _, tc := range cases {
		if _, err := tc.c.Stack(); !errors.Is(err, ErrMasks) {
			t.Errorf("%s: err %v, want ErrMasks", tc.name, err)
		}
	}
	// a box outside the signal
	c := NewMaskList([]MaskFactory{ok}, array.DType{}).WithSparse(SparseAlways)
	box := array.NewSlice([]int{2, 0}, array.NewShape([]int{2, 4}, 2))
	if _, err := c.Get(box, false); !errors.Is(err, ErrSigSlice) {
		t.Errorf("box outside: err %v, want ErrSigSlice", err)
	}
}
