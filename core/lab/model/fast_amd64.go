//go:build amd64 && !purego

package model

import "golang.org/x/sys/cpu"

// useAVX2 selects the AVX2+FMA kernel for float32 (ntkernel_amd64.s).
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// sdotTile3x4 adds (or stores) a 3×4 tile of A·Bᵀ into C (ntkernel_amd64.s).
//
//go:noescape
func sdotTile3x4(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, store int)

// ntBlockFast runs ntBlock's float32 case with the AVX2 kernel: rows in
// tiles of 3 from lo (a multiple of ntTileRows, so a row's tile never depends
// on the partition), columns in tiles of 4, the reduction in steps of 8; the
// remainders (the last rows, the last columns, the last k mod 8 terms) by
// dot in Go. With first, C's rows are written rather than added to (ntRows
// then needs no clearing pass). It reports false when it does not apply;
// ntFast says whether it applies to a call's first block.
func ntBlockFast[F Float](t *ntArgs[F], lo, hi, k0, k1 int, first bool) bool {
	if !ntFast(t, k1-k0) {
		return false
	}
	t32 := any(t).(*ntArgs[float32])
	kk := (k1 - k0) &^ 7
	st := 0
	if first {
		st = 1
	}
	n, k := t32.n, t32.k
	a, b, c := t32.a, t32.b, t32.c
	i := lo
	n4 := n &^ 3
	for ; i+3 <= hi; i += 3 {
		for j := 0; j < n4; j += 4 {
			sdotTile3x4(kk, &a[i*k+k0], k, &b[j*k+k0], k, &c[i*n+j], n, st)
		}
	}
	// the k tail of the tiled block
	if k0+kk < k1 {
		for r := lo; r < i; r++ {
			ar := a[r*k+k0+kk : r*k+k1]
			for j := range n4 {
				c[r*n+j] += dot(ar, b[j*k+k0+kk:j*k+k1])
			}
		}
	}
	// the column tail of the tiled rows, then the row tail
	for r := lo; r < hi; r++ {
		j0 := n4
		if r >= i {
			j0 = 0
		}
		ar := a[r*k+k0 : r*k+k1]
		for j := j0; j < n; j++ {
			if first {
				c[r*n+j] = dot(ar, b[j*k+k0:j*k+k1])
			} else {
				c[r*n+j] += dot(ar, b[j*k+k0:j*k+k1])
			}
		}
	}
	return true
}

// ntFast reports whether the AVX2 kernel runs a block of kk reduction terms.
func ntFast[F Float](t *ntArgs[F], kk int) bool {
	_, ok := any(t).(*ntArgs[float32])
	return ok && useAVX2 && kk >= 8
}
