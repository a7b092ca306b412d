package blas_test

import (
	"fmt"

	"github.com/stemflow/stemflow/backends/blas"
)

// Example multiplies a tile of 2 frames × 3 pixels with 2 masks, the shape
// of LiberTEM's ApplyMasks: out (frames × masks) = tile · masksᵀ.
func Example() {
	tile := []float32{
		1, 2, 3,
		4, 5, 6,
	}
	masks := []float32{
		1, 0, 1, // mask 0
		0, 1, 0, // mask 1
	}
	out := make([]float32, 2*2)
	blas.Sgemm(false, true, 2, 2, 3, 1, tile, 3, masks, 3, 0, out, 2)
	fmt.Println(out)
	// Output: [4 2 10 5]
}
