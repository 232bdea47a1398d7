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
	k.ks = grow(k.ks, m)
	k.kt = grow(k.kt, m)
	k.kps = grow(k.kps, m)
	k.kpt = grow(k.kpt, m)
	copy(k.ks, student)
	copy(k.kt, teacher)
	return k.alignedCore(n)
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
	r, err := k.alignedCore(kk)
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
