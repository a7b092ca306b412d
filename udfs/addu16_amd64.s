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
