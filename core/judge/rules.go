package judge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/rcsd-dev/rcsd/core/rubric"
)

// Rules is the judge for deterministic checks attached to criteria
// (rubric.Check). A criterion is met when every one of its checks
// passes; a criterion without checks is not applicable (Status
// not_applicable, Explanation "no checks"); a criterion with a check that
// cannot be compiled (a bad regular expression, a contains check without a
// term, …) is unjudged: Met == nil and that error.
//
// Rules compiles each rubric once and caches the result keyed by the
// *rubric.Rubric pointer (up to maxCachedRubrics rubrics; the cache is
// dropped whole when full). A rubric must therefore not be changed after
// it was first judged; use CompileRules directly to control compilation.
// The zero value is ready to use and safe for concurrent use.
//
// Semantics of each check kind, exactly:
//
//   - contains, all, any, none: terms are matched case-insensitively
//     under Unicode simple case folding (no full folding: "ß" does not
//     match "ss"). A side of a term that is a word character (letter,
//     digit, mark, underscore) must sit at a word boundary in the
//     response, so "cat" does not match "concatenate" but "°C" matches
//     in "37°C" and "x^2" in "(x^2)". White space inside a term matches
//     any run of white space. contains takes exactly one term, all
//     needs every term, any at least one, none no term at all.
//     Evidence: the match (contains, any: the first listed term that
//     matches; all: the span from the earliest to the latest of each
//     term's first match). none carries no evidence when met, and the
//     forbidden match when not met.
//   - regex: Pattern (RE2, Go syntax) matches anywhere; evidence is the
//     leftmost match. Case-sensitive unless the pattern says (?i).
//   - boxed: the last balanced \boxed{…} or \fbox{…} (see lastBoxed)
//     equals Value. When both parse as quantities (see parseQuantity)
//     they are compared numerically within Tolerance (absolute) or
//     RelTolerance (relative to |Value|), converting known units of the
//     same dimension; with both tolerances zero, within a relative
//     1e-9. Otherwise both are compared as strings after normalizeAnswer.
//     Evidence is the box content, met or not.
//   - number: some number in the response (scanNumbers) equals Value as
//     for boxed. Evidence is the first such number with its unit.
//   - length: Min <= n <= Max (either may be absent) where n counts Unit:
//     "chars" (default; Unicode code points), "words" (runs of non-space)
//     or "tokens" (each run of letters/digits is one token and each other
//     non-space character another: a rough stand-in for a subword
//     tokenizer, typically within a factor of 1.5 of GPT-style counts on
//     English prose). No evidence.
//   - json: the trimmed response, or else the content of its first ```
//     fenced block (the info string after ``` is skipped), is valid JSON.
//     Evidence is that JSON text when met.
type Rules struct {
	mu    sync.Mutex
	cache map[*rubric.Rubric]*CompiledRules
}

// maxCachedRubrics bounds the Rules cache.
const maxCachedRubrics = 4096

// NewRules returns a rules judge.
func NewRules() *Rules { return &Rules{} }

// Judge evaluates every criterion's checks on in.Response.
func (r *Rules) Judge(_ context.Context, in *Input) []Verdict {
	if in == nil || in.Rubric == nil {
		return nil
	}
	return r.compiled(in.Rubric).Evaluate(in.Response)
}

func (r *Rules) compiled(rb *rubric.Rubric) *CompiledRules {
	r.mu.Lock()
	c, ok := r.cache[rb]
	r.mu.Unlock()
	if ok {
		return c
	}
	c, _ = CompileRules(rb) // errors are carried per criterion
	r.mu.Lock()
	if r.cache == nil || len(r.cache) >= maxCachedRubrics {
		r.cache = make(map[*rubric.Rubric]*CompiledRules)
	}
	r.cache[rb] = c
	r.mu.Unlock()
	return c
}

// CompiledRules is a rubric's checks compiled for repeated evaluation.
// It is immutable and safe for concurrent use.
type CompiledRules struct {
	crits []compiledCriterion
}

type compiledCriterion struct {
	id       string
	checks   []compiledCheck
	err      string // compile error
	noChecks bool
}

type lengthUnit uint8

const (
	unitChars lengthUnit = iota
	unitWords
	unitTokens
)

type compiledCheck struct {
	kind  rubric.CheckKind
	terms []termMatcher
	re    fastRegex
	// boxed, number
	want     quantity
	wantNum  bool
	wantNorm string
	value    string
	tol, rel float64
	// length
	min, max       int
	hasMin, hasMax bool
	unit           lengthUnit
}

// CompileRules compiles the checks of every criterion of r. It always
// returns usable CompiledRules; the error joins one message per check
// that could not be compiled ("criterion c3 check 1: …"), and those
// criteria evaluate to Met == nil with that message as their Error.
func CompileRules(r *rubric.Rubric) (*CompiledRules, error) {
	c := &CompiledRules{crits: make([]compiledCriterion, len(r.Criteria))}
	var errs []error
	for i := range r.Criteria {
		cr := &r.Criteria[i]
		cc := &c.crits[i]
		cc.id = cr.ID
		if len(cr.Checks) == 0 {
			cc.noChecks = true
			continue
		}
		for k := range cr.Checks {
			ck, err := compileCheck(&cr.Checks[k])
			if err != nil {
				cc.err = "check " + strconv.Itoa(k+1) + ": " + err.Error()
				cc.checks = nil
				errs = append(errs, fmt.Errorf("criterion %s %s", cr.ID, cc.err))
				break
			}
			cc.checks = append(cc.checks, ck)
		}
	}
	return c, errors.Join(errs...)
}

func compileCheck(ch *rubric.Check) (compiledCheck, error) {
	cc := compiledCheck{kind: ch.Kind, value: ch.Value, tol: ch.Tolerance, rel: ch.RelTolerance}
	switch ch.Kind {
	case rubric.CheckContains, rubric.CheckAll, rubric.CheckAny, rubric.CheckNone:
		if len(ch.Terms) == 0 {
			return cc, fmt.Errorf("%s check has no terms", ch.Kind)
		}
		if ch.Kind == rubric.CheckContains && len(ch.Terms) != 1 {
			return cc, fmt.Errorf("contains check takes exactly one term, got %d (use all or any for several)", len(ch.Terms))
		}
		for _, t := range ch.Terms {
			m, ok := newTermMatcher(t)
			if !ok {
				return cc, fmt.Errorf("%s check has an empty term", ch.Kind)
			}
			cc.terms = append(cc.terms, m)
		}
	case rubric.CheckRegex:
		if ch.Pattern == "" {
			return cc, errors.New("regex check has no pattern")
		}
		re, err := compileRegex(ch.Pattern)
		if err != nil {
			return cc, fmt.Errorf("bad regex: %v", err)
		}
		cc.re = re
	case rubric.CheckBoxed, rubric.CheckNumber:
		if strings.TrimSpace(ch.Value) == "" {
			return cc, fmt.Errorf("%s check has no value", ch.Kind)
		}
		if ch.Tolerance < 0 || ch.RelTolerance < 0 {
			return cc, fmt.Errorf("%s check has a negative tolerance", ch.Kind)
		}
		cc.want, cc.wantNum = parseQuantity(unwrapMacros(ch.Value))
		if ch.Kind == rubric.CheckNumber && !cc.wantNum {
			return cc, fmt.Errorf("number check value %q is not a number", ch.Value)
		}
		cc.wantNorm = normalizeAnswer(ch.Value)
	case rubric.CheckLength:
		if ch.Min == nil && ch.Max == nil {
			return cc, errors.New("length check needs min or max")
		}
		if ch.Min != nil {
			cc.min, cc.hasMin = *ch.Min, true
		}
		if ch.Max != nil {
			cc.max, cc.hasMax = *ch.Max, true
		}
		if cc.hasMin && cc.hasMax && cc.min > cc.max {
			return cc, fmt.Errorf("length check min %d > max %d", cc.min, cc.max)
		}
		switch ch.Unit {
		case "", "chars":
			cc.unit = unitChars
		case "words":
			cc.unit = unitWords
		case "tokens":
			cc.unit = unitTokens
		default:
			return cc, fmt.Errorf("length check unit %q is not chars, words or tokens", ch.Unit)
		}
	case rubric.CheckJSON:
	default:
		return cc, fmt.Errorf("unknown check kind %q", ch.Kind)
	}
	return cc, nil
}

// evalState is the per-response scratch space, pooled.
type evalState struct {
	resp     string
	f        folded
	isFolded bool
}

func (st *evalState) text() []byte {
	if !st.isFolded {
		st.f.fold(st.resp)
		st.isFolded = true
	}
	return st.f.b
}

var statePool = sync.Pool{New: func() any { return new(evalState) }}

// Evaluate judges response against every criterion, in rubric order.
func (c *CompiledRules) Evaluate(response string) []Verdict {
	out := make([]Verdict, len(c.crits))
	mets := make([]bool, len(c.crits))
	evs := make([]Evidence, len(c.crits))
	st := statePool.Get().(*evalState)
	st.resp, st.isFolded = response, false
	for i := range c.crits {
		cr := &c.crits[i]
		v := &out[i]
		v.ID, v.Judge = cr.id, KindRules
		if cr.noChecks {
			*v = notApplicable(cr.id, KindRules, ReasonNoChecks)
			continue
		}
		if cr.err != "" {
			v.Error = cr.err
			continue
		}
		met := true
		var ev *Evidence
		var expl []string
		for k := range cr.checks {
			r := cr.checks[k].eval(st)
			if r.hasEv && (ev == nil || !r.ok) {
				evs[i] = Evidence{Start: r.start, End: r.end, Text: response[r.start:r.end]}
				ev = &evs[i]
			}
			if !r.ok {
				met = false
				prefix := ""
				if len(cr.checks) > 1 {
					prefix = "check " + strconv.Itoa(k+1) + " of " + strconv.Itoa(len(cr.checks)) + " failed: "
				}
				expl = append(expl[:0], prefix+r.expl)
				if !r.hasEv {
					ev = nil
				}
				break
			}
			expl = append(expl, r.expl)
		}
		mets[i] = met
		v.Met = &mets[i]
		v.Evidence = ev
		v.Explanation = strings.Join(expl, "; ")
	}
	st.resp = ""
	if cap(st.f.b) <= 1<<20 {
		statePool.Put(st)
	}
	return out
}

// Judge evaluates in.Response; it ignores in.Rubric, which must be the
// rubric c was compiled from.
func (c *CompiledRules) Judge(_ context.Context, in *Input) []Verdict {
	return c.Evaluate(in.Response)
}

type checkResult struct {
	ok         bool
	hasEv      bool
	start, end int
	expl       string
}

func (ck *compiledCheck) eval(st *evalState) checkResult {
	switch ck.kind {
	case rubric.CheckContains, rubric.CheckAny:
		t := st.text()
		for i := range ck.terms {
			if s, e := ck.terms[i].find(t, 0); s >= 0 {
				s, e = st.f.orig(s), st.f.orig(e)
				return checkResult{ok: true, hasEv: true, start: s, end: e, expl: string(ck.kind) + " " + strconv.Quote(ck.terms[i].term) + ": found at byte " + strconv.Itoa(s)}
			}
		}
		if ck.kind == rubric.CheckContains {
			return checkResult{expl: "contains " + strconv.Quote(ck.terms[0].term) + ": not found"}
		}
		return checkResult{expl: "any: none of " + quoteTerms(ck.terms) + " found"}
	case rubric.CheckAll:
		t := st.text()
		lo, hi := -1, -1
		var missing []termMatcher
		for i := range ck.terms {
			s, e := ck.terms[i].find(t, 0)
			if s < 0 {
				missing = append(missing, ck.terms[i])
				continue
			}
			if lo < 0 || s < lo {
				lo = s
			}
			if e > hi {
				hi = e
			}
		}
		if len(missing) > 0 {
			return checkResult{expl: "all: missing " + quoteTerms(missing)}
		}
		lo, hi = st.f.orig(lo), st.f.orig(hi)
		return checkResult{ok: true, hasEv: true, start: lo, end: hi, expl: "all: found " + quoteTerms(ck.terms)}
	case rubric.CheckNone:
		t := st.text()
		for i := range ck.terms {
			if s, e := ck.terms[i].find(t, 0); s >= 0 {
				s, e = st.f.orig(s), st.f.orig(e)
				return checkResult{hasEv: true, start: s, end: e, expl: "none: found " + strconv.Quote(ck.terms[i].term) + " at byte " + strconv.Itoa(s)}
			}
		}
		return checkResult{ok: true, expl: "none: no forbidden term found"}
	case rubric.CheckRegex:
		loc := ck.re.find(st)
		if loc == nil {
			return checkResult{expl: "regex /" + ck.re.re.String() + "/: no match"}
		}
		return checkResult{ok: true, hasEv: true, start: loc[0], end: loc[1], expl: "regex /" + ck.re.re.String() + "/: matched at byte " + strconv.Itoa(loc[0])}
	case rubric.CheckBoxed:
		s, e, ok := lastBoxed(st.resp)
		if !ok {
			return checkResult{expl: `boxed: no \boxed{} in response`}
		}
		got := st.resp[s:e]
		if eq, why := ck.sameAnswer(got); eq {
			return checkResult{ok: true, hasEv: true, start: s, end: e, expl: "boxed: " + strconv.Quote(got) + " equals " + strconv.Quote(ck.value)}
		} else {
			if why != "" {
				why = " (" + why + ")"
			}
			return checkResult{hasEv: true, start: s, end: e, expl: "boxed: " + strconv.Quote(got) + " does not equal " + strconv.Quote(ck.value) + why}
		}
	case rubric.CheckNumber:
		var found numberSpan
		hit := false
		scanNumbers(st.resp, func(n numberSpan) bool {
			if ok, _ := sameQuantity(n.q, ck.want, ck.tol, ck.rel); ok {
				found, hit = n, true
				return false
			}
			return true
		})
		if !hit {
			return checkResult{expl: "number: no number equal to " + strconv.Quote(ck.value)}
		}
		return checkResult{ok: true, hasEv: true, start: found.start, end: found.end, expl: "number: " + strconv.Quote(st.resp[found.start:found.end]) + " equals " + strconv.Quote(ck.value)}
	case rubric.CheckLength:
		n := countLength(st.resp, ck.unit)
		name := [...]string{"chars", "words", "tokens"}[ck.unit]
		ok := (!ck.hasMin || n >= ck.min) && (!ck.hasMax || n <= ck.max)
		bounds := ""
		if ck.hasMin {
			bounds = strconv.Itoa(ck.min)
		}
		bounds += ".."
		if ck.hasMax {
			bounds += strconv.Itoa(ck.max)
		}
		return checkResult{ok: ok, expl: "length: " + strconv.Itoa(n) + " " + name + ", want " + bounds}
	case rubric.CheckJSON:
		s, e, where, ok := findJSON(st.resp)
		if !ok {
			return checkResult{expl: "json: " + where}
		}
		return checkResult{ok: true, hasEv: true, start: s, end: e, expl: "json: valid JSON (" + where + ")"}
	}
	return checkResult{expl: "unknown check kind " + string(ck.kind)}
}

// sameAnswer compares a boxed answer to the check's value.
func (ck *compiledCheck) sameAnswer(got string) (bool, string) {
	if ck.wantNum {
		if q, ok := parseQuantity(unwrapMacros(got)); ok {
			return sameQuantity(q, ck.want, ck.tol, ck.rel)
		}
	}
	return normalizeAnswer(got) == ck.wantNorm, ""
}

func quoteTerms(ts []termMatcher) string {
	var b strings.Builder
	for i := range ts {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(ts[i].term))
	}
	return b.String()
}

// countLength counts s in the given unit (see Rules).
func countLength(s string, u lengthUnit) int {
	switch u {
	case unitWords:
		return len(strings.Fields(s))
	case unitTokens:
		n := 0
		inWord := false
		for _, r := range s {
			switch {
			case isWordRune(r):
				if !inWord {
					n++
				}
				inWord = true
			case unicode.IsSpace(r):
				inWord = false
			default:
				n++
				inWord = false
			}
		}
		return n
	}
	return utf8.RuneCountInString(s)
}

// findJSON locates the JSON text of a response: the whole trimmed
// response, or else its first ``` fenced block. where says which, or why
// not.
func findJSON(s string) (start, end int, where string, ok bool) {
	t := strings.TrimSpace(s)
	if t != "" && json.Valid([]byte(t)) {
		start = strings.Index(s, t)
		return start, start + len(t), "whole response", true
	}
	i := strings.Index(s, "```")
	if i < 0 {
		return 0, 0, "not valid JSON and no ``` fenced block", false
	}
	j := i + 3
	nl := strings.IndexByte(s[j:], '\n')
	if nl < 0 {
		return 0, 0, "unterminated ``` fenced block", false
	}
	j += nl + 1
	k := strings.Index(s[j:], "```")
	if k < 0 {
		return 0, 0, "unterminated ``` fenced block", false
	}
	block := s[j : j+k]
	bt := strings.TrimSpace(block)
	if bt == "" || !json.Valid([]byte(bt)) {
		return 0, 0, "first fenced block is not valid JSON", false
	}
	start = j + strings.Index(block, bt)
	return start, start + len(bt), "fenced block", true
}
