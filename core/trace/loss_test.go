package trace

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/distill"
	"github.com/rcsd-dev/rcsd/core/lm"
)

// logSoftmax returns z − logsumexp(z): what a server returns as
// log-probs (temperature 1) for logits z.
func logSoftmax(z []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range z {
		m = max(m, v)
	}
	s := 0.0
	for _, v := range z {
		s += math.Exp(v - m)
	}
	lse := m + math.Log(s)
	out := make([]float64, len(z))
	for i, v := range z {
		out[i] = v - lse
	}
	return out
}

// fullPositions turns dense logits into served positions whose top lists
// hold the whole vocabulary (so they cover the distribution).
func fullPositions(rows [][]float64, ids []int) []lm.Position {
	out := make([]lm.Position, len(rows))
	for t, z := range rows {
		lp := logSoftmax(z)
		top := make([]lm.Alt, len(lp))
		for v, x := range lp {
			top[v] = lm.Alt{TokenID: v, LogProb: x}
		}
		out[t] = lm.Position{TokenID: ids[t], LogProb: lp[ids[t]], Top: top}
	}
	return out
}

func randRows(r *rand.Rand, n, v int, scale float64) [][]float64 {
	out := make([][]float64, n)
	for t := range out {
		out[t] = make([]float64, v)
		for i := range out[t] {
			out[t][i] = r.NormFloat64() * scale
		}
	}
	return out
}

func mustKernel(t testing.TB, o distill.Options) *distill.Kernel {
	t.Helper()
	k, err := distill.NewKernel(o)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var approx = cmpopts.EquateApprox(0, 1e-12)

// TestFullCoverageMatchesDense: when the top lists hold the whole
// vocabulary (V = 3), the trace loss equals core/distill's dense loss on
// the logits, token by token, to 1e-12, for every kind of setting.
// Reference: distill.Kernel.Loss, itself checked against PyTorch float64
// autograd (core/distill/torch_test.go).
func TestFullCoverageMatchesDense(t *testing.T) {
	tests := []struct {
		name string
		o    distill.Options
	}{
		{"forward full", distill.Options{}},
		{"reverse full tau 1.2", distill.Options{Divergence: distill.Reverse, Temperature: 1.2}},
		{"jsd 0.5 tau 2", distill.Options{Divergence: distill.JSD, Beta: 0.5, Temperature: 2}},
		{"forward clips", distill.Options{ClipEntry: 0.05, ClipToken: 0.3}},
		{"RCSD released with top_k 2", func() distill.Options { o := distill.RCSDReleased(); o.TopK = 2; return o }()},
		{"teacher top-2 tail", distill.Options{Support: distill.TeacherTopK, TopK: 2, Tail: true}},
		{"student top-20 of 3 (min(k, V))", distill.Options{Support: distill.StudentTopK, TopK: 20, Temperature: 0.7}},
		{"sequence-mean, skip first", distill.Options{Reduction: distill.SequenceMean, SkipFirst: 2}},
		{"sum", distill.Options{Reduction: distill.Sum, Divergence: distill.Reverse}},
		{"sampled-token", distill.Options{Estimator: distill.SampledToken}},
		{"k3 at tau 1.5", distill.Options{Estimator: distill.K3, Temperature: 1.5}},
		{"tinker discounted", distill.Options{Estimator: distill.Tinker, KLCoef: 0.5, Discount: 0.9, SkipFirst: 1}},
		{"rllm", distill.Options{Estimator: distill.RLLM}},
		{"abs at tau 0.8", distill.Options{Estimator: distill.Abs, Temperature: 0.8}},
	}
	r := rand.New(rand.NewPCG(3, 4))
	const T, V = 6, 3
	zs, zt := randRows(r, T, V, 2), randRows(r, T, V, 2)
	ids := []int{0, 2, 1, 1, 0, 2}
	tr := &Trace{ID: "dense", Student: fullPositions(zs, ids), Teacher: fullPositions(zt, ids)}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := mustKernel(t, tc.o)
			want, err := k.Loss([]distill.DenseSequence{{Tokens: ids, Student: zs, Teacher: zt}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Compute(k, tr)
			if err != nil {
				t.Fatal(err)
			}
			gotTok := make([]distill.TokenResult, len(got.Tokens))
			for i, tk := range got.Tokens {
				gotTok[i] = tk.TokenResult
				if !tk.Covered {
					t.Errorf("position %d: not covered", i)
				}
			}
			if diff := cmp.Diff(want.Tokens[0], gotTok, approx); diff != "" {
				t.Errorf("tokens (-dense +trace):\n%s", diff)
			}
			if diff := cmp.Diff(want.Loss, got.Loss, approx); diff != "" {
				t.Errorf("loss (-dense +trace):\n%s", diff)
			}
			if got.ValidTokens != want.ValidTokens {
				t.Errorf("valid tokens %d, want %d", got.ValidTokens, want.ValidTokens)
			}
		})
	}
}

// The worked example of docs/loss.md (V = 4, z = (2, 1, 0, −1),
// u = (0.5, 2, 1, −1), y = 1), whose values are checked there against
// PyTorch float64; 6 decimals, tolerance 5e-7. The advantage at τ = 2 is
// derived by hand: log softmax(z/2)_1 = 0.5 − ln(e + e^0.5 + 1 + e^−0.5) =
// 0.5 − 1.787339 = −1.287339, log softmax(u/2)_1 = 1 − ln(e^0.25 + e +
// e^0.5 + e^−0.5) = 1 − 1.833790 = −0.833790, A = 0.453548.
var (
	exZ = []float64{2, 1, 0, -1}
	exU = []float64{0.5, 2, 1, -1}
)

func TestWorkedExample(t *testing.T) {
	full := &Trace{ID: "ex", Student: fullPositions([][]float64{exZ}, []int{1}), Teacher: fullPositions([][]float64{exU}, []int{1})}
	// The same position as a server returns it: the teacher's top-3
	// (ids 1, 2, 0), the student's top-3 (ids 0, 1, 2); neither covers.
	ls, lt := logSoftmax(exZ), logSoftmax(exU)
	served := &Trace{ID: "ex-served",
		Student: []lm.Position{{TokenID: 1, LogProb: ls[1], Top: []lm.Alt{{TokenID: 0, LogProb: ls[0]}, {TokenID: 1, LogProb: ls[1]}, {TokenID: 2, LogProb: ls[2]}}}},
		Teacher: []lm.Position{{TokenID: 1, LogProb: lt[1], Top: []lm.Alt{{TokenID: 1, LogProb: lt[1]}, {TokenID: 2, LogProb: lt[2]}, {TokenID: 0, LogProb: lt[0]}}}},
	}
	tests := []struct {
		name    string
		tr      *Trace
		o       distill.Options
		d, u    float64 // divergence, unclipped
		covered bool
		adv     float64 // A at τ; 0.945008 at τ = 1
	}{
		{"forward", full, distill.Options{}, 0.574692, 0.574692, true, 0.945008},
		{"reverse", full, distill.Options{Divergence: distill.Reverse}, 0.696836, 0.696836, true, 0.945008},
		{"jsd 0.5", full, distill.Options{Divergence: distill.JSD, Beta: 0.5}, 0.147916, 0.147916, true, 0.945008},
		{"forward clip_entry 0.05", full, distill.Options{ClipEntry: 0.05}, -0.113130, -0.113130, true, 0.945008},
		{"forward clip_token 0.05", full, distill.Options{ClipToken: 0.05}, 0.05, 0.574692, true, 0.945008},
		{"forward tau 2", full, distill.Options{Temperature: 2}, 0.148590, 0.148590, true, 0.453548},
		{"served: teacher top-2 renormalised", served, distill.Options{Support: distill.TeacherTopK, TopK: 2}, 0, 0, false, 0.945008},
		{"served: teacher top-2 tail", served, distill.Options{Support: distill.TeacherTopK, TopK: 2, Tail: true}, 0.554597, 0.554597, false, 0.945008},
		{"served: student top-2 renormalised", served, distill.Options{Support: distill.StudentTopK, TopK: 2}, 0.655785, 0.655785, false, 0.945008},
		{"k1", served, distill.Options{Estimator: distill.K1}, -0.945008, -0.945008, false, 0.945008},
		{"abs", served, distill.Options{Estimator: distill.Abs}, 0.945008, 0.945008, false, 0.945008},
		{"k2", served, distill.Options{Estimator: distill.K2}, 0.446520, 0.446520, false, 0.945008},
		{"k3", served, distill.Options{Estimator: distill.K3}, 0.627826, 0.627826, false, 0.945008},
		{"sampled-token", served, distill.Options{Estimator: distill.SampledToken}, 1.360990, 1.360990, false, 0.945008},
		{"rllm", served, distill.Options{Estimator: distill.RLLM}, 1.360990, 1.360990, false, 0.945008},
		{"tinker 0.5", served, distill.Options{Estimator: distill.Tinker, KLCoef: 0.5}, 0.680495, 0.680495, false, 0.945008},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Compute(mustKernel(t, tc.o), tc.tr)
			if err != nil {
				t.Fatal(err)
			}
			tok := res.Tokens[0]
			got := []float64{tok.Divergence, tok.Unclipped, tok.Advantage, res.Loss}
			want := []float64{tc.d, tc.u, tc.adv, tc.d}
			if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 5e-7)); diff != "" {
				t.Errorf("(divergence, unclipped, advantage, loss) (-want +got):\n%s", diff)
			}
			if tok.Covered != tc.covered || !tok.HasAdvantage || !tok.Valid {
				t.Errorf("covered %v has_advantage %v valid %v", tok.Covered, tok.HasAdvantage, tok.Valid)
			}
		})
	}
	// Entropies of the full distributions: H(S) = 0.947537, H(T) = 1.014403.
	res, err := Compute(mustKernel(t, distill.Options{}), full)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]float64{0.947537, 1.014403}, []float64{res.Tokens[0].EntropyStudent, res.Tokens[0].EntropyTeacher}, cmpopts.EquateApprox(0, 5e-7)); diff != "" {
		t.Errorf("entropies (-want +got):\n%s", diff)
	}
}

// servedTrace builds n positions over a vocabulary of v where each side
// lists its log-probs at the union of both sides' top-k ids (so either
// side's top-k can be the support) in a shuffled order; sampled (or random
// ids when nil) are the student's tokens.
func servedTrace(seed uint64, n, v, k int, sampled []int) *Trace {
	r := rand.New(rand.NewPCG(seed, 11))
	tr := &Trace{ID: "served", Student: make([]lm.Position, n), Teacher: make([]lm.Position, n)}
	for t := range n {
		zs, zt := randRows(r, 1, v, 2)[0], randRows(r, 1, v, 2)[0]
		ls, lt := logSoftmax(zs), logSoftmax(zt)
		ids := selectTopK(nil, ls, k)
		for _, i := range selectTopK(nil, lt, k) {
			if !containsInt(ids, i) {
				ids = append(ids, i)
			}
		}
		r.Shuffle(len(ids), func(a, b int) { ids[a], ids[b] = ids[b], ids[a] })
		y := r.IntN(v)
		if sampled != nil {
			y = sampled[t]
		}
		st, tt := make([]lm.Alt, len(ids)), make([]lm.Alt, len(ids))
		for j, i := range ids {
			st[j] = lm.Alt{TokenID: i, LogProb: ls[i]}
			tt[j] = lm.Alt{TokenID: i, LogProb: lt[i]}
		}
		tr.Student[t] = lm.Position{TokenID: y, LogProb: ls[y], Top: st}
		tr.Teacher[t] = lm.Position{TokenID: y, LogProb: lt[y], Top: tt}
	}
	return tr
}

func containsInt(s []int, x int) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// sparseLists is what distill.Kernel.SparseToken takes for a position:
// the top list with the sampled token appended when absent.
func sparseLists(p lm.Position) distill.TopLogProbs {
	var x distill.TopLogProbs
	seen := false
	for _, a := range p.Top {
		x.IDs = append(x.IDs, int32(a.TokenID))
		x.LogProbs = append(x.LogProbs, a.LogProb)
		seen = seen || a.TokenID == p.TokenID
	}
	if !seen {
		x.IDs = append(x.IDs, int32(p.TokenID))
		x.LogProbs = append(x.LogProbs, p.LogProb)
	}
	return x
}

// TestSparseTokenAgreement: wherever distill.Kernel.SparseToken applies
// (top-k supports, at least k listed entries, nothing missing), Compute
// gives the same per-token values, bit for bit.
func TestSparseTokenAgreement(t *testing.T) {
	tr := servedTrace(5, 64, 200, 20, nil)
	for _, o := range []distill.Options{
		distill.RCSDReleased(),
		{Support: distill.TeacherTopK, TopK: 20, Tail: true},
		{Support: distill.StudentTopK, TopK: 10, Divergence: distill.JSD, Beta: 0.3, Temperature: 0.9},
		{Support: distill.StudentTopK, TopK: 20, Tail: true, Divergence: distill.Reverse, ClipToken: 0.2},
	} {
		k := mustKernel(t, o)
		res, err := Compute(k, tr)
		if err != nil {
			t.Fatal(err)
		}
		for i := range tr.Student {
			want, err := k.SparseToken(sparseLists(tr.Student[i]), sparseLists(tr.Teacher[i]), tr.Student[i].TokenID)
			if err != nil {
				t.Fatal(err)
			}
			want.Valid = true
			if diff := cmp.Diff(want, res.Tokens[i].TokenResult); diff != "" {
				t.Fatalf("%+v position %d (-SparseToken +Compute):\n%s", o, i, diff)
			}
		}
	}
}

// TestFloor: a hand-derived case of the opt-in floor fill. Teacher top-2
// {1: 0.6, 2: 0.3}; the student lists {1: 0.5, 3: 0.2}, not token 2, which
// gets the student's smallest listed log-prob, log 0.2. Renormalised at
// τ = 1: T̂ = (2/3, 1/3), Ŝ = (5/7, 2/7), forward KL =
// 2/3 ln(14/15) + 1/3 ln(7/6).
func TestFloor(t *testing.T) {
	ln := math.Log
	tr := &Trace{ID: "f",
		Student: []lm.Position{{TokenID: 1, LogProb: ln(0.5), Top: []lm.Alt{{TokenID: 1, LogProb: ln(0.5)}, {TokenID: 3, LogProb: ln(0.2)}}}},
		Teacher: []lm.Position{{TokenID: 1, LogProb: ln(0.6), Top: []lm.Alt{{TokenID: 1, LogProb: ln(0.6)}, {TokenID: 2, LogProb: ln(0.3)}}}},
	}
	k := mustKernel(t, distill.Options{Support: distill.TeacherTopK, TopK: 2})
	c, err := NewComputer(k, Options{Missing: MissingFloor})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Compute(tr)
	if err != nil {
		t.Fatal(err)
	}
	want := 2.0/3*ln(14.0/15) + 1.0/3*ln(7.0/6)
	if math.Abs(res.Loss-want) > 1e-15 || res.Filled != 1 || res.Tokens[0].Filled != 1 || res.Approximation != MissingFloor {
		t.Errorf("loss %v filled %d/%d approximation %q; want %v, 1, floor", res.Loss, res.Filled, res.Tokens[0].Filled, res.Approximation, want)
	}
	// The advantage is the served one at τ = 1: ln 0.6 − ln 0.5.
	if a := res.Tokens[0].Advantage; math.Abs(a-ln(1.2)) > 1e-15 {
		t.Errorf("advantage %v, want ln 1.2", a)
	}
	// Without the option the same trace is refused.
	if _, err := Compute(k, tr); err == nil {
		t.Error("no error without missing: floor")
	}
}

func errStrings(err error) []string {
	var de *diag.Err
	if !errors.As(err, &de) {
		if err == nil {
			return nil
		}
		return []string{"not a *diag.Err: " + err.Error()}
	}
	return diagStrings(de.List)
}

func TestComputeErrors(t *testing.T) {
	ln := math.Log
	pos := func(id int, lp float64, top ...lm.Alt) lm.Position {
		return lm.Position{TokenID: id, LogProb: lp, Top: top}
	}
	alt := func(id int, p float64) lm.Alt { return lm.Alt{TokenID: id, LogProb: ln(p)} }
	te := 9
	tests := []struct {
		name string
		o    distill.Options
		miss Missing
		tr   *Trace
		want []string
	}{{
		name: "full support without coverage",
		tr:   &Trace{ID: "a", Student: []lm.Position{pos(1, ln(0.5), alt(1, 0.5), alt(2, 0.5))}, Teacher: []lm.Position{pos(1, ln(0.6), alt(1, 0.6), alt(2, 0.3))}},
		want: []string{"error trace-not-covered: $.teacher[0].top: position 0: support full needs each side's whole distribution, but the teacher's listed tokens hold only 0.9 of its probability (request more log-probs (up to the vocabulary), or use a top-k support) [a]"},
	}, {
		name: "full support with a token missing on one side",
		tr: &Trace{ID: "a", Student: []lm.Position{pos(1, ln(0.5), alt(1, 0.5), alt(2, 0.5))},
			Teacher: []lm.Position{pos(1, ln(0.5), alt(1, 0.5), lm.Alt{TokenID: 3, Token: "x", LogProb: ln(0.5)})}},
		want: []string{`error trace-missing-logprob: $.teacher[0].top: position 0: support full (the union of both lists) needs the teacher's log-prob of token 2 (p = 0.5 under the student), which the teacher does not list (request more log-probs from the teacher (a larger top-k), or set missing: floor to bound it by the smallest listed log-prob) [a]`},
	}, {
		name: "teacher top-k token the student does not list",
		o:    distill.Options{Support: distill.TeacherTopK, TopK: 2},
		tr: &Trace{ID: "b", Student: []lm.Position{pos(1, ln(0.5), alt(1, 0.5), alt(3, 0.2)), pos(1, ln(0.5))},
			Teacher: []lm.Position{pos(1, ln(0.6), alt(1, 0.6), lm.Alt{TokenID: 2, Token: " the", LogProb: ln(0.3)}), pos(1, ln(0.6), alt(1, 0.6), alt(4, 0.25))}},
		want: []string{
			`error trace-missing-logprob: $.student[0].top: position 0: support teacher-topk needs the student's log-prob of token 2 " the" (p = 0.3 under the teacher), which the student does not list (request more log-probs from the student (a larger top-k), or set missing: floor to bound it by the smallest listed log-prob) [b]`,
			`error trace-missing-logprob: $.student[1].top: position 1: support teacher-topk needs the student's log-prob of token 4 (p = 0.25 under the teacher), which the student does not list (request more log-probs from the student (a larger top-k), or set missing: floor to bound it by the smallest listed log-prob) [b]`,
		},
	}, {
		name: "student top-k token the teacher does not list",
		o:    distill.Options{Support: distill.StudentTopK, TopK: 2},
		tr:   &Trace{ID: "c", Student: []lm.Position{pos(1, ln(0.5), alt(1, 0.5), alt(3, 0.2))}, Teacher: []lm.Position{pos(1, ln(0.6), alt(1, 0.6), alt(2, 0.3))}},
		want: []string{`error trace-missing-logprob: $.teacher[0].top: position 0: support student-topk needs the teacher's log-prob of token 3 (p = 0.2 under the student), which the teacher does not list (request more log-probs from the teacher (a larger top-k), or set missing: floor to bound it by the smallest listed log-prob) [c]`},
	}, {
		name: "fewer listed tokens than k",
		o:    distill.Options{Support: distill.TeacherTopK, TopK: 3},
		tr:   &Trace{ID: "d", Student: []lm.Position{pos(1, ln(0.5), alt(1, 0.5), alt(2, 0.2))}, Teacher: []lm.Position{pos(1, ln(0.6), alt(1, 0.6), alt(2, 0.3))}},
		want: []string{"error trace-short-top: $.teacher[0].top: position 0: support teacher-topk needs the teacher's 3 most probable tokens, but it lists 2 (holding 0.9 of its probability) (request at least 3 log-probs from the teacher) [d]"},
	}, {
		name: "estimator at tau 1.5 without coverage",
		o:    distill.Options{Estimator: distill.K3, Temperature: 1.5},
		tr:   &Trace{ID: "e", Student: []lm.Position{pos(1, ln(0.5))}, Teacher: []lm.Position{pos(1, ln(0.6))}},
		want: []string{`error trace-not-covered: $.student[0].top: position 0: estimator "k3" at temperature 1.5 needs each side's whole distribution, but the student's listed tokens hold only 0.5 of its probability (request more log-probs (up to the vocabulary), or use a top-k support) [e]`},
	}, {
		name: "think-end ids conflict",
		o:    distill.Options{MaskThinking: true, ThinkEndToken: 7},
		tr:   &Trace{ID: "f", ThinkEndToken: &te, Student: []lm.Position{pos(9, ln(0.5))}, Teacher: []lm.Position{pos(9, ln(0.6))}},
		want: []string{"error trace-think-token-conflict: $.think_end_token: the trace's think_end_token 9 differs from the loss options' 7 (leave think_end_token out of the options (the trace knows its tokenizer), or fix one of them) [f]"},
	}, {
		name: "criterion teacher missing a token",
		o:    distill.Options{Support: distill.StudentTopK, TopK: 2},
		tr: &Trace{ID: "g", Student: []lm.Position{pos(1, ln(0.5), alt(1, 0.5), alt(3, 0.2))}, Teacher: []lm.Position{pos(1, ln(0.6), alt(1, 0.6), alt(3, 0.3))},
			Criteria: map[string][]lm.Position{"accuracy": {pos(1, ln(0.6), alt(1, 0.6))}}},
		want: []string{`error trace-missing-logprob: $.criteria.accuracy[0].top: position 0: support student-topk needs the teacher's log-prob of token 3 (p = 0.2 under the student), which the teacher does not list (request more log-probs from the teacher (a larger top-k), or set missing: floor to bound it by the smallest listed log-prob) [g] {accuracy}`},
	}, {
		name: "renormalised lists built in memory",
		o:    distill.Options{Support: distill.TeacherTopK, TopK: 2},
		tr:   &Trace{ID: "h", Student: []lm.Position{pos(1, ln(0.7), alt(1, 0.7), alt(2, 0.7))}, Teacher: []lm.Position{pos(1, ln(0.6), alt(1, 0.6), alt(2, 0.3))}},
		want: []string{"error trace-mass-above-one: $.student[0].top: student position 0: the listed tokens' probabilities sum to 1.4 > 1 (log-probs must be full-vocabulary log-softmax at temperature 1, not renormalised over the top-k or taken at another temperature) [h]"},
	}, {
		name: "invalid numbers built in memory",
		tr:   &Trace{ID: "i", Student: []lm.Position{pos(1, math.NaN())}, Teacher: []lm.Position{pos(2, 0.5)}},
		want: []string{
			"error trace-non-finite-logprob: $.student[0].logprob: student position 0: log-prob NaN is not finite (a scored token needs a finite log-prob; check the model's output for NaN) [i]",
			"error trace-positive-logprob: $.teacher[0].logprob: teacher position 0: log-prob 0.5 is above 0 (log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?) [i]",
			"error trace-token-mismatch: $.teacher[0].token_id: position 0: the teacher scores token id 2, the student sampled 1 (score the student's token ids under the teacher's prompt; never re-tokenize the text) [i]",
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewComputer(mustKernel(t, tc.o), Options{Missing: tc.miss})
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.Compute(tc.tr)
			if err == nil {
				t.Fatalf("no error; result %+v", res)
			}
			if diff := cmp.Diff(tc.want, errStrings(err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewComputerErrors(t *testing.T) {
	tests := []struct {
		name string
		o    distill.Options
		miss Missing
		want []string
	}{
		{"tail at tau 1.2", distill.Options{Support: distill.TeacherTopK, TopK: 20, Tail: true, Temperature: 1.2}, "",
			[]string{"error trace-tail-temperature: $.temperature: a tail bucket from served log-probs needs temperature 1, got 1.2 (the full normaliser at another temperature is unknown) (use temperature 1 with tail, or tail false (renormalised top-k))"}},
		{"unknown policy", distill.Options{}, "guess",
			[]string{`error trace-unknown-missing: $.missing: unknown missing-log-prob policy "guess" (one of "error", "floor")`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewComputer(mustKernel(t, tc.o), Options{Missing: tc.miss})
			if diff := cmp.Diff(tc.want, errStrings(err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestMasks: the validity of each position as distill.Kernel.Mask defines
// it, with the trace's think_end_token and mask.
func TestMasks(t *testing.T) {
	ids := []int{5, 9, 4, 4, 2}
	r := rand.New(rand.NewPCG(1, 1))
	zs, zt := randRows(r, len(ids), 10, 1), randRows(r, len(ids), 10, 1)
	nine, seven := 9, 7
	tests := []struct {
		name    string
		o       distill.Options
		think   *int
		mask    []bool
		valid   []bool
		dropped bool
	}{
		{"no mask", distill.Options{}, nil, nil, []bool{true, true, true, true, true}, false},
		{"skip first 2", distill.Options{SkipFirst: 2}, nil, nil, []bool{false, false, true, true, true}, false},
		{"thinking by the trace's id", distill.Options{MaskThinking: true}, &nine, nil, []bool{false, false, true, true, true}, false},
		{"thinking by the options' id", distill.Options{MaskThinking: true, ThinkEndToken: 4}, nil, nil, []bool{false, false, false, true, true}, false},
		{"thinking, equal ids", distill.Options{MaskThinking: true, ThinkEndToken: 9}, &nine, nil, []bool{false, false, true, true, true}, false},
		{"no think end: dropped", distill.Options{MaskThinking: true}, &seven, nil, []bool{false, false, false, false, false}, true},
		{"id ignored without mask_thinking", distill.Options{}, &seven, nil, []bool{true, true, true, true, true}, false},
		{"trace mask and skip", distill.Options{SkipFirst: 1}, nil, []bool{true, true, false, true, false}, []bool{false, true, false, true, false}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := &Trace{ID: "m", Student: fullPositions(zs, ids), Teacher: fullPositions(zt, ids), ThinkEndToken: tc.think, Mask: tc.mask}
			k := mustKernel(t, tc.o)
			res, err := Compute(k, tr)
			if err != nil {
				t.Fatal(err)
			}
			var valid []bool
			sum, n := 0.0, 0
			for _, tk := range res.Tokens {
				valid = append(valid, tk.Valid)
				if tk.Valid {
					sum += tk.Divergence
					n++
				}
			}
			wantLoss := 0.0
			if n > 0 {
				wantLoss = sum / float64(n)
			}
			if diff := cmp.Diff(tc.valid, valid); diff != "" {
				t.Errorf("valid (-want +got):\n%s", diff)
			}
			if res.Dropped != tc.dropped || res.ValidTokens != n || math.Abs(res.Loss-wantLoss) > 1e-15 {
				t.Errorf("dropped %v valid tokens %d loss %v; want %v, %d, %v", res.Dropped, res.ValidTokens, res.Loss, tc.dropped, n, wantLoss)
			}
		})
	}
}

// TestCriteria: a criterion's result is the trace's result with that
// criterion's teacher in place of the teacher.
func TestCriteria(t *testing.T) {
	tr := servedTrace(9, 12, 100, 20, nil)
	ids := make([]int, len(tr.Student))
	for i, p := range tr.Student {
		ids[i] = p.TokenID
	}
	other := servedTrace(10, 12, 100, 20, ids)
	// Drop some of the criterion teacher's entries so the floor fills some.
	for i := range other.Teacher {
		other.Teacher[i].Top = other.Teacher[i].Top[:len(other.Teacher[i].Top)/2]
	}
	tr.Criteria = map[string][]lm.Position{"c1": other.Teacher, "c0": tr.Teacher}
	k := mustKernel(t, distill.Options{Support: distill.StudentTopK, TopK: 20, Tail: true, SkipFirst: 3})
	c, err := NewComputer(k, Options{Missing: MissingFloor})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Compute(tr)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Criteria) != 2 || res.Criteria[0].ID != "c0" || res.Criteria[1].ID != "c1" {
		t.Fatalf("criteria %+v", res.Criteria)
	}
	if diff := cmp.Diff(res.Tokens, res.Criteria[0].Tokens); diff != "" || res.Loss != res.Criteria[0].Loss {
		t.Errorf("criterion equal to the teacher differs (-teacher +criterion):\n%s", diff)
	}
	alone, err := c.Compute(&Trace{ID: "x", Student: tr.Student, Teacher: other.Teacher})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(alone.Tokens, res.Criteria[1].Tokens); diff != "" || alone.Loss != res.Criteria[1].Loss || alone.Filled != res.Criteria[1].Filled {
		t.Errorf("criterion c1 differs from its teacher alone:\n%s", diff)
	}
	if res.Filled != 2*res.Criteria[0].Filled+res.Criteria[1].Filled || res.Criteria[1].Filled == 0 {
		t.Errorf("filled: %d, criteria %d and %d", res.Filled, res.Criteria[0].Filled, res.Criteria[1].Filled)
	}
}

// TestBatchMatchesDenseLoss: Batch over traces with full coverage equals
// distill.Kernel.Loss over the same batch of dense sequences, for every
// reduction (1e-12), with a dropped sequence and masked positions.
func TestBatchMatchesDenseLoss(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	idss := [][]int{{1, 9, 2, 3}, {4, 4, 4}, {9, 0, 9, 1, 1}, {2}}
	var seqs []distill.DenseSequence
	var traces []*Trace
	for s, ids := range idss {
		zs, zt := randRows(r, len(ids), 10, 1.5), randRows(r, len(ids), 10, 1.5)
		seqs = append(seqs, distill.DenseSequence{Tokens: ids, Student: zs, Teacher: zt})
		traces = append(traces, &Trace{ID: string(rune('a' + s)), Student: fullPositions(zs, ids), Teacher: fullPositions(zt, ids)})
	}
	for _, red := range []distill.Reduction{distill.TokenMean, distill.SequenceMean, distill.Sum, distill.BatchMean} {
		t.Run(string(red), func(t *testing.T) {
			o := distill.Options{Reduction: red, MaskThinking: true, ThinkEndToken: 9, Divergence: distill.Reverse, Temperature: 1.3}
			k := mustKernel(t, o)
			want, err := k.Loss(seqs, nil)
			if err != nil {
				t.Fatal(err)
			}
			b := NewBatch(k.Options().Reduction)
			for _, tr := range traces {
				res, err := Compute(k, tr)
				if err != nil {
					t.Fatal(err)
				}
				b.Add(&res)
			}
			s := b.Summary()
			got := []float64{s.Loss, float64(s.ValidTokens), float64(s.Sequences), float64(s.DroppedSequences), float64(s.Traces)}
			wantV := []float64{want.Loss, float64(want.ValidTokens), float64(want.Sequences), float64(want.DroppedSequences), float64(len(seqs))}
			if diff := cmp.Diff(wantV, got, approx); diff != "" {
				t.Errorf("(loss, valid, sequences, dropped, traces) (-dense +batch):\n%s", diff)
			}
		})
	}
}

// TestBatchSummary: the statistics of a hand-made batch.
func TestBatchSummary(t *testing.T) {
	tok := func(valid bool, d, adv float64, clipped bool, hs, ht float64) Token {
		return Token{TokenResult: distill.TokenResult{Valid: valid, Divergence: d, Advantage: adv, HasAdvantage: true, Clipped: clipped, EntropyStudent: hs, EntropyTeacher: ht}}
	}
	r1 := Result{ID: "a", Tokens: []Token{tok(true, 1, 0.5, false, 1, 2), tok(true, 3, -0.5, true, 3, 2), tok(false, 100, 9, true, 9, 9)},
		Criteria: []CriterionResult{{ID: "c", Tokens: []Token{tok(true, 2, 1, false, 0, 0)}}}}
	r2 := Result{ID: "b", Dropped: true, Tokens: []Token{tok(false, 7, 7, false, 0, 0)}}
	r3 := Result{ID: "c", Filled: 2, Tokens: []Token{tok(true, 5, 2, false, 2, 2)},
		Criteria: []CriterionResult{{ID: "c", Filled: 2, Tokens: []Token{tok(true, 4, 3, false, 0, 0)}}, {ID: "b", Tokens: []Token{tok(false, 4, 3, false, 0, 0)}}}}
	b := NewBatch(distill.SequenceMean)
	for _, r := range []*Result{&r1, &r2, &r3} {
		b.Add(r)
	}
	want := Summary{
		// sequence-mean: ((1+3)/2 + 5/1) / 2 = 3.5
		Loss: 3.5, Reduction: distill.SequenceMean, Traces: 3, Sequences: 2, DroppedSequences: 1, ValidTokens: 3,
		ClippedTokens: 1, MeanAdvantage: 2.0 / 3, AdvantageTokens: 3, MeanEntropyStudent: 2, MeanEntropyTeacher: 2,
		Approximation: MissingFloor, Filled: 2,
		Criteria: []CriterionSummary{
			{ID: "b", Traces: 1},
			{ID: "c", Loss: 3, Traces: 2, ValidTokens: 2, MeanAdvantage: 2, AdvantageTokens: 2},
		},
	}
	if diff := cmp.Diff(want, b.Summary(), approx); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if s := NewBatch("").Summary(); s.Loss != 0 || s.Reduction != distill.TokenMean {
		t.Errorf("empty batch: %+v", s)
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, m := range []Missing{"", MissingError, MissingFloor} {
		if l := (Options{Missing: m}).Validate(); len(l) != 0 {
			t.Errorf("%q: %v", m, l)
		}
	}
	if got := diagStrings((Options{Missing: "Floor"}).Validate()); !strings.Contains(strings.Join(got, ""), "trace-unknown-missing") {
		t.Errorf("Floor accepted: %v", got)
	}
}

// TestComputeManyErrors: a trace missing a log-prob at every position
// reports MaxRecordDiagnostics of them and a note for the rest.
func TestComputeManyErrors(t *testing.T) {
	n := 500
	tr := &Trace{ID: "many"}
	for range n {
		tr.Student = append(tr.Student, lm.Position{TokenID: 1, LogProb: -1})
		tr.Teacher = append(tr.Teacher, lm.Position{TokenID: 1, LogProb: -1, Top: []lm.Alt{{TokenID: 2, LogProb: -0.5}}})
	}
	_, err := Compute(mustKernel(t, distill.Options{Support: distill.TeacherTopK, TopK: 1}), tr)
	got := errStrings(err)
	if len(got) != MaxRecordDiagnostics+1 {
		t.Fatalf("%d diagnostics", len(got))
	}
	if want := "info trace-more-errors: at least 61 more problems in this record are not shown [many]"; got[len(got)-1] != want {
		t.Errorf("last: %s\nwant  %s", got[len(got)-1], want)
	}
}
