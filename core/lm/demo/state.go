package demo

import (
	"context"
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
	pl := s.plan()
	for w, b := range m.base {
		dst[w] = pl.gb * b
	}
	s.terms(&pl, func(w int32, v float64) {
		// The conversion keeps the product from fusing into an FMA, so the
		// result is the same bit-for-bit on every architecture.
		dst[w] = dst[w] + v
	})
	return dst
}

// plan is the mixture at one position: the n-gram contexts found, their
// coefficients, and the weights of the base distribution and the cache.
type plan struct {
	found  [maxOrder + 1]int
	coef   [maxOrder + 1]float64 // (1−λ) Π_{j>k} γ_j for found orders k
	gb     float64               // (1−λ) Π γ_j, the weight of P₁
	lambda float64               // effective cache weight (0 for an empty cache)
}

func (s *State) plan() plan {
	m := s.m
	var pl plan
	g := 1.0
	for k := len(s.hist) + 1; k >= 2; k-- {
		var key uint64
		for _, w := range s.hist[len(s.hist)-(k-1):] {
			key = key<<keyBits | uint64(w)
		}
		pl.found[k] = m.levels[k].find(key)
		if pl.found[k] >= 0 {
			pl.coef[k] = g
			g = g * m.levels[k].gamma[pl.found[k]]
		}
	}
	scale := 1.0
	if s.n > 0 && m.cacheWeight > 0 {
		pl.lambda = m.cacheWeight
		scale = 1 - pl.lambda
	}
	for k := 2; k <= len(s.hist)+1; k++ {
		pl.coef[k] = scale * pl.coef[k]
	}
	pl.gb = scale * g
	return pl
}

// terms calls add(w, v) for every sparse term v of P(w) beyond the base
// term gb·P₁(w): the seen successors of each found context, lowest order
// first, then the bigram cache, then the unigram cache. Probs and Score
// apply them in this same order, so they agree bit for bit.
func (s *State) terms(pl *plan, add func(w int32, v float64)) {
	m := s.m
	for k := 2; k <= len(s.hist)+1; k++ {
		i := pl.found[k]
		if i < 0 {
			continue
		}
		l := &m.levels[k]
		c := pl.coef[k]
		for j := l.start[i]; j < l.start[i+1]; j++ {
			add(l.ids[j], float64(c*l.p[j]))
		}
	}
	if pl.lambda == 0 {
		return
	}
	uniShare := 1.0
	if sc := s.big[s.last]; sc != nil && m.cacheBigram > 0 {
		uniShare = 1 - m.cacheBigram
		cb := pl.lambda * m.cacheBigram / float64(sc.total)
		for j, w := range sc.ids {
			add(w, float64(cb*float64(sc.cnt[j])))
		}
	}
	cu := pl.lambda * uniShare / float64(s.n)
	for _, w := range s.distinct {
		add(w, float64(cu*float64(s.uni[w])))
	}
}

// sparse holds the probabilities of the tokens that have sparse terms at one
// position; every other token w has probability gb·P₁(w).
type sparse struct {
	val     []float64 // val[w] valid where mark[w] == epoch
	mark    []uint32
	epoch   uint32
	touched []int32
}

func (sp *sparse) reset(V int) {
	if len(sp.val) != V {
		sp.val = make([]float64, V)
		sp.mark = make([]uint32, V)
		sp.epoch = 0
	}
	sp.epoch++
	if sp.epoch == 0 { // wrapped: clear stale marks
		clear(sp.mark)
		sp.epoch = 1
	}
	sp.touched = sp.touched[:0]
}

// fill computes the sparse probabilities at the current position.
func (s *State) fill(sp *sparse, pl *plan) {
	base := s.m.base
	sp.reset(len(base))
	s.terms(pl, func(w int32, v float64) {
		if sp.mark[w] != sp.epoch {
			sp.mark[w] = sp.epoch
			sp.val[w] = pl.gb * base[w]
			sp.touched = append(sp.touched, w)
		}
		sp.val[w] = sp.val[w] + v
	})
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
// grows by each continuation token as it is consumed. Its results equal
// NextLogProbs on the growing context bit for bit, but it never builds the
// dense distribution: a token without sparse terms has probability
// gb·P₁(w), so the top-k come from the tokens with sparse terms and the
// first tokens in the model's precomputed P₁ order. Each position costs
// O(T + k) for T sparse terms, at most O(VocabSize()).
// It returns an error if an id is outside [0, VocabSize()) or topK < 0.
func (m *Model) Score(prefix, continuation []int, topK int) ([]Position, error) {
	return m.ScoreContext(context.Background(), prefix, continuation, topK)
}

// ScoreContext is Score that stops when ctx is done: it checks ctx once
// per position (each costs microseconds, so a cancelled request stops
// within one position) and then returns ctx's error. A nil ctx never
// stops.
func (m *Model) ScoreContext(ctx context.Context, prefix, continuation []int, topK int) ([]Position, error) {
	if err := m.checkIDs("context", prefix); err != nil {
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
	for _, id := range prefix {
		s.Push(id)
	}
	out := make([]Position, len(continuation))
	alts := make([]Alt, len(continuation)*topK)
	var sp sparse
	cand := make([]cand, 0, topK)
	for t, id := range continuation {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		pl := s.plan()
		s.fill(&sp, &pl)
		p := func(w int32) float64 {
			if sp.mark[w] == sp.epoch {
				return sp.val[w]
			}
			return pl.gb * m.base[w]
		}
		pos := Position{TokenID: id, Token: m.tok.vocab[id], LogProb: math.Log(p(int32(id)))}
		cand = s.top(cand[:0], &sp, &pl, topK)
		pos.Top = alts[t*topK : t*topK+len(cand) : t*topK+len(cand)]
		for j, c := range cand {
			pos.Top[j] = Alt{TokenID: int(c.id), Token: m.tok.vocab[c.id], LogProb: math.Log(c.p)}
		}
		out[t] = pos
		s.Push(id)
	}
	return out, nil
}

type cand struct {
	id int32
	p  float64
}

// better orders candidates by probability descending, then id ascending.
func better(a, b cand) bool { return a.p > b.p || a.p == b.p && a.id < b.id }

// sortTopK is the k from which top gathers every candidate and sorts
// them (O(n log n)) instead of inserting each into a sorted list (O(n k)):
// the whole vocabulary (a full support) took 5 ms a position by insertion.
const sortTopK = 64

// top returns in dst the k most probable tokens at the current position:
// the best of the tokens with sparse terms and of the first k others in
// P₁ order (ties by id), which among themselves are ordered as gb·P₁.
func (s *State) top(dst []cand, sp *sparse, pl *plan, k int) []cand {
	if k == 0 {
		return dst
	}
	if k >= sortTopK {
		return s.topSorted(dst, sp, pl, k)
	}
	for _, w := range sp.touched {
		dst = insertCand(dst, cand{w, sp.val[w]}, k)
	}
	n := 0
	for _, w := range s.m.byBase {
		if n == k {
			break
		}
		if sp.mark[w] == sp.epoch {
			continue
		}
		n++
		dst = insertCand(dst, cand{w, pl.gb * s.m.base[w]}, k)
	}
	return dst
}

// topSorted is top for a large k: the same candidates, sorted by better
// (a strict order: ids differ), cut to k. dst's capacity is reused.
func (s *State) topSorted(dst []cand, sp *sparse, pl *plan, k int) []cand {
	for _, w := range sp.touched {
		dst = append(dst, cand{w, sp.val[w]})
	}
	n := 0
	for _, w := range s.m.byBase {
		if n == k {
			break
		}
		if sp.mark[w] == sp.epoch {
			continue
		}
		n++
		dst = append(dst, cand{w, pl.gb * s.m.base[w]})
	}
	slices.SortFunc(dst, func(a, b cand) int {
		if better(a, b) {
			return -1
		}
		if better(b, a) {
			return 1
		}
		return 0
	})
	return dst[:min(k, len(dst))]
}

// insertCand inserts c into dst, sorted by better, keeping at most k.
func insertCand(dst []cand, c cand, k int) []cand {
	if len(dst) == k && !better(c, dst[k-1]) {
		return dst
	}
	i := len(dst)
	for i > 0 && better(c, dst[i-1]) {
		i--
	}
	if len(dst) < k {
		dst = append(dst, cand{})
	}
	copy(dst[i+1:], dst[i:len(dst)-1])
	dst[i] = c
	return dst
}

// LogProbsAt returns, at each position t of continuation after context
// (teacher-forced), the natural-log probabilities of the tokens ids[t]:
// out[t][j] = log P(ids[t][j] | context, continuation[:t]). Each position
// costs O(T + len(ids[t])) for T sparse terms, not O(VocabSize()), and the
// values are bit for bit those of State.Probs (the same sums in the same
// order). ids must have one list per position.
func (m *Model) LogProbsAt(prefix, continuation []int, ids [][]int) ([][]float64, error) {
	return m.LogProbsAtContext(context.Background(), prefix, continuation, ids)
}

// LogProbsAtContext is LogProbsAt that stops when ctx is done, checking
// it once per position as ScoreContext does.
func (m *Model) LogProbsAtContext(ctx context.Context, prefix, continuation []int, ids [][]int) ([][]float64, error) {
	if err := m.checkIDs("context", prefix); err != nil {
		return nil, err
	}
	if err := m.checkIDs("continuation", continuation); err != nil {
		return nil, err
	}
	if len(ids) != len(continuation) {
		return nil, fmt.Errorf("demo: %d id lists for %d positions", len(ids), len(continuation))
	}
	n := 0
	for t, l := range ids {
		if err := m.checkIDs(fmt.Sprintf("ids[%d]", t), l); err != nil {
			return nil, err
		}
		n += len(l)
	}
	s := m.NewState()
	for _, id := range prefix {
		s.Push(id)
	}
	out := make([][]float64, len(continuation))
	flat := make([]float64, n)
	var sp sparse
	for t, id := range continuation {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		pl := s.plan()
		s.fill(&sp, &pl)
		row := flat[:len(ids[t]):len(ids[t])]
		flat = flat[len(ids[t]):]
		for j, w := range ids[t] {
			p := pl.gb * m.base[w]
			if sp.mark[w] == sp.epoch {
				p = sp.val[w]
			}
			row[j] = math.Log(p)
		}
		out[t] = row
		s.Push(id)
	}
	return out, nil
}
