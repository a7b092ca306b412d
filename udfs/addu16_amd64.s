//go:build !purego

#include "textflag.h"

// func addU16ToU32AVX2(dst []uint32, src []uint16)
// dst[i] += uint32(src[i]) for i < len(src); len(dst) >= len(src).
TEXT ·addU16ToU32AVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX

loop32:
	CMPQ CX, $32
	JL   loop8
	VPMOVZXWD (SI), Y0
	VPMOVZXWD 16(SI), Y1
	VPMOVZXWD 32(SI), Y2
	VPMOVZXWD 48(SI), Y3
	VPADDD    (DI), Y0, Y0
	VPADDD    32(DI), Y1, Y1
	VPADDD    64(DI), Y2, Y2
	VPADDD    96(DI), Y3, Y3
	VMOVDQU   Y0, (DI)
	VMOVDQU   Y1, 32(DI)
	VMOVDQU   Y2, 64(DI)
	VMOVDQU   Y3, 96(DI)
	ADDQ      $64, SI
	ADDQ      $128, DI
	SUBQ      $32, CX
	JMP       loop32

loop8:
	CMPQ      CX, $8
	JL        tail
	VPMOVZXWD (SI), Y0
	VPADDD    (DI), Y0, Y0
	VMOVDQU   Y0, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JMP       loop8

tail:
	TESTQ   CX, CX
	JE      done
	MOVWLZX (SI), AX
	ADDL    AX, (DI)
	ADDQ    $2, SI
	ADDQ    $4, DI
	DECQ    CX
	JMP     tail

done:
	VZEROUPPER
	RET

// func addRows4U16ToU32AVX2(dst []uint32, a, b, c, d []uint16)
// dst[i] += uint32(a[i]) + uint32(b[i]) + uint32(c[i]) + uint32(d[i]) for i < len(a);
// all slices at least len(a) long.
TEXT ·addRows4U16ToU32AVX2(SB), NOSPLIT, $0-120
	MOVQ dst_base+0(FP), DI
	MOVQ a_base+24(FP), R8
	MOVQ a_len+32(FP), CX
	MOVQ b_base+48(FP), R9
	MOVQ c_base+72(FP), R10
	MOVQ d_base+96(FP), R11

r4loop16:
	CMPQ      CX, $16
	JL        r4loop8
	VPMOVZXWD (R8), Y0
	VPMOVZXWD 16(R8), Y1
	VPMOVZXWD (R9), Y2
	VPMOVZXWD 16(R9), Y3
	VPADDD    Y2, Y0, Y0
	VPADDD    Y3, Y1, Y1
	VPMOVZXWD (R10), Y2
	VPMOVZXWD 16(R10), Y3
	VPADDD    Y2, Y0, Y0
	VPADDD    Y3, Y1, Y1
	VPMOVZXWD (R11), Y2
	VPMOVZXWD 16(R11), Y3
	VPADDD    Y2, Y0, Y0
	VPADDD    Y3, Y1, Y1
	VPADDD    (DI), Y0, Y0
	VPADDD    32(DI), Y1, Y1
	VMOVDQU   Y0, (DI)
	VMOVDQU   Y1, 32(DI)
	ADDQ      $32, R8
	ADDQ      $32, R9
	ADDQ      $32, R10
	ADDQ      $32, R11
	ADDQ      $64, DI
	SUBQ      $16, CX
	JMP       r4loop16

r4loop8:
	CMPQ      CX, $8
	JL        r4tail
	VPMOVZXWD (R8), Y0
	VPMOVZXWD (R9), Y2
	VPADDD    Y2, Y0, Y0
	VPMOVZXWD (R10), Y2
	VPADDD    Y2, Y0, Y0
	VPMOVZXWD (R11), Y2
	VPADDD    Y2, Y0, Y0
	VPADDD    (DI), Y0, Y0
	VMOVDQU   Y0, (DI)
	ADDQ      $16, R8
	ADDQ      $16, R9
	ADDQ      $16, R10
	ADDQ      $16, R11
	ADDQ      $32, DI
	SUBQ      $8, CX
	JMP       r4loop8

r4tail:
	TESTQ   CX, CX
	JE      r4done
	MOVWLZX (R8), AX
	MOVWLZX (R9), BX
	ADDL    BX, AX
	MOVWLZX (R10), BX
	ADDL    BX, AX
	MOVWLZX (R11), BX
	ADDL    BX, AX
	ADDL    AX, (DI)
	ADDQ    $2, R8
	ADDQ    $2, R9
	ADDQ    $2, R10
	ADDQ    $2, R11
	ADDQ    $4, DI
	DECQ    CX
	JMP     r4tail

r4done:
	VZEROUPPER
	RET

// func moments3U16AVX2(p []uint16, m, mx, my []float32) (s, sx, sy float32)
// s = Σ m[i]·p[i], sx = Σ mx[i]·p[i], sy = Σ my[i]·p[i] over i < len(p), in float32
// lanes (four sets of accumulators); m, mx, my at least len(p) long.
TEXT ·moments3U16AVX2(SB), NOSPLIT, $0-108
	MOVQ   p_base+0(FP), SI
	MOVQ   p_len+8(FP), CX
	MOVQ   m_base+24(FP), R8
	MOVQ   mx_base+48(FP), R9
	MOVQ   my_base+72(FP), R10
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

m3loop32:
	CMPQ        CX, $32
	JL          m3loop8
	VPMOVZXWD   (SI), Y12
	VPMOVZXWD   16(SI), Y13
	VPMOVZXWD   32(SI), Y14
	VPMOVZXWD   48(SI), Y15
	VCVTDQ2PS   Y12, Y12
	VCVTDQ2PS   Y13, Y13
	VCVTDQ2PS   Y14, Y14
	VCVTDQ2PS   Y15, Y15
	VFMADD231PS (R8), Y12, Y0
	VFMADD231PS 32(R8), Y13, Y3
	VFMADD231PS 64(R8), Y14, Y6
	VFMADD231PS 96(R8), Y15, Y9
	VFMADD231PS (R9), Y12, Y1
	VFMADD231PS 32(R9), Y13, Y4
	VFMADD231PS 64(R9), Y14, Y7
	VFMADD231PS 96(R9), Y15, Y10
	VFMADD231PS (R10), Y12, Y2
	VFMADD231PS 32(R10), Y13, Y5
	VFMADD231PS 64(R10), Y14, Y8
	VFMADD231PS 96(R10), Y15, Y11
	ADDQ        $64, SI
	ADDQ        $128, R8
	ADDQ        $128, R9
	ADDQ        $128, R10
	SUBQ        $32, CX
	JMP         m3loop32

m3loop8:
	CMPQ        CX, $8
	JL          m3reduce
	VPMOVZXWD   (SI), Y12
	VCVTDQ2PS   Y12, Y12
	VFMADD231PS (R8), Y12, Y0
	VFMADD231PS (R9), Y12, Y1
	VFMADD231PS (R10), Y12, Y2
	ADDQ        $16, SI
	ADDQ        $32, R8
	ADDQ        $32, R9
	ADDQ        $32, R10
	SUBQ        $8, CX
	JMP         m3loop8

m3reduce:
	VADDPS       Y3, Y0, Y0
	VADDPS       Y6, Y9, Y9
	VADDPS       Y9, Y0, Y0
	VADDPS       Y4, Y1, Y1
	VADDPS       Y7, Y10, Y10
	VADDPS       Y10, Y1, Y1
	VADDPS       Y5, Y2, Y2
	VADDPS       Y8, Y11, Y11
	VADDPS       Y11, Y2, Y2
	VEXTRACTF128 $1, Y0, X12
	VADDPS       X12, X0, X0
	VEXTRACTF128 $1, Y1, X13
	VADDPS       X13, X1, X1
	VEXTRACTF128 $1, Y2, X14
	VADDPS       X14, X2, X2
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X1, X1, X1
	VHADDPS      X1, X1, X1
	VHADDPS      X2, X2, X2
	VHADDPS      X2, X2, X2

m3tail:
	TESTQ       CX, CX
	JE          m3done
	MOVWLZX     (SI), AX
	VCVTSI2SSL  AX, X12, X12
	VFMADD231SS (R8), X12, X0
	VFMADD231SS (R9), X12, X1
	VFMADD231SS (R10), X12, X2
	ADDQ        $2, SI
	ADDQ        $4, R8
	ADDQ        $4, R9
	ADDQ        $4, R10
	DECQ        CX
	JMP         m3tail

m3done:
	VMOVSS     X0, s+96(FP)
	VMOVSS     X1, sx+100(FP)
	VMOVSS     X2, sy+104(FP)
	VZEROUPPER
	RET

// func comRowsU16AVX2(p []uint16, stride, rows, cols int, y0 float32, m, xs []float32) (s, sx, sy float32)
// For a rows × cols window of p (row r at p[r*stride:]) with 0/1 (or any) weights m
// (rows × cols) and column coordinates xs (cols): s = Σ m·p, sx = Σ xs·m·p,
// sy = Σ (y0+r)·m·p. cols must be a multiple of 8 and rows ≥ 1. The y weighting is
// applied once per row to the row's vector sum.
TEXT ·comRowsU16AVX2(SB), NOSPLIT, $0-116
	MOVQ         p_base+0(FP), SI
	MOVQ         stride+24(FP), DX
	MOVQ         rows+32(FP), BX
	MOVQ         cols+40(FP), R11
	VBROADCASTSS y0+48(FP), Y7
	MOVQ         m_base+56(FP), R8
	MOVQ         xs_base+80(FP), R12
	SHLQ         $1, DX
	MOVL         $0x3f800000, AX
	VMOVD        AX, X8
	VBROADCASTSS X8, Y8
	VXORPS       Y0, Y0, Y0
	VXORPS       Y1, Y1, Y1
	VXORPS       Y2, Y2, Y2
	VXORPS       Y5, Y5, Y5

crrow:
	TESTQ  BX, BX
	JE     crreduce
	MOVQ   SI, DI
	MOVQ   R12, R9
	MOVQ   R11, CX
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4

crloop16:
	CMPQ        CX, $16
	JL          crloop8
	VPMOVZXWD   (DI), Y9
	VPMOVZXWD   16(DI), Y10
	VCVTDQ2PS   Y9, Y9
	VCVTDQ2PS   Y10, Y10
	VMULPS      (R8), Y9, Y9
	VMULPS      32(R8), Y10, Y10
	VADDPS      Y9, Y3, Y3
	VADDPS      Y10, Y4, Y4
	VFMADD231PS (R9), Y9, Y1
	VFMADD231PS 32(R9), Y10, Y5
	ADDQ        $32, DI
	ADDQ        $64, R8
	ADDQ        $64, R9
	SUBQ        $16, CX
	JMP         crloop16

crloop8:
	CMPQ        CX, $8
	JL          crnext
	VPMOVZXWD   (DI), Y9
	VCVTDQ2PS   Y9, Y9
	VMULPS      (R8), Y9, Y9
	VADDPS      Y9, Y3, Y3
	VFMADD231PS (R9), Y9, Y1
	ADDQ        $16, DI
	ADDQ        $32, R8
	ADDQ        $32, R9
	SUBQ        $8, CX
	JMP         crloop8

crnext:
	VADDPS      Y4, Y3, Y3
	VADDPS      Y3, Y0, Y0
	VFMADD231PS Y7, Y3, Y2
	VADDPS      Y8, Y7, Y7
	ADDQ        DX, SI
	DECQ        BX
	JMP         crrow

crreduce:
	VADDPS       Y5, Y1, Y1
	VEXTRACTF128 $1, Y0, X12
	VADDPS       X12, X0, X0
	VEXTRACTF128 $1, Y1, X13
	VADDPS       X13, X1, X1
	VEXTRACTF128 $1, Y2, X14
	VADDPS       X14, X2, X2
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X1, X1, X1
	VHADDPS      X1, X1, X1
	VHADDPS      X2, X2, X2
	VHADDPS      X2, X2, X2
	VMOVSS       X0, s+104(FP)
	VMOVSS       X1, sx+108(FP)
	VMOVSS       X2, sy+112(FP)
	VZEROUPPER
	RET

// func comRowsF32AVX2(p []float32, stride, rows, cols int, y0 float32, m, xs []float32) (s, sx, sy float32)
// For a rows × cols window of p (row r at p[r*stride:]) with 0/1 (or any) weights m
// (rows × cols) and column coordinates xs (cols): s = Σ m·p, sx = Σ xs·m·p,
// sy = Σ (y0+r)·m·p. cols must be a multiple of 8 and rows ≥ 1. The y weighting is
// applied once per row to the row's vector sum.
TEXT ·comRowsF32AVX2(SB), NOSPLIT, $0-116
	MOVQ         p_base+0(FP), SI
	MOVQ         stride+24(FP), DX
	MOVQ         rows+32(FP), BX
	MOVQ         cols+40(FP), R11
	VBROADCASTSS y0+48(FP), Y7
	MOVQ         m_base+56(FP), R8
	MOVQ         xs_base+80(FP), R12
	SHLQ         $2, DX
	MOVL         $0x3f800000, AX
	VMOVD        AX, X8
	VBROADCASTSS X8, Y8
	VXORPS       Y0, Y0, Y0
	VXORPS       Y1, Y1, Y1
	VXORPS       Y2, Y2, Y2
	VXORPS       Y5, Y5, Y5

cfrow:
	TESTQ  BX, BX
	JE     cfreduce
	MOVQ   SI, DI
	MOVQ   R12, R9
	MOVQ   R11, CX
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4

cfloop16:
	CMPQ        CX, $16
	JL          cfloop8
	VMOVUPS     (DI), Y9
	VMOVUPS     32(DI), Y10
	VMULPS      (R8), Y9, Y9
	VMULPS      32(R8), Y10, Y10
	VADDPS      Y9, Y3, Y3
	VADDPS      Y10, Y4, Y4
	VFMADD231PS (R9), Y9, Y1
	VFMADD231PS 32(R9), Y10, Y5
	ADDQ        $64, DI
	ADDQ        $64, R8
	ADDQ        $64, R9
	SUBQ        $16, CX
	JMP         cfloop16

cfloop8:
	CMPQ        CX, $8
	JL          cfnext
	VMOVUPS     (DI), Y9
	VMULPS      (R8), Y9, Y9
	VADDPS      Y9, Y3, Y3
	VFMADD231PS (R9), Y9, Y1
	ADDQ        $32, DI
	ADDQ        $32, R8
	ADDQ        $32, R9
	SUBQ        $8, CX
	JMP         cfloop8

cfnext:
	VADDPS      Y4, Y3, Y3
	VADDPS      Y3, Y0, Y0
	VFMADD231PS Y7, Y3, Y2
	VADDPS      Y8, Y7, Y7
	ADDQ        DX, SI
	DECQ        BX
	JMP         cfrow

cfreduce:
	VADDPS       Y5, Y1, Y1
	VEXTRACTF128 $1, Y0, X12
	VADDPS       X12, X0, X0
	VEXTRACTF128 $1, Y1, X13
	VADDPS       X13, X1, X1
	VEXTRACTF128 $1, Y2, X14
	VADDPS       X14, X2, X2
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X1, X1, X1
	VHADDPS      X1, X1, X1
	VHADDPS      X2, X2, X2
	VHADDPS      X2, X2, X2
	VMOVSS       X0, s+104(FP)
	VMOVSS       X1, sx+108(FP)
	VMOVSS       X2, sy+112(FP)
	VZEROUPPER
	RET

// func comRowsF32OnesAVX2(p []float32, stride, rows, cols int, y0 float32, m, xs []float32) (s, sx, sy float32)
// comRowsF32AVX2 with every weight 1 (m is not read): s = Σ p, sx = Σ xs·p,
// sy = Σ (y0+r)·p, bit-identical to comRowsF32AVX2 with an all-ones m (1·p = p).
TEXT ·comRowsF32OnesAVX2(SB), NOSPLIT, $0-116
	MOVQ         p_base+0(FP), SI
	MOVQ         stride+24(FP), DX
	MOVQ         rows+32(FP), BX
	MOVQ         cols+40(FP), R11
	VBROADCASTSS y0+48(FP), Y7
	MOVQ         xs_base+80(FP), R12
	SHLQ         $2, DX
	MOVL         $0x3f800000, AX
	VMOVD        AX, X8
	VBROADCASTSS X8, Y8
	VXORPS       Y0, Y0, Y0
	VXORPS       Y1, Y1, Y1
	VXORPS       Y2, Y2, Y2
	VXORPS       Y5, Y5, Y5

cforow:
	TESTQ  BX, BX
	JE     cforeduce
	MOVQ   SI, DI
	MOVQ   R12, R9
	MOVQ   R11, CX
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4

cfoloop16:
	CMPQ        CX, $16
	JL          cfoloop8
	VMOVUPS     (DI), Y9
	VMOVUPS     32(DI), Y10
	VADDPS      Y9, Y3, Y3
	VADDPS      Y10, Y4, Y4
	VFMADD231PS (R9), Y9, Y1
	VFMADD231PS 32(R9), Y10, Y5
	ADDQ        $64, DI
	ADDQ        $64, R9
	SUBQ        $16, CX
	JMP         cfoloop16

cfoloop8:
	CMPQ        CX, $8
	JL          cfonext
	VMOVUPS     (DI), Y9
	VADDPS      Y9, Y3, Y3
	VFMADD231PS (R9), Y9, Y1
	ADDQ        $32, DI
	ADDQ        $32, R9
	SUBQ        $8, CX
	JMP         cfoloop8

cfonext:
	VADDPS      Y4, Y3, Y3
	VADDPS      Y3, Y0, Y0
	VFMADD231PS Y7, Y3, Y2
	VADDPS      Y8, Y7, Y7
	ADDQ        DX, SI
	DECQ        BX
	JMP         cforow

cforeduce:
	VADDPS       Y5, Y1, Y1
	VEXTRACTF128 $1, Y0, X12
	VADDPS       X12, X0, X0
	VEXTRACTF128 $1, Y1, X13
	VADDPS       X13, X1, X1
	VEXTRACTF128 $1, Y2, X14
	VADDPS       X14, X2, X2
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X1, X1, X1
	VHADDPS      X1, X1, X1
	VHADDPS      X2, X2, X2
	VHADDPS      X2, X2, X2
	VMOVSS       X0, s+104(FP)
	VMOVSS       X1, sx+108(FP)
	VMOVSS       X2, sy+112(FP)
	VZEROUPPER
	RET

// func comRowsU16OnesAVX2(p []uint16, stride, rows, cols int, y0 float32, m, xs []float32) (s, sx, sy float32)
// comRowsU16AVX2 with every weight 1 (m is not read), bit-identical to it with an
// all-ones m.
TEXT ·comRowsU16OnesAVX2(SB), NOSPLIT, $0-116
	MOVQ         p_base+0(FP), SI
	MOVQ         stride+24(FP), DX
	MOVQ         rows+32(FP), BX
	MOVQ         cols+40(FP), R11
	VBROADCASTSS y0+48(FP), Y7
	MOVQ         xs_base+80(FP), R12
	SHLQ         $1, DX
	MOVL         $0x3f800000, AX
	VMOVD        AX, X8
	VBROADCASTSS X8, Y8
	VXORPS       Y0, Y0, Y0
	VXORPS       Y1, Y1, Y1
	VXORPS       Y2, Y2, Y2
	VXORPS       Y5, Y5, Y5

crorow:
	TESTQ  BX, BX
	JE     croreduce
	MOVQ   SI, DI
	MOVQ   R12, R9
	MOVQ   R11, CX
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4

croloop16:
	CMPQ        CX, $16
	JL          croloop8
	VPMOVZXWD   (DI), Y9
	VPMOVZXWD   16(DI), Y10
	VCVTDQ2PS   Y9, Y9
	VCVTDQ2PS   Y10, Y10
	VADDPS      Y9, Y3, Y3
	VADDPS      Y10, Y4, Y4
	VFMADD231PS (R9), Y9, Y1
	VFMADD231PS 32(R9), Y10, Y5
	ADDQ        $32, DI
	ADDQ        $64, R9
	SUBQ        $16, CX
	JMP         croloop16

croloop8:
	CMPQ        CX, $8
	JL          cronext
	VPMOVZXWD   (DI), Y9
	VCVTDQ2PS   Y9, Y9
	VADDPS      Y9, Y3, Y3
	VFMADD231PS (R9), Y9, Y1
	ADDQ        $16, DI
	ADDQ        $32, R9
	SUBQ        $8, CX
	JMP         croloop8

cronext:
	VADDPS      Y4, Y3, Y3
	VADDPS      Y3, Y0, Y0
	VFMADD231PS Y7, Y3, Y2
	VADDPS      Y8, Y7, Y7
	ADDQ        DX, SI
	DECQ        BX
	JMP         crorow

croreduce:
	VADDPS       Y5, Y1, Y1
	VEXTRACTF128 $1, Y0, X12
	VADDPS       X12, X0, X0
	VEXTRACTF128 $1, Y1, X13
	VADDPS       X13, X1, X1
	VEXTRACTF128 $1, Y2, X14
	VADDPS       X14, X2, X2
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X1, X1, X1
	VHADDPS      X1, X1, X1
	VHADDPS      X2, X2, X2
	VHADDPS      X2, X2, X2
	VMOVSS       X0, s+104(FP)
	VMOVSS       X1, sx+108(FP)
	VMOVSS       X2, sy+112(FP)
	VZEROUPPER
	RET
