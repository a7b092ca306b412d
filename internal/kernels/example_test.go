package kernels_test

import (
	"fmt"

	"github.com/stemflow/stemflow/array"
	"github.com/stemflow/stemflow/internal/kernels"
)

// ExampleDecodeF32 decodes little-endian uint16 detector counts into a
// reused float32 tile buffer and sums them.
func ExampleDecodeF32() {
	raw := []byte{1, 0, 2, 0, 0, 1, 255, 255} // 1, 2, 256, 65535
	buf := make([]float32, len(raw)/2)
	if err := kernels.DecodeF32(buf, raw, array.Uint16, false); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(buf, kernels.SumF32(buf))
	// Output: [1 2 256 65535] 65794
}

// ExampleSumColsF32 sums a tile of 3 frames of 4 pixels into a frame
// (LiberTEM's SumUDF) and each frame into a scalar (SumSigUDF).
func ExampleSumColsF32() {
	tile := []float32{
		1, 2, 3, 4,
		5, 6, 7, 8,
		9, 10, 11, 12,
	}
	frame := make([]float32, 4)
	kernels.SumColsF32(frame, tile)
	perFrame := make([]float32, 3)
	kernels.SumRowsF32(perFrame, tile, 4)
	fmt.Println(frame, perFrame)
	// Output: [15 18 21 24] [10 26 42]
}

// ExampleCoM computes the centre of mass of a 3 × 3 frame inside a mask that
// leaves out the bright corner pixel.
func ExampleCoM() {
	frame := []float32{
		0, 0, 0,
		0, 1, 3,
		0, 0, 100,
	}
	mask := []float32{
		1, 1, 1,
		1, 1, 1,
		1, 1, 0,
	}
	spans, err := kernels.SpansFromMask(mask, 3, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	com, err := kernels.NewCoM(3, 3, spans)
	if err != nil {
		fmt.Println(err)
		return
	}
	s, sy, sx := com.Frame(frame)
	fmt.Printf("mass %v, centre y=%v x=%v\n", s, sy/s, sx/s)
	// Output: mass 4, centre y=1 x=1.75
}

// ExampleMaskDotF32 applies two masks to a tile of two frames.
func ExampleMaskDotF32() {
	tile := []float32{1, 2, 3, 4, 5, 6}
	masks := []float32{1, 0, 1, 0, 1, 0}
	out := make([]float32, 2*2)
	kernels.MaskDotF32(out, tile, masks, 3)
	fmt.Println(out)
	// Output: [4 2 10 5]
}
