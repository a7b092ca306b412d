// Command asm generates the AVX2/FMA kernels of package kernels with avo.
//
// It lives in its own module so that avo never becomes a dependency of
// stemflow. Regenerate from internal/kernels with `go generate`, which runs
//
//	cd asm && go run . -out ../kernels_amd64.s -stubs ../kernels_stub_amd64.go -pkg kernels
//
// Conventions of every generated kernel: it processes exactly len(first
// slice) elements, that length is a multiple of 8, and the Go wrapper checks
// lengths and handles the remainder. No scalar float instruction runs inside
// a vector loop, and every kernel ends with VZEROUPPER.
package main

import (
	"fmt"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Shuffle masks for VPSHUFB (per 128-bit lane).
var (
	// After VPMOVZXWD of big-endian uint16: dword bytes [hi lo 0 0] -> [lo hi 0 0].
	maskSwap16In32 Mem
	// Swap the two bytes of every 16-bit word.
	maskSwap16 Mem
	// Reverse the four bytes of every 32-bit word.
	maskSwap32 Mem
	// Reverse the eight bytes of every 64-bit word.
	maskSwap64 Mem
	// 0x0000ffff in every dword.
	maskLow16 Mem
	// 65536.0 in every float32 lane.
	f32x65536 Mem
)

func text(name, sig string) {
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
}

func shuffleMask(name string, lane [16]byte) Mem {
	m := GLOBL(name, RODATA|NOPTR)
	for half := 0; half < 2; half++ {
		for i, b := range lane {
			DATA(16*half+i, U8(b))
		}
	}
	return m
}

func consts() {
	const z = 0x80
	maskSwap16In32 = shuffleMask("swap16in32", [16]byte{1, 0, z, z, 5, 4, z, z, 9, 8, z, z, 13, 12, z, z})
	maskSwap16 = shuffleMask("swap16", [16]byte{1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14})
	maskSwap32 = shuffleMask("swap32", [16]byte{3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12})
	maskSwap64 = shuffleMask("swap64", [16]byte{7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8})
	maskLow16 = GLOBL("low16", RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32(0xffff))
	}
	f32x65536 = GLOBL("f65536", RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32(0x47800000)) // 65536.0f
	}
}

// reduceF32 adds the lanes of accs into one float32 and stores it at ret.
func reduceF32(accs []VecVirtual, ret int) {
	for len(accs) > 1 {
		h := len(accs) / 2
		for i := 0; i < h; i++ {
			VADDPS(accs[i+h], accs[i], accs[i])
		}
		accs = accs[:h]
	}
	a := accs[0]
	t := XMM()
	VEXTRACTF128(U8(1), a, t)
	VADDPS(t, a.AsX(), t)
	u := XMM()
	VMOVHLPS(t, t, u)
	VADDPS(u, t, t)
	VMOVSHDUP(t, u)
	VADDSS(u, t, t)
	Store(t, ReturnIndex(ret))
}

func reduceF64(accs []VecVirtual, ret int) {
	for len(accs) > 1 {
		h := len(accs) / 2
		for i := 0; i < h; i++ {
			VADDPD(accs[i+h], accs[i], accs[i])
		}
		accs = accs[:h]
	}
	a := accs[0]
	t := XMM()
	VEXTRACTF128(U8(1), a, t)
	VADDPD(t, a.AsX(), t)
	u := XMM()
	VUNPCKHPD(t, t, u)
	VADDSD(u, t, t)
	Store(t, ReturnIndex(ret))
}

func zero(v []VecVirtual) {
	for _, r := range v {
		VXORPS(r, r, r)
	}
}

func ymms(n int) []VecVirtual {
	v := make([]VecVirtual, n)
	for i := range v {
		v[i] = YMM()
	}
	return v
}

// sum generates a reduction: 8 accumulators, `step(src, acc)` consumes
// `per` elements of `elemSize` bytes into one accumulator.
func sum(name, sig string, elemSize, per int, f64 bool, step func(src Mem, acc VecVirtual)) {
	text(name, sig)
	src := Mem{Base: Load(Param("x").Base(), GP64())}
	n := Load(Param("x").Len(), GP64())
	acc := ymms(8)
	zero(acc)
	big, small, done := name+"_big", name+"_small", name+"_done"
	Label(big)
	CMPQ(n, U32(8*per))
	JL(LabelRef(small))
	for i := 0; i < 8; i++ {
		step(src.Offset(i*per*elemSize), acc[i])
	}
	ADDQ(U32(8*per*elemSize), src.Base)
	SUBQ(U32(8*per), n)
	JMP(LabelRef(big))
	Label(small)
	CMPQ(n, U32(per))
	JL(LabelRef(done))
	step(src, acc[0])
	ADDQ(U32(per*elemSize), src.Base)
	SUBQ(U32(per), n)
	JMP(LabelRef(small))
	Label(done)
	if f64 {
		reduceF64(acc, 0)
	} else {
		reduceF32(acc, 0)
	}
	VZEROUPPER()
	RET()
}

// stream generates an element-wise kernel over len(dst) elements (a multiple
// of 8), unrolled 4×: op handles 8 elements at dst/src offsets.
func stream(name, sig string, dstBytes8, srcBytes8 int, op func(dst, src Mem)) {
	text(name, sig)
	dst := Mem{Base: Load(Param("dst").Base(), GP64())}
	src := Mem{Base: Load(Param("src").Base(), GP64())}
	n := Load(Param("dst").Len(), GP64())
	big, small, done := name+"_big", name+"_small", name+"_done"
	Label(big)
	CMPQ(n, U32(32))
	JL(LabelRef(small))
	for i := 0; i < 4; i++ {
		op(dst.Offset(i*dstBytes8), src.Offset(i*srcBytes8))
	}
	ADDQ(U32(4*dstBytes8), dst.Base)
	ADDQ(U32(4*srcBytes8), src.Base)
	SUBQ(U32(32), n)
	JMP(LabelRef(big))
	Label(small)
	CMPQ(n, U32(8))
	JL(LabelRef(done))
	op(dst, src)
	ADDQ(U32(dstBytes8), dst.Base)
	ADDQ(U32(srcBytes8), src.Base)
	SUBQ(U32(8), n)
	JMP(LabelRef(small))
	Label(done)
	VZEROUPPER()
	RET()
}

func sums() {
	sum("sumF32AVX2", "func(x []float32) float32", 4, 8, false, func(src Mem, acc VecVirtual) {
		VADDPS(src, acc, acc)
	})
	sum("sumF64AVX2", "func(x []float64) float64", 8, 4, true, func(src Mem, acc VecVirtual) {
		VADDPD(src, acc, acc)
	})
	sum("sumF32ToF64AVX2", "func(x []float32) float64", 4, 4, true, func(src Mem, acc VecVirtual) {
		t := YMM()
		VCVTPS2PD(src, t)
		VADDPD(t, acc, acc)
	})
	sum("sumU16LEAVX2", "func(x []uint16) float32", 2, 8, false, func(src Mem, acc VecVirtual) {
		t := YMM()
		VPMOVZXWD(src, t)
		VCVTDQ2PS(t, t)
		VADDPS(t, acc, acc)
	})
}

func adds() {
	stream("addF32AVX2", "func(dst, src []float32)", 32, 32, func(dst, src Mem) {
		t := YMM()
		VMOVUPS(src, t)
		VADDPS(dst, t, t)
		VMOVUPS(t, dst)
	})
	stream("addF64AVX2", "func(dst, src []float64)", 64, 64, func(dst, src Mem) {
		for h := 0; h < 2; h++ {
			t := YMM()
			VMOVUPD(src.Offset(32*h), t)
			VADDPD(dst.Offset(32*h), t, t)
			VMOVUPD(t, dst.Offset(32*h))
		}
	})
	stream("addF32ToF64AVX2", "func(dst []float64, src []float32)", 64, 32, func(dst, src Mem) {
		for h := 0; h < 2; h++ {
			t := YMM()
			VCVTPS2PD(src.Offset(16*h), t)
			VADDPD(dst.Offset(32*h), t, t)
			VMOVUPD(t, dst.Offset(32*h))
		}
	})

	// dst[j] += a[j] + b[j] + c[j] + d[j]: four rows of a tile per pass over dst.
	name := "addRows4F32AVX2"
	text(name, "func(dst, a, b, c, d []float32)")
	dst := Mem{Base: Load(Param("dst").Base(), GP64())}
	rows := []Mem{
		{Base: Load(Param("a").Base(), GP64())},
		{Base: Load(Param("b").Base(), GP64())},
		{Base: Load(Param("c").Base(), GP64())},
		{Base: Load(Param("d").Base(), GP64())},
	}
	n := Load(Param("dst").Len(), GP64())
	Label(name + "_loop")
	CMPQ(n, U32(16))
	JL(LabelRef(name + "_small"))
	for h := 0; h < 2; h++ {
		t, u := YMM(), YMM()
		VMOVUPS(rows[0].Offset(32*h), t)
		VMOVUPS(rows[2].Offset(32*h), u)
		VADDPS(rows[1].Offset(32*h), t, t)
		VADDPS(rows[3].Offset(32*h), u, u)
		VADDPS(u, t, t)
		VADDPS(dst.Offset(32*h), t, t)
		VMOVUPS(t, dst.Offset(32*h))
	}
	ADDQ(U32(64), dst.Base)
	for _, r := range rows {
		ADDQ(U32(64), r.Base)
	}
	SUBQ(U32(16), n)
	JMP(LabelRef(name + "_loop"))
	Label(name + "_small")
	CMPQ(n, U32(8))
	JL(LabelRef(name + "_done"))
	t, u := YMM(), YMM()
	VMOVUPS(rows[0], t)
	VMOVUPS(rows[2], u)
	VADDPS(rows[1], t, t)
	VADDPS(rows[3], u, u)
	VADDPS(u, t, t)
	VADDPS(dst, t, t)
	VMOVUPS(t, dst)
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

func decoders() {
	f32 := func(name string, srcBytes8 int, op func(src Mem) VecVirtual) {
		stream(name, "func(dst []float32, src []byte)", 32, srcBytes8, func(dst, src Mem) {
			VMOVUPS(op(src), dst)
		})
		corrF32(strings.TrimSuffix(name, "AVX2")+"CorrAVX2", srcBytes8, op)
	}
	f32("decU8F32AVX2", 8, func(src Mem) VecVirtual {
		t := YMM()
		VPMOVZXBD(src, t)
		VCVTDQ2PS(t, t)
		return t
	})
	f32("decI8F32AVX2", 8, func(src Mem) VecVirtual {
		t := YMM()
		VPMOVSXBD(src, t)
		VCVTDQ2PS(t, t)
		return t
	})
	f32("decU16LEF32AVX2", 16, func(src Mem) VecVirtual {
		t := YMM()
		VPMOVZXWD(src, t)
		VCVTDQ2PS(t, t)
		return t
	})
	f32("decU16BEF32AVX2", 16, func(src Mem) VecVirtual {
		t := YMM()
		VPMOVZXWD(src, t)
		VPSHUFB(maskSwap16In32, t, t)
		VCVTDQ2PS(t, t)
		return t
	})
	f32("decI16LEF32AVX2", 16, func(src Mem) VecVirtual {
		t := YMM()
		VPMOVSXWD(src, t)
		VCVTDQ2PS(t, t)
		return t
	})
	f32("decI16BEF32AVX2", 16, func(src Mem) VecVirtual {
		x := XMM()
		VMOVDQU(src, x)
		VPSHUFB(maskSwap16, x, x)
		t := YMM()
		VPMOVSXWD(x, t)
		VCVTDQ2PS(t, t)
		return t
	})
	f32("decI32LEF32AVX2", 32, func(src Mem) VecVirtual {
		t := YMM()
		VCVTDQ2PS(src, t)
		return t
	})
	f32("decI32BEF32AVX2", 32, func(src Mem) VecVirtual {
		t := YMM()
		VMOVDQU(src, t)
		VPSHUFB(maskSwap32, t, t)
		VCVTDQ2PS(t, t)
		return t
	})
	// uint32: hi16*65536 + lo16 with one rounding (FMA) is the correctly
	// rounded float32 of the uint32.
	u32 := func(swap bool) func(src Mem) VecVirtual {
		return func(src Mem) VecVirtual {
			t, hi := YMM(), YMM()
			VMOVDQU(src, t)
			if swap {
				VPSHUFB(maskSwap32, t, t)
			}
			VPSRLD(U8(16), t, hi)
			VPAND(maskLow16, t, t)
			VCVTDQ2PS(hi, hi)
			VCVTDQ2PS(t, t)
			VFMADD231PS(f32x65536, hi, t)
			return t
		}
	}
	f32("decU32LEF32AVX2", 32, u32(false))
	f32("decU32BEF32AVX2", 32, u32(true))
	f32("decF32BEF32AVX2", 32, func(src Mem) VecVirtual {
		t := YMM()
		VMOVDQU(src, t)
		VPSHUFB(maskSwap32, t, t)
		return t
	})
	f64 := func(swap bool) func(src Mem) VecVirtual {
		return func(src Mem) VecVirtual {
			a, b := YMM(), YMM()
			VMOVUPD(src, a)
			VMOVUPD(src.Offset(32), b)
			if swap {
				VPSHUFB(maskSwap64, a, a)
				VPSHUFB(maskSwap64, b, b)
			}
			VCVTPD2PSY(a, a.AsX())
			VCVTPD2PSY(b, b.AsX())
			VINSERTF128(U8(1), b.AsX(), a, a)
			return a
		}
	}
	f32("decF64LEF32AVX2", 64, f64(false))
	f32("decF64BEF32AVX2", 64, f64(true))

	// Decoders into float64 for the common detector dtypes.
	d64 := func(name string, srcBytes8 int, op func(src Mem, half int) VecVirtual) {
		stream(name, "func(dst []float64, src []byte)", 64, srcBytes8, func(dst, src Mem) {
			for h := 0; h < 2; h++ {
				VMOVUPD(op(src, h), dst.Offset(32*h))
			}
		})
		corrF64(strings.TrimSuffix(name, "AVX2")+"CorrAVX2", srcBytes8, op)
	}
	d64("decU16LEF64AVX2", 16, func(src Mem, h int) VecVirtual {
		x, t := XMM(), YMM()
		VPMOVZXWD(src.Offset(8*h), x)
		VCVTDQ2PD(x, t)
		return t
	})
	d64("decF32LEF64AVX2", 32, func(src Mem, h int) VecVirtual {
		t := YMM()
		VCVTPS2PD(src.Offset(16*h), t)
		return t
	})
	d64("decF32BEF64AVX2", 32, func(src Mem, h int) VecVirtual {
		x, t := XMM(), YMM()
		VMOVDQU(src.Offset(16*h), x)
		VPSHUFB(maskSwap32, x, x)
		VCVTPS2PD(x, t)
		return t
	})
	// Stored float in the host's order: the corrected copy (also the in-place
	// (v − dark)·gain of the strip-mined fallback, src = dst).
	corrF32("decF32LEF32CorrAVX2", 32, func(src Mem) VecVirtual {
		t := YMM()
		VMOVUPS(src, t)
		return t
	})
	corrF64("decF64LEF64CorrAVX2", 64, func(src Mem, h int) VecVirtual {
		t := YMM()
		VMOVUPD(src.Offset(32*h), t)
		return t
	})
}

// corrStream is stream for the corrected decoders: per 8 elements, op decodes
// from src and the body subtracts dark and multiplies by gain (two roundings,
// as Go's float arithmetic) before the store.
func corrStream(name, sig string, dstBytes8, srcBytes8 int, op func(dst, src, dark, gain Mem)) {
	text(name, sig)
	dst := Mem{Base: Load(Param("dst").Base(), GP64())}
	src := Mem{Base: Load(Param("src").Base(), GP64())}
	dark := Mem{Base: Load(Param("dark").Base(), GP64())}
	gain := Mem{Base: Load(Param("gain").Base(), GP64())}
	n := Load(Param("dst").Len(), GP64())
	big, small, done := name+"_big", name+"_small", name+"_done"
	Label(big)
	CMPQ(n, U32(32))
	JL(LabelRef(small))
	for i := 0; i < 4; i++ {
		op(dst.Offset(i*dstBytes8), src.Offset(i*srcBytes8), dark.Offset(i*dstBytes8), gain.Offset(i*dstBytes8))
	}
	for _, p := range []Mem{dst, dark, gain} {
		ADDQ(U32(4*dstBytes8), p.Base)
	}
	ADDQ(U32(4*srcBytes8), src.Base)
	SUBQ(U32(32), n)
	JMP(LabelRef(big))
	Label(small)
	CMPQ(n, U32(8))
	JL(LabelRef(done))
	op(dst, src, dark, gain)
	for _, p := range []Mem{dst, dark, gain} {
		ADDQ(U32(dstBytes8), p.Base)
	}
	ADDQ(U32(srcBytes8), src.Base)
	SUBQ(U32(8), n)
	JMP(LabelRef(small))
	Label(done)
	VZEROUPPER()
	RET()
}

// corrF32 generates dst[i] = (decode(src)[i] − dark[i])·gain[i] into float32.
func corrF32(name string, srcBytes8 int, op func(src Mem) VecVirtual) {
	corrStream(name, "func(dst []float32, src []byte, dark, gain []float32)", 32, srcBytes8, func(dst, src, dark, gain Mem) {
		t := op(src)
		VSUBPS(dark, t, t)
		VMULPS(gain, t, t)
		VMOVUPS(t, dst)
	})
}

// corrF64 is corrF32 into float64 (op decodes each half of 4 elements).
func corrF64(name string, srcBytes8 int, op func(src Mem, half int) VecVirtual) {
	corrStream(name, "func(dst []float64, src []byte, dark, gain []float64)", 64, srcBytes8, func(dst, src, dark, gain Mem) {
		for h := 0; h < 2; h++ {
			t := op(src, h)
			VSUBPD(dark.Offset(32*h), t, t)
			VMULPD(gain.Offset(32*h), t, t)
			VMOVUPD(t, dst.Offset(32*h))
		}
	})
}

// products generates the dot-product family: dot, the fused sum+dot of the
// centre-of-mass kernel, the 2-frame × 4-mask block of the mask product and
// the squared-deviation accumulation of StdDev.
func products() {
	// dotF32AVX2 returns Σ x[i]·y[i].
	text("dotF32AVX2", "func(x, y []float32) float32")
	{
		x := Mem{Base: Load(Param("x").Base(), GP64())}
		y := Mem{Base: Load(Param("y").Base(), GP64())}
		n := Load(Param("x").Len(), GP64())
		acc := ymms(8)
		zero(acc)
		Label("dot_big")
		CMPQ(n, U32(64))
		JL(LabelRef("dot_small"))
		for i := 0; i < 8; i++ {
			t := YMM()
			VMOVUPS(x.Offset(32*i), t)
			VFMADD231PS(y.Offset(32*i), t, acc[i])
		}
		ADDQ(U32(256), x.Base)
		ADDQ(U32(256), y.Base)
		SUBQ(U32(64), n)
		JMP(LabelRef("dot_big"))
		Label("dot_small")
		CMPQ(n, U32(8))
		JL(LabelRef("dot_done"))
		t := YMM()
		VMOVUPS(x, t)
		VFMADD231PS(y, t, acc[0])
		ADDQ(U32(32), x.Base)
		ADDQ(U32(32), y.Base)
		SUBQ(U32(8), n)
		JMP(LabelRef("dot_small"))
		Label("dot_done")
		reduceF32(acc, 0)
		VZEROUPPER()
		RET()
	}

	// sumDotF32AVX2 returns Σ p[i] and Σ p[i]·xs[i] in one pass.
	text("sumDotF32AVX2", "func(p, xs []float32) (s, d float32)")
	{
		p := Mem{Base: Load(Param("p").Base(), GP64())}
		xs := Mem{Base: Load(Param("xs").Base(), GP64())}
		n := Load(Param("p").Len(), GP64())
		sa, da := ymms(4), ymms(4)
		zero(sa)
		zero(da)
		Label("sd_big")
		CMPQ(n, U32(32))
		JL(LabelRef("sd_small"))
		for i := 0; i < 4; i++ {
			t := YMM()
			VMOVUPS(p.Offset(32*i), t)
			VADDPS(t, sa[i], sa[i])
			VFMADD231PS(xs.Offset(32*i), t, da[i])
		}
		ADDQ(U32(128), p.Base)
		ADDQ(U32(128), xs.Base)
		SUBQ(U32(32), n)
		JMP(LabelRef("sd_big"))
		Label("sd_small")
		CMPQ(n, U32(8))
		JL(LabelRef("sd_done"))
		t := YMM()
		VMOVUPS(p, t)
		VADDPS(t, sa[0], sa[0])
		VFMADD231PS(xs, t, da[0])
		ADDQ(U32(32), p.Base)
		ADDQ(U32(32), xs.Base)
		SUBQ(U32(8), n)
		JMP(LabelRef("sd_small"))
		Label("sd_done")
		reduceF32(sa, 0)
		reduceF32(da, 1)
		VZEROUPPER()
		RET()
	}

	// dot2x4F32AVX2 adds Σ_p x_f[p]·m_k[p] to out[4f+k] for f in 0..1, k in 0..3.
	text("dot2x4F32AVX2", "func(out []float32, x0, x1, m0, m1, m2, m3 []float32)")
	{
		out := Load(Param("out").Base(), GP64())
		xs := []Mem{{Base: Load(Param("x0").Base(), GP64())}, {Base: Load(Param("x1").Base(), GP64())}}
		ms := []Mem{
			{Base: Load(Param("m0").Base(), GP64())},
			{Base: Load(Param("m1").Base(), GP64())},
			{Base: Load(Param("m2").Base(), GP64())},
			{Base: Load(Param("m3").Base(), GP64())},
		}
		n := Load(Param("x0").Len(), GP64())
		acc := ymms(8)
		zero(acc)
		Label("d24_loop")
		CMPQ(n, U32(8))
		JL(LabelRef("d24_done"))
		a, b := YMM(), YMM()
		VMOVUPS(xs[0], a)
		VMOVUPS(xs[1], b)
		for k := 0; k < 4; k++ {
			m := YMM()
			VMOVUPS(ms[k], m)
			VFMADD231PS(m, a, acc[k])
			VFMADD231PS(m, b, acc[4+k])
		}
		for _, r := range xs {
			ADDQ(U32(32), r.Base)
		}
		for _, r := range ms {
			ADDQ(U32(32), r.Base)
		}
		SUBQ(U32(8), n)
		JMP(LabelRef("d24_loop"))
		Label("d24_done")
		// Horizontal sums of the 8 accumulators, added to out[0..7] as one vector:
		// pairwise VHADDPS, then fold the 128-bit halves.
		h0, h1 := YMM(), YMM()
		VHADDPS(acc[1], acc[0], h0) // [a0 a0 a1 a1 | a0 a0 a1 a1] partials
		VHADDPS(acc[3], acc[2], h1)
		VHADDPS(h1, h0, h0) // lanes: [s0 s1 s2 s3 | s0' s1' s2' s3']
		g0, g1 := YMM(), YMM()
		VHADDPS(acc[5], acc[4], g0)
		VHADDPS(acc[7], acc[6], g1)
		VHADDPS(g1, g0, g0) // [s4 s5 s6 s7 | s4' s5' s6' s7']
		// r = [low(h0) low(g0)] + [high(h0) high(g0)]
		lo, hi := YMM(), YMM()
		VPERM2F128(U8(0x20), g0, h0, lo)
		VPERM2F128(U8(0x31), g0, h0, hi)
		VADDPS(hi, lo, lo)
		o := Mem{Base: out}
		VADDPS(o, lo, lo)
		VMOVUPS(lo, o)
		VZEROUPPER()
		RET()
	}
}

// rows4F64 generates the 4-row float64 column sum of SumColsF32ToF64.
func rows4F64() {
	// addRows4F32ToF64AVX2: dst[j] += float64(a[j]) + float64(b[j]) + float64(c[j]) + float64(d[j]).
	text("addRows4F32ToF64AVX2", "func(dst []float64, a, b, c, d []float32)")
	{
		dst := Mem{Base: Load(Param("dst").Base(), GP64())}
		rows := []Mem{
			{Base: Load(Param("a").Base(), GP64())},
			{Base: Load(Param("b").Base(), GP64())},
			{Base: Load(Param("c").Base(), GP64())},
			{Base: Load(Param("d").Base(), GP64())},
		}
		n := Load(Param("dst").Len(), GP64())
		Label("ar64_loop")
		CMPQ(n, U32(8))
		JL(LabelRef("ar64_done"))
		for h := 0; h < 2; h++ {
			v := ymms(4)
			for r := range rows {
				VCVTPS2PD(rows[r].Offset(16*h), v[r])
			}
			VADDPD(v[1], v[0], v[0])
			VADDPD(v[3], v[2], v[2])
			VADDPD(v[2], v[0], v[0])
			VADDPD(dst.Offset(32*h), v[0], v[0])
			VMOVUPD(v[0], dst.Offset(32*h))
		}
		ADDQ(U32(64), dst.Base)
		for _, r := range rows {
			ADDQ(U32(32), r.Base)
		}
		SUBQ(U32(8), n)
		JMP(LabelRef("ar64_loop"))
		Label("ar64_done")
		VZEROUPPER()
		RET()
	}
}

// stdShift generates the one-pass kernels of StdShiftF32. They stream whole
// frames (rows) with k, s and q in memory, 8 pixels per step, so that every
// stream is sequential:
//
//   - stdStart1F32AVX2(k, s, q, a) starts a block at frame a: k = a where
//     float64(a) is finite, else 0; s = a − k, q = (a − k)².
//     stdStart4F32AVX2(k, s, q, a, b, c, d) also adds b, c and d as below.
//   - stdAdd4F32AVX2(k, s, q, a, b, c, d) and stdAdd1F32AVX2(k, s, q, a) add
//     frames in order: d = float64(x) − k, s += d, q += d² (FMA).
func stdShift() {
	for _, first := range []bool{true, false} {
		for _, nr := range []int{4, 1} {
			kind := "Add"
			if first {
				kind = "Start"
			}
			name := fmt.Sprintf("std%s%dF32AVX2", kind, nr)
			sig := "func(k, s, q []float64, a, b, c, d []float32)"
			if nr == 1 {
				sig = "func(k, s, q []float64, a []float32)"
			}
			text(name, sig)
			kp := Mem{Base: Load(Param("k").Base(), GP64())}
			sp := Mem{Base: Load(Param("s").Base(), GP64())}
			qp := Mem{Base: Load(Param("q").Base(), GP64())}
			rows := []Mem{}
			for _, r := range []string{"a", "b", "c", "d"}[:nr] {
				rows = append(rows, Mem{Base: Load(Param(r).Base(), GP64())})
			}
			n := Load(Param("k").Len(), GP64())
			var z VecVirtual
			if first {
				z = YMM()
				VXORPD(z, z, z)
			}
			loop, done := name+"_loop", name+"_done"
			Label(loop)
			CMPQ(n, U32(8))
			JL(LabelRef(done))
			for h := 0; h < 2; h++ {
				var kv, sv, qv VecVirtual
				add := rows
				if first {
					// k, s and q start from the first frame
					x0, t := YMM(), YMM()
					kv, sv, qv = YMM(), YMM(), YMM()
					VCVTPS2PD(rows[0].Offset(16*h), x0)
					VSUBPD(x0, x0, t)      // 0 where finite, NaN otherwise
					VCMPPD(U8(0), z, t, t) // EQ_OQ: all ones where finite
					VANDPD(x0, t, kv)
					VMOVUPD(kv, kp.Offset(32*h))
					VSUBPD(kv, x0, sv)
					VMULPD(sv, sv, qv)
					add = rows[1:]
				} else {
					kv, sv, qv = YMM(), YMM(), YMM()
					VMOVUPD(kp.Offset(32*h), kv)
					VMOVUPD(sp.Offset(32*h), sv)
					VMOVUPD(qp.Offset(32*h), qv)
				}
				for _, r := range add {
					d := YMM()
					VCVTPS2PD(r.Offset(16*h), d)
					VSUBPD(kv, d, d)
					VADDPD(d, sv, sv)
					VFMADD231PD(d, d, qv)
				}
				VMOVUPD(sv, sp.Offset(32*h))
				VMOVUPD(qv, qp.Offset(32*h))
			}
			ADDQ(U32(64), kp.Base)
			ADDQ(U32(64), sp.Base)
			ADDQ(U32(64), qp.Base)
			for _, r := range rows {
				ADDQ(U32(32), r.Base)
			}
			SUBQ(U32(8), n)
			JMP(LabelRef(loop))
			Label(done)
			VZEROUPPER()
			RET()
		}
	}
}

// stdFold generates StdFold's loops over 8 pixels per step, in the
// operations and order of its Go twin (no fused multiply-add):
//
//	dev = q − s·(s·inv1), 0 where negative (NaN stays: VMAXPD returns its
//	second source for a NaN), bsum = f1·k + s;
//	stdFoldFirstAVX2: sum = bsum, varsum = dev;
//	stdFoldAVX2: δ = (k + s·inv1) − sum·inv0, varsum += dev + δ·δ·w, sum += bsum.
func stdFold() {
	for _, first := range []bool{true, false} {
		name, sig := "stdFoldAVX2", "func(sum, varsum, k, s, q []float64, f1, inv1, w, inv0 float64)"
		if first {
			name, sig = "stdFoldFirstAVX2", "func(sum, varsum, k, s, q []float64, f1, inv1 float64)"
		}
		text(name, sig)
		ptr := func(p string) Mem { return Mem{Base: Load(Param(p).Base(), GP64())} }
		sum, vs, kp, sp, qp := ptr("sum"), ptr("varsum"), ptr("k"), ptr("s"), ptr("q")
		n := Load(Param("k").Len(), GP64())
		bcast := func(p string) VecVirtual {
			y := YMM()
			x := Load(Param(p), XMM())
			VBROADCASTSD(x, y)
			return y
		}
		f1, inv1 := bcast("f1"), bcast("inv1")
		var w, inv0 VecVirtual
		if !first {
			w, inv0 = bcast("w"), bcast("inv0")
		}
		z := YMM()
		VXORPD(z, z, z)
		loop, done := name+"_loop", name+"_done"
		Label(loop)
		CMPQ(n, U32(8))
		JL(LabelRef(done))
		for h := 0; h < 2; h++ {
			o := 32 * h
			kv, sv, t, dev, bs := YMM(), YMM(), YMM(), YMM(), YMM()
			VMOVUPD(kp.Offset(o), kv)
			VMOVUPD(sp.Offset(o), sv)
			VMULPD(inv1, sv, t) // s·inv1
			VMULPD(t, sv, dev)  // s·(s·inv1)
			qv := YMM()
			VMOVUPD(qp.Offset(o), qv)
			VSUBPD(dev, qv, dev) // q − s·(s·inv1)
			VMAXPD(dev, z, dev)  // (0 > dev) ? 0 : dev
			VMULPD(kv, f1, bs)
			VADDPD(sv, bs, bs)
			if first {
				VMOVUPD(bs, sum.Offset(o))
				VMOVUPD(dev, vs.Offset(o))
				continue
			}
			m, sm := YMM(), YMM()
			VADDPD(t, kv, m) // k + s·inv1
			VMOVUPD(sum.Offset(o), sm)
			u := YMM()
			VMULPD(inv0, sm, u)
			VSUBPD(u, m, m) // δ
			VMULPD(m, m, m) // δ·δ
			VMULPD(w, m, m) // ·w
			VADDPD(m, dev, dev)
			VADDPD(vs.Offset(o), dev, dev)
			VMOVUPD(dev, vs.Offset(o))
			VADDPD(bs, sm, sm)
			VMOVUPD(sm, sum.Offset(o))
		}
		for _, p := range []Mem{sum, vs, kp, sp, qp} {
			ADDQ(U32(64), p.Base)
		}
		SUBQ(U32(8), n)
		JMP(LabelRef(loop))
		Label(done)
		VZEROUPPER()
		RET()
	}
}

// gemm generates the R×C micro-kernel (C a multiple of 8) of GemmF32:
// c[i·ldc + j] += Σ_{p<k} a[i·lda + p] · b[p·ldb + j] for i < R, j < C.
// A values are broadcast, B rows loaded as vectors, R·C/8 accumulators.
func gemm(R, C int) {
	name := fmt.Sprintf("gemm%dx%dF32AVX2", R, C)
	text(name, "func(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, k int)")
	cp := Load(Param("c").Base(), GP64())
	a := Load(Param("a").Base(), GP64())
	b := Load(Param("b").Base(), GP64())
	ldc := Load(Param("ldc"), GP64())
	lda := Load(Param("lda"), GP64())
	ldb := Load(Param("ldb"), GP64())
	k := Load(Param("k"), GP64())
	SHLQ(U8(2), lda)
	SHLQ(U8(2), ldb)
	SHLQ(U8(2), ldc)
	lda3 := GP64()
	LEAQ(Mem{Base: lda, Index: lda, Scale: 2}, lda3)
	rows := []Mem{{Base: a}, {Base: a, Index: lda, Scale: 1}, {Base: a, Index: lda, Scale: 2}, {Base: a, Index: lda3, Scale: 1}}
	nb := C / 8
	acc := make([][]VecVirtual, R)
	for i := range acc {
		acc[i] = ymms(nb)
		zero(acc[i])
	}
	loop, done := name+"_loop", name+"_done"
	Label(loop)
	TESTQ(k, k)
	JZ(LabelRef(done))
	bv := ymms(nb)
	for j := 0; j < nb; j++ {
		VMOVUPS(Mem{Base: b}.Offset(32*j), bv[j])
	}
	for i := 0; i < R; i++ {
		t := YMM()
		VBROADCASTSS(rows[i], t)
		for j := 0; j < nb; j++ {
			VFMADD231PS(bv[j], t, acc[i][j])
		}
	}
	ADDQ(U32(4), a)
	ADDQ(ldb, b)
	DECQ(k)
	JMP(LabelRef(loop))
	Label(done)
	for i := 0; i < R; i++ {
		for j := 0; j < nb; j++ {
			o := Mem{Base: cp}.Offset(32 * j)
			VADDPS(o, acc[i][j], acc[i][j])
			VMOVUPS(acc[i][j], o)
		}
		if i < R-1 {
			ADDQ(ldc, cp)
		}
	}
	VZEROUPPER()
	RET()
}

func main() {
	ConstraintExpr("!purego")
	consts()
	sums()
	adds()
	decoders()
	products()
	rows4F64()
	stdShift()
	stdFold()
	for _, c := range []int{16, 8} {
		gemm(4, c)
		gemm(1, c)
	}
	Generate()
}
