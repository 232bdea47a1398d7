package distill

import "math"

// Plan is the masking and reduction of a batch, computed from the token
// ids alone so that a caller can stream positions through Kernel.Token
// and scale each gradient row by its weight:
//
//	loss = Σ_s Σ_t Weight[s][t] · D_{s,t}
//
// Weight is 0 at masked positions.
type Plan struct {
	Valid            [][]bool
	Weight           [][]float64
	ValidTokens      int
	Sequences        int // sequences with at least one valid position
	DroppedSequences int // sequences dropped for lacking the think-end token
}

// Mask writes into dst (grown to len(tokens)) whether each completion
// position counts in the loss: mask[t] (nil means all true), t ≥
// SkipFirst, and with MaskThinking, t after the first ThinkEndToken. A
// sequence without the think-end token is dropped (dropped = true, all
// false). Mask panics if mask is not nil and differs in length from tokens.
func (k *Kernel) Mask(dst []bool, tokens []int, mask []bool) (valid []bool, dropped bool) {
	if mask != nil && len(mask) != len(tokens) {
		panic("distill: mask length differs from tokens")
	}
	n := len(tokens)
	if cap(dst) < n {
		dst = make([]bool, n)
	}
	dst = dst[:n]
	start := k.o.SkipFirst
	if k.o.MaskThinking {
		end := -1
		for i, id := range tokens {
			if id == k.o.ThinkEndToken {
				end = i
				break
			}
		}
		if end < 0 {
			clear(dst)
			return dst, true
		}
		start = max(start, end+1)
	}
	for i := range dst {
		dst[i] = i >= start && (mask == nil || mask[i])
	}
	return dst, false
}

// Plan computes the valid positions and reduction weights of a batch
// given each sequence's sampled tokens and optional completion masks
// (masks may be nil, or hold nil entries). Zero valid tokens gives all
// weights 0, so the loss is 0, never NaN.
//
//	token-mean:    w = 1 / N_valid
//	sequence-mean: w = 1 / (n_s · B'), B' = sequences with n_s > 0
//	sum:           w = 1
//	batchmean:     w = 1 / B, B = len(tokens) (dropped sequences included)
func (k *Kernel) Plan(tokens [][]int, masks [][]bool) Plan {
	var p Plan
	p.Valid = make([][]bool, len(tokens))
	p.Weight = make([][]float64, len(tokens))
	counts := make([]int, len(tokens))
	for s, tk := range tokens {
		var m []bool
		if masks != nil {
			m = masks[s]
		}
		v, dropped := k.Mask(nil, tk, m)
		p.Valid[s] = v
		if dropped {
			p.DroppedSequences++
		}
		for _, ok := range v {
			if ok {
				counts[s]++
			}
		}
		p.ValidTokens += counts[s]
		if counts[s] > 0 {
			p.Sequences++
		}
	}
	for s, v := range p.Valid {
		w := make([]float64, len(v))
		p.Weight[s] = w
		if p.ValidTokens == 0 {
			continue
		}
		var c float64
		switch k.o.Reduction {
		case TokenMean:
			c = 1 / float64(p.ValidTokens)
		case SequenceMean:
			if counts[s] > 0 {
				c = 1 / (float64(counts[s]) * float64(p.Sequences))
			}
		case Sum:
			c = 1
		case BatchMean:
			c = 1 / float64(len(tokens))
		default:
			panic("distill: unnormalised reduction " + string(k.o.Reduction))
		}
		for t, ok := range v {
			if ok {
				w[t] = c
			}
		}
	}
	return p
}

// DenseSequence is one completion with dense logits per position. Rows
// may be views into one flat buffer; they are only read.
type DenseSequence struct {
	Tokens  []int       // sampled token y_t per completion position
	Mask    []bool      // nil: every position is a completion token
	Student [][]float64 // Student[t]: student logits at t (length V)
	Teacher [][]float64 // Teacher[t]: teacher logits at t (length V)
}

// Result is a batch loss with its per-token outputs.
type Result struct {
	Loss             float64         `json:"loss"`
	ValidTokens      int             `json:"valid_tokens"`
	Sequences        int             `json:"sequences"`
	DroppedSequences int             `json:"dropped_sequences"`
	Tokens           [][]TokenResult `json:"tokens"`
}

// Loss computes the reduced loss over a batch. When grad is not nil,
// grad[s][t] (length V, caller-allocated) receives ∂loss/∂z_{s,t}, the
// gradient with respect to the student's logits; masked positions get
// zeros. Positions are processed one at a time with the kernel's O(V)
// scratch. Per-token results are computed at masked positions too
// (Valid = false) except where the logits rows are absent.
//
// Loss panics when a sequence's Student, Teacher and Tokens differ in
// length or grad's shape differs from the logits; it returns an
// *InputError (with the position) for bad numbers.
func (k *Kernel) Loss(seqs []DenseSequence, grad [][][]float64) (Result, error) {
	toks := make([][]int, len(seqs))
	masks := make([][]bool, len(seqs))
	for s, q := range seqs {
		if len(q.Student) != len(q.Tokens) || len(q.Teacher) != len(q.Tokens) {
			panic("distill: sequence rows and tokens differ in length")
		}
		if grad != nil && len(grad[s]) != len(q.Tokens) {
			panic("distill: grad shape differs from the batch")
		}
		toks[s], masks[s] = q.Tokens, q.Mask
	}
	p := k.Plan(toks, masks)
	res := Result{ValidTokens: p.ValidTokens, Sequences: p.Sequences, DroppedSequences: p.DroppedSequences,
		Tokens: make([][]TokenResult, len(seqs))}
	// Tinker masks its advantages (and may sum them over the future), so
	// its terms are finished per sequence.
	discount := k.o.Estimator == Tinker
	for s, q := range seqs {
		out := make([]TokenResult, len(q.Tokens))
		res.Tokens[s] = out
		for t := range q.Tokens {
			var g []float64
			if grad != nil && !discount {
				g = grad[s][t]
			}
			r, err := k.Token(q.Student[t], q.Teacher[t], q.Tokens[t], g)
			if err != nil {
				if ie, ok := err.(*InputError); ok {
					ie.Position = t
				}
				return Result{}, err
			}
			r.Valid = p.Valid[s][t]
			out[t] = r
			if g != nil {
				w := p.Weight[s][t]
				for i := range g {
					g[i] *= w
				}
			}
		}
		if discount {
			if err := k.discountSequence(q, out, p.Valid[s], p.Weight[s], grad, s); err != nil {
				return Result{}, err
			}
		}
		for t, r := range out {
			if w := p.Weight[s][t]; w != 0 {
				res.Loss += w * r.Divergence
			}
		}
	}
	return res, nil
}

// discountSequence applies tinker's masked discounted future sum to one
// sequence (Discount), then, when grad is not nil, the gradients of the
// rewritten terms.
func (k *Kernel) discountSequence(q DenseSequence, out []TokenResult, valid []bool, w []float64, grad [][][]float64, s int) error {
	adv := Discount(out, valid, k.o.Discount, func(t int) float64 { return k.sampledLogS(q.Student[t], q.Tokens[t]) })
	if grad == nil {
		return nil
	}
	for t := range out {
		g := grad[s][t]
		if w[t] == 0 {
			clear(g)
			continue
		}
		if _, err := k.Token(q.Student[t], q.Teacher[t], q.Tokens[t], nil); err != nil {
			return err
		}
		k.estimatorGrad(g, q.Tokens[t], -adv[t], 1/k.sumS(len(g)))
		for i := range g {
			g[i] *= w[t]
		}
	}
	return nil
}

// Discount applies tinker's masking and discounted future sum to the
// advantages of one sequence, a'_t = Σ_{u ≥ t} γ^{u−t} a_u m_u, where m is
// the validity mask (masked positions contribute 0; γ = 0 leaves a_t m_t),
// and rewrites each term as −a'_t log S(y_t), logS(t) giving log S(y_t) at
// τ. It returns the a'_t. Hosts that stream a sequence's logits (the
// dense trace path) call it with the log-probs they kept.
func Discount(out []TokenResult, valid []bool, gamma float64, logS func(t int) float64) []float64 {
	acc := 0.0
	adv := make([]float64, len(out))
	for t := len(out) - 1; t >= 0; t-- {
		a := 0.0
		if valid[t] {
			a = out[t].PGAdvantage
		}
		acc = a + gamma*acc
		adv[t] = acc
	}
	for t := range out {
		out[t].PGAdvantage = adv[t]
		out[t].Unclipped = -adv[t] * logS(t)
		out[t].Divergence = out[t].Unclipped
	}
	return adv
}

// sampledLogS returns log softmax(z/τ)[y] (maximum subtracted).
func (k *Kernel) sampledLogS(z []float64, y int) float64 { return SampledLogProb(z, y, k.invTau) }

// SampledLogProb returns log softmax(z·invTau)[y], the maximum subtracted.
func SampledLogProb(z []float64, y int, invTau float64) float64 {
	m := math.Inf(-1)
	for _, v := range z {
		m = max(m, v)
	}
	s := 0.0
	for _, v := range z {
		s += math.Exp((v - m) * invTau)
	}
	return (z[y]-m)*invTau - math.Log(s)
}

// sumS returns Σ of the student's unnormalised probabilities in scratch.
func (k *Kernel) sumS(n int) float64 {
	s := 0.0
	for _, v := range k.ps[:n] {
		s += v
	}
	return s
}
