package score

import (
	"github.com/rcsd-dev/rcsd/core/rubric"
	"slices"
)

// Unjudged policy. Every per-example formula takes verdicts as met []*bool
// with one entry per criterion; a nil entry is a criterion that was not
// judged. The slice functions below (HealthBench, RaR, …) are the outside
// systems' formulas, which know no "unjudged": they count a nil entry as
// not met. rcsd's own policy is Rule.ScoreVerdicts: an unjudged criterion
// leaves the example without a score, and a not-applicable one is left
// out of the formula.

// isMet reports whether a verdict is present and true.
func isMet(m *bool) bool { return m != nil && *m }

// Unjudged returns the number of nil entries in met.
func Unjudged(met []*bool) int {
	n := 0
	for _, m := range met {
		if m == nil {
			n++
		}
	}
	return n
}

func checkLen(fn string, n, m int) {
	if n != m {
		panic("score: " + fn + ": length mismatch between weights and verdicts")
	}
}

// HealthBench returns the HealthBench example score
//
//	s = Σ_{i met} p_i / Σ_{i: p_i > 0} p_i
//
// where p are the rubric points. Negative points count in the numerator when
// met (the bad behaviour is present), so s can be below 0; s is not clipped.
// ok is false, and s is 0, when no point is positive (simple-evals
// healthbench_eval.py calculate_score returns None there). Unjudged
// criteria count as not met.
//
// HealthBench panics if len(points) != len(met).
func HealthBench(points []float64, met []*bool) (s float64, ok bool) {
	checkLen("HealthBench", len(points), len(met))
	var achieved, possible float64
	for i, p := range points {
		if p > 0 {
			possible += p
		}
		if isMet(met[i]) {
			achieved += p
		}
	}
	if possible == 0 {
		return 0, false
	}
	return achieved / possible, true
}

// HealthBenchTags returns the HealthBench score restricted, for each
// rubric-level tag, to the criteria carrying that tag:
//
//	s_t = Σ_{i met, t ∈ tags_i} p_i / Σ_{i: t ∈ tags_i, p_i > 0} p_i
//
// A tag whose criteria have no positive points is omitted, as in
// simple-evals. A tag repeated within one criterion's list counts once
// (simple-evals asserts there are no repeats). Example-level tags are not
// rubric tags: they copy the overall score; see HealthBenchExample.
//
// HealthBenchTags panics if len(points), len(tags) and len(met) differ.
func HealthBenchTags(points []float64, tags [][]string, met []*bool) map[string]float64 {
	checkLen("HealthBenchTags", len(points), len(met))
	checkLen("HealthBenchTags", len(points), len(tags))
	out := make(map[string]float64)
	for _, t := range tagOrder(tags) {
		if s, ok := tagScore(t, points, tags, met); ok {
			out[t] = s
		}
	}
	return out
}

// tagOrder returns the distinct rubric tags in order of first appearance,
// the order simple-evals' defaultdict sees them.
//
// A rubric has a handful of distinct tags, so a linear search beats a map
// (this runs once per scored response in a batch).
func tagOrder(tags [][]string) []string {
	order := make([]string, 0, 8)
	for _, ts := range tags {
		for _, t := range ts {
			if !slices.Contains(order, t) {
				order = append(order, t)
			}
		}
	}
	return order
}

func hasTag(ts []string, t string) bool {
	for _, u := range ts {
		if u == t {
			return true
		}
	}
	return false
}

func tagScore(t string, points []float64, tags [][]string, met []*bool) (float64, bool) {
	var achieved, possible float64
	for i, p := range points {
		if !hasTag(tags[i], t) {
			continue
		}
		if p > 0 {
			possible += p
		}
		if isMet(met[i]) {
			achieved += p
		}
	}
	if possible == 0 {
		return 0, false
	}
	return achieved / possible, true
}

// RaR returns the Rubrics-as-Rewards explicit reward (arXiv 2507.17746)
//
//	r = Σ_j w_j c_j / Σ_j w_j
//
// over all weights, negative ones included in the denominator, with
// c_j = 1 when criterion j is met and 0 otherwise (unjudged counts as not
// met). Weights are used with their signs as given: a negative weight is a
// criterion whose being met lowers the reward. ok is false, and r is 0,
// when Σ w ≤ 0, where the ratio has no meaning (it would flip the sign of
// every contribution, or divide by zero).
//
// RaR panics if len(weights) != len(met).
func RaR(weights []float64, met []*bool) (r float64, ok bool) {
	checkLen("RaR", len(weights), len(met))
	var num, den float64
	for i, w := range weights {
		den += w
		if isMet(met[i]) {
			num += w
		}
	}
	if !(den > 0) {
		return 0, false
	}
	return num / den, true
}

// RaRCategoryWeight returns the RaR implicit-category weight of c:
// essential 1.0, important 0.7, optional 0.3, pitfall 0.9. ok is false for
// any other category (none, empty or unknown), which RaR does not weight.
func RaRCategoryWeight(c rubric.Category) (w float64, ok bool) {
	switch c {
	case rubric.CategoryEssential:
		return 1.0, true
	case rubric.CategoryImportant:
		return 0.7, true
	case rubric.CategoryOptional:
		return 0.3, true
	case rubric.CategoryPitfall:
		return 0.9, true
	case rubric.CategoryNone:
		return 0, false
	}
	return 0, false
}

// RaRCategory returns the RaR reward with category weights
//
//	r = Σ_j w(cat_j) c_j / Σ_j w(cat_j)
//
// with w from RaRCategoryWeight. RaR phrases pitfall criteria so that
// satisfying one means avoiding the pitfall, and gives it the positive
// weight 0.9. This package's convention is HealthBench's: for a pitfall,
// met means the bad behaviour is present. So here c_j = met_j for every
// category except pitfall, where c_j = 1 − met_j (the pitfall is avoided
// when it is not met). An unjudged pitfall counts as not met, hence as
// avoided. ok is false, and r is 0, when categories is empty or a
// category has no RaR weight.
//
// RaRCategory panics if len(categories) != len(met).
func RaRCategory(categories []rubric.Category, met []*bool) (r float64, ok bool) {
	checkLen("RaRCategory", len(categories), len(met))
	var num, den float64
	for i, c := range categories {
		w, ok := RaRCategoryWeight(c)
		if !ok {
			return 0, false
		}
		den += w
		if isMet(met[i]) != (c == rubric.CategoryPitfall) {
			num += w
		}
	}
	if !(den > 0) {
		return 0, false
	}
	return num / den, true
}

// ResearchRubrics returns the ResearchRubrics compliance score
// (scaleapi/researchrubrics, src/calculate_metrics/calculate_compliance_score.py)
//
//	s = Σ_i c_i w_i / Σ_{i: w_i > 0} w_i,   s = 0 when that sum is 0
//
// with c_i = 1 when met and 0 otherwise (unjudged counts as not met). It
// is ResearchRubricsGraded with scores in {0, 1}.
//
// ResearchRubrics panics if len(weights) != len(met).
func ResearchRubrics(weights []float64, met []*bool) float64 {
	checkLen("ResearchRubrics", len(weights), len(met))
	var num, den float64
	for i, w := range weights {
		if w > 0 {
			den += w
		}
		if isMet(met[i]) {
			num += w
		}
	}
	if !(den > 0) {
		return 0
	}
	return num / den
}

// ResearchRubricsGraded is ResearchRubrics with graded per-criterion scores
// (ResearchRubrics' judges give partial credit):
//
//	s = Σ_i score_i w_i / Σ_{i: w_i > 0} w_i,   s = 0 when that sum is 0.
//
// ResearchRubricsGraded panics if len(weights) != len(scores).
func ResearchRubricsGraded(weights, scores []float64) float64 {
	checkLen("ResearchRubricsGraded", len(weights), len(scores))
	var num, den float64
	for i, w := range weights {
		if w > 0 {
			den += w
		}
		num += scores[i] * w
	}
	if !(den > 0) {
		return 0
	}
	return num / den
}

// WeightedPositive returns the weighted fraction of positive criteria met,
//
//	s = Σ_{i: w_i > 0, met} w_i / Σ_{i: w_i > 0} w_i,
//
// ignoring criteria with weight ≤ 0 altogether. s is in [0, 1]. ok is
// false, and s is 0, when no weight is positive.
//
// WeightedPositive panics if len(weights) != len(met).
func WeightedPositive(weights []float64, met []*bool) (s float64, ok bool) {
	checkLen("WeightedPositive", len(weights), len(met))
	var num, den float64
	for i, w := range weights {
		if !(w > 0) {
			continue
		}
		den += w
		if isMet(met[i]) {
			num += w
		}
	}
	if den == 0 {
		return 0, false
	}
	return num / den, true
}
