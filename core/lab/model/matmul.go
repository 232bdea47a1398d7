package model

// The one dense kernel: C = A·Bᵀ (+ bias), the "NT" form, in which both
// operands are read along contiguous rows. The other two products of a
// linear layer's backward pass are reduced to it by transposing an operand
// into a workspace: dX = dY·W is dY·(Wᵀ)ᵀ, and dW += dYᵀ·X is
// (dYᵀ)·((Xᵀ))ᵀ. A transpose costs M·N moves against M·N·K multiply-adds.

// ntArgs are the operands of one C = A·Bᵀ call.
type ntArgs[F Float] struct {
	c, a, b, bias []F
	n, k          int  // C is [m, n], A is [m, k], B is [n, k]
	accumulate    bool // C += A·Bᵀ instead of C = A·Bᵀ
}

// ntTileRows is a multiple of every kernel's row tile (2 in Go, 3 in the AVX2
// kernel); pool chunks align to it.
const ntTileRows = 12

// ntKC is the block of the reduction dimension: long reductions (the weight
// gradients, k = B·T) are cut into blocks that stay in cache.
const ntKC = 512

// ntRows computes rows [lo, hi) of C = A·Bᵀ (+ bias) or C += A·Bᵀ:
//
//	C[i,j] (+)= Σ_k A[i,k]·B[j,k] (+ bias[j])
//
// Each C[i,j] is summed in an order that depends only on (i, j) and the
// shapes, never on lo and hi (lo is a multiple of ntTileRows).
func ntRows[F Float](t *ntArgs[F], lo, hi int) {
	n, k := t.n, t.k
	c := t.c
	// the fast kernel writes the first block instead of adding it
	first := !t.accumulate && ntFast(t, min(k, ntKC))
	if !t.accumulate && !first {
		clear(c[lo*n : hi*n])
	}
	for k0 := 0; k0 < k; k0 += ntKC {
		k1 := min(k0+ntKC, k)
		ntBlock(t, lo, hi, k0, k1, first && k0 == 0)
	}
	if t.bias != nil {
		for i := lo; i < hi; i++ {
			row := c[i*n : i*n+n]
			for j, b := range t.bias[:n] {
				row[j] += b
			}
		}
	}
}

// ntBlock adds Σ_{k0≤κ<k1} A[i,κ]·B[j,κ] to C[i,j] for rows [lo, hi)
// (first: the fast kernel stores it; the Go kernel never gets first).
func ntBlock[F Float](t *ntArgs[F], lo, hi, k0, k1 int, first bool) {
	if ntBlockFast(t, lo, hi, k0, k1, first) {
		return
	}
	n, k := t.n, t.k
	a, b, c := t.a, t.b, t.c
	kk := k1 - k0
	i := lo
	for ; i+2 <= hi; i += 2 {
		a0 := a[i*k+k0 : i*k+k1]
		a1 := a[(i+1)*k+k0 : (i+1)*k+k1]
		c0 := c[i*n : i*n+n]
		c1 := c[(i+1)*n : (i+1)*n+n]
		j := 0
		for ; j+4 <= n; j += 4 {
			b0 := b[j*k+k0 : j*k+k1]
			b1 := b[(j+1)*k+k0 : (j+1)*k+k1]
			b2 := b[(j+2)*k+k0 : (j+2)*k+k1]
			b3 := b[(j+3)*k+k0 : (j+3)*k+k1]
			var s00, s01, s02, s03, s10, s11, s12, s13 F
			a1 := a1[:kk]
			b0, b1, b2, b3 = b0[:kk], b1[:kk], b2[:kk], b3[:kk]
			for q, x0 := range a0 {
				x1 := a1[q]
				y0, y1, y2, y3 := b0[q], b1[q], b2[q], b3[q]
				s00 += x0 * y0
				s01 += x0 * y1
				s02 += x0 * y2
				s03 += x0 * y3
				s10 += x1 * y0
				s11 += x1 * y1
				s12 += x1 * y2
				s13 += x1 * y3
			}
			c0[j] += s00
			c0[j+1] += s01
			c0[j+2] += s02
			c0[j+3] += s03
			c1[j] += s10
			c1[j+1] += s11
			c1[j+2] += s12
			c1[j+3] += s13
		}
		for ; j < n; j++ {
			bj := b[j*k+k0 : j*k+k1]
			c0[j] += dot(a0, bj)
			c1[j] += dot(a1, bj)
		}
	}
	for ; i < hi; i++ {
		ai := a[i*k+k0 : i*k+k1]
		ci := c[i*n : i*n+n]
		for j := range ci {
			ci[j] += dot(ai, b[j*k+k0:j*k+k1])
		}
	}
}

// dot is Σ x[i]·y[i] summed left to right.
func dot[F Float](x, y []F) F {
	var s F
	y = y[:len(x)]
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

// transpose writes dst[j*m+i] = src[i*n+j] for src [m, n], rows [lo, hi) of src.
func transpose[F Float](dst, src []F, m, n, lo, hi int) {
	const blk = 32
	for i0 := lo; i0 < hi; i0 += blk {
		i1 := min(i0+blk, hi)
		for j0 := 0; j0 < n; j0 += blk {
			j1 := min(j0+blk, n)
			for i := i0; i < i1; i++ {
				row := src[i*n : i*n+n]
				for j := j0; j < j1; j++ {
					dst[j*m+i] = row[j]
				}
			}
		}
	}
}
