package score

import (
	"github.com/rcsd-dev/rcsd/core/diag"

	"fmt"
	"strings"

	"github.com/rcsd-dev/rcsd/core/rubric"
)

// Rule names a per-example scoring rule. Its string form is what
// configuration files and JSON requests carry.
type Rule string

const (
	RuleHealthBench Rule = "healthbench"  // HealthBench: Σ met points / Σ positive points, unclipped
	RuleRaR         Rule = "rar"          // RaR explicit: Σ w·c / Σ w over all weights
	RuleRaRCategory Rule = "rar-category" // RaR with category weights 1.0 / 0.7 / 0.3 / 0.9
	RuleResearch    Rule = "research"     // ResearchRubrics: Σ w·c / Σ positive w, 0 if none
	RuleWeighted    Rule = "weighted"     // weighted fraction of positive criteria met
)

// Rules lists every rule in a stable order, for help text and hints.
var Rules = []Rule{RuleHealthBench, RuleRaR, RuleRaRCategory, RuleResearch, RuleWeighted}

// Valid reports whether r is one of Rules.
func (r Rule) Valid() bool {
	switch r {
	case RuleHealthBench, RuleRaR, RuleRaRCategory, RuleResearch, RuleWeighted:
		return true
	}
	return false
}

// ParseRule returns the rule named s. Matching is exact (rule names are
// lower case); an unknown name gives an error listing the valid names, with
// a "did you mean" hint when one is close.
func ParseRule(s string) (Rule, error) {
	r := Rule(s)
	if r.Valid() {
		return r, nil
	}
	names := make([]string, len(Rules))
	for i, r := range Rules {
		names[i] = string(r)
	}
	msg := fmt.Sprintf("score: unknown rule %q (valid: %s)", s, strings.Join(names, ", "))
	if near := diag.Suggest(s, names); near != "" {
		msg += fmt.Sprintf("; did you mean %q?", near)
	}
	return "", fmt.Errorf("%s", msg)
}

// Result is a score with what a caller should report beside it.
type Result struct {
	Score float64 `json:"score"`
	// OK is false when the rule gives no score for this example; Score is
	// then 0 and Reason says why.
	OK bool `json:"ok"`
	// Unjudged is the number of criteria with no verdict; they were
	// counted as not met.
	Unjudged int    `json:"unjudged"`
	Reason   string `json:"reason,omitempty"`
}

// Reasons a Result can carry when OK is false.
const (
	ReasonNoPositive    = "no criterion has a positive weight"
	ReasonWeightSum     = "the weights sum to zero or less"
	ReasonNoCategory    = "a criterion has no RaR category (essential, important, optional, pitfall)"
	ReasonPitfallUnsure = "a pitfall criterion has no polarity and a non-negative weight, so it is unknown whether met means the pitfall is present or avoided"
	ReasonEmpty         = "the rubric has no criteria"
)

// EffectivePolarity returns the polarity the rules use for c: its Polarity
// when set, else Negative for a negative weight and Positive otherwise.
// known is false for a pitfall with no polarity and a weight ≥ 0: public
// RaR data phrases pitfalls both ways ("avoids X", "mentions X"), so the
// meaning of met cannot be read off such a criterion and is never guessed.
func EffectivePolarity(c *rubric.Criterion) (p rubric.Polarity, known bool) {
	switch c.Polarity {
	case rubric.Positive, rubric.Negative:
		return c.Polarity, true
	}
	if c.Weight < 0 {
		return rubric.Negative, true
	}
	if c.Category == rubric.CategoryPitfall {
		return rubric.Positive, false
	}
	return rubric.Positive, true
}

// Score scores one example under r. crit and met are in rubric order, one
// verdict per criterion, nil for an unjudged one (counted as not met). The
// weight-based rules (healthbench, rar, research, weighted) read only
// Criterion.Weight, with its sign. rar-category reads Category and the
// polarity (EffectivePolarity): with c = met for a positive criterion and
// c = 1 − met for a negative one, r = Σ w(cat)·c / Σ w(cat).
//
// Score allocates nothing. It panics if len(crit) != len(met) or r is not
// a valid rule.
func (r Rule) Score(crit []rubric.Criterion, met []*bool) (float64, bool) {
	res := r.ScoreDetail(crit, met)
	return res.Score, res.OK
}

// ScoreDetail is Score with the count of unjudged criteria and, when there
// is no score, the reason.
func (r Rule) ScoreDetail(crit []rubric.Criterion, met []*bool) Result {
	checkLen("Rule.Score", len(crit), len(met))
	res := Result{Unjudged: Unjudged(met)}
	switch r {
	case RuleHealthBench, RuleResearch, RuleWeighted:
		var num, pos, posMet float64
		for i := range crit {
			w := crit[i].Weight
			m := isMet(met[i])
			if w > 0 {
				pos += w
				if m {
					posMet += w
				}
			}
			if m {
				num += w
			}
		}
		switch r {
		case RuleHealthBench:
			if pos == 0 {
				res.Reason = ReasonNoPositive
				return res
			}
			res.Score, res.OK = num/pos, true
		case RuleResearch:
			res.OK = true
			if pos > 0 {
				res.Score = num / pos
			}
		case RuleWeighted:
			if pos == 0 {
				res.Reason = ReasonNoPositive
				return res
			}
			res.Score, res.OK = posMet/pos, true
		}
	case RuleRaR:
		var num, den float64
		for i := range crit {
			w := crit[i].Weight
			den += w
			if isMet(met[i]) {
				num += w
			}
		}
		if !(den > 0) {
			res.Reason = ReasonWeightSum
			return res
		}
		res.Score, res.OK = num/den, true
	case RuleRaRCategory:
		if len(crit) == 0 {
			res.Reason = ReasonEmpty
			return res
		}
		var num, den float64
		for i := range crit {
			c := &crit[i]
			w, ok := RaRCategoryWeight(c.Category)
			if !ok {
				res.Reason = ReasonNoCategory
				return res
			}
			p, known := EffectivePolarity(c)
			if !known {
				res.Reason = ReasonPitfallUnsure
				return res
			}
			den += w
			if isMet(met[i]) != (p == rubric.Negative) {
				num += w
			}
		}
		res.Score, res.OK = num/den, true
	default:
		panic(fmt.Sprintf("score: Rule.Score: invalid rule %q", string(r)))
	}
	return res
}
