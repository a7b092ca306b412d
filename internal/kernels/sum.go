package kernels

import "fmt"

// SumF32 returns the sum of x. It accumulates in float32 lanes (64 partial
// sums on amd64), so its rounding differs from a sequential loop, and is far
// smaller for long inputs.
func SumF32(x []float32) float32 { return sumF32(x) }

// SumF32To64 returns the sum of x accumulated in float64.
func SumF32To64(x []float32) float64 { return sumF32ToF64(x) }

// SumF64 returns the sum of x.
func SumF64(x []float64) float64 { return sumF64(x) }

// SumU16AsF32 returns the sum of x converted to float32, accumulated in
// float32 lanes. The caller must make sure a lane cannot exceed 2^24 (exact
// integers) if exactness matters: with 64 lanes that is len(x) ≤ 2^24·64/65535
// ≈ 16k elements at full scale, far more for typical counts.
func SumU16AsF32(x []uint16) float32 { return sumU16LE(x) }

// AddF32 adds src to dst element-wise: dst[i] += src[i].
// It panics if the lengths differ.
func AddF32(dst, src []float32) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("kernels.AddF32: len(dst) = %d, len(src) = %d", len(dst), len(src)))
	}
	addF32(dst, src)
}

// AddF64 adds src to dst element-wise: dst[i] += src[i].
// It panics if the lengths differ.
func AddF64(dst, src []float64) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("kernels.AddF64: len(dst) = %d, len(src) = %d", len(dst), len(src)))
	}
	addF64(dst, src)
}

// AddF32ToF64 adds src, widened to float64, to dst: dst[i] += float64(src[i]).
// It panics if the lengths differ.
func AddF32ToF64(dst []float64, src []float32) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("kernels.AddF32ToF64: len(dst) = %d, len(src) = %d", len(dst), len(src)))
	}
	addF32ToF64(dst, src)
}

// SumRowsF32 treats src as a row-major (len(dst) × n) block and adds the sum
// of row i to dst[i] (LiberTEM's SumSig over a tile of frames).
// It panics if n < 0 or len(src) != len(dst)*n.
func SumRowsF32(dst []float32, src []float32, n int) {
	if n < 0 || len(src) != len(dst)*n {
		panic(fmt.Sprintf("kernels.SumRowsF32: len(src) = %d, want len(dst) × n = %d × %d", len(src), len(dst), n))
	}
	for i := range dst {
		dst[i] += sumF32(src[i*n : (i+1)*n])
	}
}

// SumColsF32 treats src as a row-major (rows × len(dst)) block and adds
// column sums to dst: dst[j] += Σ_i src[i*len(dst)+j] (LiberTEM's Sum over a
// tile of frames). It reads four rows per pass over dst, so dst traffic is a
// quarter of the input's. It panics if len(src) is not a multiple of
// len(dst), or if src is non-empty while dst is empty.
func SumColsF32(dst []float32, src []float32) {
	n := len(dst)
	if n == 0 {
		if len(src) != 0 {
			panic(fmt.Sprintf("kernels.SumColsF32: len(dst) = 0 but len(src) = %d", len(src)))
		}
		return
	}
	if len(src)%n != 0 {
		panic(fmt.Sprintf("kernels.SumColsF32: len(src) = %d is not a multiple of len(dst) = %d", len(src), n))
	}
	rows := len(src) / n
	r := 0
	for ; r+4 <= rows; r += 4 {
		o := r * n
		addRows4F32(dst, src[o:o+n], src[o+n:o+2*n], src[o+2*n:o+3*n], src[o+3*n:o+4*n])
	}
	for ; r < rows; r++ {
		addF32(dst, src[r*n:(r+1)*n])
	}
}

// SumColsF32ToF64 is SumColsF32 with float64 column sums:
// dst[j] += Σ_i float64(src[i*len(dst)+j]), four rows per pass over dst.
// It panics under the same conditions as SumColsF32.
func SumColsF32ToF64(dst []float64, src []float32) {
	n := len(dst)
	if n == 0 {
		if len(src) != 0 {
			panic(fmt.Sprintf("kernels.SumColsF32ToF64: len(dst) = 0 but len(src) = %d", len(src)))
		}
		return
	}
	if len(src)%n != 0 {
		panic(fmt.Sprintf("kernels.SumColsF32ToF64: len(src) = %d is not a multiple of len(dst) = %d", len(src), n))
	}
	rows := len(src) / n
	r := 0
	for ; r+4 <= rows; r += 4 {
		o := r * n
		addRows4F32ToF64(dst, src[o:o+n], src[o+n:o+2*n], src[o+2*n:o+3*n], src[o+3*n:o+4*n])
	}
	for ; r < rows; r++ {
		addF32ToF64(dst, src[r*n:(r+1)*n])
	}
}
