package trace

import (
	"errors"
	"fmt"

	"github.com/rcsd-dev/rcsd/core/distill"
)

// DenseLoss computes the loss of one completion from dense logits:
// student and teacher hold [T, V] logits (T = len(tokens) completion
// positions, V the vocabulary; logits or log-probs, any shift per row),
// tokens the sampled ids and mask the optional completion mask. It reads
// one row of each at a time and calls k.Token per position, so memory is
// O(V) plus the per-token results, and it returns what k.Loss returns for
// the same single sequence (the same numbers, bit for bit; a batch of
// one). No gradients.
//
// Errors: the two shapes differ, T ≠ len(tokens), a mask of another
// length, a read error (wrapped, naming the side), or an
// *distill.InputError with the position.
func DenseLoss(k *distill.Kernel, student, teacher *NPYReader, tokens []int, mask []bool) (distill.Result, error) {
	sr, sv := student.Shape()
	tr, tv := teacher.Shape()
	if sr != tr || sv != tv {
		return distill.Result{}, fmt.Errorf("trace: student logits are [%d, %d], teacher logits [%d, %d]", sr, sv, tr, tv)
	}
	if sr != len(tokens) {
		return distill.Result{}, fmt.Errorf("trace: the logits have %s, the completion %s", plural(sr, "row"), plural(len(tokens), "token"))
	}
	if mask != nil && len(mask) != len(tokens) {
		return distill.Result{}, fmt.Errorf("trace: the mask has %s, the completion %s", plural(len(mask), "entry"), plural(len(tokens), "token"))
	}
	o := k.Options()
	p := k.Plan([][]int{tokens}, [][]bool{mask})
	valid, weight := p.Valid[0], p.Weight[0]
	srow := make([]float64, sv)
	trow := make([]float64, sv)
	out := make([]distill.TokenResult, len(tokens))
	tinker := o.Estimator == distill.Tinker
	var logS []float64
	if tinker {
		logS = make([]float64, len(tokens))
	}
	for t, y := range tokens {
		if err := student.Row(srow); err != nil {
			return distill.Result{}, fmt.Errorf("trace: student logits: %w", err)
		}
		if err := teacher.Row(trow); err != nil {
			return distill.Result{}, fmt.Errorf("trace: teacher logits: %w", err)
		}
		r, err := k.Token(srow, trow, y, nil)
		if err != nil {
			var ie *distill.InputError
			if errors.As(err, &ie) {
				ie.Position = t
			}
			return distill.Result{}, err
		}
		r.Valid = valid[t]
		out[t] = r
		if tinker {
			logS[t] = distill.SampledLogProb(srow, y, 1/o.Temperature)
		}
	}
	if tinker {
		distill.Discount(out, valid, o.Discount, func(t int) float64 { return logS[t] })
	}
	res := distill.Result{ValidTokens: p.ValidTokens, Sequences: p.Sequences, DroppedSequences: p.DroppedSequences,
		Tokens: [][]distill.TokenResult{out}}
	for t, r := range out {
		if w := weight[t]; w != 0 {
			res.Loss += w * r.Divergence
		}
	}
	return res, nil
}
