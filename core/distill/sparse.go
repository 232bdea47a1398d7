package distill

import "math"

// TopLogProbs is one side's log-probabilities at one position as an
// inference server returns them (vLLM prompt_logprobs, SGLang
// top_logprobs): token ids with log p, where p is the full-vocabulary
// softmax at temperature 1. Entries need not be sorted.
type TopLogProbs struct {
	IDs      []int32
	LogProbs []float64
}

// AlignedToken computes the divergence over a support already chosen and
// aligned by the caller: student[i] and teacher[i] are the two sides'
// log-probs (full-vocabulary, temperature 1) of the same token. With a
// renormalised support both sides are divided by τ and renormalised over
// the entries; with a tail bucket (τ must be 1) one bucket log(1 − Σ p) is
// added to each side. This is the fast path for pre-gathered top-k
// tensors. It panics if the lengths differ and returns an *InputError for
// NaN/+Inf log-probs, a tail with τ ≠ 1, or an infinite divergence.
func (k *Kernel) AlignedToken(student, teacher []float64) (TokenResult, error) {
	n := len(student)
	if len(teacher) != n {
		panic("distill: aligned student and teacher differ in length")
	}
	if n == 0 {
		return TokenResult{}, inputErr("empty support")
	}
	if k.o.Estimator != NoEstimator {
		return TokenResult{}, inputErr("estimator %q needs dense logits (use Kernel.Token)", k.o.Estimator)
	}
	m := n
	if k.o.Tail {
		m = n + 1
	}
	k.kps = grow(k.kps, m)
	k.kpt = grow(k.kpt, m)
	if !k.o.Tail && k.o.Divergence != JSD {
		if r, ok := k.alignedRenormKL(student, teacher); ok {
			return r, nil
		}
	}
	k.ks = grow(k.ks, m)
	k.kt = grow(k.kt, m)
	copy(k.ks, student)
	copy(k.kt, teacher)
	return k.alignedCore(n)
}

// alignedRenormKL is alignedCore's fast path for a renormalised support
// with the forward or reverse KL, the RCSD setting. Log-probs are ≤ 0, so
// their exponentials need no shift by the maximum: one pass validates the
// entries and computes the 2n exponentials (expFast, inlined) with the
// sums the normalisers and entropies need, and a second the clipped
// terms. It reads the inputs in place and writes only k.kps and k.kpt
// (grown to n by the caller). It gives up (ok false) unless every log-prob
// is finite and ≤ 0 with e^{s_i/τ} a normal number (s_i/τ ≥ −708);
// alignedCore then handles the row, with its errors and its
// conventions for −Inf entries. The values equal alignedCore's up to
// rounding (the same formulas, regrouped): with x_i = s_i/τ,
// Z_S = Σ_j e^{x_j}, L_S = log Z_S, S_i = e^{x_i}/Z_S, and y_i, Z_T, L_T, T_i
// likewise for the teacher,
//
//	forward: e_i = T_i (y_i − x_i + L_S − L_T),   reverse: e_i = S_i (x_i − y_i + L_T − L_S),
//	H(S) = L_S − Σ_i S_i x_i,                     H(T) = L_T − Σ_i T_i y_i.
func (k *Kernel) alignedRenormKL(student, teacher []float64) (r TokenResult, ok bool) {
	n := len(student)
	teacher = teacher[:n]
	ps := k.kps[:n]
	pt := k.kpt[:n]
	it := k.invTau
	var zs, zt, hx, hy float64
	for i, a := range student {
		b := teacher[i]
		if !(a <= 0 && b <= 0) { // NaN, +Inf, positive: the general path's errors
			return r, false
		}
		x := a * it
		y := b * it
		if !(x >= -expMax && y >= -expMax) {
			// e^x would underflow to a subnormal or 0: rare, and left to
			// the general path so that this loop makes no call (a call
			// makes the compiler spill the loop's registers).
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
	}
	lS, lT := logFast(zs), logFast(zt)
	rs, rt := 1/zs, 1/zt
	r.EntropyStudent = lS - hx*rs
	r.EntropyTeacher = lT - hy*rt
	clip := k.o.ClipEntry
	if clip == 0 {
		clip = math.Inf(1)
	}
	var d float64
	nc := 0
	if k.o.Divergence == Forward {
		// e_i = T_i ((t_i − s_i)/τ + L_S − L_T) = e^{y_i} (t_i − s_i) (1/(τ Z_T)) + e^{y_i} (L_S − L_T)/Z_T
		f, c := it*rt, (lS-lT)*rt
		for i, a := range student {
			p := pt[i]
			e := p*(teacher[i]-a)*f + p*c
			// min and a flag rather than a branch: whether a term is
			// capped is data-dependent and mispredicts.
			nc += b2i(e > clip)
			d += min(e, clip)
		}
	} else {
		f, c := it*rs, (lT-lS)*rs
		for i, a := range student {
			p := ps[i]
			e := p*(a-teacher[i])*f + p*c
			nc += b2i(e > clip)
			d += min(e, clip)
		}
	}
	r.ClippedEntries = nc
	k.finishToken(&r, d)
	return r, true
}

// alignedCore runs on k.ks[:n], k.kt[:n] (log-probs at τ = 1).
func (k *Kernel) alignedCore(n int) (TokenResult, error) {
	for i := range n {
		if a, b := k.ks[i], k.kt[i]; a != a || b != b || math.IsInf(a, 1) || math.IsInf(b, 1) || a > 0 || b > 0 {
			return TokenResult{}, inputErr("support entry %d: log-probs must be ≤ 0 and not NaN (student %v, teacher %v)", i, a, b)
		}
	}
	var r TokenResult
	var d, hs, ht float64
	var nc int
	var err error
	if !k.o.Tail {
		it := k.invTau
		if it != 1 {
			for i := range n {
				k.ks[i] *= it
				k.kt[i] *= it
			}
		}
		ls, ss := renormLog(k.ks[:n], k.kps[:n])
		lt, st := renormLog(k.kt[:n], k.kpt[:n])
		if math.IsInf(ls, -1) || math.IsInf(lt, -1) {
			return TokenResult{}, inputErr("support has probability 0 on one side")
		}
		d, hs, ht, nc, err = divergenceTerms(&k.o, k.ks[:n], k.kt[:n], k.kps[:n], k.kpt[:n], -ls, -lt, 1/ss, 1/st, nil)
	} else {
		if k.o.Temperature != 1 {
			return TokenResult{}, inputErr("a tail bucket from served log-probs needs temperature 1 (the full normaliser at τ = %v is unknown)", k.o.Temperature)
		}
		m := n + 1
		addTail(k.ks[:m])
		addTail(k.kt[:m])
		for j := range m {
			k.kps[j] = math.Exp(k.ks[j])
			k.kpt[j] = math.Exp(k.kt[j])
		}
		d, hs, ht, nc, err = divergenceTerms(&k.o, k.ks[:m], k.kt[:m], k.kps[:m], k.kpt[:m], 0, 0, 1, 1, nil)
	}
	if err != nil {
		return TokenResult{}, err
	}
	r.EntropyStudent, r.EntropyTeacher, r.ClippedEntries = hs, ht, nc
	k.finishToken(&r, d)
	return r, nil
}

// SparseToken computes the divergence at one position from the two
// sides' served top log-prob lists. The support's k entries are the k
// largest of the teacher's list (teacher-topk) or the student's list
// (student-topk), ties to the earlier entry; the other side must hold a
// log-prob for each of them, otherwise SparseToken returns an error naming
// the missing token instead of guessing. The full support cannot be
// served sparsely and is an error. sampled (or −1) gives the advantage
// when both lists hold it and τ = 1.
func (k *Kernel) SparseToken(student, teacher TopLogProbs, sampled int) (TokenResult, error) {
	if len(student.IDs) != len(student.LogProbs) || len(teacher.IDs) != len(teacher.LogProbs) {
		panic("distill: TopLogProbs ids and log-probs differ in length")
	}
	src, dst := teacher, student
	srcName, dstName := "teacher", "student"
	switch k.o.Support {
	case TeacherTopK:
	case StudentTopK:
		src, dst = student, teacher
		srcName, dstName = dstName, srcName
	case Full:
		return TokenResult{}, inputErr("support full needs dense logits; served top log-probs cover only part of the vocabulary")
	default:
		panic("distill: unnormalised support " + string(k.o.Support))
	}
	if k.o.Estimator != NoEstimator {
		return TokenResult{}, inputErr("estimator %q needs dense logits (use Kernel.Token)", k.o.Estimator)
	}
	kk := k.o.TopK
	if len(src.IDs) < kk {
		return TokenResult{}, inputErr("support %s needs %d %s log-probs, got %d", k.o.Support, kk, srcName, len(src.IDs))
	}
	k.idx = topKIndices(k.idx[:0], &k.heap, src.LogProbs, kk)
	if len(k.idx) < kk {
		return TokenResult{}, inputErr("%s log-probs contain NaN", srcName)
	}
	m := kk + 1
	k.ks = grow(k.ks, m)
	k.kt = grow(k.kt, m)
	k.kps = grow(k.kps, m)
	k.kpt = grow(k.kpt, m)
	a, b := k.kt, k.ks
	if srcName == "student" {
		a, b = b, a
	}
	// a receives the source side, b the other side's value at the same id.
	for j, i := range k.idx {
		id := src.IDs[i]
		a[j] = src.LogProbs[i]
		pos := -1
		if i < len(dst.IDs) && dst.IDs[i] == id {
			pos = i
		} else {
			for q, v := range dst.IDs {
				if v == id {
					pos = q
					break
				}
			}
		}
		if pos < 0 {
			return TokenResult{}, inputErr("%s log-prob missing for %s top-%d token id %d; request more log-probs from the %s side", dstName, srcName, kk, id, dstName)
		}
		b[j] = dst.LogProbs[pos]
	}
	var r TokenResult
	var err error
	ok := false
	if !k.o.Tail && k.o.Divergence != JSD {
		r, ok = k.alignedRenormKL(k.ks[:kk], k.kt[:kk])
	}
	if !ok {
		r, err = k.alignedCore(kk)
	}
	if err != nil {
		return TokenResult{}, err
	}
	if sampled >= 0 && k.o.Temperature == 1 {
		ls, okS := lookup(student, int32(sampled))
		lt, okT := lookup(teacher, int32(sampled))
		if okS && okT {
			r.HasAdvantage = true
			r.Advantage = lt - ls
		}
	}
	return r, nil
}

func lookup(x TopLogProbs, id int32) (float64, bool) {
	for i, v := range x.IDs {
		if v == id {
			return x.LogProbs[i], true
		}
	}
	return 0, false
}

// b2i is 1 for true and 0 for false (compiled to a flag set, no branch).
func b2i(b bool) int {
	var i int
	if b {
		i = 1
	}
	return i
}
