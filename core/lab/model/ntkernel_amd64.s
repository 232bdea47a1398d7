//go:build amd64 && !purego

#include "textflag.h"

// func sdotTile3x4(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, store int)
//
// C[r, s] += (or = when store ≠ 0) Σ_{κ<k} A[r, κ]·B[s, κ] for r < 3, s < 4, with A, B and C
// row-major (row strides lda, ldb, ldc in elements) and k a positive
// multiple of 8. Each sum runs as 8 lane-wise FMA chains over κ, reduced by
// a fixed tree of horizontal adds, then added to C.
TEXT ·sdotTile3x4(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R9
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R10
	SHLQ $2, CX
	SHLQ $2, R8
	SHLQ $2, R9
	SHLQ $2, R10
	LEAQ (SI)(R8*1), R11
	LEAQ (R11)(R8*1), R12
	LEAQ (DI)(R9*1), R13
	LEAQ (R13)(R9*1), R14
	LEAQ (R14)(R9*1), BX
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
	XORQ AX, AX

loop:
	VMOVUPS (DI)(AX*1), Y12
	VMOVUPS (R13)(AX*1), Y13
	VMOVUPS (R14)(AX*1), Y14
	VMOVUPS (BX)(AX*1), Y15
	VFMADD231PS (SI)(AX*1), Y12, Y0
	VFMADD231PS (SI)(AX*1), Y13, Y1
	VFMADD231PS (SI)(AX*1), Y14, Y2
	VFMADD231PS (SI)(AX*1), Y15, Y3
	VFMADD231PS (R11)(AX*1), Y12, Y4
	VFMADD231PS (R11)(AX*1), Y13, Y5
	VFMADD231PS (R11)(AX*1), Y14, Y6
	VFMADD231PS (R11)(AX*1), Y15, Y7
	VFMADD231PS (R12)(AX*1), Y12, Y8
	VFMADD231PS (R12)(AX*1), Y13, Y9
	VFMADD231PS (R12)(AX*1), Y14, Y10
	VFMADD231PS (R12)(AX*1), Y15, Y11
	ADDQ $32, AX
	CMPQ AX, CX
	JLT  loop

	MOVQ store+56(FP), R8
	TESTQ R8, R8
	JNE  storeonly

	// row 0: Y0..Y3 → 4 sums, added to C[0, 0..3]
	VHADDPS      Y1, Y0, Y0
	VHADDPS      Y3, Y2, Y2
	VHADDPS      Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVUPS      (DX), X1
	VADDPS       X1, X0, X0
	VMOVUPS      X0, (DX)

	// row 1
	VHADDPS      Y5, Y4, Y4
	VHADDPS      Y7, Y6, Y6
	VHADDPS      Y6, Y4, Y4
	VEXTRACTF128 $1, Y4, X5
	VADDPS       X5, X4, X4
	VMOVUPS      (DX)(R10*1), X5
	VADDPS       X5, X4, X4
	VMOVUPS      X4, (DX)(R10*1)

	// row 2
	LEAQ         (DX)(R10*2), DX
	VHADDPS      Y9, Y8, Y8
	VHADDPS      Y11, Y10, Y10
	VHADDPS      Y10, Y8, Y8
	VEXTRACTF128 $1, Y8, X9
	VADDPS       X9, X8, X8
	VMOVUPS      (DX), X9
	VADDPS       X9, X8, X8
	VMOVUPS      X8, (DX)
	VZEROUPPER
	RET

storeonly:
	// row 0: Y0..Y3 → 4 sums, stored in C[0, 0..3]
	VHADDPS      Y1, Y0, Y0
	VHADDPS      Y3, Y2, Y2
	VHADDPS      Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVUPS      X0, (DX)

	// row 1
	VHADDPS      Y5, Y4, Y4
	VHADDPS      Y7, Y6, Y6
	VHADDPS      Y6, Y4, Y4
	VEXTRACTF128 $1, Y4, X5
	VADDPS       X5, X4, X4
	VMOVUPS      X4, (DX)(R10*1)

	// row 2
	LEAQ         (DX)(R10*2), DX
	VHADDPS      Y9, Y8, Y8
	VHADDPS      Y11, Y10, Y10
	VHADDPS      Y10, Y8, Y8
	VEXTRACTF128 $1, Y8, X9
	VADDPS       X9, X8, X8
	VMOVUPS      X8, (DX)
	VZEROUPPER
	RET
