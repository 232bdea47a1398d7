package score

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rcsd-dev/rcsd/core/rubric"
)

// naRubric: c1 (5, essential) met, c2 (3, important) not met, c3 (−2,
// pitfall, negative) met, and two criteria the judge could not apply,
// whose verdicts must be ignored whatever they are.
func naRubric(naMet *bool) ([]rubric.Criterion, []*bool, []bool) {
	crit := []rubric.Criterion{
		{ID: "c1", Weight: 5, Category: rubric.CategoryEssential},
		{ID: "c4", Weight: 4, Category: rubric.CategoryOptional},
		{ID: "c2", Weight: 3, Category: rubric.CategoryImportant},
		{ID: "c3", Weight: -2, Category: rubric.CategoryPitfall, Polarity: rubric.Negative},
		{ID: "c5", Weight: 1, Category: rubric.CategoryEssential},
	}
	met := []*bool{T, naMet, F, T, naMet}
	na := []bool{false, true, false, false, true}
	return crit, met, na
}

// Not-applicable criteria leave numerator and denominator alike, under
// every rule. Values by hand over the applicable c1, c2, c3:
//
//	healthbench: (5 − 2) / (5 + 3)              = 0.375
//	rar:         (5 − 2) / (5 + 3 − 2)          = 0.5
//	rar-category: 1.0 / (1.0 + 0.7 + 0.9)       = 1/2.6 (the pitfall is present: no credit)
//	research:    (5 − 2) / (5 + 3)              = 0.375
//	weighted:    5 / (5 + 3)                    = 0.625
//
// Counting c4 and c5 as not met instead would give healthbench 3/13.
func TestScoreVerdictsNotApplicable(t *testing.T) {
	want := map[Rule]float64{
		RuleHealthBench: 0.375,
		RuleRaR:         0.5,
		RuleRaRCategory: 1 / 2.6,
		RuleResearch:    0.375,
		RuleWeighted:    0.625,
	}
	if len(want) != len(Rules) {
		t.Fatalf("the table covers %d of %d rules", len(want), len(Rules))
	}
	for _, naMet := range []*bool{nil, T, F} {
		crit, met, na := naRubric(naMet)
		for _, r := range Rules {
			got := r.ScoreVerdicts(crit, met, na)
			exp := Result{Score: want[r], OK: true, NotApplicable: 2}
			if diff := cmp.Diff(exp, got, cmpApprox); diff != "" {
				t.Errorf("%s, not-applicable verdicts %v (-want +got):\n%s", r, naMet, diff)
			}
			// The same as the rule on the rubric of applicable criteria.
			sub := r.ScoreDetail([]rubric.Criterion{crit[0], crit[2], crit[3]}, []*bool{T, F, T})
			if sub.Score != got.Score || !sub.OK {
				t.Errorf("%s: %v with not-applicable criteria, %v without them", r, got.Score, sub.Score)
			}
		}
	}
}

// An unjudged applicable criterion leaves no score under every rule;
// an unjudged criterion that is also marked not applicable is only not
// applicable.
func TestScoreVerdictsUnjudged(t *testing.T) {
	crit, met, na := naRubric(nil)
	met[2] = nil // c2 unjudged
	for _, r := range Rules {
		got := r.ScoreVerdicts(crit, met, na)
		exp := Result{Unjudged: 1, NotApplicable: 2, Reason: ReasonUnjudged}
		if diff := cmp.Diff(exp, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", r, diff)
		}
	}
	// No criterion applies: no score, and the reason says so.
	all := []bool{true, true, true, true, true}
	for _, r := range Rules {
		got := r.ScoreVerdicts(crit, met, all)
		exp := Result{NotApplicable: 5, Reason: ReasonNoneApplies}
		if diff := cmp.Diff(exp, got); diff != "" {
			t.Errorf("%s, nothing applies (-want +got):\n%s", r, diff)
		}
	}
	// A rubric whose score is undefined whatever the verdicts says why
	// rather than blaming the unjudged criterion.
	neg := []rubric.Criterion{{Weight: -1, Category: rubric.CategoryPitfall, Polarity: rubric.Negative}}
	if got := RuleHealthBench.ScoreVerdicts(neg, []*bool{nil}, nil); got.Reason != ReasonNoPositive || got.Unjudged != 1 {
		t.Errorf("healthbench, no positive weight, unjudged: %+v", got)
	}
}

// boundedWeight draws a weight a rubric may hold (rubric.Validate): 0, or
// a magnitude in [MinAbsWeight, MaxAbsWeight], biased toward the edges
// and toward values that cancel a previous one.
func boundedWeight(r *rand.Rand, prev float64) float64 {
	sign := 1.0
	if r.IntN(2) == 0 {
		sign = -1
	}
	switch r.IntN(7) {
	case 0:
		return 0
	case 1:
		return sign * rubric.MaxAbsWeight
	case 2:
		return sign * rubric.MinAbsWeight
	case 3:
		if prev != 0 && math.Abs(prev) < rubric.MaxAbsWeight {
			// Nearly cancels prev: the sum of weights is tiny.
			w := -prev + math.Copysign(rubric.MinAbsWeight, prev)*float64(r.IntN(3))
			if w == 0 || math.Abs(w) >= rubric.MinAbsWeight && math.Abs(w) <= rubric.MaxAbsWeight {
				return w
			}
		}
		return sign * rubric.MaxAbsWeight
	case 4:
		return sign * math.Nextafter(rubric.MaxAbsWeight, 0)
	}
	// Log-uniform over the whole range.
	return sign * math.Exp(math.Log(rubric.MinAbsWeight)+r.Float64()*(math.Log(rubric.MaxAbsWeight)-math.Log(rubric.MinAbsWeight)))
}

// Property: with every weight within rubric.Validate's bounds, no rule
// gives a NaN or infinite score, whatever the verdicts (met, not met,
// unjudged, not applicable), nor does HealthBench's per-tag breakdown,
// and the GRPO advantages of any group of such scores are finite under
// every convention. (Before the bounds, weights of 1e308 gave NaN.)
func TestPropertyBoundedWeightsFinite(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 11))
	cats := []rubric.Category{"essential", "important", "optional", "pitfall"}
	convs := []Convention{TRL(ScaleGroup), TRL(ScaleBatch), TRL(ScaleNone), Verl(true), Verl(false)}
	tagSet := []string{"axis:accuracy", "axis:completeness", "level:example"}
	for iter := 0; iter < 3000; iter++ {
		n := 1 + r.IntN(40)
		crit := make([]rubric.Criterion, n)
		points := make([]float64, n)
		tags := make([][]string, n)
		prev := 0.0
		for i := range crit {
			w := boundedWeight(r, prev)
			prev = w
			crit[i] = rubric.Criterion{Weight: w, Category: cats[r.IntN(len(cats))]}
			if w < 0 {
				crit[i].Polarity = rubric.Negative
			}
			points[i], tags[i] = w, []string{tagSet[r.IntN(len(tagSet))]}
		}
		group := 1 + r.IntN(8)
		var rewards []float64
		for g := 0; g < group; g++ {
			met := make([]*bool, n)
			na := make([]bool, n)
			for i := range met {
				switch r.IntN(8) {
				case 0:
					na[i] = true
				case 1:
					// unjudged (rarely, so most groups are fully scored)
					if r.IntN(4) == 0 {
						met[i] = nil
						continue
					}
					met[i] = T
				case 2, 3, 4:
					met[i] = T
				default:
					met[i] = F
				}
			}
			for _, rule := range Rules {
				res := rule.ScoreVerdicts(crit, met, na)
				if math.IsNaN(res.Score) || math.IsInf(res.Score, 0) {
					t.Fatalf("%s: score %v for weights %v", rule, res.Score, points)
				}
				if !res.OK && res.Reason == "" {
					t.Fatalf("%s: no score and no reason: %+v", rule, res)
				}
				if rule == RuleRaR && res.OK {
					rewards = append(rewards, res.Score)
				}
			}
			c2, m2 := Applicable(crit, met, na)
			p2 := make([]float64, len(c2))
			t2 := make([][]string, len(c2))
			k := 0
			for i := range na {
				if !na[i] {
					p2[k], t2[k] = points[i], tags[i]
					k++
				}
			}
			_ = m2
			if ex, ok := HealthBenchExample(p2, t2, []string{"theme:x"}, m2); ok {
				for _, m := range ex.Metrics {
					if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
						t.Fatalf("healthbench metric %s = %v for weights %v", m.Key, m.Value, points)
					}
				}
			}
		}
		// rar has the widest range (its denominator can nearly cancel):
		// its scores as one group's rewards.
		if len(rewards) == 0 {
			continue
		}
		for _, conv := range convs {
			for i, a := range GRPO(nil, rewards, conv) {
				if math.IsNaN(a) || math.IsInf(a, 0) {
					t.Fatalf("%v: A[%d] = %v for rewards %v", conv, i, a, rewards)
				}
			}
		}
	}
}
