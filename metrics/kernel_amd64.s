//go:build !purego

#include "textflag.h"

// The packed micro-kernel, in two variants that differ only in software
// prefetch: its parts are macros.
//
// Accumulators live in Z4-Z14 and Z16-Z28; Z15 (X15, Go's zero register in
// ABIInternal) is never touched. Registers: CX rows left, SI/R10/R11 the
// three A panels, R8 scratch, R12 one row of A in bytes, R13 three rows, AX
// four rows, DI the B panel, DX the C block, R9 its row stride, BX passes of
// four rows left.

// KENTER loads the arguments, prefetches the 8x24 block of C the kernel
// ends in (usually far away in the output: the loads would otherwise stall
// the store), clears the accumulators and splits kc into passes of four.
#define KENTER \
	MOVQ kc+0(FP), CX; \
	MOVQ a+8(FP), SI; \
	MOVQ ps+16(FP), R8; \
	SHLQ $3, R8; \
	MOVQ rs+24(FP), R12; \
	SHLQ $3, R12; \
	MOVQ b+32(FP), DI; \
	MOVQ c+40(FP), DX; \
	MOVQ ldc+48(FP), R9; \
	SHLQ $3, R9; \
	LEAQ (SI)(R8*1), R10; \
	LEAQ (R10)(R8*1), R11; \
	MOVQ DX, AX; \
	PREFETCHT0 0(AX); \
	PREFETCHT0 64(AX); \
	PREFETCHT0 128(AX); \
	ADDQ R9, AX; \
	PREFETCHT0 0(AX); \
	PREFETCHT0 64(AX); \
	PREFETCHT0 128(AX); \
	ADDQ R9, AX; \
	PREFETCHT0 0(AX); \
	PREFETCHT0 64(AX); \
	PREFETCHT0 128(AX); \
	ADDQ R9, AX; \
	PREFETCHT0 0(AX); \
	PREFETCHT0 64(AX); \
	PREFETCHT0 128(AX); \
	ADDQ R9, AX; \
	PREFETCHT0 0(AX); \
	PREFETCHT0 64(AX); \
	PREFETCHT0 128(AX); \
	ADDQ R9, AX; \
	PREFETCHT0 0(AX); \
	PREFETCHT0 64(AX); \
	PREFETCHT0 128(AX); \
	ADDQ R9, AX; \
	PREFETCHT0 0(AX); \
	PREFETCHT0 64(AX); \
	PREFETCHT0 128(AX); \
	ADDQ R9, AX; \
	PREFETCHT0 0(AX); \
	PREFETCHT0 64(AX); \
	PREFETCHT0 128(AX); \
	LEAQ (R12)(R12*2), R13; \
	MOVQ R12, AX; \
	SHLQ $2, AX; \
	VPXORQ Z4, Z4, Z4; \
	VPXORQ Z5, Z5, Z5; \
	VPXORQ Z6, Z6, Z6; \
	VPXORQ Z7, Z7, Z7; \
	VPXORQ Z8, Z8, Z8; \
	VPXORQ Z9, Z9, Z9; \
	VPXORQ Z10, Z10, Z10; \
	VPXORQ Z11, Z11, Z11; \
	VPXORQ Z12, Z12, Z12; \
	VPXORQ Z13, Z13, Z13; \
	VPXORQ Z14, Z14, Z14; \
	VPXORQ Z16, Z16, Z16; \
	VPXORQ Z17, Z17, Z17; \
	VPXORQ Z18, Z18, Z18; \
	VPXORQ Z19, Z19, Z19; \
	VPXORQ Z20, Z20, Z20; \
	VPXORQ Z21, Z21, Z21; \
	VPXORQ Z22, Z22, Z22; \
	VPXORQ Z23, Z23, Z23; \
	VPXORQ Z24, Z24, Z24; \
	VPXORQ Z25, Z25, Z25; \
	VPXORQ Z26, Z26, Z26; \
	VPXORQ Z27, Z27, Z27; \
	VPXORQ Z28, Z28, Z28; \
	MOVQ CX, BX; \
	SHRQ $2, BX; \
	ANDQ $3, CX

// KSTEP adds one row: A0-A2 address its 24 A values, B is the row's byte
// offset in the B panel.
#define KSTEP(A0, A1, A2, B) \
	VMOVUPD A0, Z0; \
	VMOVUPD A1, Z1; \
	VMOVUPD A2, Z2; \
	VBROADCASTSD (B+0)(DI), Z3; \
	VFMADD231PD Z0, Z3, Z4; \
	VFMADD231PD Z1, Z3, Z5; \
	VFMADD231PD Z2, Z3, Z6; \
	VBROADCASTSD (B+8)(DI), Z29; \
	VFMADD231PD Z0, Z29, Z7; \
	VFMADD231PD Z1, Z29, Z8; \
	VFMADD231PD Z2, Z29, Z9; \
	VBROADCASTSD (B+16)(DI), Z3; \
	VFMADD231PD Z0, Z3, Z10; \
	VFMADD231PD Z1, Z3, Z11; \
	VFMADD231PD Z2, Z3, Z12; \
	VBROADCASTSD (B+24)(DI), Z29; \
	VFMADD231PD Z0, Z29, Z13; \
	VFMADD231PD Z1, Z29, Z14; \
	VFMADD231PD Z2, Z29, Z16; \
	VBROADCASTSD (B+32)(DI), Z3; \
	VFMADD231PD Z0, Z3, Z17; \
	VFMADD231PD Z1, Z3, Z18; \
	VFMADD231PD Z2, Z3, Z19; \
	VBROADCASTSD (B+40)(DI), Z29; \
	VFMADD231PD Z0, Z29, Z20; \
	VFMADD231PD Z1, Z29, Z21; \
	VFMADD231PD Z2, Z29, Z22; \
	VBROADCASTSD (B+48)(DI), Z3; \
	VFMADD231PD Z0, Z3, Z23; \
	VFMADD231PD Z1, Z3, Z24; \
	VFMADD231PD Z2, Z3, Z25; \
	VBROADCASTSD (B+56)(DI), Z29; \
	VFMADD231PD Z0, Z29, Z26; \
	VFMADD231PD Z1, Z29, Z27; \
	VFMADD231PD Z2, Z29, Z28

// KFOUR adds four rows and moves the pointers past them.
#define KFOUR \
	KSTEP((SI), (R10), (R11), 0); \
	KSTEP((SI)(R12*1), (R10)(R12*1), (R11)(R12*1), 64); \
	KSTEP((SI)(R12*2), (R10)(R12*2), (R11)(R12*2), 128); \
	KSTEP((SI)(R13*1), (R10)(R13*1), (R11)(R13*1), 192); \
	ADDQ AX, SI; \
	ADDQ AX, R10; \
	ADDQ AX, R11; \
	ADDQ $256, DI

// KONE adds one row and moves the pointers past it.
#define KONE \
	KSTEP((SI), (R10), (R11), 0); \
	ADDQ R12, SI; \
	ADDQ R12, R10; \
	ADDQ R12, R11; \
	ADDQ $64, DI

// KSTORE adds the accumulators to the C block.
#define KSTORE \
	VADDPD 0(DX), Z4, Z4; \
	VMOVUPD Z4, 0(DX); \
	VADDPD 64(DX), Z5, Z5; \
	VMOVUPD Z5, 64(DX); \
	VADDPD 128(DX), Z6, Z6; \
	VMOVUPD Z6, 128(DX); \
	ADDQ R9, DX; \
	VADDPD 0(DX), Z7, Z7; \
	VMOVUPD Z7, 0(DX); \
	VADDPD 64(DX), Z8, Z8; \
	VMOVUPD Z8, 64(DX); \
	VADDPD 128(DX), Z9, Z9; \
	VMOVUPD Z9, 128(DX); \
	ADDQ R9, DX; \
	VADDPD 0(DX), Z10, Z10; \
	VMOVUPD Z10, 0(DX); \
	VADDPD 64(DX), Z11, Z11; \
	VMOVUPD Z11, 64(DX); \
	VADDPD 128(DX), Z12, Z12; \
	VMOVUPD Z12, 128(DX); \
	ADDQ R9, DX; \
	VADDPD 0(DX), Z13, Z13; \
	VMOVUPD Z13, 0(DX); \
	VADDPD 64(DX), Z14, Z14; \
	VMOVUPD Z14, 64(DX); \
	VADDPD 128(DX), Z16, Z16; \
	VMOVUPD Z16, 128(DX); \
	ADDQ R9, DX; \
	VADDPD 0(DX), Z17, Z17; \
	VMOVUPD Z17, 0(DX); \
	VADDPD 64(DX), Z18, Z18; \
	VMOVUPD Z18, 64(DX); \
	VADDPD 128(DX), Z19, Z19; \
	VMOVUPD Z19, 128(DX); \
	ADDQ R9, DX; \
	VADDPD 0(DX), Z20, Z20; \
	VMOVUPD Z20, 0(DX); \
	VADDPD 64(DX), Z21, Z21; \
	VMOVUPD Z21, 64(DX); \
	VADDPD 128(DX), Z22, Z22; \
	VMOVUPD Z22, 128(DX); \
	ADDQ R9, DX; \
	VADDPD 0(DX), Z23, Z23; \
	VMOVUPD Z23, 0(DX); \
	VADDPD 64(DX), Z24, Z24; \
	VMOVUPD Z24, 64(DX); \
	VADDPD 128(DX), Z25, Z25; \
	VMOVUPD Z25, 128(DX); \
	ADDQ R9, DX; \
	VADDPD 0(DX), Z26, Z26; \
	VMOVUPD Z26, 0(DX); \
	VADDPD 64(DX), Z27, Z27; \
	VMOVUPD Z27, 64(DX); \
	VADDPD 128(DX), Z28, Z28; \
	VMOVUPD Z28, 128(DX); \
	VZEROUPPER

// func kern24x8AVX512(kc int, a *float64, ps, rs int, b *float64, c *float64, ldc int)
//
// For r < kc, i < 24, j < 8:  C[j*ldc+i] += B[r*8+j] * A[(i/8)*ps + r*rs + i%8].
TEXT ·kern24x8AVX512(SB), NOSPLIT, $0-56
	KENTER
	TESTQ BX, BX
	JZ kern24x8AVX512tail
kern24x8AVX512loop4:
	KFOUR
	DECQ BX
	JNZ kern24x8AVX512loop4
kern24x8AVX512tail:
	TESTQ CX, CX
	JZ kern24x8AVX512store
kern24x8AVX512loop1:
	KONE
	DECQ CX
	JNZ kern24x8AVX512loop1
kern24x8AVX512store:
	KSTORE
	RET

// func kern24x8pfAVX512(kc int, a *float64, ps, rs int, b *float64, c *float64, ldc int)
//
// kern24x8AVX512 for A read in place from a row-major matrix: each pass of
// four rows prefetches the A rows eight ahead, a stride the hardware
// prefetchers do not follow across pages.
TEXT ·kern24x8pfAVX512(SB), NOSPLIT, $0-56
	KENTER
	TESTQ BX, BX
	JZ kern24x8pfAVX512tail
kern24x8pfAVX512loop4:
	LEAQ (SI)(AX*2), R8
	PREFETCHT0 (R8)
	PREFETCHT0 (R8)(R12*1)
	PREFETCHT0 (R8)(R12*2)
	PREFETCHT0 (R8)(R13*1)
	LEAQ (R10)(AX*2), R8
	PREFETCHT0 (R8)
	PREFETCHT0 (R8)(R12*1)
	PREFETCHT0 (R8)(R12*2)
	PREFETCHT0 (R8)(R13*1)
	LEAQ (R11)(AX*2), R8
	PREFETCHT0 (R8)
	PREFETCHT0 (R8)(R12*1)
	PREFETCHT0 (R8)(R12*2)
	PREFETCHT0 (R8)(R13*1)
	KFOUR
	DECQ BX
	JNZ kern24x8pfAVX512loop4
kern24x8pfAVX512tail:
	TESTQ CX, CX
	JZ kern24x8pfAVX512store
kern24x8pfAVX512loop1:
	KONE
	DECQ CX
	JNZ kern24x8pfAVX512loop1
kern24x8pfAVX512store:
	KSTORE
	RET

// HSUMZ0 adds the eight lanes of Z0 into X0's low lane (clobbers Y1).
#define HSUMZ0 \
	VEXTRACTF64X4 $1, Z0, Y1; \
	VADDPD Y1, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPD X1, X0, X0; \
	VPERMILPD $1, X0, X1; \
	VADDSD X1, X0, X0

// LANEMASK sets K1 to the lanes below N%8, the tail of a vector of N
// values (clobbers AX and CX).
#define LANEMASK(N) \
	MOVQ N, CX; \
	ANDQ $7, CX; \
	MOVL $1, AX; \
	SHLL CX, AX; \
	DECL AX; \
	KMOVB AX, K1

// func dotAVX512(n int, x, y *float64) float64
//
// Any n; the last n%32 values go 8 at a time, then through a lane mask.
TEXT ·dotAVX512(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	MOVQ CX, R8
	ANDQ $31, R8
	SHRQ $5, CX
	JZ dottail
dotloop:
	VMOVUPD 0(SI), Z4
	VMOVUPD 64(SI), Z5
	VMOVUPD 128(SI), Z6
	VMOVUPD 192(SI), Z7
	VFMADD231PD 0(DI), Z4, Z0
	VFMADD231PD 64(DI), Z5, Z1
	VFMADD231PD 128(DI), Z6, Z2
	VFMADD231PD 192(DI), Z7, Z3
	ADDQ $256, SI
	ADDQ $256, DI
	DECQ CX
	JNZ dotloop
dottail:
	CMPQ R8, $8
	JLT dotmask
	VMOVUPD 0(SI), Z4
	VFMADD231PD 0(DI), Z4, Z0
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $8, R8
	JMP dottail
dotmask:
	TESTQ R8, R8
	JZ dotdone
	LANEMASK(R8)
	VMOVUPD.Z 0(SI), K1, Z4
	VMOVUPD.Z 0(DI), K1, Z5
	VFMADD231PD Z5, Z4, Z1
dotdone:
	VADDPD Z1, Z0, Z0
	VADDPD Z3, Z2, Z2
	VADDPD Z2, Z0, Z0
	HSUMZ0
	VZEROUPPER
	MOVSD X0, ret+24(FP)
	RET

// func dotAxpyAVX512(n int, a, x, y *float64, alpha float64) float64
//
// Returns sum a[i]*x[i] and adds alpha*a[i] to y[i], for i < n (any n;
// the last n%8 through a lane mask).
TEXT ·dotAxpyAVX512(SB), NOSPLIT, $0-48
	MOVQ n+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ x+16(FP), DI
	MOVQ y+24(FP), DX
	VBROADCASTSD alpha+32(FP), Z6
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	MOVQ CX, R8
	ANDQ $15, R8
	SHRQ $4, CX
	JZ datail
daloop:
	VMOVUPD (SI), Z2
	VMOVUPD 64(SI), Z3
	VFMADD231PD (DI), Z2, Z0
	VFMADD231PD 64(DI), Z3, Z1
	VMOVUPD (DX), Z4
	VMOVUPD 64(DX), Z5
	VFMADD231PD Z2, Z6, Z4
	VFMADD231PD Z3, Z6, Z5
	VMOVUPD Z4, (DX)
	VMOVUPD Z5, 64(DX)
	ADDQ $128, SI
	ADDQ $128, DI
	ADDQ $128, DX
	DECQ CX
	JNZ daloop
datail:
	CMPQ R8, $8
	JLT damask
	VMOVUPD (SI), Z2
	VFMADD231PD (DI), Z2, Z0
	VMOVUPD (DX), Z4
	VFMADD231PD Z2, Z6, Z4
	VMOVUPD Z4, (DX)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, DX
	SUBQ $8, R8
	JMP datail
damask:
	TESTQ R8, R8
	JZ dadone
	LANEMASK(R8)
	VMOVUPD.Z (SI), K1, Z2
	VMOVUPD.Z (DI), K1, Z3
	VFMADD231PD Z3, Z2, Z1
	VMOVUPD.Z (DX), K1, Z4
	VFMADD231PD Z2, Z6, Z4
	VMOVUPD Z4, K1, (DX)
dadone:
	VADDPD Z1, Z0, Z0
	HSUMZ0
	VZEROUPPER
	MOVSD X0, ret+40(FP)
	RET

// func axpyAVX512(n int, alpha float64, x, y *float64)
//
// y[i] += alpha*x[i] for i < n (any n; the last n%8 through a lane mask).
TEXT ·axpyAVX512(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	VBROADCASTSD alpha+8(FP), Z6
	MOVQ x+16(FP), SI
	MOVQ y+24(FP), DX
	MOVQ CX, R8
	ANDQ $15, R8
	SHRQ $4, CX
	JZ axtail
axloop:
	VMOVUPD (DX), Z4
	VMOVUPD 64(DX), Z5
	VFMADD231PD (SI), Z6, Z4
	VFMADD231PD 64(SI), Z6, Z5
	VMOVUPD Z4, (DX)
	VMOVUPD Z5, 64(DX)
	ADDQ $128, SI
	ADDQ $128, DX
	DECQ CX
	JNZ axloop
axtail:
	CMPQ R8, $8
	JLT axmask
	VMOVUPD (DX), Z4
	VFMADD231PD (SI), Z6, Z4
	VMOVUPD Z4, (DX)
	ADDQ $64, SI
	ADDQ $64, DX
	SUBQ $8, R8
	JMP axtail
axmask:
	TESTQ R8, R8
	JZ axdone
	LANEMASK(R8)
	VMOVUPD.Z (SI), K1, Z5
	VMOVUPD.Z (DX), K1, Z4
	VFMADD231PD Z5, Z6, Z4
	VMOVUPD Z4, K1, (DX)
axdone:
	VZEROUPPER
	RET

// func centerRow32AVX512(np int, src *float32, mean *float64, dst *float64, dstStride int)
//
// For q < np, i < 8:  dst[q*dstStride + i] = float64(src[8q+i]) - mean[8q+i].
TEXT ·centerRow32AVX512(SB), NOSPLIT, $0-40
	MOVQ np+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ mean+16(FP), R8
	MOVQ dst+24(FP), DI
	MOVQ dstStride+32(FP), R9
	SHLQ $3, R9
	TESTQ CX, CX
	JZ crdone
crloop:
	VCVTPS2PD (SI), Z0
	VSUBPD (R8), Z0, Z0
	VMOVUPD Z0, (DI)
	ADDQ $32, SI
	ADDQ $64, R8
	ADDQ R9, DI
	DECQ CX
	JNZ crloop
crdone:
	VZEROUPPER
	RET

// func reflRowsAVX512(rows int, a *float64, ld int, v *float64, n int, alpha float64)
//
// For each of rows rows r of n values at a + r*ld: r += alpha*(r.v)*v. The
// last n%8 values go through a lane mask.
TEXT ·reflRowsAVX512(SB), NOSPLIT, $0-48
	MOVQ rows+0(FP), BX
	MOVQ a+8(FP), SI
	MOVQ ld+16(FP), R9
	SHLQ $3, R9
	MOVQ v+24(FP), DI
	MOVQ n+32(FP), R8
	VBROADCASTSD alpha+40(FP), Z6
	LANEMASK(R8)
	MOVQ R8, R10
	SHRQ $3, R10
	TESTQ BX, BX
	JZ rrdone
rrrow:
	VPXORQ Z0, Z0, Z0
	MOVQ SI, R11
	MOVQ DI, R12
	MOVQ R10, DX
	TESTQ DX, DX
	JZ rrdtail
rrdot:
	VMOVUPD (R11), Z1
	VFMADD231PD (R12), Z1, Z0
	ADDQ $64, R11
	ADDQ $64, R12
	DECQ DX
	JNZ rrdot
rrdtail:
	VMOVUPD.Z (R11), K1, Z1
	VMOVUPD.Z (R12), K1, Z2
	VFMADD231PD Z2, Z1, Z0
	HSUMZ0
	VMULSD X6, X0, X0
	VBROADCASTSD X0, Z3
	MOVQ SI, R11
	MOVQ DI, R12
	MOVQ R10, DX
	TESTQ DX, DX
	JZ rratail
rraxpy:
	VMOVUPD (R11), Z1
	VFMADD231PD (R12), Z3, Z1
	VMOVUPD Z1, (R11)
	ADDQ $64, R11
	ADDQ $64, R12
	DECQ DX
	JNZ rraxpy
rratail:
	VMOVUPD.Z (R11), K1, Z1
	VMOVUPD.Z (R12), K1, Z2
	VFMADD231PD Z2, Z3, Z1
	VMOVUPD Z1, K1, (R11)
	ADDQ R9, SI
	DECQ BX
	JNZ rrrow
rrdone:
	VZEROUPPER
	RET

// func reflColsAVX512(rows int, a *float64, ld int, v *float64, n int, alpha float64, acc *float64)
//
// With the rows r_i of n values at a + i*ld, i < rows: acc = sum_i v[i]*r_i,
// then r_i += alpha*v[i]*acc: a reflector on the rows, applied from the
// left when alpha = -tau. The last n%8 values go through a lane mask.
TEXT ·reflColsAVX512(SB), NOSPLIT, $0-56
	MOVQ rows+0(FP), BX
	MOVQ a+8(FP), SI
	MOVQ ld+16(FP), R9
	SHLQ $3, R9
	MOVQ v+24(FP), DI
	MOVQ n+32(FP), R8
	VBROADCASTSD alpha+40(FP), Z6
	MOVQ acc+48(FP), DX
	LANEMASK(R8)
	SHRQ $3, R8
	VPXORQ Z0, Z0, Z0
	// acc = 0
	MOVQ DX, R10
	MOVQ R8, CX
	TESTQ CX, CX
	JZ rczt
rcz:
	VMOVUPD Z0, (R10)
	ADDQ $64, R10
	DECQ CX
	JNZ rcz
rczt:
	VMOVUPD Z0, K1, (R10)
	// acc += v[i] * r_i
	MOVQ SI, R13
	XORQ R12, R12
rc1row:
	CMPQ R12, BX
	JGE rc2
	VBROADCASTSD (DI)(R12*8), Z3
	MOVQ R13, R11
	MOVQ DX, R10
	MOVQ R8, CX
	TESTQ CX, CX
	JZ rc1t
rc1:
	VMOVUPD (R10), Z1
	VFMADD231PD (R11), Z3, Z1
	VMOVUPD Z1, (R10)
	ADDQ $64, R10
	ADDQ $64, R11
	DECQ CX
	JNZ rc1
rc1t:
	VMOVUPD.Z (R10), K1, Z1
	VMOVUPD.Z (R11), K1, Z2
	VFMADD231PD Z2, Z3, Z1
	VMOVUPD Z1, K1, (R10)
	ADDQ R9, R13
	INCQ R12
	JMP rc1row
rc2:
	// r_i += alpha*v[i] * acc
	MOVQ SI, R13
	XORQ R12, R12
rc2row:
	CMPQ R12, BX
	JGE rcdone
	VBROADCASTSD (DI)(R12*8), Z3
	VMULPD Z6, Z3, Z3
	MOVQ R13, R11
	MOVQ DX, R10
	MOVQ R8, CX
	TESTQ CX, CX
	JZ rc2t
rc2l:
	VMOVUPD (R11), Z1
	VFMADD231PD (R10), Z3, Z1
	VMOVUPD Z1, (R11)
	ADDQ $64, R10
	ADDQ $64, R11
	DECQ CX
	JNZ rc2l
rc2t:
	VMOVUPD.Z (R11), K1, Z1
	VMOVUPD.Z (R10), K1, Z2
	VFMADD231PD Z2, Z3, Z1
	VMOVUPD Z1, K1, (R11)
	ADDQ R9, R13
	INCQ R12
	JMP rc2row
rcdone:
	VZEROUPPER
	RET

// func symvLowerAVX512(nv int, a *float64, ld int, v, y *float64)
//
// y += D v for the symmetric nv x nv block D whose lower triangle is row i,
// entries 0..i, at a + i*ld. Row i adds its dot product with v to y[i] and
// v[i] times its strict part to y[0..i-1].
TEXT ·symvLowerAVX512(SB), NOSPLIT, $0-40
	MOVQ nv+0(FP), BX
	MOVQ a+8(FP), SI
	MOVQ ld+16(FP), R9
	SHLQ $3, R9
	MOVQ v+24(FP), DI
	MOVQ y+32(FP), DX
	XORQ R13, R13
svrow:
	CMPQ R13, BX
	JGE svdone
	VBROADCASTSD (DI)(R13*8), Z3
	VPXORQ Z0, Z0, Z0
	MOVQ SI, R11
	MOVQ DI, R12
	MOVQ DX, R10
	MOVQ R13, R8
	SHRQ $3, R8
	JZ svtail
svloop:
	VMOVUPD (R11), Z1
	VFMADD231PD (R12), Z1, Z0
	VMOVUPD (R10), Z2
	VFMADD231PD Z1, Z3, Z2
	VMOVUPD Z2, (R10)
	ADDQ $64, R11
	ADDQ $64, R12
	ADDQ $64, R10
	DECQ R8
	JNZ svloop
svtail:
	LANEMASK(R13)
	VMOVUPD.Z (R11), K1, Z1
	VMOVUPD.Z (R12), K1, Z4
	VFMADD231PD Z4, Z1, Z0
	VMOVUPD.Z (R10), K1, Z2
	VFMADD231PD Z1, Z3, Z2
	VMOVUPD Z2, K1, (R10)
	HSUMZ0
	VMOVSD (SI)(R13*8), X1
	VFMADD231SD X1, X3, X0
	VADDSD (DX)(R13*8), X0, X0
	VMOVSD X0, (DX)(R13*8)
	ADDQ R9, SI
	INCQ R13
	JMP svrow
svdone:
	VZEROUPPER
	RET

// func syr2LowerAVX512(nv int, a *float64, ld int, v, w *float64)
//
// D -= v w^T + w v^T on the lower triangle of the nv x nv block D (row i,
// entries 0..i, at a + i*ld).
TEXT ·syr2LowerAVX512(SB), NOSPLIT, $0-40
	MOVQ nv+0(FP), BX
	MOVQ a+8(FP), SI
	MOVQ ld+16(FP), R9
	SHLQ $3, R9
	MOVQ v+24(FP), DI
	MOVQ w+32(FP), DX
	XORQ R13, R13
s2row:
	CMPQ R13, BX
	JGE s2done
	VBROADCASTSD (DI)(R13*8), Z3
	VBROADCASTSD (DX)(R13*8), Z5
	MOVQ SI, R11
	MOVQ DI, R12
	MOVQ DX, R10
	LEAQ 1(R13), R8
	MOVQ R8, CX
	SHRQ $3, R8
	JZ s2tail
s2loop:
	VMOVUPD (R11), Z1
	VFNMADD231PD (R10), Z3, Z1
	VFNMADD231PD (R12), Z5, Z1
	VMOVUPD Z1, (R11)
	ADDQ $64, R11
	ADDQ $64, R12
	ADDQ $64, R10
	DECQ R8
	JNZ s2loop
s2tail:
	LANEMASK(CX)
	VMOVUPD.Z (R11), K1, Z1
	VMOVUPD.Z (R10), K1, Z2
	VMOVUPD.Z (R12), K1, Z4
	VFNMADD231PD Z2, Z3, Z1
	VFNMADD231PD Z4, Z5, Z1
	VMOVUPD Z1, K1, (R11)
	ADDQ R9, SI
	INCQ R13
	JMP s2row
s2done:
	VZEROUPPER
	RET

// func prefetchBlockAVX512(rows int, a *float64, ld int, cols int)
//
// Prefetches the cache lines of rows rows of cols values at a + i*ld.
TEXT ·prefetchBlockAVX512(SB), NOSPLIT, $0-32
	MOVQ rows+0(FP), BX
	MOVQ a+8(FP), SI
	MOVQ ld+16(FP), R9
	SHLQ $3, R9
	MOVQ cols+24(FP), R8
	ADDQ $7, R8
	SHRQ $3, R8
	TESTQ BX, BX
	JZ pfdone
	TESTQ R8, R8
	JZ pfdone
pfrow:
	MOVQ SI, R11
	MOVQ R8, CX
pfline:
	PREFETCHT0 (R11)
	ADDQ $64, R11
	DECQ CX
	JNZ pfline
	PREFETCHT0 (R11)
	ADDQ R9, SI
	DECQ BX
	JNZ pfrow
pfdone:
	RET

// func addRow32AVX512(n int, x *float32, sum *float64)
//
// sum[i] += float64(x[i]) for i < n (any n; the last n%8 through a lane
// mask).
TEXT ·addRow32AVX512(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), SI
	MOVQ sum+16(FP), DI
	MOVQ CX, R8
	ANDQ $7, R8
	SHRQ $3, CX
	JZ ardtail
ardloop:
	VCVTPS2PD (SI), Z0
	VADDPD (DI), Z0, Z0
	VMOVUPD Z0, (DI)
	ADDQ $32, SI
	ADDQ $64, DI
	DECQ CX
	JNZ ardloop
ardtail:
	TESTQ R8, R8
	JZ arddone
	LANEMASK(R8)
	VMOVUPS.Z (SI), K1, Y1
	VCVTPS2PD Y1, Z0
	VMOVUPD.Z (DI), K1, Z2
	VADDPD Z2, Z0, Z0
	VMOVUPD Z0, K1, (DI)
arddone:
	VZEROUPPER
	RET
