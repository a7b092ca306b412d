package udfs

// addU16ToU32Go is the scalar twin of the SIMD kernel: dst[i] += uint32(src[i]).
func addU16ToU32Go(dst []uint32, src []uint16) {
	dst = dst[:len(src)]
	i := 0
	for ; i+4 <= len(src); i += 4 {
		dst[i] += uint32(src[i])
		dst[i+1] += uint32(src[i+1])
		dst[i+2] += uint32(src[i+2])
		dst[i+3] += uint32(src[i+3])
	}
	for ; i < len(src); i++ {
		dst[i] += uint32(src[i])
	}
}
