package distill

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMask(t *testing.T) {
	const think = 7
	tests := []struct {
		name        string
		o           Options
		tokens      []int
		mask        []bool
		want        []bool
		wantDropped bool
	}{
		{"all valid", Options{}, []int{1, 2, 3}, nil, []bool{true, true, true}, false},
		{"completion mask", Options{}, []int{1, 2, 3}, []bool{true, false, true}, []bool{true, false, true}, false},
		{"skip first 2", Options{SkipFirst: 2}, []int{1, 2, 3}, nil, []bool{false, false, true}, false},
		{"skip beyond length", Options{SkipFirst: 5}, []int{1, 2, 3}, nil, []bool{false, false, false}, false},
		{"thinking dropped through first </think>", Options{MaskThinking: true, ThinkEndToken: think},
			[]int{1, think, 2, think, 3}, nil, []bool{false, false, true, true, true}, false},
		{"no </think> drops the sequence", Options{MaskThinking: true, ThinkEndToken: think},
			[]int{1, 2, 3}, nil, []bool{false, false, false}, true},
		{"</think> last leaves nothing", Options{MaskThinking: true, ThinkEndToken: think},
			[]int{1, 2, think}, nil, []bool{false, false, false}, false},
		{"thinking and skip: the later start wins", Options{MaskThinking: true, ThinkEndToken: think, SkipFirst: 3},
			[]int{think, 1, 2, 3, 4}, nil, []bool{false, false, false, true, true}, false},
		{"thinking and completion mask", Options{MaskThinking: true, ThinkEndToken: think},
			[]int{think, 1, 2}, []bool{true, true, false}, []bool{false, true, false}, false},
		{"think token id 0", Options{MaskThinking: true, ThinkEndToken: 0}, []int{5, 0, 6}, nil, []bool{false, false, true}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, dropped := mustKernel(t, tc.o).Mask(nil, tc.tokens, tc.mask)
			if diff := cmp.Diff(tc.want, got); diff != "" || dropped != tc.wantDropped {
				t.Errorf("mask (-want +got):\n%s dropped = %v, want %v", diff, dropped, tc.wantDropped)
			}
		})
	}
}

// TestReductions checks the four reductions on hand-built per-token values:
// the batch is two sequences (3 and 1 valid tokens) plus one dropped.
func TestReductions(t *testing.T) {
	const think = 3
	tokens := [][]int{{think, 1, 1, 1}, {think, 2}, {1, 2}}
	// Logit rows: every position gets the same pair so that each valid
	// token contributes D; the loss is then w_total · D.
	s := []float64{0.3, -1, 2, 0}
	tt := []float64{1, 0.5, -0.2, 0.1}
	d := tokenValue(t, mustKernel(t, Options{}), s, tt, -1)
	seqs := make([]DenseSequence, len(tokens))
	for i, tk := range tokens {
		rows := make([][]float64, len(tk))
		trows := make([][]float64, len(tk))
		for j := range tk {
			rows[j], trows[j] = s, tt
		}
		seqs[i] = DenseSequence{Tokens: tk, Student: rows, Teacher: trows}
	}
	tests := []struct {
		r    Reduction
		want float64
	}{
		{TokenMean, d},         // 4·D / 4
		{SequenceMean, d},      // (3D/3 + D/1) / 2
		{Sum, 4 * d},           // 4 valid tokens
		{BatchMean, 4 * d / 3}, // / 3 sequences, the dropped one included
	}
	for _, tc := range tests {
		t.Run(string(tc.r), func(t *testing.T) {
			k := mustKernel(t, Options{Reduction: tc.r, MaskThinking: true, ThinkEndToken: think})
			res, err := k.Loss(seqs, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !close(res.Loss, tc.want, 1e-14) {
				t.Errorf("loss = %.17g, want %.17g", res.Loss, tc.want)
			}
			if res.ValidTokens != 4 || res.Sequences != 2 || res.DroppedSequences != 1 {
				t.Errorf("counts = %d valid, %d sequences, %d dropped; want 4, 2, 1", res.ValidTokens, res.Sequences, res.DroppedSequences)
			}
		})
	}
	// Sequence mean differs from token mean when the per-token values differ.
	seqs[1].Student = [][]float64{s, {5, 0, 0, 0}}
	tm, _ := mustKernel(t, Options{MaskThinking: true, ThinkEndToken: think}).Loss(seqs, nil)
	sm, _ := mustKernel(t, Options{Reduction: SequenceMean, MaskThinking: true, ThinkEndToken: think}).Loss(seqs, nil)
	d2 := tokenValue(t, mustKernel(t, Options{}), []float64{5, 0, 0, 0}, tt, -1)
	if !close(tm.Loss, (3*d+d2)/4, 1e-14) || !close(sm.Loss, (d+d2)/2, 1e-14) {
		t.Errorf("token mean %v want %v; sequence mean %v want %v", tm.Loss, (3*d+d2)/4, sm.Loss, (d+d2)/2)
	}
}

func TestZeroValidTokens(t *testing.T) {
	row := []float64{1, 2, 3}
	seqs := []DenseSequence{{Tokens: []int{1, 2}, Student: [][]float64{row, row}, Teacher: [][]float64{row, {3, 2, 1}}}}
	for _, red := range []Reduction{TokenMean, SequenceMean, Sum, BatchMean} {
		for _, o := range []Options{
			{Reduction: red, MaskThinking: true, ThinkEndToken: 99}, // dropped: no </think>
			{Reduction: red, SkipFirst: 2},
			{Reduction: red, Estimator: SampledToken, SkipFirst: 2},
		} {
			k := mustKernel(t, o)
			grad := [][][]float64{{make([]float64, 3), make([]float64, 3)}}
			grad[0][0][0] = 42 // must be overwritten
			res, err := k.Loss(seqs, grad)
			if err != nil {
				t.Fatal(err)
			}
			if res.Loss != 0 || math.IsNaN(res.Loss) || res.ValidTokens != 0 {
				t.Errorf("%+v: loss %v with %d valid tokens, want 0", o, res.Loss, res.ValidTokens)
			}
			for _, g := range grad[0] {
				for _, v := range g {
					if v != 0 {
						t.Fatalf("%+v: nonzero gradient %v with no valid tokens", o, grad)
					}
				}
			}
		}
	}
	// An empty batch too.
	res, err := mustKernel(t, Options{}).Loss(nil, nil)
	if err != nil || res.Loss != 0 {
		t.Errorf("empty batch: %v, %v", res.Loss, err)
	}
}

func TestBadInputs(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	ninf := math.Inf(-1)
	tests := []struct {
		name string
		o    Options
		s, t []float64
		y    int
		want string
	}{
		{"student NaN", Options{}, []float64{0, nan, 1}, []float64{0, 0, 0}, -1, "distill: student logits contain NaN"},
		{"teacher NaN", Options{}, []float64{0, 0, 1}, []float64{nan, 0, 0}, -1, "distill: teacher logits contain NaN"},
		{"student +Inf", Options{}, []float64{0, inf, 1}, []float64{0, 0, 0}, -1, "distill: student logits contain +Inf"},
		{"all −Inf", Options{}, []float64{ninf, ninf}, []float64{0, 0}, -1, "distill: student logits are all −Inf (no token has probability)"},
		{"all NaN", Options{}, []float64{nan, nan}, []float64{0, 0}, -1, "distill: student logits contain NaN"},
		{"forward infinite", Options{}, []float64{ninf, 0}, []float64{0, 0}, -1,
			"distill: forward KL is infinite: the student gives entry 0 probability 0 where the teacher gives 0.5"},
		{"reverse infinite", Options{Divergence: Reverse}, []float64{0, 0}, []float64{0, ninf}, -1,
			"distill: reverse KL is infinite: the teacher gives entry 1 probability 0 where the student gives 0.5"},
		{"estimator without token", Options{Estimator: K3}, []float64{0, 0}, []float64{0, 1}, -1,
			`distill: estimator "k3" needs the sampled token`},
		{"sampled out of range", Options{}, []float64{0, 0}, []float64{0, 1}, 2,
			"distill: sampled token 2 is outside the vocabulary of 2"},
		{"empty row", Options{}, nil, nil, -1, "distill: empty logits row"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mustKernel(t, tc.o).Token(tc.s, tc.t, tc.y, nil)
			if err == nil || err.Error() != tc.want {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Errorf("err %T is not *InputError", err)
			}
		})
	}
	// −Inf logits where both sides agree are fine: 0·log 0 = 0.
	for _, o := range []Options{{}, {Divergence: Reverse}, {Divergence: JSD, Beta: 0.5}} {
		r, err := mustKernel(t, o).Token([]float64{ninf, 0, 1}, []float64{ninf, 1, 0}, 1, nil)
		if err != nil || math.IsNaN(r.Divergence) || r.Divergence <= 0 {
			t.Errorf("%v with shared −Inf: %v, %v", o.Divergence, r.Divergence, err)
		}
	}
	// JSD stays finite where one side has probability 0.
	r, err := mustKernel(t, Options{Divergence: JSD, Beta: 0.5}).Token([]float64{ninf, 0}, []float64{0, 0}, -1, nil)
	want := 0.5*(0.5*math.Log(0.5/0.25)+0.5*math.Log(0.5/0.75)) + 0.5*math.Log(1/0.75)
	if err != nil || !close(r.Divergence, want, 1e-14) {
		t.Errorf("JSD with one-sided zero: %v (%v), want %v", r.Divergence, err, want)
	}
	// The batch loss reports the position.
	seqs := []DenseSequence{{Tokens: []int{0, 1}, Student: [][]float64{{0, 1}, {nan, 0}}, Teacher: [][]float64{{0, 1}, {0, 1}}}}
	_, err = mustKernel(t, Options{}).Loss(seqs, nil)
	if err == nil || err.Error() != "distill: position 1: student logits contain NaN" {
		t.Errorf("batch err = %v", err)
	}
}

// TestLossGradFiniteDifference checks the batch gradient (masks, weights,
// tinker's discounted sum) against central differences of the batch loss.
func TestLossGradFiniteDifference(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const V = 7
	const think = 3
	mk := func(n int) DenseSequence {
		q := DenseSequence{Tokens: make([]int, n), Mask: make([]bool, n)}
		for i := range n {
			q.Tokens[i] = r.IntN(V)
			q.Mask[i] = i < n-1 // last position is padding
			q.Student = append(q.Student, randRow(r, V, 1.5))
			q.Teacher = append(q.Teacher, randRow(r, V, 1.5))
		}
		q.Tokens[1] = think
		return q
	}
	seqs := []DenseSequence{mk(5), mk(4), mk(6)}
	for _, o := range []Options{
		{Reduction: TokenMean, MaskThinking: true, ThinkEndToken: think},
		{Reduction: SequenceMean, SkipFirst: 1, Divergence: JSD, Beta: 0.4, Temperature: 1.3},
		{Reduction: Sum, Support: TeacherTopK, TopK: 3, ClipEntry: 0.05},
		{Reduction: BatchMean, Divergence: Reverse, Support: StudentTopK, TopK: 2, Tail: true},
		{Reduction: TokenMean, Estimator: Tinker, KLCoef: 0.5, Discount: 0.9},
		{Reduction: SequenceMean, Estimator: K3},
	} {
		t.Run(string(o.Reduction)+"/"+string(o.Divergence)+string(o.Estimator), func(t *testing.T) {
			k := mustKernel(t, o)
			grad := make([][][]float64, len(seqs))
			for s, q := range seqs {
				grad[s] = make([][]float64, len(q.Tokens))
				for i := range grad[s] {
					grad[s][i] = make([]float64, V)
				}
			}
			res, err := k.Loss(seqs, grad)
			if err != nil {
				t.Fatal(err)
			}
			frozen := map[[2]int]float64{}
			for s := range res.Tokens {
				for i, tr := range res.Tokens[s] {
					frozen[[2]int{s, i}] = tr.PGAdvantage
				}
			}
			for s, q := range seqs {
				for i := range q.Tokens {
					f := func(z []float64) float64 {
						save := q.Student[i]
						q.Student[i] = z
						defer func() { q.Student[i] = save }()
						if o.Estimator == Tinker {
							// Advantages are stop-gradient: −Σ w a' log S(y).
							p := k.Plan([][]int{seqs[0].Tokens, seqs[1].Tokens, seqs[2].Tokens},
								[][]bool{seqs[0].Mask, seqs[1].Mask, seqs[2].Mask})
							tot := 0.0
							for s2, q2 := range seqs {
								for i2 := range q2.Tokens {
									tot += -p.Weight[s2][i2] * frozen[[2]int{s2, i2}] * logSoftmaxAt(q2.Student[i2], q2.Tokens[i2], 1)
								}
							}
							return tot
						}
						rr, err := k.Loss(seqs, nil)
						if err != nil {
							t.Fatal(err)
						}
						return rr.Loss
					}
					checkFD(t, f, q.Student[i], grad[s][i])
				}
			}
		})
	}
}

func TestSparse(t *testing.T) {
	ln := math.Log
	// Teacher top-3 of {5: .5, 9: .3, 2: .1, 4: .05}; student lists the same ids in another order.
	teacher := TopLogProbs{IDs: []int32{5, 9, 2, 4}, LogProbs: []float64{ln(.5), ln(.3), ln(.1), ln(.05)}}
	student := TopLogProbs{IDs: []int32{2, 5, 9, 7}, LogProbs: []float64{ln(.2), ln(.4), ln(.1), ln(.25)}}
	// Renormalised forward KL over {5, 9, 2}: T = (.5,.3,.1)/.9, S = (.4,.1,.2)/.7.
	T := []float64{.5 / .9, .3 / .9, .1 / .9}
	S := []float64{.4 / .7, .1 / .7, .2 / .7}
	want := 0.0
	for i := range T {
		want += T[i] * ln(T[i]/S[i])
	}
	k := mustKernel(t, Options{Support: TeacherTopK, TopK: 3})
	r, err := k.SparseToken(student, teacher, 5)
	if err != nil {
		t.Fatal(err)
	}
	if !close(r.Divergence, want, 1e-14) {
		t.Errorf("renormalised = %.17g, want %.17g (hand derivation)", r.Divergence, want)
	}
	if !r.HasAdvantage || !close(r.Advantage, ln(.5)-ln(.4), 1e-15) {
		t.Errorf("advantage = %v (%v)", r.Advantage, r.HasAdvantage)
	}
	// Tail bucket: T = (.5,.3,.1,.1), S = (.4,.1,.2,.3).
	T4 := []float64{.5, .3, .1, .1}
	S4 := []float64{.4, .1, .2, .3}
	want = 0
	for i := range T4 {
		want += T4[i] * ln(T4[i]/S4[i])
	}
	r, err = mustKernel(t, Options{Support: TeacherTopK, TopK: 3, Tail: true}).SparseToken(student, teacher, -1)
	if err != nil || !close(r.Divergence, want, 1e-13) {
		t.Errorf("tail = %.17g (%v), want %.17g", r.Divergence, err, want)
	}
	// The same through the dense kernel with logits = log p (full vocabulary of 10).
	dense := func(x TopLogProbs) []float64 {
		z := make([]float64, 10)
		rest := 1.0
		for _, v := range x.LogProbs {
			rest -= math.Exp(v)
		}
		free := 10 - len(x.IDs)
		for i := range z {
			z[i] = ln(rest / float64(free))
		}
		for i, id := range x.IDs {
			z[id] = x.LogProbs[i]
		}
		return z
	}
	rd, err := mustKernel(t, Options{Support: TeacherTopK, TopK: 3, Tail: true}).Token(dense(student), dense(teacher), -1, nil)
	if err != nil || !close(rd.Divergence, want, 1e-13) {
		t.Errorf("dense tail = %.17g (%v), want %.17g", rd.Divergence, err, want)
	}
	// Errors instead of guesses.
	errCases := []struct {
		name string
		o    Options
		want string
	}{
		{"student missing teacher token", Options{Support: TeacherTopK, TopK: 4},
			"distill: student log-prob missing for teacher top-4 token id 4; request more log-probs from the student side"},
		{"teacher missing student token", Options{Support: StudentTopK, TopK: 2},
			"distill: teacher log-prob missing for student top-2 token id 7; request more log-probs from the teacher side"},
		{"too few entries", Options{Support: TeacherTopK, TopK: 5}, "distill: support teacher-topk needs 5 teacher log-probs, got 4"},
		{"full support", Options{}, "distill: support full needs dense logits; served top log-probs cover only part of the vocabulary"},
		{"tail at τ≠1", Options{Support: TeacherTopK, TopK: 3, Tail: true, Temperature: 1.2},
			"distill: a tail bucket from served log-probs needs temperature 1 (the full normaliser at τ = 1.2 is unknown)"},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mustKernel(t, tc.o).SparseToken(student, teacher, -1)
			if err == nil || err.Error() != tc.want {
				t.Errorf("err = %v\nwant %q", err, tc.want)
			}
		})
	}
	// Sparse renormalised top-k at τ equals the dense kernel at τ.
	rr := rand.New(rand.NewPCG(11, 12))
	for range 20 {
		zs, zt := randRow(rr, 30, 2), randRow(rr, 30, 2)
		o := Options{Support: TeacherTopK, TopK: 5, Temperature: 1.2, ClipEntry: 0.05, Divergence: JSD, Beta: 0.3}
		want, err := mustKernel(t, o).Token(zs, zt, -1, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := mustKernel(t, o).SparseToken(served(zs), served(zt), -1)
		if err != nil || !close(got.Divergence, want.Divergence, 1e-12) || got.ClippedEntries != want.ClippedEntries {
			t.Errorf("sparse %v (%d clipped, %v) vs dense %v (%d clipped)", got.Divergence, got.ClippedEntries, err, want.Divergence, want.ClippedEntries)
		}
	}
}

// served returns all of z's log-softmax entries as a served list in reverse order.
func served(z []float64) TopLogProbs {
	var x TopLogProbs
	lse := 0.0
	m := math.Inf(-1)
	for _, v := range z {
		m = math.Max(m, v)
	}
	for _, v := range z {
		lse += math.Exp(v - m)
	}
	lse = m + math.Log(lse)
	for i := len(z) - 1; i >= 0; i-- {
		x.IDs = append(x.IDs, int32(i))
		x.LogProbs = append(x.LogProbs, z[i]-lse)
	}
	return x
}

func TestEstimatorTerms(t *testing.T) {
	// Hand values; verl core_algos.kl_penalty for k1/abs/k2/k3 (low_var_kl).
	tests := []struct {
		e                Estimator
		delta            float64
		term, dTerm, adv float64
	}{
		{K1, -0.3, -0.3, 1, 0},
		{Abs, -0.3, 0.3, -1, 0},
		{Abs, 0, 0, 0, 0},
		{K2, -0.3, 0.045, -0.3, 0},
		{K3, -0.3, math.Exp(0.3) - 0.3 - 1, 1 - math.Exp(0.3), 0},
		{K3, -25, 10, 0, 0},                    // u clamped to 20, value clamped to 10
		{K3, 25, math.Exp(-20) + 20 - 1, 0, 0}, // u clamped to −20 (value 19 > 10 → 10)
		{RLLM, -7, 0, 0, 5},                    // advantage 7 clipped to 5
		{SampledToken, -0.3, 0, 0, 0.3},
		{Tinker, -0.3, 0, 0, 0.6},
	}
	tests[6].term = 10
	for _, tc := range tests {
		logS := -1.25
		term, d, adv := EstimatorTerm(tc.e, tc.delta, logS, 2)
		wantTerm, wantD, wantAdv := tc.term, tc.dTerm, tc.adv
		switch tc.e {
		case SampledToken, Tinker, RLLM:
			wantTerm, wantD = -tc.adv*logS, -tc.adv
		}
		if !close(term, wantTerm, 1e-15) || !close(d, wantD, 1e-15) || !close(adv, wantAdv, 1e-15) {
			t.Errorf("%s(Δ=%v) = (%v, %v, %v), want (%v, %v, %v)", tc.e, tc.delta, term, d, adv, wantTerm, wantD, wantAdv)
		}
	}
}

func TestPerTokenOutputs(t *testing.T) {
	k := mustKernel(t, Options{Support: TeacherTopK, TopK: 2, ClipEntry: 0.01, ClipToken: 0.015})
	s := []float64{0, 1, 2}
	tt := []float64{2, 1, 0}
	r, err := k.Token(s, tt, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.HasAdvantage || !close(r.Advantage, (0-lse3(tt))-(2-lse3(s)), 1e-15) {
		t.Errorf("advantage %v", r.Advantage)
	}
	// Over the renormalised top-2 {0, 1}: T = (e, 1)/(1+e), S = (1, e)/(1+e);
	// entry 0 is e/(1+e) > 0.01 and is capped, entry 1 is −1/(1+e). A capped
	// sum can be negative: the clip is an upper cap only (RCSD).
	if want := 0.01 - 1/(1+math.E); !r.Clipped || r.TokenClipped || r.ClippedEntries != 1 || !close(r.Divergence, want, 1e-15) {
		t.Errorf("clip outputs: %+v, want divergence %v", r, want)
	}
	r, _ = mustKernel(t, Options{Support: TeacherTopK, TopK: 2, ClipToken: 0.1}).Token(tt, s, 2, nil)
	if !r.Clipped || !r.TokenClipped || r.ClippedEntries != 0 || r.Divergence != 0.1 || !close(r.Unclipped, (math.E-1)/(1+math.E), 1e-15) {
		t.Errorf("token clip outputs: %+v", r)
	}
	// Entropies over the renormalised top-2 {0, 1}: teacher (e²,e¹)/(e²+e¹), student (1,e)/(1+e): both H(1/(1+e)).
	p := 1 / (1 + math.E)
	h := -(p*math.Log(p) + (1-p)*math.Log(1-p))
	if !close(r.EntropyStudent, h, 1e-14) || !close(r.EntropyTeacher, h, 1e-14) {
		t.Errorf("entropies %v %v, want %v", r.EntropyStudent, r.EntropyTeacher, h)
	}
	if got := k.Options(); got.Support != TeacherTopK || got.Temperature != 1 || got.Divergence != Forward || got.Reduction != TokenMean {
		t.Errorf("normalised options %+v", got)
	}
}

func lse3(x []float64) float64 {
	return math.Log(math.Exp(x[0]) + math.Exp(x[1]) + math.Exp(x[2]))
}
