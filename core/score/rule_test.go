package score

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rcsd-dev/rcsd/core/rubric"
)

func TestParseRule(t *testing.T) {
	tests := []struct {
		in      string
		want    Rule
		wantErr string
	}{
		{"healthbench", RuleHealthBench, ""},
		{"rar", RuleRaR, ""},
		{"rar-category", RuleRaRCategory, ""},
		{"research", RuleResearch, ""},
		{"weighted", RuleWeighted, ""},
		{"helthbench", "", `score: unknown rule "helthbench" (valid: healthbench, rar, rar-category, research, weighted); did you mean "healthbench"?`},
		{"HealthBench", "", `score: unknown rule "HealthBench" (valid: healthbench, rar, rar-category, research, weighted); did you mean "healthbench"?`},
		{"rar_category", "", `score: unknown rule "rar_category" (valid: healthbench, rar, rar-category, research, weighted); did you mean "rar-category"?`},
		{"bleu", "", `score: unknown rule "bleu" (valid: healthbench, rar, rar-category, research, weighted)`},
		{"", "", `score: unknown rule "" (valid: healthbench, rar, rar-category, research, weighted)`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRule(tt.in)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if got != tt.want || gotErr != tt.wantErr {
				t.Errorf("ParseRule(%q) = %q, %q; want %q, %q", tt.in, got, gotErr, tt.want, tt.wantErr)
			}
		})
	}
}

// The Rule form must agree with the slice functions it stands for.
func TestRuleScoreMatchesFunctions(t *testing.T) {
	crit := []rubric.Criterion{
		{ID: "c1", Weight: 5, Category: rubric.CategoryEssential},
		{ID: "c2", Weight: 3, Category: rubric.CategoryImportant},
		{ID: "c3", Weight: 1, Category: rubric.CategoryOptional},
		{ID: "c4", Weight: -2, Category: rubric.CategoryPitfall, Polarity: rubric.Negative},
	}
	w := []float64{5, 3, 1, -2}
	cats := []rubric.Category{"essential", "important", "optional", "pitfall"}
	for _, met := range [][]*bool{{T, T, T, T}, {T, F, U, F}, {F, F, F, T}, {U, U, U, U}} {
		hb, hbOK := HealthBench(w, met)
		rar, rarOK := RaR(w, met)
		rc, rcOK := RaRCategory(cats, met)
		wp, wpOK := WeightedPositive(w, met)
		want := map[Rule]Result{
			RuleHealthBench: {Score: hb, OK: hbOK},
			RuleRaR:         {Score: rar, OK: rarOK},
			RuleRaRCategory: {Score: rc, OK: rcOK},
			RuleResearch:    {Score: ResearchRubrics(w, met), OK: true},
			RuleWeighted:    {Score: wp, OK: wpOK},
		}
		for r, res := range want {
			// The slice functions count a nil verdict as not met (the
			// outside systems have no "unjudged"); the rules give no
			// score, unless the rubric has none to give anyway.
			if res.Unjudged = Unjudged(met); res.Unjudged > 0 && res.OK {
				res = Result{Unjudged: res.Unjudged, Reason: ReasonUnjudged}
			}
			if diff := cmp.Diff(res, r.ScoreDetail(crit, met)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", r, diff)
			}
		}
	}
}

// Polarity mapping for rar-category: a pitfall criterion is credited 0.9
// when the pitfall is avoided, whichever way its text is phrased.
func TestRuleRaRCategoryPolarity(t *testing.T) {
	ess := rubric.Criterion{Category: rubric.CategoryEssential, Weight: 5}
	tests := []struct {
		name    string
		pitfall rubric.Criterion
		met     *bool
		want    Result
	}{
		// "Mentions X" (negative, met = present), not met → avoided: (1 + 0.9)/1.9.
		{"negative-not-met", rubric.Criterion{Category: rubric.CategoryPitfall, Polarity: rubric.Negative, Weight: -1}, F, Result{Score: 1, OK: true}},
		// Present: 1/1.9.
		{"negative-met", rubric.Criterion{Category: rubric.CategoryPitfall, Polarity: rubric.Negative, Weight: -1}, T, Result{Score: 1 / 1.9, OK: true}},
		// No polarity, negative weight: read as negative.
		{"weight-implies-negative", rubric.Criterion{Category: rubric.CategoryPitfall, Weight: -2}, T, Result{Score: 1 / 1.9, OK: true}},
		// "Avoids X" (positive, met = avoided), met → credited.
		{"positive-met", rubric.Criterion{Category: rubric.CategoryPitfall, Polarity: rubric.Positive, Weight: 1}, T, Result{Score: 1, OK: true}},
		{"positive-not-met", rubric.Criterion{Category: rubric.CategoryPitfall, Polarity: rubric.Positive, Weight: 1}, F, Result{Score: 1 / 1.9, OK: true}},
		// No polarity and a positive weight: ambiguous, never guessed.
		{"ambiguous", rubric.Criterion{Category: rubric.CategoryPitfall, Weight: 1}, T, Result{Reason: ReasonPitfallUnsure}},
		{"unjudged-negative", rubric.Criterion{Category: rubric.CategoryPitfall, Polarity: rubric.Negative, Weight: -1}, U, Result{Unjudged: 1, Reason: ReasonUnjudged}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RuleRaRCategory.ScoreDetail([]rubric.Criterion{ess, tt.pitfall}, []*bool{T, tt.met})
			if diff := cmp.Diff(tt.want, got, cmpApprox); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

var cmpApprox = cmp.Comparer(func(a, b float64) bool { return a == b || (a-b < 1e-15 && b-a < 1e-15) })

func TestRuleReasons(t *testing.T) {
	tests := []struct {
		name string
		rule Rule
		crit []rubric.Criterion
		want string
	}{
		{"healthbench-no-positive", RuleHealthBench, []rubric.Criterion{{Weight: -1}}, ReasonNoPositive},
		{"weighted-no-positive", RuleWeighted, []rubric.Criterion{{Weight: 0}}, ReasonNoPositive},
		{"rar-sum", RuleRaR, []rubric.Criterion{{Weight: 1}, {Weight: -1}}, ReasonWeightSum},
		{"rar-category-none", RuleRaRCategory, []rubric.Criterion{{Weight: 1}}, ReasonNoCategory},
		{"rar-category-empty", RuleRaRCategory, nil, ReasonEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.rule.ScoreDetail(tt.crit, make([]*bool, len(tt.crit)))
			if got.OK || got.Reason != tt.want || got.Score != 0 {
				t.Errorf("got %+v, want reason %q", got, tt.want)
			}
		})
	}
}
