package array_test

import (
	"fmt"

	"github.com/stemflow/stemflow/array"
)

// Build a CSR matrix from coordinates, slice rows without copying, and densify.
func ExampleCSRFromCOO() {
	// 3×4 matrix with entries (0,1)=2, (0,3)=1, (2,0)=5, (2,2)=3; duplicates add up.
	m, err := array.CSRFromCOO[float32, int32](3, 4,
		[]int{0, 0, 2, 2, 2}, []int{1, 3, 0, 2, 2}, []float32{2, 1, 5, 1, 2})
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Indptr, m.Indices, m.Data)
	fmt.Println(m.SumAxis0(nil), m.SumAxis1(nil))
	tail := m.SliceRows(1, 3) // rows 1 and 2, re-based, sharing Indices and Data
	fmt.Println(tail.Indptr, tail.ToDense().Data())
	// Output:
	// [0 2 2 4] [1 3 0 2] [2 1 5 3]
	// [5 2 3 1] [3 0 8]
	// [0 0 2] [0 0 0 0 5 0 3 0]
}

// Apply a sparse mask stack to dense frames: intensity[f, j] += Σ_p frame[f, p]·mask[j, p].
func ExampleMulAddDenseCSRT() {
	frames := array.Wrap([]float32{
		1, 2, 3, 4, // frame 0 (2×2 pixels, flattened)
		5, 6, 7, 8, // frame 1
	}, 2, 2, 2)
	// Mask 0 selects pixel 0; mask 1 weighs pixels 1 and 3 by 0.5.
	masks, _ := array.CSRFromCOO[float32, int32](2, 4, []int{0, 1, 1}, []int{0, 1, 3}, []float32{1, 0.5, 0.5})
	out := array.Zeros[float32](2, 2)
	if err := array.MulAddDenseCSRT(out, frames, masks); err != nil {
		panic(err)
	}
	fmt.Println(out.Data())
	// Output:
	// [1 3 5 7]
}
