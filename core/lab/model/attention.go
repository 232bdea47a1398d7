package model

import "math"

// Attention runs per (sequence, head) pair as five small dense products on
// contiguous copies of the head's q, k, v (the same ntRows kernel as the
// linear layers, so float32 uses the AVX2 tile), computing whole T×T
// blocks and zeroing the causal upper triangle: twice the multiply-adds of
// a triangular loop, at eight lanes each.

// attnScratch is one worker's buffers for one (b, h) pair at a time.
type attnScratch[F Float] struct {
	q, k, v, y []F // [T, D]
	tA, tB, tC []F // [D, T] transposes of q, k, dy / v
	s, u       []F // [T, T]: dP then dS, and its transpose, or Pᵀ
	nt         ntArgs[F]
}

func newAttnScratch[F Float](T, D int) *attnScratch[F] {
	td := T * D
	return &attnScratch[F]{
		q: make([]F, td), k: make([]F, td), v: make([]F, td), y: make([]F, td),
		tA: make([]F, td), tB: make([]F, td), tC: make([]F, td),
		s: make([]F, T*T), u: make([]F, T*T),
	}
}

// gather copies column block [off, off+D) of rows of width ld into dst [T, D].
func gather[F Float](dst, src []F, base, ld, off, T, D int) {
	for t := range T {
		copy(dst[t*D:t*D+D], src[base+t*ld+off:base+t*ld+off+D])
	}
}

// scatter copies src [T, D] into column block [off, off+D) of rows of width ld.
func scatter[F Float](dst, src []F, base, ld, off, T, D int) {
	for t := range T {
		copy(dst[base+t*ld+off:base+t*ld+off+D], src[t*D:t*D+D])
	}
}

// mm sets c [m, n] = a [m, k] · b [n, k]ᵀ on the calling goroutine.
func (s *attnScratch[F]) mm(c, a, b []F, m, n, k int) {
	s.nt = ntArgs[F]{c: c[:m*n], a: a[:m*k], b: b[:n*k], n: n, k: k}
	ntRows(&s.nt, 0, m)
}

// attentionForward runs causal softmax attention for the (b, h) pairs
// [lo, hi) of layer w.cur.layer, with worker slot idx's scratch: for
// position t,
//
//	P[t, j] = softmax_{j≤t}(q_t·k_j/√D) (0 for j > t),  y_t = Σ_j P[t, j]·v_j,
//
// with q, k, v the head's D = C/H columns of qkv's three C-wide blocks. P
// is kept in the layer's att, [B, H, T, T].
func (m *Model[F]) attentionForward(w *Workspace[F], idx, lo, hi int) {
	c := m.cfg
	T, C, H := w.t, c.Width, c.Heads
	D := C / H
	a := &w.layers[w.cur.layer]
	s := w.attn[idx]
	scale := F(1 / math.Sqrt(float64(D)))
	for bh := lo; bh < hi; bh++ {
		b, h := bh/H, bh%H
		base := b * T * 3 * C
		gather(s.q, a.qkv, base, 3*C, h*D, T, D)
		gather(s.k, a.qkv, base, 3*C, C+h*D, T, D)
		gather(s.v, a.qkv, base, 3*C, 2*C+h*D, T, D)
		P := a.att[bh*T*T : (bh+1)*T*T]
		s.mm(P, s.q, s.k, T, T, D)
		for t := range T {
			row := P[t*T : t*T+T]
			mx := F(math.Inf(-1))
			for j := range t + 1 {
				row[j] *= scale
				mx = max(mx, row[j])
			}
			var sum F
			for j := range t + 1 {
				e := expF(row[j] - mx)
				row[j] = e
				sum += e
			}
			inv := 1 / sum
			for j := range t + 1 {
				row[j] *= inv
			}
			clear(row[t+1:])
		}
		transpose(s.tA, s.v, T, D, 0, T)
		s.mm(s.y, P, s.tA, T, D, T)
		scatter(a.atty, s.y, b*T*C, C, h*D, T, D)
	}
}

// attentionBackward turns w.datty into the gradient of qkv (w.dqkv, every
// entry written) for the (b, h) pairs [lo, hi); with dP = dY·Vᵀ,
//
//	dS[t,j] = P[t,j]·(dP[t,j] − Σ_i P[t,i]·dP[t,i])/√D,
//	dQ = dS·K,  dK = dSᵀ·Q,  dV = Pᵀ·dY.
func (m *Model[F]) attentionBackward(w *Workspace[F], idx, lo, hi int) {
	c := m.cfg
	T, C, H := w.t, c.Width, c.Heads
	D := C / H
	a := &w.layers[w.cur.layer]
	s := w.attn[idx]
	scale := F(1 / math.Sqrt(float64(D)))
	for bh := lo; bh < hi; bh++ {
		b, h := bh/H, bh%H
		base := b * T * 3 * C
		P := a.att[bh*T*T : (bh+1)*T*T]
		gather(s.q, a.qkv, base, 3*C, h*D, T, D)
		gather(s.k, a.qkv, base, 3*C, C+h*D, T, D)
		gather(s.v, a.qkv, base, 3*C, 2*C+h*D, T, D)
		gather(s.y, w.datty, b*T*C, C, h*D, T, D) // dY
		// dV = Pᵀ·dY
		transpose(s.u, P, T, T, 0, T)
		transpose(s.tC, s.y, T, D, 0, T)
		s.mm(s.tA, s.u, s.tC, T, D, T) // dV into tA
		scatter(w.dqkv, s.tA, base, 3*C, 2*C+h*D, T, D)
		// dP = dY·Vᵀ, then dS in place
		s.mm(s.s, s.y, s.v, T, T, D)
		for t := range T {
			p, d := P[t*T:t*T+t+1], s.s[t*T:t*T+T]
			var sum F
			for j, pj := range p {
				sum += pj * d[j]
			}
			for j, pj := range p {
				d[j] = pj * (d[j] - sum) * scale
			}
			clear(d[t+1:])
		}
		// dQ = dS·K = dS·(Kᵀ)ᵀ
		transpose(s.tB, s.k, T, D, 0, T)
		s.mm(s.v, s.s, s.tB, T, D, T) // dQ into v (v is no longer needed)
		scatter(w.dqkv, s.v, base, 3*C, h*D, T, D)
		// dK = dSᵀ·Q = dSᵀ·(Qᵀ)ᵀ
		transpose(s.u, s.s, T, T, 0, T)
		transpose(s.tB, s.q, T, D, 0, T)
		s.mm(s.k, s.u, s.tB, T, D, T) // dK into k
		scatter(w.dqkv, s.k, base, 3*C, C+h*D, T, D)
	}
}
