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

//go:noescape
func addRows4U16ToU32AVX2(dst []uint32, a, b, c, d []uint16)

// addRows4U16ToU32 adds four uint16 rows to dst element-wise, widening to uint32
// (exact). It panics if any slice is shorter than a.
func addRows4U16ToU32(dst []uint32, a, b, c, d []uint16) {
	n := len(a)
	dst, b, c, d = dst[:n], b[:n], c[:n], d[:n]
	if kernels.HasSIMD() {
		addRows4U16ToU32AVX2(dst, a, b, c, d)
		return
	}
	addRows4U16ToU32Go(dst, a, b, c, d)
}
