package backends_test

import (
	"fmt"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/backends"
)

// A run with a dense-only UDF and a UDF that handles every format, over a dataset that
// produces CSR tiles: the flexible UDF reads the tiles as they come, the other gets them
// densified.
func ExampleNewPlan() {
	plan, err := backends.NewPlan(
		[][]backends.Backend{{backends.Dense}, backends.All},
		[]backends.Backend{backends.CSR},
		backends.DeviceCPU, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(plan.Source)
	fmt.Println(plan.ByUDF)
	// Output:
	// scipy.sparse.csr_matrix
	// [numpy scipy.sparse.csr_matrix]
}

// A Converter turns each tile into the backends of a plan once, reusing its buffers.
func ExampleConverter() {
	tile, _ := array.CSRFromCOO[float32, int32](2, 4, []int{0, 1}, []int{1, 3}, []float32{5, 7})
	conv := backends.NewConverter[float32]()
	conv.SetTile(tile, []int{2, 2, 2}) // two frames of 2×2
	d, _ := conv.Get(backends.Dense)
	fmt.Println(d.Shape(), d.(*array.Dense[float32]).Data())
	// Output:
	// [2 2 2] [0 5 0 0 0 0 0 7]
}
