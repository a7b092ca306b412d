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
