package distill

import (
	"fmt"
	"math"
)

// TokenResult is what one position contributes.
type TokenResult struct {
	// Valid reports whether the position counts in the loss (masks).
	Valid bool `json:"valid"`
	// Divergence is the per-token loss term after both clips: the
	// divergence, or the estimator's term when an estimator is set.
	Divergence float64 `json:"divergence"`
	// Unclipped is the per-token value before the per-token clip (after
	// the per-entry clip).
	Unclipped float64 `json:"unclipped"`
	// Advantage is A_t = log T(y_t) − log S(y_t) at temperature τ, when
	// HasAdvantage is true (a sampled token was given and both log-probs
	// are known).
	Advantage    float64 `json:"advantage"`
	HasAdvantage bool    `json:"has_advantage"`
	// PGAdvantage is the stop-gradient coefficient a_t of a policy-gradient
	// estimator (sampled-token, tinker, rllm): the loss term is −a_t log S(y_t).
	PGAdvantage float64 `json:"pg_advantage"`
	// ClippedEntries counts the vocabulary terms capped by ClipEntry.
	ClippedEntries int `json:"clipped_entries"`
	// TokenClipped reports that ClipToken capped this position.
	TokenClipped bool `json:"token_clipped"`
	// Clipped is ClippedEntries > 0 || TokenClipped.
	Clipped bool `json:"clipped"`
	// EntropyStudent and EntropyTeacher are −Σ p log p of the two
	// distributions the divergence compares (over the support, with the
	// tail bucket when there is one; the full softmax at τ for estimators).
	EntropyStudent float64 `json:"entropy_student"`
	EntropyTeacher float64 `json:"entropy_teacher"`
}

// Kernel computes per-position divergences and gradients for one Options
// value. It owns O(V) scratch reused across calls, so it allocates only
// when V grows; a Kernel is not safe for concurrent use (make one per
// goroutine).
type Kernel struct {
	o      Options
	invTau float64

	// Scratch over the vocabulary: unnormalised log-probs and exps.
	ls, lt, ps, pt []float64
	// Scratch over the support (k or k+1 entries).
	ks, kt, kps, kpt, kg []float64
	idx                  []int
	heap                 []int
}

// NewKernel validates o and returns a Kernel. The error wraps the
// diagnostics (*diag.Err) when o has errors.
func NewKernel(o Options) (*Kernel, error) {
	if l := o.Validate(); l.HasErrors() {
		return nil, errFromList(l)
	}
	n := o.normalized()
	return &Kernel{o: n, invTau: 1 / n.Temperature}, nil
}

// Options returns the kernel's options with defaults filled in.
func (k *Kernel) Options() Options { return k.o }

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// InputError reports a problem with the numbers given to a kernel: a
// NaN or +Inf logit, mismatched lengths, a missing log-prob in a sparse
// list, or an infinite divergence.
type InputError struct {
	Position int // position within the sequence, −1 when unknown
	Msg      string
}

func (e *InputError) Error() string {
	if e.Position >= 0 {
		return fmt.Sprintf("distill: position %d: %s", e.Position, e.Msg)
	}
	return "distill: " + e.Msg
}

func inputErr(format string, args ...any) error {
	return &InputError{Position: -1, Msg: fmt.Sprintf(format, args...)}
}

// logSoftmaxRaw computes, for x/τ, the shifted values l_i = (x_i − max)/τ
// and p_i = exp(l_i) into l and p, and returns log Σ p (so that log
// softmax_i = l_i − lse and softmax_i = p_i / Σ p). −Inf entries give
// p_i = 0. It fails on NaN or +Inf entries and on all −Inf rows.
func logSoftmaxRaw(l, p, x []float64, invTau float64, side string) (lse, sum float64, err error) {
	n := len(x)
	l = l[:n]
	p = p[:n]
	m := math.Inf(-1)
	for _, v := range x {
		if v > m {
			m = v
		}
	}
	if math.IsInf(m, 1) {
		return 0, 0, inputErr("%s logits contain +Inf", side)
	}
	if math.IsInf(m, -1) {
		for _, v := range x {
			if v != v {
				return 0, 0, inputErr("%s logits contain NaN", side)
			}
		}
		return 0, 0, inputErr("%s logits are all −Inf (no token has probability)", side)
	}
	s := 0.0
	for i, v := range x {
		d := (v - m) * invTau
		// exp(d) inlined (see expFast); d ≤ 0 here unless NaN.
		var e float64
		if d >= -expMax && d <= expMax {
			kd := d*expInvLn2N + expShift
			ki := math.Float64bits(kd)
			kd -= expShift
			r := d + kd*expNegLn2HiN + kd*expNegLn2LoN
			t := &expTab[ki%expN]
			sc := math.Float64frombits(t.sbits + ki<<(52-expTableBits))
			r2 := r * r
			e = sc + sc*(t.tail+r+r2*(0.5+r*(1.0/6))+r2*r2*(1.0/24))
		} else {
			e = math.Exp(d)
		}
		l[i] = d
		p[i] = e
		s += e
	}
	if s != s {
		return 0, 0, inputErr("%s logits contain NaN", side)
	}
	return logFast(s), s, nil
}

// divergenceTerms sums the per-entry divergence terms over a support.
// Inputs are shifted log-probs (ls_i + cs = log S_i), unnormalised probs
// (ps_i · rs = S_i), and the same for the teacher. When g is not nil it
// receives g_i = ∂e'_i/∂ log S_i, the derivative of the clipped term with
// respect to the student's log-prob of entry i (0 for a clipped entry).
//
//	forward: e_i = T_i (log T_i − log S_i),   g_i = −T_i
//	reverse: e_i = S_i (log S_i − log T_i),   g_i = S_i (log S_i − log T_i + 1)
//	jsd:     e_i = β T_i (log T_i − log M_i) + (1−β) S_i (log S_i − log M_i),
//	         M_i = (1−β) S_i + β T_i,          g_i = (1−β) S_i (log S_i − log M_i)
//
// with 0·log 0 = 0. An infinite term (forward with S_i = 0 < T_i, reverse
// with T_i = 0 < S_i) is an error.
func divergenceTerms(o *Options, ls, lt, ps, pt []float64, cs, ct, rs, rt float64, g []float64) (d, hs, ht float64, nclip int, err error) {
	n := len(ls)
	lt = lt[:n]
	ps = ps[:n]
	pt = pt[:n]
	clip := o.ClipEntry
	if clip == 0 {
		clip = math.Inf(1)
	}
	grad := g != nil
	if grad {
		g = g[:n]
	}
	switch o.Divergence {
	case Forward:
		for i := range n {
			s := ps[i] * rs
			t := pt[i] * rt
			a := ls[i] + cs
			b := lt[i] + ct
			if s > 0 {
				hs -= s * a
			}
			var e float64
			if t > 0 {
				if math.IsInf(a, -1) {
					return 0, 0, 0, 0, inputErr("forward KL is infinite: the student gives entry %d probability 0 where the teacher gives %g", i, t)
				}
				ht -= t * b
				e = t * (b - a)
			}
			gi := -t
			if e > clip {
				e = clip
				nclip++
				gi = 0
			}
			d += e
			if grad {
				g[i] = gi
			}
		}
	case Reverse:
		for i := range n {
			s := ps[i] * rs
			t := pt[i] * rt
			a := ls[i] + cs
			b := lt[i] + ct
			if t > 0 {
				ht -= t * b
			}
			var e, gi float64
			if s > 0 {
				if math.IsInf(b, -1) {
					return 0, 0, 0, 0, inputErr("reverse KL is infinite: the teacher gives entry %d probability 0 where the student gives %g", i, s)
				}
				hs -= s * a
				e = s * (a - b)
				gi = e + s
			}
			if e > clip {
				e = clip
				nclip++
				gi = 0
			}
			d += e
			if grad {
				g[i] = gi
			}
		}
	case JSD:
		beta := o.Beta
		lb, l1b := math.Log(beta), math.Log1p(-beta)
		for i := range n {
			s := ps[i] * rs
			t := pt[i] * rt
			a := ls[i] + cs
			b := lt[i] + ct
			var e, gi float64
			mix := (1-beta)*s + beta*t
			var lm float64
			if mix >= 0x1p-1000 {
				lm = logFast(mix)
			} else {
				// Near underflow: log M by log-add-exp in the log domain.
				x, y := l1b+a, lb+b
				if x < y {
					x, y = y, x
				}
				if math.IsInf(x, -1) {
					lm = x
				} else {
					lm = x + math.Log1p(math.Exp(y-x))
				}
			}
			if t > 0 {
				ht -= t * b
				e += beta * t * (b - lm)
			}
			if s > 0 {
				hs -= s * a
				gi = (1 - beta) * s * (a - lm)
				e += gi
			}
			if e > clip {
				e = clip
				nclip++
				gi = 0
			}
			d += e
			if grad {
				g[i] = gi
			}
		}
	default:
		panic("distill: unnormalised divergence " + string(o.Divergence))
	}
	return d, hs, ht, nclip, nil
}

// Token computes the divergence at one position from the dense student
// and teacher logits (length V each). sampled is the token y_t the student
// sampled (or −1 when unknown); it gives the advantage and drives the
// estimators. When grad is not nil (length V) it receives ∂D/∂z, the
// gradient of this position's clipped term with respect to the student's
// logits z (before temperature):
//
//	∂D/∂z_j = (1/τ) (g_j − S_j Σ_i g_i)
//
// over the support (zero outside a renormalised top-k, with the extra
// tail-bucket term for a tail), and zero when the per-token clip fires.
//
// Token panics if len(teacher) != len(student) or grad has another length;
// it returns an *InputError for NaN or +Inf logits and infinite divergences.
func (k *Kernel) Token(student, teacher []float64, sampled int, grad []float64) (TokenResult, error) {
	n := len(student)
	if len(teacher) != n {
		panic("distill: student and teacher rows differ in length")
	}
	if grad != nil && len(grad) != n {
		panic("distill: grad row length differs from logits")
	}
	if n == 0 {
		return TokenResult{}, inputErr("empty logits row")
	}
	if sampled >= n {
		return TokenResult{}, inputErr("sampled token %d is outside the vocabulary of %d", sampled, n)
	}
	k.ls = grow(k.ls, n)
	k.lt = grow(k.lt, n)
	k.ps = grow(k.ps, n)
	k.pt = grow(k.pt, n)
	if k.o.Estimator == NoEstimator && k.o.Support == Full && k.o.ClipEntry == 0 && k.o.Divergence != JSD {
		if r, ok := k.denseKL(student, teacher, sampled, grad); ok {
			return r, nil
		}
	}
	lseS, sumS, err := logSoftmaxRaw(k.ls, k.ps, student, k.invTau, "student")
	if err != nil {
		return TokenResult{}, err
	}
	lseT, sumT, err := logSoftmaxRaw(k.lt, k.pt, teacher, k.invTau, "teacher")
	if err != nil {
		return TokenResult{}, err
	}
	var r TokenResult
	if sampled >= 0 {
		r.HasAdvantage = true
		r.Advantage = (k.lt[sampled] - lseT) - (k.ls[sampled] - lseS)
	}
	if k.o.Estimator != NoEstimator {
		return k.estimatorToken(r, sampled, n, lseS, lseT, sumS, sumT, grad)
	}
	switch k.o.Support {
	case Full:
		var g []float64
		if grad != nil {
			g = grad
		}
		d, hs, ht, nc, err := divergenceTerms(&k.o, k.ls, k.lt, k.ps, k.pt, -lseS, -lseT, 1/sumS, 1/sumT, g)
		if err != nil {
			return TokenResult{}, err
		}
		r.EntropyStudent, r.EntropyTeacher, r.ClippedEntries = hs, ht, nc
		k.finishToken(&r, d)
		if grad != nil {
			k.fullGrad(grad, r.TokenClipped, 1/sumS)
		}
	case TeacherTopK, StudentTopK:
		src := teacher
		if k.o.Support == StudentTopK {
			src = student
		}
		kk := min(k.o.TopK, n)
		k.idx = topKIndices(k.idx[:0], &k.heap, src, kk)
		if err := k.topKToken(&r, kk, lseS, lseT, sumS, sumT, grad); err != nil {
			return TokenResult{}, err
		}
	default:
		panic("distill: unnormalised support " + string(k.o.Support))
	}
	return r, nil
}

// denseKL is Token's fast path for the forward or reverse KL over the
// full vocabulary without a per-entry clip (TRL GKD's β = 0 and β = 1):
// one pass finds both maxima, one computes the 2V exponentials (expFast,
// inlined) into k.ps and k.pt with every sum the loss and the entropies
// need, and with grad one more writes the gradient; nothing else is
// stored. It gives up (ok false) when a logit is NaN or ±Inf or an
// exponential would not be a normal number ((z_i − max z)/τ < −708), and
// Token's general path then handles the row with its errors and its
// conventions. With x_i = (z_i − max z)/τ, Z_S = Σ e^{x_i}, L_S = log Z_S,
// S_i = e^{x_i}/Z_S, and y_i, Z_T, L_T, T_i likewise for the teacher:
//
//	forward: D = Σ_i T_i (y_i − x_i) + L_S − L_T,   ∂D/∂z_j = (S_j − T_j)/τ
//	reverse: D = Σ_i S_i (x_i − y_i) + L_T − L_S,   ∂D/∂z_j = S_j (x_j − y_j + L_T − L_S − D)/τ
//	H(S) = L_S − Σ_i S_i x_i,                      H(T) = L_T − Σ_i T_i y_i
//
// which are the general path's formulas summed first (Σ_i S_i = Σ_i T_i = 1).
func (k *Kernel) denseKL(student, teacher []float64, sampled int, grad []float64) (r TokenResult, ok bool) {
	n := len(student)
	teacher = teacher[:n]
	ms, mt := math.Inf(-1), math.Inf(-1)
	for i, a := range student {
		if a > ms {
			ms = a
		}
		if b := teacher[i]; b > mt {
			mt = b
		}
	}
	if math.IsInf(ms, 0) || math.IsInf(mt, 0) { // also all NaN
		return r, false
	}
	it := k.invTau
	ps, pt := k.ps[:n], k.pt[:n]
	var zs, zt, hx, hy, cross float64
	fwd := k.o.Divergence == Forward
	for i, a := range student {
		x := (a - ms) * it
		y := (teacher[i] - mt) * it
		if !(x >= -expMax && y >= -expMax) { // NaN, −Inf, or e^x not normal
			return r, false
		}
		// e^x and e^y: expFast inlined.
		kx := x*expInvLn2N + expShift
		ky := y*expInvLn2N + expShift
		ix, iy := math.Float64bits(kx), math.Float64bits(ky)
		kx -= expShift
		ky -= expShift
		rx := x + kx*expNegLn2HiN + kx*expNegLn2LoN
		ry := y + ky*expNegLn2HiN + ky*expNegLn2LoN
		tx, ty := &expTab[ix%expN], &expTab[iy%expN]
		sx := math.Float64frombits(tx.sbits + ix<<(52-expTableBits))
		sy := math.Float64frombits(ty.sbits + iy<<(52-expTableBits))
		rx2, ry2 := rx*rx, ry*ry
		ex := sx + sx*(tx.tail+rx+rx2*(0.5+rx*(1.0/6))+rx2*rx2*(1.0/24))
		ey := sy + sy*(ty.tail+ry+ry2*(0.5+ry*(1.0/6))+ry2*ry2*(1.0/24))
		ps[i] = ex
		pt[i] = ey
		zs += ex
		zt += ey
		hx += ex * x
		hy += ey * y
		// forward: Σ e^{y}(y − x); reverse: Σ e^{x}(x − y).
		if fwd {
			cross += ey * (y - x)
		} else {
			cross += ex * (x - y)
		}
	}
	lS, lT := logFast(zs), logFast(zt)
	rs, rt := 1/zs, 1/zt
	var d float64
	if fwd {
		d = cross*rt + (lS - lT)
	} else {
		d = cross*rs + (lT - lS)
	}
	r.EntropyStudent = lS - hx*rs
	r.EntropyTeacher = lT - hy*rt
	if sampled >= 0 {
		r.HasAdvantage = true
		r.Advantage = ((teacher[sampled]-mt)*it - lT) - ((student[sampled]-ms)*it - lS)
	}
	k.finishToken(&r, d)
	if grad == nil {
		return r, true
	}
	grad = grad[:n]
	if r.TokenClipped {
		clear(grad)
		return r, true
	}
	if fwd {
		a, b := rs*it, rt*it
		for i, p := range ps {
			grad[i] = p*a - pt[i]*b
		}
		return r, true
	}
	c := lT - lS - d
	a := rs * it
	for i, p := range ps {
		x := (student[i] - ms) * it
		y := (teacher[i] - mt) * it
		grad[i] = p * a * (x - y + c)
	}
	return r, true
}

// finishToken applies the per-token clip and sets the flags.
func (k *Kernel) finishToken(r *TokenResult, d float64) {
	r.Unclipped = d
	r.Divergence = d
	if c := k.o.ClipToken; c > 0 && d > c {
		r.Divergence = c
		r.TokenClipped = true
	}
	r.Clipped = r.ClippedEntries > 0 || r.TokenClipped
}

// fullGrad turns g (stored in grad) into ∂D/∂z over the full vocabulary.
func (k *Kernel) fullGrad(grad []float64, zero bool, rs float64) {
	if zero {
		clear(grad)
		return
	}
	n := len(grad)
	ps := k.ps[:n]
	G := 0.0
	for _, v := range grad {
		G += v
	}
	it := k.invTau
	for i, v := range grad {
		grad[i] = (v - ps[i]*rs*G) * it
	}
}

// topKToken computes the divergence over the k entries in k.idx, either
// renormalised or with a tail bucket, and its gradient.
func (k *Kernel) topKToken(r *TokenResult, kk int, lseS, lseT, sumS, sumT float64, grad []float64) error {
	m := kk
	if k.o.Tail {
		m = kk + 1
	}
	k.ks = grow(k.ks, m)
	k.kt = grow(k.kt, m)
	k.kps = grow(k.kps, m)
	k.kpt = grow(k.kpt, m)
	k.kg = grow(k.kg, m)
	idx := k.idx[:kk]
	var g []float64
	if grad != nil {
		g = k.kg
	}
	if !k.o.Tail {
		// Renormalise over the k entries: log-softmax of the gathered z/τ.
		// The shifted values l_i differ from z_i/τ by a constant per side,
		// which the renormalisation removes.
		for j, i := range idx {
			k.ks[j] = k.ls[i]
			k.kt[j] = k.lt[i]
		}
		ls, ss := renormLog(k.ks[:kk], k.kps[:kk])
		lt, st := renormLog(k.kt[:kk], k.kpt[:kk])
		d, hs, ht, nc, err := divergenceTerms(&k.o, k.ks[:kk], k.kt[:kk], k.kps[:kk], k.kpt[:kk], -ls, -lt, 1/ss, 1/st, g)
		if err != nil {
			return err
		}
		r.EntropyStudent, r.EntropyTeacher, r.ClippedEntries = hs, ht, nc
		k.finishToken(r, d)
		if grad != nil {
			clear(grad)
			if r.TokenClipped {
				return nil
			}
			G := 0.0
			for _, v := range g[:kk] {
				G += v
			}
			rs := 1 / ss
			for j, i := range idx {
				grad[i] = (g[j] - k.kps[j]*rs*G) * k.invTau
			}
		}
		return nil
	}
	// Tail bucket: full-vocabulary log-probs at the k entries plus
	// log(1 − Σ_k p) for each side.
	for j, i := range idx {
		k.ks[j] = k.ls[i] - lseS
		k.kt[j] = k.lt[i] - lseT
	}
	clampS := addTail(k.ks[:m])
	addTail(k.kt[:m])
	for j := range m {
		k.kps[j] = math.Exp(k.ks[j])
		k.kpt[j] = math.Exp(k.kt[j])
	}
	d, hs, ht, nc, err := divergenceTerms(&k.o, k.ks[:m], k.kt[:m], k.kps[:m], k.kpt[:m], 0, 0, 1, 1, g)
	if err != nil {
		return err
	}
	r.EntropyStudent, r.EntropyTeacher, r.ClippedEntries = hs, ht, nc
	k.finishToken(r, d)
	if grad == nil {
		return nil
	}
	if r.TokenClipped {
		clear(grad)
		return nil
	}
	// ∂D/∂z_j = (1/τ)[g_j·1{j∈K} − S_j G_K + g_tail S_j (P_K − 1{j∈K}) / S_tail]
	// with S the full softmax at τ, P_K = Σ_K S_i, S_tail = 1 − P_K; the
	// tail term is absent when the tail was clamped.
	GK := 0.0
	PK := 0.0
	for j := range kk {
		GK += g[j]
		PK += k.kps[j]
	}
	gt := 0.0
	if !clampS {
		gt = g[kk] / k.kps[kk]
	}
	rs := 1 / sumS
	n := len(grad)
	ps := k.ps[:n]
	c := -GK + gt*PK
	for j := range n {
		grad[j] = ps[j] * rs * c
	}
	for j, i := range idx {
		grad[i] += g[j] - gt*ps[i]*rs
	}
	for j := range n {
		grad[j] *= k.invTau
	}
	return nil
}

// renormLog computes p_i = exp(x_i − max x), shifts x by −max in place,
// and returns log Σ p and Σ p.
func renormLog(x, p []float64) (lse, sum float64) {
	m := math.Inf(-1)
	for _, v := range x {
		if v > m {
			m = v
		}
	}
	s := 0.0
	for i, v := range x {
		d := v - m
		x[i] = d
		e := expFast(d)
		p[i] = e
		s += e
	}
	return logFast(s), s
}

// A table-driven exp, the algorithm of ARM's optimized-routines / musl
// exp (2^(k/N) from a 512-entry table with a correction term, then the
// degree-4 Taylor polynomial on |r| ≤ ln2/1024): at most 1 ulp from the exact
// value (measured against a 200-bit reference; math.Exp on amd64 is up to
// 2), and about twice as fast as math.Exp when inlined by hand into a
// loop, as the hot loops do. The loops call it only for
// −expMax ≤ x ≤ expMax, where the result is a normal number; elsewhere
// (NaN, ±Inf, underflow to subnormals or 0, overflow) math.Exp runs.
const (
	expTableBits = 9
	expN         = 1 << expTableBits
	expMax       = 708
	expShift     = 0x1.8p52 // adding it rounds to an integer
	expInvLn2N   = math.Log2E * expN
	expNegLn2HiN = -6.93147180369123816490e-01 / expN // −ln2/N, high part (31 bits: exact times k)
	expNegLn2LoN = -1.90821492927058770002e-10 / expN
)

// expTab[i] holds 2^(i/N) rounded (its bits, less i << (52−7) so that
// adding k << (52−7) scales by 2^⌊k/N⌋) and the rounding error relative to
// it, computed with 256-bit arithmetic (makeExpTab in tables_test.go);
// the values are literals in tables.go, so no program pays for math/big.
// logTab likewise (makeLogTab).

// A table-driven log (the structure of ARM's optimized-routines / musl
// log): x = 2^k z with z in [0.6875, 1.375), split into 128 subintervals
// with centres c (exact), log x = k ln2 + log c + log1p(r), r = z/c − 1,
// |r| < 0.002, log1p(r) − r by a degree-6 polynomial. log c is stored as
// a head on a 2^-42 grid (so that k ln2hi + head is exact) and a tail.
// Within 1/32 of 1, where log x is small and the head would cancel, and
// for non-normal or non-finite x, math.Log runs. It is at most 1 ulp from
// the exact value (TestLogFast).
const (
	logTableBits = 7
	logN         = 1 << logTableBits
	logOff       = 0x3fe6000000000000         // bits of 0.6875
	logLn2Hi     = 6.93147180369123816490e-01 // math's split of ln 2: k·hi exact
	logLn2Lo     = 1.90821492927058770002e-10
)

// logFast returns log x (math.Log within 1/32 of 1 and for x not a
// positive finite normal number).
func logFast(x float64) float64 {
	if !(x >= 0x1p-1022 && x <= math.MaxFloat64) || (x > 1-0x1p-5 && x < 1+0x1p-5) {
		return math.Log(x)
	}
	ix := math.Float64bits(x)
	tmp := ix - logOff
	e := &logTab[(tmp>>(52-logTableBits))%logN]
	kd := float64(int64(tmp) >> 52)
	z := math.Float64frombits(ix - tmp&(0xfff<<52))
	r := (z - e.c) * e.invc   // z − c is exact
	w := kd*logLn2Hi + e.head // exact
	hi := w + r
	lo := w - hi + r + (kd*logLn2Lo + e.tail)
	r2 := r * r
	return hi + (lo + r2*(-0.5+r*(1.0/3)+r2*(-0.25+r*0.2+r2*(-1.0/6))))
}

// expFast returns e^x (math.Exp outside [−expMax, expMax]).
func expFast(x float64) float64 {
	if !(x >= -expMax && x <= expMax) {
		return math.Exp(x)
	}
	kd := x*expInvLn2N + expShift
	ki := math.Float64bits(kd)
	kd -= expShift
	r := x + kd*expNegLn2HiN + kd*expNegLn2LoN // x − k ln2/N, |r| ≤ ln2/(2N)
	t := &expTab[ki%expN]
	sc := math.Float64frombits(t.sbits + ki<<(52-expTableBits)) // 2^(k/N)
	r2 := r * r
	return sc + sc*(t.tail+r+r2*(0.5+r*(1.0/6))+r2*r2*(1.0/24))
}

// addTail sets x[len−1] = log(1 − Σ_{i<len−1} exp x_i) with the sum's log
// clamped to TailClampMax, and reports whether the clamp fired.
func addTail(x []float64) (clamped bool) {
	n := len(x) - 1
	m := math.Inf(-1)
	for _, v := range x[:n] {
		if v > m {
			m = v
		}
	}
	s := 0.0
	if !math.IsInf(m, -1) {
		for _, v := range x[:n] {
			s += math.Exp(v - m)
		}
	}
	ls := m + math.Log(s)
	if math.IsInf(m, -1) {
		ls = m
	}
	if ls > TailClampMax {
		ls = TailClampMax
		clamped = true
	}
	x[n] = math.Log(-math.Expm1(ls))
	return clamped
}

// topKIndices returns the indices of the k largest entries of x (ties go
// to the lower index), largest first. NaN entries are never selected.
func topKIndices(dst []int, heap *[]int, x []float64, k int) []int {
	h := (*heap)[:0]
	// less reports whether entry a ranks below entry b.
	less := func(a, b int) bool {
		if x[a] != x[b] {
			return x[a] < x[b]
		}
		return a > b
	}
	down := func(i int) {
		n := len(h)
		for {
			l := 2*i + 1
			if l >= n {
				return
			}
			j := l
			if r := l + 1; r < n && less(h[r], h[l]) {
				j = r
			}
			if !less(h[j], h[i]) {
				return
			}
			h[i], h[j] = h[j], h[i]
			i = j
		}
	}
	for i, v := range x {
		if v != v {
			continue
		}
		if len(h) < k {
			h = append(h, i)
			for c := len(h) - 1; c > 0; {
				p := (c - 1) / 2
				if !less(h[c], h[p]) {
					break
				}
				h[c], h[p] = h[p], h[c]
				c = p
			}
			continue
		}
		if v < x[h[0]] || (v == x[h[0]]) {
			// Equal values keep the earlier (lower) index already held.
			continue
		}
		h[0] = i
		down(0)
	}
	*heap = h
	dst = append(dst[:0], h...)
	// Sort largest first (insertion sort: k is small).
	for i := 1; i < len(dst); i++ {
		for j := i; j > 0 && less(dst[j-1], dst[j]); j-- {
			dst[j-1], dst[j] = dst[j], dst[j-1]
		}
	}
	return dst
}
