package trace

import (
	"slices"

	"github.com/rcsd-dev/rcsd/core/distill"
)

// Batch reduces the results of many traces into one loss, as
// distill.Kernel.Loss reduces a batch of sequences, in O(1) memory per
// trace (plus one accumulator per criterion id):
//
//	token-mean:    Σ_s Σ_t D_{s,t} / N_valid          (N_valid over all traces)
//	sequence-mean: Σ_s (Σ_t D_{s,t} / n_s) / B′       (B′ = traces with n_s > 0)
//	sum:           Σ_s Σ_t D_{s,t}
//	batchmean:     Σ_s Σ_t D_{s,t} / B                (B = all traces added, dropped ones included)
//
// sums over valid positions only. No valid position gives loss 0.
type Batch struct {
	red      distill.Reduction
	all      acc
	criteria map[string]*acc

	traces, dropped, clipped, filled int
	hs, ht                           float64
}

// acc accumulates one loss (the whole teacher, or one criterion).
type acc struct {
	sum, seqMeans float64
	n, seqs, b    int
	adv           float64
	nAdv          int
}

func (a *acc) add(toks []Token) {
	var s float64
	n := 0
	for i := range toks {
		t := &toks[i]
		if !t.Valid {
			continue
		}
		n++
		s += t.Divergence
		if t.HasAdvantage {
			a.adv += t.Advantage
			a.nAdv++
		}
	}
	a.b++
	a.sum += s
	a.n += n
	if n > 0 {
		a.seqs++
		a.seqMeans += s / float64(n)
	}
}

func (a *acc) loss(red distill.Reduction) float64 {
	if a.n == 0 {
		return 0
	}
	switch red {
	case distill.TokenMean:
		return a.sum / float64(a.n)
	case distill.SequenceMean:
		return a.seqMeans / float64(a.seqs)
	case distill.Sum:
		return a.sum
	case distill.BatchMean:
		return a.sum / float64(a.b)
	}
	panic("trace: unknown reduction " + string(red))
}

func (a *acc) meanAdv() float64 {
	if a.nAdv == 0 {
		return 0
	}
	return a.adv / float64(a.nAdv)
}

// NewBatch returns an empty batch reducing with red ("" means
// token-mean); pass the kernel's Options().Reduction. It panics on an
// unknown reduction, which validated options never hold.
func NewBatch(red distill.Reduction) *Batch {
	switch red {
	case "":
		red = distill.TokenMean
	case distill.TokenMean, distill.SequenceMean, distill.Sum, distill.BatchMean:
	default:
		panic("trace: unknown reduction " + string(red))
	}
	return &Batch{red: red, criteria: map[string]*acc{}}
}

// Add adds one trace's result.
func (b *Batch) Add(r *Result) {
	b.traces++
	if r.Dropped {
		b.dropped++
	}
	b.filled += r.Filled
	b.all.add(r.Tokens)
	for i := range r.Tokens {
		t := &r.Tokens[i]
		if t.Valid {
			if t.Clipped {
				b.clipped++
			}
			b.hs += t.EntropyStudent
			b.ht += t.EntropyTeacher
		}
	}
	for i := range r.Criteria {
		c := &r.Criteria[i]
		a := b.criteria[c.ID]
		if a == nil {
			a = &acc{}
			b.criteria[c.ID] = a
		}
		a.add(c.Tokens)
	}
}

// Summary is the reduced loss of a batch of traces and its statistics
// over the valid positions.
type Summary struct {
	Loss      float64           `json:"loss"`
	Reduction distill.Reduction `json:"reduction"`
	Traces    int               `json:"traces"`
	// Sequences counts the traces with at least one valid position.
	Sequences        int `json:"sequences"`
	DroppedSequences int `json:"dropped_sequences"`
	ValidTokens      int `json:"valid_tokens"`
	// ClippedTokens counts valid positions where a clip fired.
	ClippedTokens int `json:"clipped_tokens"`
	// MeanAdvantage is the mean of A_t over the AdvantageTokens valid
	// positions where it is known (see Compute).
	MeanAdvantage   float64 `json:"mean_advantage"`
	AdvantageTokens int     `json:"advantage_tokens"`
	// MeanEntropyStudent and MeanEntropyTeacher average the per-token
	// entropies of the compared distributions over the valid positions.
	MeanEntropyStudent float64 `json:"mean_entropy_student"`
	MeanEntropyTeacher float64 `json:"mean_entropy_teacher"`
	// Approximation is "floor" when any log-prob was filled (Filled of them).
	Approximation Missing            `json:"approximation,omitempty"`
	Filled        int                `json:"filled,omitempty"`
	Criteria      []CriterionSummary `json:"criteria,omitempty"`
}

// CriterionSummary is the batch loss against one criterion's teacher,
// over the traces that carry that criterion.
type CriterionSummary struct {
	ID              string  `json:"id"`
	Loss            float64 `json:"loss"`
	Traces          int     `json:"traces"`
	ValidTokens     int     `json:"valid_tokens"`
	MeanAdvantage   float64 `json:"mean_advantage"`
	AdvantageTokens int     `json:"advantage_tokens"`
}

// Summary returns the batch's reduced loss and statistics so far.
func (b *Batch) Summary() Summary {
	s := Summary{
		Loss: b.all.loss(b.red), Reduction: b.red, Traces: b.traces,
		Sequences: b.all.seqs, DroppedSequences: b.dropped, ValidTokens: b.all.n,
		ClippedTokens: b.clipped, MeanAdvantage: b.all.meanAdv(), AdvantageTokens: b.all.nAdv,
		Filled: b.filled,
	}
	if b.all.n > 0 {
		s.MeanEntropyStudent = b.hs / float64(b.all.n)
		s.MeanEntropyTeacher = b.ht / float64(b.all.n)
	}
	if b.filled > 0 {
		s.Approximation = MissingFloor
	}
	ids := make([]string, 0, len(b.criteria))
	for id := range b.criteria {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		a := b.criteria[id]
		s.Criteria = append(s.Criteria, CriterionSummary{ID: id, Loss: a.loss(b.red), Traces: a.b,
			ValidTokens: a.n, MeanAdvantage: a.meanAdv(), AdvantageTokens: a.nAdv})
	}
	return s
}
