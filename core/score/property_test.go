package score

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rcsd-dev/rcsd/core/rubric"
)

// randomRubric draws n criteria with weights in [−10, 10] (some zero),
// random categories and verdicts (some unjudged).
func randomRubric(r *rand.Rand, n int) ([]rubric.Criterion, []*bool) {
	cats := []rubric.Category{"essential", "important", "optional", "pitfall"}
	crit := make([]rubric.Criterion, n)
	met := make([]*bool, n)
	for i := range crit {
		w := float64(r.IntN(21) - 10)
		c := rubric.Criterion{Weight: w, Category: cats[r.IntN(4)]}
		if w < 0 {
			c.Polarity = rubric.Negative
		} else {
			c.Polarity = rubric.Positive
		}
		crit[i] = c
		switch r.IntN(3) {
		case 0:
			met[i] = T
		case 1:
			met[i] = F
		}
	}
	return crit, met
}

// Property: every rule is invariant to the order of the criteria (up to
// float rounding of the sums).
func TestPropertyOrderInvariant(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 2000; iter++ {
		crit, met := randomRubric(r, 1+r.IntN(20))
		perm := r.Perm(len(crit))
		pc := make([]rubric.Criterion, len(crit))
		pm := make([]*bool, len(met))
		for i, j := range perm {
			pc[i], pm[i] = crit[j], met[j]
		}
		for _, rule := range Rules {
			a := rule.ScoreDetail(crit, met)
			b := rule.ScoreDetail(pc, pm)
			if a.OK != b.OK || a.Unjudged != b.Unjudged || a.Reason != b.Reason || math.Abs(a.Score-b.Score) > 1e-12 {
				t.Fatalf("%s not order-invariant: %+v vs %+v", rule, a, b)
			}
		}
	}
}

// Property: a rubric of positive criteria, all met, scores exactly 1 under
// every rule; all unmet scores 0.
func TestPropertyAllMetPositiveIsOne(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cats := []rubric.Category{"essential", "important", "optional"}
	for iter := 0; iter < 1000; iter++ {
		n := 1 + r.IntN(30)
		crit := make([]rubric.Criterion, n)
		all := make([]*bool, n)
		none := make([]*bool, n)
		for i := range crit {
			crit[i] = rubric.Criterion{Weight: 0.5 + 9.5*r.Float64(), Category: cats[r.IntN(3)]}
			all[i], none[i] = T, F
		}
		for _, rule := range Rules {
			if s, ok := rule.Score(crit, all); !ok || s != 1 {
				t.Fatalf("%s all met = %v, %v; want 1", rule, s, ok)
			}
			if s, ok := rule.Score(crit, none); !ok || s != 0 {
				t.Fatalf("%s none met = %v, %v; want 0", rule, s, ok)
			}
		}
	}
}

// Property: GRPO advantages with scaling on a group of ≥ 2 sum to 0 and,
// for a non-constant group, have sample std std/(std+ε) ≈ 1.
func TestPropertyGRPOCentred(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for iter := 0; iter < 1000; iter++ {
		n := 2 + r.IntN(15)
		x := make([]float64, n)
		for i := range x {
			x[i] = r.Float64()
		}
		for _, conv := range []Convention{TRL(ScaleGroup), TRL(ScaleNone), Verl(true), Verl(false)} {
			a := GRPO(nil, x, conv)
			var s float64
			for _, v := range a {
				s += v
			}
			if math.Abs(s) > 1e-9 {
				t.Fatalf("%v: advantages sum to %v", conv, s)
			}
		}
	}
}

// Property: the bootstrap std of a constant set is 0 and its mean the
// clipped constant.
func TestPropertyAggregateConstant(t *testing.T) {
	for _, c := range []float64{-0.5, 0, 0.25, 1, 3} {
		st := Aggregate([]float64{c, c, c, c, c}, AggregateOptions{Seed: 9})
		if st.BootstrapStd != 0 || st.Mean != clip01(c) || st.N != 5 {
			t.Errorf("constant %v: %+v", c, st)
		}
	}
}
