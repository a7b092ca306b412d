//go:build !purego

package udfs

import "github.com/stemflow/stemflow/internal/kernels"

//go:noescape
func addU16ToU32AVX2(dst []uint32, src []uint16)

// addU16ToU32 adds src to dst element-wise, widening to uint32 (exact). It panics if
// dst is shorter than src.
func addU16ToU32(dst []uint32, src []uint16) {
	dst = dst[:len(src)]
	if kernels.HasSIMD() {
		addU16ToU32AVX2(dst, src)
		return
	}
	addU16ToU32Go(dst, src)
}
