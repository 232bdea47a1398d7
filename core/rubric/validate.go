package rubric

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/rcsd-dev/rcsd/core/diag"
)

var (
	categories = []string{string(CategoryEssential), string(CategoryImportant), string(CategoryOptional), string(CategoryPitfall), string(CategoryNone)}
	polarities = []string{string(Positive), string(Negative)}
	checkKinds = []string{string(CheckContains), string(CheckAll), string(CheckAny), string(CheckNone), string(CheckRegex),
		string(CheckBoxed), string(CheckNumber), string(CheckLength), string(CheckJSON)}
	lengthUnits = []string{"chars", "words", "tokens"}
)

// Validate reports what makes r unusable (errors) or surely unintended
// (warnings about check fields a check kind ignores): no criteria, empty
// descriptions or ids, duplicate ids, non-finite weights, unknown
// categories and polarities, and malformed machine checks. Every
// diagnostic names its criterion and carries the path of the offending
// field in the source r was read from. Lint adds the style rules.
func Validate(r *Rubric) diag.List {
	var dl diag.List
	if len(r.Criteria) == 0 {
		return diag.List{withHint(diag.Errorf(CodeEmptyRubric, r.base, "the rubric has no criteria"), "add at least one criterion")}
	}
	seen := make(map[string]int, len(r.Criteria))
	for i := range r.Criteria {
		c := &r.Criteria[i]
		add := func(d diag.Diagnostic) {
			d.Criterion = c.ID
			dl = append(dl, d)
		}
		switch prev, dup := seen[c.ID]; {
		case strings.TrimSpace(c.ID) == "":
			add(diag.Errorf(CodeEmptyID, r.criterionPath(i, "id"), "criterion %d has an empty id", i+1))
		case dup:
			add(withHint(diag.Errorf(CodeDuplicateID, r.criterionPath(i, "id"), "the id %q is already used by criterion %d", c.ID, prev+1), "give every criterion its own id"))
		default:
			seen[c.ID] = i
		}
		if strings.TrimSpace(c.Description) == "" {
			add(diag.Errorf(CodeEmptyDescription, r.criterionPath(i, "description"), "criterion %q has an empty description", c.ID))
		}
		if d, bad := checkWeight(c); bad {
			add(withHint(diag.Errorf(d.code, r.criterionPath(i, "weight"), "%s", d.msg), d.hint))
		}
		if !validCategory(c.Category) {
			add(withHint(diag.Errorf(CodeUnknownCategory, r.criterionPath(i, "category"), "unknown category %q", c.Category),
				hintFrom(string(c.Category), categories)))
		}
		if c.Polarity != "" && c.Polarity != Positive && c.Polarity != Negative {
			add(withHint(diag.Errorf(CodeUnknownPolarity, r.criterionPath(i, "polarity"), "unknown polarity %q", c.Polarity),
				hintFrom(string(c.Polarity), polarities)))
		}
		for k := range c.Checks {
			for _, d := range validateCheck(&c.Checks[k], r.criterionPath(i, "checks")+"["+strconv.Itoa(k)+"]") {
				add(d)
			}
		}
	}
	return dl
}

// Bounds of a weight's magnitude: a weight is 0 or MinAbsWeight ≤ |w| ≤
// MaxAbsWeight. Every public convention sits well inside (HealthBench's
// points are integers in [−10, 10], RaR's weights −2 to 5, RCSD's −1 to
// 10, fractional weights such as 0.3 or 0.05), and weights act only
// through ratios, so six orders of magnitude either side of 1 lose
// nothing a rubric can mean. The bounds are what keeps every score and
// advantage finite: with n criteria a sum of weights is at most n·1e6 (no
// overflow, where two weights of 1e308 sum to +Inf and Inf/Inf is NaN),
// and a nonzero sum of weights is at least the spacing of floats near
// 1e−6 (about 2e−22), so a ratio is at most about n·5e27, where a weight
// of 5e−324 against one of −1e6 would divide to −Inf.
const (
	MaxAbsWeight = 1e6
	MinAbsWeight = 1e-6
)

type weightProblem struct{ code, msg, hint string }

// checkWeight reports a weight that is not finite or outside the bounds.
func checkWeight(c *Criterion) (weightProblem, bool) {
	w := c.Weight
	a := math.Abs(w)
	switch {
	case math.IsNaN(w) || math.IsInf(w, 0):
		return weightProblem{CodeNonFiniteWeight, fmt.Sprintf("criterion %q has weight %v; weights must be finite numbers", c.ID, w), ""}, true
	case a > MaxAbsWeight:
		return weightProblem{CodeWeightBounds, fmt.Sprintf("criterion %q has weight %v; a weight's magnitude must be at most 1e6", c.ID, w),
			"weights act only through ratios: scale the rubric's weights down together"}, true
	case w != 0 && a < MinAbsWeight:
		return weightProblem{CodeWeightBounds, fmt.Sprintf("criterion %q has weight %v; a nonzero weight's magnitude must be at least 1e-6", c.ID, w),
			"use 0 for a criterion that should not count, or scale the rubric's weights up together"}, true
	}
	return weightProblem{}, false
}

func validCategory(c Category) bool {
	switch c {
	case "", CategoryEssential, CategoryImportant, CategoryOptional, CategoryPitfall, CategoryNone:
		return true
	}
	return false
}

// hintFrom suggests the closest valid value, or lists them all.
func hintFrom(v string, valid []string) string {
	if h := diag.DidYouMean(v, valid); h != "" {
		return h
	}
	return "one of: " + strings.Join(valid, ", ")
}

// checkUses says which optional fields each kind reads.
func checkUses(k CheckKind) (terms, pattern, value, tol, minmax, unit bool) {
	switch k {
	case CheckContains, CheckAll, CheckAny, CheckNone:
		return true, false, false, false, false, false
	case CheckRegex:
		return false, true, false, false, false, false
	case CheckBoxed, CheckNumber:
		return false, false, true, true, false, false
	case CheckLength:
		return false, false, false, false, true, true
	}
	return false, false, false, false, false, false
}

func validateCheck(ch *Check, p string) diag.List {
	var dl diag.List
	key := func(k string) string { return p + "." + k }
	switch ch.Kind {
	case CheckContains, CheckAll, CheckAny, CheckNone, CheckRegex, CheckBoxed, CheckNumber, CheckLength, CheckJSON:
	case "":
		return diag.List{withHint(diag.Errorf(CodeCheckMissingField, p, `the check has no "kind"`), "one of: "+strings.Join(checkKinds, ", "))}
	default:
		return diag.List{withHint(diag.Errorf(CodeUnknownCheckKind, key("kind"), "unknown check kind %q", ch.Kind), hintFrom(string(ch.Kind), checkKinds))}
	}
	terms, pattern, value, tol, minmax, unit := checkUses(ch.Kind)
	ignored := func(present, used bool, name string) {
		if present && !used {
			dl = append(dl, withHint(diag.Warnf(CodeCheckIgnoredField, key(name), "a %s check ignores %q", ch.Kind, name), "remove it, or change the check's kind"))
		}
	}
	ignored(len(ch.Terms) > 0, terms, "terms")
	ignored(ch.Pattern != "", pattern, "pattern")
	ignored(ch.Value != "", value, "value")
	ignored(ch.Tolerance != 0, tol, "tolerance")
	ignored(ch.RelTolerance != 0, tol, "rel_tolerance")
	ignored(ch.Min != nil, minmax, "min")
	ignored(ch.Max != nil, minmax, "max")
	ignored(ch.Unit != "", unit, "unit")

	switch ch.Kind {
	case CheckContains, CheckAll, CheckAny, CheckNone:
		if len(ch.Terms) == 0 {
			dl = append(dl, withHint(diag.Errorf(CodeCheckMissingField, p, "a %s check needs \"terms\"", ch.Kind), `e.g. terms: ["chlorophyll"]`))
		}
		if ch.Kind == CheckContains && len(ch.Terms) > 1 {
			dl = append(dl, withHint(diag.Errorf(CodeCheckBadRange, key("terms"), "a contains check takes one term, got %d", len(ch.Terms)), `use "all" or "any" for several`))
		}
		for t, term := range ch.Terms {
			if strings.TrimSpace(term) == "" {
				dl = append(dl, diag.Errorf(CodeCheckMissingField, key("terms")+"["+strconv.Itoa(t)+"]", "the term is empty"))
			}
		}
	case CheckRegex:
		if ch.Pattern == "" {
			dl = append(dl, withHint(diag.Errorf(CodeCheckMissingField, p, `a regex check needs "pattern"`), `e.g. pattern: "(?i)final answer:"`))
		} else if _, err := regexp.Compile(ch.Pattern); err != nil {
			dl = append(dl, withHint(diag.Errorf(CodeCheckBadRegex, key("pattern"), "the pattern does not compile: %s", regexpMessage(err)),
				"the syntax is Go's RE2: no backreferences or lookaround"))
		}
	case CheckBoxed, CheckNumber:
		if strings.TrimSpace(ch.Value) == "" {
			dl = append(dl, withHint(diag.Errorf(CodeCheckMissingField, p, "a %s check needs \"value\"", ch.Kind), `e.g. value: "3.5" or "12 cm"`))
		}
		for _, t := range []struct {
			name string
			v    float64
		}{{"tolerance", ch.Tolerance}, {"rel_tolerance", ch.RelTolerance}} {
			if t.v < 0 || math.IsNaN(t.v) || math.IsInf(t.v, 0) {
				dl = append(dl, withHint(diag.Errorf(CodeCheckBadTolerance, key(t.name), "%s %v must be a finite number >= 0", t.name, t.v), "tolerances are absolute (tolerance) or relative to |value| (rel_tolerance)"))
			}
		}
	case CheckLength:
		switch {
		case ch.Min == nil && ch.Max == nil:
			dl = append(dl, withHint(diag.Errorf(CodeCheckMissingField, p, `a length check needs "min", "max" or both`), "e.g. max: 300"))
		case ch.Min != nil && *ch.Min < 0:
			dl = append(dl, diag.Errorf(CodeCheckBadRange, key("min"), "min %d is negative", *ch.Min))
		case ch.Min != nil && ch.Max != nil && *ch.Min > *ch.Max:
			dl = append(dl, diag.Errorf(CodeCheckBadRange, key("min"), "min %d is greater than max %d", *ch.Min, *ch.Max))
		}
		if ch.Unit != "" && ch.Unit != "chars" && ch.Unit != "words" && ch.Unit != "tokens" {
			dl = append(dl, withHint(diag.Errorf(CodeCheckUnknownUnit, key("unit"), "unknown length unit %q", ch.Unit), hintFrom(ch.Unit, lengthUnits)))
		}
	}
	return dl
}

func regexpMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

// Limits of RCSD's rubric generator (method.md §5): 3–25 criteria, weights
// in [−1, 10]; RaR's published weights go down to −2 for pitfalls, so the
// weight lint accepts [−2, 10]. HealthBench's points run from −10 to 10.
const (
	MinCriteria      = 3
	MaxCriteria      = 25
	MinWeight        = -2.0
	MaxWeight        = 10.0
	MaxAbsPointsHB   = 10.0
	nearDuplicateMin = 0.8 // Jaccard similarity of content-word sets
)

// Lint reports style problems as warnings: the RCSD generator's rules
// (criterion count, at least one negative criterion, weight range),
// duplicate and near-duplicate criteria, generic criteria a judge cannot
// check ("is correct", "is clear"), pitfall wording whose polarity
// contradicts the sign of its weight, a polarity that contradicts the
// weight, and a rubric with no positive weight (whose score is
// undefined). Lint assumes r passed Validate.
func Lint(r *Rubric) diag.List {
	if r == nil || len(r.Criteria) == 0 {
		return nil
	}
	var dl diag.List
	n := len(r.Criteria)
	if n < MinCriteria || n > MaxCriteria {
		dl = append(dl, withHint(diag.Warnf(CodeCriteriaCount, r.base, "the rubric has %d criteria; RCSD's generator writes %d to %d", n, MinCriteria, MaxCriteria),
			"a few specific criteria per question give the teacher something to condition on without drowning the prompt"))
	}
	neg, pos := false, false
	for _, c := range r.Criteria {
		if c.Weight < 0 || c.Polarity == Negative {
			neg = true
		}
		if c.Weight > 0 {
			pos = true
		}
	}
	if !neg {
		dl = append(dl, withHint(diag.Warnf(CodeNoNegative, r.base, "no criterion has a negative weight"),
			`RCSD's generator adds at least one "major violation" (weight -1), e.g. a factual error the answer must not make`))
	}
	if !pos {
		dl = append(dl, withHint(diag.Warnf(CodeNoPositiveWeight, r.base, "no criterion has a positive weight, so HealthBench, RaR and ResearchRubrics scores are undefined"),
			"give the criteria a strong answer must meet positive weights"))
	}
	words := make([]map[string]bool, n)
	for i := range r.Criteria {
		c := &r.Criteria[i]
		words[i] = contentWords(c.Description)
		add := func(d diag.Diagnostic) {
			d.Criterion = c.ID
			dl = append(dl, d)
		}
		switch r.Format {
		case FormatHealthBench:
			if math.Abs(c.Weight) > MaxAbsPointsHB {
				add(diag.Warnf(CodeWeightRange, r.criterionPath(i, "weight"), "%v points is outside HealthBench's range [-10, 10]", c.Weight))
			}
		default:
			if c.Weight < MinWeight || c.Weight > MaxWeight {
				add(withHint(diag.Warnf(CodeWeightRange, r.criterionPath(i, "weight"), "weight %v is outside [-2, 10], the range of RCSD (-1 to 10) and RaR (-2 to 5) rubrics", c.Weight),
					"RCSD uses 7-10 for essential, 3-6 for nice-to-have and -1 for a major violation"))
			}
		}
		if c.Polarity == Negative && c.Weight > 0 || c.Polarity == Positive && c.Weight < 0 {
			add(withHint(diag.Warnf(CodePolarityMismatch, r.criterionPath(i, "polarity"), "polarity %s contradicts weight %v", c.Polarity, c.Weight),
				"a negative criterion (met = the bad behaviour is present) has a negative weight"))
		}
		if isGeneric(c.Description) {
			add(withHint(diag.Warnf(CodeGenericCriterion, r.criterionPath(i, "description"), "criterion %q is generic: %q", c.ID, clip(c.Description, 60)),
				"say what the answer must contain for this question, e.g. the value, step or caveat a strong answer states"))
		}
		if c.Category == CategoryPitfall || isPitfallText(c) {
			if d, ok := pitfallPolarity(r, i); ok {
				add(d)
			}
		}
	}
	for i := 0; i < n; i++ {
		for j := 0; j < i; j++ {
			a, b := &r.Criteria[j], &r.Criteria[i]
			switch {
			case normalise(a.Description) == normalise(b.Description):
				d := withHint(diag.Warnf(CodeDuplicateCrit, r.criterionPath(i, "description"), "criterion %q repeats criterion %q", b.ID, a.ID), "remove one, or merge their weights")
				d.Criterion = b.ID
				dl = append(dl, d)
			case jaccard(words[i], words[j]) >= nearDuplicateMin:
				d := withHint(diag.Warnf(CodeNearDuplicate, r.criterionPath(i, "description"), "criterion %q is nearly the same as criterion %q (%.0f%% shared words)",
					b.ID, a.ID, 100*jaccard(words[i], words[j])), "a judge will likely give both the same verdict, counting it twice")
				d.Criterion = b.ID
				dl = append(dl, d)
			default:
				continue
			}
			break
		}
	}
	return dl
}

func isPitfallText(c *Criterion) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(c.Title)), "pitfall")
}

// avoidance matches pitfall wording in which meeting the criterion means
// the answer avoided the problem ("Avoids claiming …", "Refrains from …").
// "Does not …" is left out on purpose: RaR's pitfalls use it for the bad
// behaviour itself ("Does not mention the contraindication", weight −1).
var avoidance = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)^\s*(?:the\s+(?:response|answer)\s+)?(?:avoids?|avoiding|refrains?|steers?\s+clear|is\s+free\s+of|free\s+of)\b`)
})

// pitfallPolarity flags a pitfall whose wording and weight sign disagree:
// with a negative weight, "met" must mean the bad behaviour is present
// (HealthBench's convention), so "Avoids X" would punish the good answer;
// with a positive weight, "met" must mean the answer avoided it.
func pitfallPolarity(r *Rubric, i int) (diag.Diagnostic, bool) {
	c := &r.Criteria[i]
	avoids := avoidance().MatchString(c.Description)
	switch {
	case c.Weight < 0 && avoids:
		d := withHint(diag.Warnf(CodePitfallPolarity, r.criterionPath(i, "description"),
			"pitfall %q says what the answer avoids, yet its weight %v lowers the score when it is met", c.ID, c.Weight),
			`word it as the bad behaviour ("Claims that …") or make the weight positive; the public RaR data mixes both, so rcsd never guesses`)
		return d, true
	case c.Weight > 0 && !avoids:
		d := withHint(diag.Warnf(CodePitfallPolarity, r.criterionPath(i, "description"),
			"pitfall %q names a behaviour, yet its positive weight %v rewards the answer when it is met", c.ID, c.Weight),
			`give it a negative weight, or word it as what the answer avoids ("Avoids …")`)
		return d, true
	}
	return diag.Diagnostic{}, false
}

// genericWords are the words of criteria that hold for any question.
var genericWords = map[string]bool{
	"response": true, "answer": true, "correct": true, "correctly": true, "clear": true, "clearly": true, "accurate": true,
	"accurately": true, "helpful": true, "concise": true, "complete": true, "well": true, "written": true, "good": true,
	"relevant": true, "coherent": true, "detailed": true, "informative": true, "organized": true, "organised": true,
	"structured": true, "quality": true, "high": true, "overall": true, "right": true, "true": true, "factual": true,
	"factually": true, "useful": true, "appropriate": true, "thorough": true, "understandable": true, "easy": true,
	"understand": true, "readable": true, "precise": true, "comprehensive": true, "provides": true, "gives": true,
	"question": true, "addresses": true, "user": true, "responds": true, "format": true, "formatted": true,
}

// isGeneric reports whether d holds only words that describe any good
// answer ("The answer is correct and clear").
func isGeneric(d string) bool {
	w := contentWords(d)
	if len(w) == 0 || len(w) > 5 {
		return false
	}
	for k := range w {
		if !genericWords[k] {
			return false
		}
	}
	return true
}

var stopWords = map[string]bool{
	"a": true, "an": true, "the": true, "and": true, "or": true, "of": true, "to": true, "in": true, "on": true, "for": true,
	"is": true, "are": true, "be": true, "it": true, "its": true, "that": true, "this": true, "with": true, "as": true, "by": true,
	"at": true, "from": true, "was": true, "were": true, "has": true, "have": true, "should": true, "must": true, "very": true,
	"all": true, "any": true, "which": true, "their": true, "they": true, "them": true, "if": true, "so": true, "into": true,
}

// contentWords returns the lower-cased words of s less stop words.
func contentWords(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127 || r == '.' || r == '\'')
	}) {
		w = strings.Trim(w, ".'")
		if w != "" && !stopWords[w] {
			out[w] = true
		}
	}
	return out
}

func normalise(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(strings.TrimRight(strings.TrimSpace(s), ".!"))), " ")
}

func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	inter := 0
	for k := range a {
		if b[k] {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}
