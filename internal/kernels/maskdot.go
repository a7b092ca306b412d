package kernels

import "fmt"

// maskChunk is the pixel block of MaskDotF32: four mask chunks and two frame
// chunks (24 KiB) stay in L1 while every frame pair of the tile passes.
const maskChunk = 1024

// MaskDotF32 adds the products of a tile of frames with a stack of masks:
//
//	out[f·nmask + m] += Σ_p tile[f·px + p] · masks[m·px + p]
//
// for depth = len(tile)/px frames and nmask = len(masks)/px masks, i.e.
// out (depth × nmask) += tile (depth × px) · masksᵀ. The kernel blocks
// 2 frames × 4 masks in registers (FMA) and 1024 pixels in L1, so the tile
// is read from memory once. Partial sums are float32.
//
// It panics if px ≤ 0 while the tile or masks are non-empty, if len(tile) or
// len(masks) is not a multiple of px, or if len(out) != depth·nmask.
func MaskDotF32(out, tile, masks []float32, px int) {
	if px <= 0 {
		if len(tile) != 0 || len(masks) != 0 || len(out) != 0 {
			panic(fmt.Sprintf("kernels.MaskDotF32: px = %d with len(tile) = %d, len(masks) = %d", px, len(tile), len(masks)))
		}
		return
	}
	depth, nm := len(tile)/px, len(masks)/px
	if len(tile) != depth*px || len(masks) != nm*px || len(out) != depth*nm {
		panic(fmt.Sprintf("kernels.MaskDotF32: len(tile) = %d, len(masks) = %d, len(out) = %d, px = %d: want depth·px, nmask·px, depth·nmask", len(tile), len(masks), len(out), px))
	}
	var acc [8]float32
	for p0 := 0; p0 < px; p0 += maskChunk {
		p1 := min(p0+maskChunk, px)
		m := 0
		for ; m+4 <= nm; m += 4 {
			m0 := masks[m*px+p0 : m*px+p1]
			m1 := masks[(m+1)*px+p0 : (m+1)*px+p1]
			m2 := masks[(m+2)*px+p0 : (m+2)*px+p1]
			m3 := masks[(m+3)*px+p0 : (m+3)*px+p1]
			f := 0
			for ; f+2 <= depth; f += 2 {
				acc = [8]float32{}
				dot2x4F32(acc[:], tile[f*px+p0:f*px+p1], tile[(f+1)*px+p0:(f+1)*px+p1], m0, m1, m2, m3)
				o, o1 := out[f*nm+m:f*nm+m+4], out[(f+1)*nm+m:(f+1)*nm+m+4]
				o[0] += acc[0]
				o[1] += acc[1]
				o[2] += acc[2]
				o[3] += acc[3]
				o1[0] += acc[4]
				o1[1] += acc[5]
				o1[2] += acc[6]
				o1[3] += acc[7]
			}
			if f < depth {
				x := tile[f*px+p0 : f*px+p1]
				o := out[f*nm+m : f*nm+m+4]
				o[0] += dotF32(x, m0)
				o[1] += dotF32(x, m1)
				o[2] += dotF32(x, m2)
				o[3] += dotF32(x, m3)
			}
		}
		for ; m < nm; m++ {
			mk := masks[m*px+p0 : m*px+p1]
			for f := 0; f < depth; f++ {
				out[f*nm+m] += dotF32(tile[f*px+p0:f*px+p1], mk)
			}
		}
	}
}

// DotF32 returns Σ x[i]·y[i] (float32 lanes, FMA). It panics if the lengths
// differ.
func DotF32(x, y []float32) float32 {
	if len(x) != len(y) {
		panic(fmt.Sprintf("kernels.DotF32: len(x) = %d, len(y) = %d", len(x), len(y)))
	}
	return dotF32(x, y)
}
