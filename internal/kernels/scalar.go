package kernels

import (
	"encoding/binary"
	"math"
)

// Pure-Go twins of the assembly kernels. They are the implementation on
// architectures without assembly and the reference the tests compare the
// assembly against. Several independent accumulators let the CPU overlap the
// additions; Go does not vectorise.

// sumGo is the scalar twin of the float sums: eight independent accumulators.
func sumGo[T float32 | float64](x []T) T {
	var s0, s1, s2, s3, s4, s5, s6, s7 T
	i := 0
	for ; i+8 <= len(x); i += 8 {
		v := x[i : i+8 : i+8]
		s0 += v[0]
		s1 += v[1]
		s2 += v[2]
		s3 += v[3]
		s4 += v[4]
		s5 += v[5]
		s6 += v[6]
		s7 += v[7]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

func sumF32Go(x []float32) float32 { return sumGo(x) }

func sumF64Go(x []float64) float64 { return sumGo(x) }

func sumF32ToF64Go(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		s0 += float64(v[0])
		s1 += float64(v[1])
		s2 += float64(v[2])
		s3 += float64(v[3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

func sumU16LEGo(x []uint16) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		s0 += float32(v[0])
		s1 += float32(v[1])
		s2 += float32(v[2])
		s3 += float32(v[3])
	}
	for ; i < len(x); i++ {
		s0 += float32(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// addGo is the scalar twin of the float adds: dst += src.
func addGo[T float32 | float64](dst, src []T) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

func addF32Go(dst, src []float32) { addGo(dst, src) }

func addF64Go(dst, src []float64) { addGo(dst, src) }

func addF32ToF64Go(dst []float64, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += float64(src[i])
	}
}

func addRows4F32Go(dst, a, b, c, d []float32) {
	n := len(dst)
	a, b, c, d = a[:n], b[:n], c[:n], d[:n]
	for i := range dst {
		dst[i] += (a[i] + b[i]) + (c[i] + d[i])
	}
}

// elem is the source element type of a decoder.
type elem uint8

const (
	eBool elem = iota
	eU8
	eI8
	eU16
	eI16
	eU32
	eI32
	eU64
	eI64
	eF32
	eF64
)

var elemSize = [...]int{eBool: 1, eU8: 1, eI8: 1, eU16: 2, eI16: 2, eU32: 4, eI32: 4, eU64: 8, eI64: 8, eF32: 4, eF64: 8}

func order(bigEndian bool) binary.ByteOrder {
	if bigEndian {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// decodeGo converts len(dst) elements of type e from src (which holds at
// least len(dst)*elemSize[e] bytes) to D.
func decodeGo[D float32 | float64](dst []D, src []byte, e elem, bigEndian bool) {
	n := len(dst)
	bo := order(bigEndian)
	switch e {
	case eBool:
		src = src[:n]
		for i := range dst {
			if src[i] != 0 {
				dst[i] = 1
			} else {
				dst[i] = 0
			}
		}
	case eU8:
		src = src[:n]
		for i := range dst {
			dst[i] = D(src[i])
		}
	case eI8:
		src = src[:n]
		for i := range dst {
			dst[i] = D(int8(src[i]))
		}
	case eU16:
		src = src[:2*n]
		if bigEndian {
			for i := range dst {
				dst[i] = D(binary.BigEndian.Uint16(src[2*i:]))
			}
		} else {
			for i := range dst {
				dst[i] = D(binary.LittleEndian.Uint16(src[2*i:]))
			}
		}
	case eI16:
		src = src[:2*n]
		for i := range dst {
			dst[i] = D(int16(bo.Uint16(src[2*i:])))
		}
	case eU32:
		src = src[:4*n]
		for i := range dst {
			dst[i] = D(bo.Uint32(src[4*i:]))
		}
	case eI32:
		src = src[:4*n]
		for i := range dst {
			dst[i] = D(int32(bo.Uint32(src[4*i:])))
		}
	case eU64:
		src = src[:8*n]
		for i := range dst {
			dst[i] = D(bo.Uint64(src[8*i:]))
		}
	case eI64:
		src = src[:8*n]
		for i := range dst {
			dst[i] = D(int64(bo.Uint64(src[8*i:])))
		}
	case eF32:
		src = src[:4*n]
		if bigEndian {
			for i := range dst {
				dst[i] = D(math.Float32frombits(binary.BigEndian.Uint32(src[4*i:])))
			}
		} else {
			for i := range dst {
				dst[i] = D(math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:])))
			}
		}
	case eF64:
		src = src[:8*n]
		for i := range dst {
			dst[i] = D(math.Float64frombits(bo.Uint64(src[8*i:])))
		}
	}
}

func dotF32Go(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func sumDotF32Go(p, xs []float32) (s, d float32) {
	xs = xs[:len(p)]
	var s0, s1, d0, d1 float32
	i := 0
	for ; i+2 <= len(p); i += 2 {
		s0 += p[i]
		s1 += p[i+1]
		d0 += p[i] * xs[i]
		d1 += p[i+1] * xs[i+1]
	}
	for ; i < len(p); i++ {
		s0 += p[i]
		d0 += p[i] * xs[i]
	}
	return s0 + s1, d0 + d1
}

func dot2x4F32Go(out []float32, x0, x1, m0, m1, m2, m3 []float32) {
	n := len(x0)
	x1, m0, m1, m2, m3 = x1[:n], m0[:n], m1[:n], m2[:n], m3[:n]
	var a0, a1, a2, a3, b0, b1, b2, b3 float32
	for i := 0; i < n; i++ {
		u, v := x0[i], x1[i]
		a0 += u * m0[i]
		a1 += u * m1[i]
		a2 += u * m2[i]
		a3 += u * m3[i]
		b0 += v * m0[i]
		b1 += v * m1[i]
		b2 += v * m2[i]
		b3 += v * m3[i]
	}
	out = out[:8]
	out[0] += a0
	out[1] += a1
	out[2] += a2
	out[3] += a3
	out[4] += b0
	out[5] += b1
	out[6] += b2
	out[7] += b3
}

func addRows4F32ToF64Go(dst []float64, a, b, c, d []float32) {
	n := len(dst)
	a, b, c, d = a[:n], b[:n], c[:n], d[:n]
	for i := range dst {
		dst[i] += (float64(a[i]) + float64(b[i])) + (float64(c[i]) + float64(d[i]))
	}
}

// stdShiftF32Go is the twin of stdShiftStartF32AVX2 (start) and
// stdShiftAddF32AVX2: see StdShiftF32. Frames are taken in order, q by FMA, as
// in the assembly, so the two agree bit for bit.
func stdShiftF32Go(k, s, q []float64, x []float32, stride, rows int, start bool) {
	StdShiftReal(k, s, q, x, stride, rows, start)
}

// Real is the set of real element types StdShiftReal reads.
type Real interface {
	~float32 | ~float64 | ~uint8 | ~int8 | ~uint16 | ~int16 | ~uint32 | ~int32 | ~uint64 | ~int64
}

// StdShiftReal is StdShiftF32 for any real element type, in Go, with the same
// operations in the same order: with start, row 0 sets each pixel's shift k to
// its value (0 when that is NaN or ±Inf) and s, q to its shifted value and
// square; every further row r < rows adds d = x − k to s and d² to q by FMA.
// Row r of x starts at r·stride; len(k) pixels are read per row.
func StdShiftReal[T Real](k, s, q []float64, x []T, stride, rows int, start bool) {
	n := len(k)
	s, q = s[:n], q[:n]
	r := 0
	if start {
		for j, v := range x[:n] {
			x0 := float64(v)
			kj := x0
			if kj-kj != 0 { // NaN or ±Inf: no shift
				kj = 0
			}
			d := x0 - kj
			k[j], s[j], q[j] = kj, d, d*d
		}
		r = 1
	}
	for ; r < rows; r++ {
		row := x[r*stride : r*stride+n]
		for j, v := range row {
			d := float64(v) - k[j]
			s[j] += d
			q[j] = math.FMA(d, d, q[j])
		}
	}
}

// decodeF32 requires len(src) >= len(dst)*elemSize[e].
func decodeF32(dst []float32, src []byte, e elem, bigEndian bool) {
	if len(dst) >= 8 {
		if f := asmDecoderF32(e, bigEndian); f != nil {
			n := len(dst) &^ 7
			sz := elemSize[e]
			f(dst[:n], src[:n*sz])
			if n < len(dst) {
				decodeGo(dst[n:], src[n*sz:], e, bigEndian)
			}
			return
		}
	}
	decodeGo(dst, src, e, bigEndian)
}

func decodeF64(dst []float64, src []byte, e elem, bigEndian bool) {
	if len(dst) >= 8 {
		if f := asmDecoderF64(e, bigEndian); f != nil {
			n := len(dst) &^ 7
			sz := elemSize[e]
			f(dst[:n], src[:n*sz])
			if n < len(dst) {
				decodeGo(dst[n:], src[n*sz:], e, bigEndian)
			}
			return
		}
	}
	decodeGo(dst, src, e, bigEndian)
}

// gemmBlockGo is the twin of the gemm micro-kernels for any r × cols block:
// c[i·ldc + j] += Σ_{p<k} a[i·lda + p] · b[p·ldb + j].
func gemmBlockGo(r, cols int, c []float32, ldc int, a []float32, lda int, b []float32, ldb int, k int) {
	for i := 0; i < r; i++ {
		ci := c[i*ldc : i*ldc+cols]
		ai := a[i*lda : i*lda+k]
		for p, av := range ai {
			bp := b[p*ldb : p*ldb+cols]
			for j := range ci {
				ci[j] += av * bp[j]
			}
		}
	}
}
