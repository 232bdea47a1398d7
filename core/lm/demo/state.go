package demo

import (
	"fmt"
	"math"
	"slices"
)

// State is the running context of one sequence: its last Order()−1 tokens
// for the n-gram part and a unigram/bigram cache over every token pushed so
// far. A State is not safe for concurrent use; make one per goroutine.
//
// The cache distribution after tokens x₁…x_n is
//
//	P_cache(w) = μ c(x_n w)/c(x_n •) + (1 − μ) c(w)/n   if c(x_n •) > 0,
//	P_cache(w) = c(w)/n                                 otherwise,
//
// with c(w) the count of w among x₁…x_n and c(x_n w) the count of the bigram
// (x_n, w) among them; it is mixed with weight λ into the n-gram estimate.
type State struct {
	m    *Model
	hist []int32 // last order-1 tokens, oldest first
	n    int     // tokens pushed

	uni      []int32 // uni[w] = c(w)
	distinct []int32 // tokens with uni > 0, in order of first appearance
	big      map[int32]*succ
	last     int32
}

type succ struct {
	total int32
	ids   []int32
	cnt   []int32
}

// NewState returns an empty state of m.
func (m *Model) NewState() *State {
	return &State{m: m, uni: make([]int32, m.VocabSize()), big: make(map[int32]*succ), last: -1}
}

// Reset empties s for reuse, keeping its buffers.
func (s *State) Reset() {
	for _, w := range s.distinct {
		s.uni[w] = 0
	}
	s.distinct = s.distinct[:0]
	s.hist = s.hist[:0]
	s.n = 0
	clear(s.big)
	s.last = -1
}

// Len returns the number of tokens pushed since the last Reset.
func (s *State) Len() int { return s.n }

// Push appends token id to the context. It panics if id is outside
// [0, VocabSize()).
func (s *State) Push(id int) {
	if id < 0 || id >= len(s.uni) {
		panic(fmt.Sprintf("demo: token id %d not in [0, %d)", id, len(s.uni)))
	}
	w := int32(id)
	if s.m.order > 1 {
		if len(s.hist) == s.m.order-1 {
			copy(s.hist, s.hist[1:])
			s.hist[len(s.hist)-1] = w
		} else {
			s.hist = append(s.hist, w)
		}
	}
	if s.uni[w] == 0 {
		s.distinct = append(s.distinct, w)
	}
	s.uni[w]++
	if s.last >= 0 {
		sc := s.big[s.last]
		if sc == nil {
			sc = &succ{}
			s.big[s.last] = sc
		}
		if i := slices.Index(sc.ids, w); i >= 0 {
			sc.cnt[i]++
		} else {
			sc.ids = append(sc.ids, w)
			sc.cnt = append(sc.cnt, 1)
		}
		sc.total++
	}
	s.last = w
	s.n++
}

// Probs returns in dst the probabilities P(w | context) of every token w,
// as described at Model.NextLogProbs. dst is resized to VocabSize()
// (allocated when its capacity is too small) and returned.
//
// The interpolated Kneser–Ney estimate unrolls into
//
//	P_KN(w | h) = Σ_k (Π_{j>k} γ_j) a_k(w) + (Π_{j≥2} γ_j) P₁(w),
//
// over the orders k ≥ 2 whose context h_k (the last k−1 tokens) was seen in
// training, a_k(w) = max(c_k(h_k w) − D_k(c), 0)/Σ_v c_k(h_k v) and
// γ_j = γ(h_j). So Probs costs one pass over the vocabulary plus the seen
// successors of each context and the cache entries.
func (s *State) Probs(dst []float64) []float64 {
	m := s.m
	V := len(m.tok.vocab)
	if cap(dst) < V {
		dst = make([]float64, V)
	}
	dst = dst[:V]

	// Contexts seen in training, highest order first.
	var found [maxOrder + 1]int
	var coef [maxOrder + 1]float64
	g := 1.0
	for k := len(s.hist) + 1; k >= 2; k-- {
		var key uint64
		for _, w := range s.hist[len(s.hist)-(k-1):] {
			key = key<<keyBits | uint64(w)
		}
		found[k] = m.levels[k].find(key)
		if found[k] >= 0 {
			coef[k] = g
			g = g * m.levels[k].gamma[found[k]]
		}
	}
	scale := 1.0
	lambda := m.cacheWeight
	if s.n == 0 || lambda == 0 {
		lambda = 0
	} else {
		scale = 1 - lambda
	}
	gb := scale * g
	for w, b := range m.base {
		dst[w] = gb * b
	}
	for k := 2; k <= len(s.hist)+1; k++ {
		i := found[k]
		if i < 0 {
			continue
		}
		l := &m.levels[k]
		c := scale * coef[k]
		for j := l.start[i]; j < l.start[i+1]; j++ {
			// The conversion keeps the product from fusing into an FMA, so
			// the result is the same bit-for-bit on every architecture.
			dst[l.ids[j]] = dst[l.ids[j]] + float64(c*l.p[j])
		}
	}
	if lambda == 0 {
		return dst
	}
	uniShare := 1.0
	if sc := s.big[s.last]; sc != nil && m.cacheBigram > 0 {
		uniShare = 1 - m.cacheBigram
		cb := lambda * m.cacheBigram / float64(sc.total)
		for j, w := range sc.ids {
			dst[w] = dst[w] + float64(cb*float64(sc.cnt[j]))
		}
	}
	cu := lambda * uniShare / float64(s.n)
	for _, w := range s.distinct {
		dst[w] = dst[w] + float64(cu*float64(s.uni[w]))
	}
	return dst
}

// Alt is one of the most probable tokens at a position.
type Alt struct {
	TokenID int
	Token   string
	LogProb float64
}

// Position is the score of one continuation token: its natural-log
// probability under the model given the context and the continuation
// before it, and the topK most probable tokens there, sorted by
// probability descending, ties by id ascending.
type Position struct {
	TokenID int
	Token   string
	LogProb float64
	Top     []Alt
}

// Score scores continuation after context with teacher forcing: position t
// gets log P(continuation[t] | context, continuation[:t]), and the cache
// grows by each continuation token as it is consumed. It costs
// O(len(continuation) · VocabSize()) time and one vocabulary-sized buffer.
// It returns an error if an id is outside [0, VocabSize()) or topK < 0.
func (m *Model) Score(context, continuation []int, topK int) ([]Position, error) {
	if err := m.checkIDs("context", context); err != nil {
		return nil, err
	}
	if err := m.checkIDs("continuation", continuation); err != nil {
		return nil, err
	}
	if topK < 0 {
		return nil, fmt.Errorf("demo: top-k %d is negative", topK)
	}
	topK = min(topK, m.VocabSize())
	s := m.NewState()
	for _, id := range context {
		s.Push(id)
	}
	out := make([]Position, len(continuation))
	alts := make([]Alt, len(continuation)*topK)
	buf := make([]float64, m.VocabSize())
	top := make([]int32, 0, topK)
	for t, id := range continuation {
		buf = s.Probs(buf)
		top = topIDs(top, buf, topK)
		pos := Position{TokenID: id, Token: m.tok.vocab[id], LogProb: math.Log(buf[id])}
		pos.Top = alts[t*topK : t*topK+len(top) : t*topK+len(top)]
		for j, w := range top {
			pos.Top[j] = Alt{TokenID: int(w), Token: m.tok.vocab[w], LogProb: math.Log(buf[w])}
		}
		out[t] = pos
		s.Push(id)
	}
	return out, nil
}

// topIDs returns in dst the ids of the k largest entries of p, largest
// first, ties by smaller id first.
func topIDs(dst []int32, p []float64, k int) []int32 {
	dst = dst[:0]
	if k == 0 {
		return dst
	}
	for w, v := range p {
		if len(dst) == k && v <= p[dst[k-1]] {
			// Ids grow, so an equal value never beats an entry already held.
			continue
		}
		// Insert w after every held entry with a value ≥ v.
		i := len(dst)
		for i > 0 && p[dst[i-1]] < v {
			i--
		}
		if len(dst) < k {
			dst = append(dst, 0)
		}
		copy(dst[i+1:], dst[i:len(dst)-1])
		dst[i] = int32(w)
	}
	return dst
}
