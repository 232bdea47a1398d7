package trace

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/distill"
	"github.com/rcsd-dev/rcsd/core/lm"
	"github.com/rcsd-dev/rcsd/core/source"
)

// Missing is the policy for a log-prob the support needs that a side's
// list does not hold.
type Missing string

const (
	// MissingError (the default) refuses: the trace fails with
	// trace-missing-logprob naming the position and the token.
	MissingError Missing = "error"
	// MissingFloor fills a missing log-prob with the smallest log-prob that
	// side lists at that position. When the list is the side's top-k, every
	// unlisted token is at most that probable, so the fill is an upper
	// bound on the unknown value, not an estimate of it. Each filled value
	// is counted (Token.Filled) and the result is marked approximate
	// (Result.Approximation = "floor").
	MissingFloor Missing = "floor"
)

// Options are the trace-specific knobs; the loss itself is configured by
// the distill.Kernel.
type Options struct {
	Missing Missing `json:"missing,omitempty"` // "" means error
}

// Validate reports an unknown Missing policy.
func (o Options) Validate() diag.List {
	switch o.Missing {
	case "", MissingError, MissingFloor:
		return nil
	}
	return diag.List{{Severity: diag.Error, Code: CodeUnknownMissing, Path: "$.missing",
		Message: fmt.Sprintf("unknown missing-log-prob policy %q", o.Missing), Hint: `one of "error", "floor"`}}
}

// Token is one position's outputs: distill's per-token values plus what
// the served log-probs say directly.
type Token struct {
	TokenID int `json:"token_id"`
	distill.TokenResult
	// LogProbStudent and LogProbTeacher are the sampled token's served
	// log-probs (temperature 1), so log T(y_t) − log S(y_t) at τ = 1 is
	// always available even when Advantage (at τ) is not.
	LogProbStudent float64 `json:"logprob_student"`
	LogProbTeacher float64 `json:"logprob_teacher"`
	// Covered: both sides' listed tokens hold at least 1 −
	// CoverageTolerance of their probability, so the full distributions
	// are known at this position.
	Covered bool `json:"covered"`
	// Filled counts log-probs filled by the floor approximation.
	Filled int `json:"filled,omitempty"`
}

// CriterionResult is the loss against the teacher conditioned on one
// criterion alone (Trace.Criteria), position by position.
type CriterionResult struct {
	ID     string  `json:"id"`
	Loss   float64 `json:"loss"`
	Filled int     `json:"filled,omitempty"`
	Tokens []Token `json:"tokens"`
}

// Result is one trace's loss: the per-token outputs and the loss reduced
// over this trace alone by the kernel's reduction (token-mean and
// sequence-mean: mean over valid tokens; sum: the sum; batchmean: the sum,
// a batch of one). Batch reduces many traces.
type Result struct {
	ID          string  `json:"id"`
	Loss        float64 `json:"loss"`
	ValidTokens int     `json:"valid_tokens"`
	// Dropped: mask_thinking is on and the completion has no think-end
	// token, so no position counts.
	Dropped bool `json:"dropped"`
	// Approximation names the approximation used ("floor") when any
	// log-prob was filled, here or in a criterion; empty when exact.
	Approximation Missing           `json:"approximation,omitempty"`
	Filled        int               `json:"filled,omitempty"`
	Tokens        []Token           `json:"tokens"`
	Criteria      []CriterionResult `json:"criteria,omitempty"`
}

// Computer computes trace losses for one kernel. It owns scratch reused
// across traces and is not safe for concurrent use (one per goroutine,
// each with its own Kernel).
type Computer struct {
	k    *distill.Kernel
	o    distill.Options
	miss Missing
	what string // "support teacher-topk", for messages

	s, t   sideList
	ks, kt []float64
	sel    []int
	logS   []float64
	v      validator
	nprob  int // problems reported for the current trace
}

// sideList is one side's known log-probs at one position: the top list
// plus the sampled token when the list lacks it.
type sideList struct {
	ids     []int32
	lps     []float64
	idx     idIndex
	nTop    int     // served top entries
	sampled int     // index of the sampled token
	mass    float64 // Σ p over the list
	minLP   float64 // smallest log-prob listed
	pos     *lm.Position
}

func (l *sideList) build(p *lm.Position) {
	l.pos = p
	l.nTop = len(p.Top)
	l.ids = l.ids[:0]
	l.lps = l.lps[:0]
	l.idx.reset(len(p.Top) + 1)
	l.sampled = -1
	for j := range p.Top {
		a := &p.Top[j]
		id := int32(a.TokenID)
		if _, dup := l.idx.put(id, int32(len(l.ids))); dup {
			continue // impossible after validation; never double-count
		}
		if a.TokenID == p.TokenID {
			l.sampled = len(l.ids)
		}
		l.ids = append(l.ids, id)
		l.lps = append(l.lps, min(a.LogProb, 0))
	}
	if l.sampled < 0 {
		l.sampled = len(l.ids)
		l.idx.put(int32(p.TokenID), int32(len(l.ids)))
		l.ids = append(l.ids, int32(p.TokenID))
		l.lps = append(l.lps, min(p.LogProb, 0))
	}
	l.mass, l.minLP = 0, 0
	for _, v := range l.lps {
		l.mass += math.Exp(v)
		l.minLP = min(l.minLP, v)
	}
}

func (l *sideList) covered() bool { return l.mass >= 1-CoverageTolerance }

// tokenText returns the text the list gives token index i, for messages.
func (l *sideList) tokenText(i int) string {
	if i < len(l.pos.Top) && l.pos.Top[i].TokenID == int(l.ids[i]) {
		return l.pos.Top[i].Token
	}
	if int(l.ids[i]) == l.pos.TokenID {
		return l.pos.Token
	}
	return ""
}

// NewComputer returns a Computer for kernel k. It refuses a tail bucket
// at τ ≠ 1 (served log-probs hold the full normaliser at τ = 1 only) and
// an unknown Missing policy; the error wraps the diagnostics (*diag.Err).
func NewComputer(k *distill.Kernel, o Options) (*Computer, error) {
	l := o.Validate()
	ko := k.Options()
	if ko.Tail && ko.Temperature != 1 {
		l = append(l, diag.Diagnostic{Severity: diag.Error, Code: CodeTailTemperature, Path: "$.temperature",
			Message: fmt.Sprintf("a tail bucket from served log-probs needs temperature 1, got %v (the full normaliser at another temperature is unknown)", ko.Temperature),
			Hint:    "use temperature 1 with tail, or tail false (renormalised top-k)"})
	}
	if l.HasErrors() {
		return nil, &diag.Err{List: l}
	}
	miss := o.Missing
	if miss == "" {
		miss = MissingError
	}
	return &Computer{k: k, o: ko, miss: miss, what: "support " + string(ko.Support)}, nil
}

// Compute is NewComputer(k, Options{}) followed by Computer.Compute.
func Compute(k *distill.Kernel, tr *Trace) (Result, error) {
	c, err := NewComputer(k, Options{})
	if err != nil {
		return Result{}, err
	}
	return c.Compute(tr)
}

// Compute validates tr (Trace.Validate's checks; the probability sums are
// checked as they are formed) and computes its loss with the kernel's
// options. Per position, by support:
//
//   - full: exact when both sides' lists cover their distributions (Σ p ≥
//     1 − CoverageTolerance); the divergence runs over the union of the
//     two lists, renormalised at τ, which is softmax(z/τ) over the whole
//     vocabulary up to the uncovered mass. Without coverage: error
//     trace-not-covered.
//   - teacher-topk (student-topk): the k most probable tokens of the
//     teacher's (student's) list, ties to the earlier entry, which needs
//     at least k served entries unless that list covers its distribution
//     (then all of them, as the dense path takes min(k, V)); otherwise
//     trace-short-top. The other side must list each of those tokens (its
//     sampled token counts as listed): otherwise trace-missing-logprob,
//     or the floor fill with Options.Missing = floor. Then
//     distill.Kernel.AlignedToken: renormalised over the k entries at τ,
//     or with the tail bucket log(1 − Σ p) at τ = 1.
//   - estimators: only the sampled token's log-probs at τ, which the
//     served values give at τ = 1, and a covered position at any τ;
//     otherwise trace-not-covered. Entropies need coverage (0 otherwise;
//     Token.Covered says which).
//
// The advantage A_t = log T(y_t) − log S(y_t) at τ is set when it is
// exact: τ = 1, or a covered position. Masks follow distill.Kernel.Mask
// with the trace's think_end_token in place of the options' (a conflict
// between two non-zero ids is an error) and the trace's mask as the
// completion mask. Per-criterion results use the same student positions
// and validity. On error Compute returns every problem found (up to
// MaxRecordDiagnostics) as a *diag.Err whose diagnostics carry the trace
// id, the position's JSON path and the token.
func (c *Computer) Compute(tr *Trace) (Result, error) {
	if err := c.Check(tr); err != nil {
		return Result{}, err
	}
	return c.ComputeChecked(tr)
}

// Check validates tr's structure as Compute does first (lengths, ids,
// log-probs, top lists, masks, criteria): a *diag.Err with the errors, or
// nil. Its outcome depends on the trace alone, not on the options.
func (c *Computer) Check(tr *Trace) error {
	c.v = validator{tr: tr, noMass: true, idx: c.v.idx}
	var vl diag.List
	c.v.add = func(d diag.Diagnostic) {
		if d.Severity == diag.Error {
			d.File, d.Line, d.Record = tr.File, tr.Line, tr.ID
			vl = append(vl, d)
		}
	}
	c.v.run()
	if len(vl) > 0 {
		return &diag.Err{List: capList(vl, c.v.full())}
	}
	return nil
}

// ComputeChecked is Compute without the structural check, for a trace
// that passed Check (with any Computer) and has not changed since: hosts
// that compute the same traces under many settings (the playground, on
// every loss-setting edit) check each once. On an unchecked trace its
// behaviour is undefined.
func (c *Computer) ComputeChecked(tr *Trace) (Result, error) {
	var l diag.List
	c.nprob = 0
	add := func(d diag.Diagnostic) {
		d.File, d.Line, d.Record = tr.File, tr.Line, tr.ID
		l = append(l, d)
		c.nprob++
	}
	valid, dropped, ok := c.mask(tr, add)
	if !ok {
		return Result{}, &diag.Err{List: l}
	}
	res := Result{ID: tr.ID, Dropped: dropped}
	for _, v := range valid {
		if v {
			res.ValidTokens++
		}
	}
	res.Tokens, res.Loss, res.Filled = c.sequence(tr.Student, tr.Teacher, "$.teacher", "", valid, add)
	for _, id := range sortedKeys(tr.Criteria) {
		toks, loss, filled := c.sequence(tr.Student, tr.Criteria[id], source.Key("$.criteria", id), id, valid, add)
		res.Criteria = append(res.Criteria, CriterionResult{ID: id, Loss: loss, Filled: filled, Tokens: toks})
		res.Filled += filled
	}
	if len(l) > 0 {
		return Result{}, &diag.Err{List: capList(l, c.nprob > maxProblems)}
	}
	if res.Filled > 0 {
		res.Approximation = MissingFloor
	}
	return res, nil
}

// mask computes the valid positions as distill.Kernel.Mask does, with
// the trace's think-end id and completion mask.
func (c *Computer) mask(tr *Trace, add func(diag.Diagnostic)) (valid []bool, dropped, ok bool) {
	n := len(tr.Student)
	valid = make([]bool, n)
	start := c.o.SkipFirst
	if c.o.MaskThinking {
		end := c.o.ThinkEndToken
		if te := tr.ThinkEndToken; te != nil {
			if end != 0 && end != *te {
				add(diag.Diagnostic{Severity: diag.Error, Code: CodeThinkConflict, Path: "$.think_end_token",
					Message: fmt.Sprintf("the trace's think_end_token %d differs from the loss options' %d", *te, end),
					Hint:    "leave think_end_token out of the options (the trace knows its tokenizer), or fix one of them"})
				return nil, false, false
			}
			end = *te
		}
		at := -1
		for i := range tr.Student {
			if tr.Student[i].TokenID == end {
				at = i
				break
			}
		}
		if at < 0 {
			return valid, true, true
		}
		start = max(start, at+1)
	}
	for i := range valid {
		valid[i] = i >= start && (tr.Mask == nil || tr.Mask[i])
	}
	return valid, false, true
}

// maxProblems bounds the problems Compute collects in one trace before it
// stops: a few past MaxRecordDiagnostics, for the count of the rest.
const maxProblems = 4 * MaxRecordDiagnostics

// sequence computes every position of the student against one teacher
// side and reduces the valid ones.
func (c *Computer) sequence(student, teacher []lm.Position, tPath, crit string, valid []bool, add func(diag.Diagnostic)) (toks []Token, loss float64, filled int) {
	n := len(student)
	toks = make([]Token, n)
	if cap(c.logS) < n {
		c.logS = make([]float64, n)
	}
	logS := c.logS[:n]
	for t := range n {
		if c.nprob > maxProblems {
			break // the rest would only feed trace-more-errors
		}
		out := &toks[t]
		if d, bad := c.position(&student[t], &teacher[t], t, tPath, out, &logS[t]); bad {
			d.Criterion = crit
			add(d)
			continue
		}
		out.Valid = valid[t]
		filled += out.Filled
	}
	if c.o.Estimator == distill.Tinker {
		// tinker-cookbook's masked, discounted future sum of the advantages
		// (as distill.Kernel.Loss): a'_t = Σ_{u≥t} γ^{u−t} a_u m_u.
		acc := 0.0
		adv := make([]float64, n)
		for t := n - 1; t >= 0; t-- {
			a := 0.0
			if valid[t] {
				a = toks[t].PGAdvantage
			}
			acc = a + c.o.Discount*acc
			adv[t] = acc
		}
		for t := range toks {
			toks[t].PGAdvantage = adv[t]
			toks[t].Unclipped = -adv[t] * logS[t]
			toks[t].Divergence = toks[t].Unclipped
		}
	}
	nv, sum := 0, 0.0
	for t := range toks {
		if valid[t] {
			nv++
			sum += toks[t].Divergence
		}
	}
	if nv > 0 {
		switch c.o.Reduction {
		case distill.TokenMean, distill.SequenceMean:
			loss = sum / float64(nv)
		default: // sum, batchmean over a batch of one
			loss = sum
		}
	}
	return toks, loss, filled
}

// position fills out for position t. On a problem it returns the
// diagnostic (path, message, hint) and true.
func (c *Computer) position(sp, tp *lm.Position, t int, tPath string, out *Token, logS *float64) (diag.Diagnostic, bool) {
	out.TokenID = sp.TokenID
	out.LogProbStudent = min(sp.LogProb, 0)
	out.LogProbTeacher = min(tp.LogProb, 0)
	c.s.build(sp)
	c.t.build(tp)
	at := where{t: t, teacher: tPath}
	if c.s.mass > 1+CoverageTolerance {
		return massDiag(at.path("student")+".top", "student", t, c.s.mass, ""), true
	}
	if c.t.mass > 1+CoverageTolerance {
		name := "teacher"
		if tPath != "$.teacher" {
			name = "criterion teacher"
		}
		return massDiag(at.path("teacher")+".top", name, t, c.t.mass, ""), true
	}
	covS, covT := c.s.covered(), c.t.covered()
	out.Covered = covS && covT
	tau := c.o.Temperature
	notCovered := func(what string) (diag.Diagnostic, bool) {
		side, mass := "student", c.s.mass
		if covS {
			side, mass = "teacher", c.t.mass
		}
		return diag.Diagnostic{Severity: diag.Error, Code: CodeNotCovered, Path: at.path(side) + ".top",
			Message: fmt.Sprintf("position %d: %s needs each side's whole distribution, but the %s's listed tokens hold only %.6g of its probability", t, what, side, mass),
			Hint:    "request more log-probs (up to the vocabulary), or use a top-k support"}, true
	}

	if c.o.Estimator != distill.NoEstimator {
		var lS, lT float64
		switch {
		case covS && covT:
			invTau := 1 / tau
			lseS, hS := normaliser(c.s.lps, invTau)
			lseT, hT := normaliser(c.t.lps, invTau)
			lS = c.s.lps[c.s.sampled]*invTau - lseS
			lT = c.t.lps[c.t.sampled]*invTau - lseT
			out.EntropyStudent, out.EntropyTeacher = hS, hT
		case tau == 1:
			lS, lT = out.LogProbStudent, out.LogProbTeacher
		default:
			return notCovered(fmt.Sprintf("estimator %q at temperature %v", c.o.Estimator, tau))
		}
		term, _, adv := distill.EstimatorTerm(c.o.Estimator, lS-lT, lS, c.o.KLCoef)
		out.HasAdvantage, out.Advantage = true, lT-lS
		out.PGAdvantage, out.Unclipped, out.Divergence = adv, term, term
		*logS = lS
		return diag.Diagnostic{}, false
	}

	var ks, kt []float64
	switch c.o.Support {
	case distill.Full:
		if !(covS && covT) {
			return notCovered("support full")
		}
		ks, kt = c.ks[:0], c.kt[:0]
		for i, id := range c.s.ids {
			ks = append(ks, c.s.lps[i])
			v, d, bad := c.other(&c.t, &c.s, i, id, out, t, at, "support full (the union of both lists)")
			if bad {
				return d, true
			}
			kt = append(kt, v)
		}
		for i, id := range c.t.ids {
			if _, ok := c.s.idx.get(id); ok {
				continue
			}
			kt = append(kt, c.t.lps[i])
			v, d, bad := c.other(&c.s, &c.t, i, id, out, t, at, "support full (the union of both lists)")
			if bad {
				return d, true
			}
			ks = append(ks, v)
		}
	case distill.TeacherTopK, distill.StudentTopK:
		src, dst := &c.t, &c.s
		if c.o.Support == distill.StudentTopK {
			src, dst = &c.s, &c.t
		}
		kk := c.o.TopK
		if src.nTop < kk {
			if !src.covered() {
				side := sideName(src == &c.s)
				return diag.Diagnostic{Severity: diag.Error, Code: CodeShortTop, Path: at.path(side) + ".top",
					Message: fmt.Sprintf("position %d: support %s needs the %s's %d most probable tokens, but it lists %d (holding %.6g of its probability)", t, c.o.Support, side, kk, src.nTop, src.mass),
					Hint:    fmt.Sprintf("request at least %d log-probs from the %s", kk, side)}, true
			}
			kk = min(kk, len(src.ids))
		}
		c.sel = selectTopK(c.sel, src.lps, kk)
		a, b := c.ks[:0], c.kt[:0] // a: the source side, b: the other
		for _, i := range c.sel {
			a = append(a, src.lps[i])
			v, d, bad := c.other(dst, src, i, src.ids[i], out, t, at, c.what)
			if bad {
				return d, true
			}
			b = append(b, v)
		}
		if src == &c.t {
			ks, kt = b, a
		} else {
			ks, kt = a, b
		}
	default:
		panic("trace: unnormalised support " + string(c.o.Support))
	}
	c.ks, c.kt = ks, kt
	r, err := c.k.AlignedToken(ks, kt)
	if err != nil {
		msg := err.Error()
		var ie *distill.InputError
		if errors.As(err, &ie) {
			msg = ie.Msg
		}
		return diag.Diagnostic{Severity: diag.Error, Code: CodeNumeric, Path: at.path("student"),
			Message: fmt.Sprintf("position %d: %s", t, msg)}, true
	}
	out.TokenResult = r
	switch {
	case covS && covT:
		invTau := 1 / tau
		lseS, _ := normaliser(c.s.lps, invTau)
		lseT, _ := normaliser(c.t.lps, invTau)
		out.HasAdvantage = true
		out.Advantage = (c.t.lps[c.t.sampled]*invTau - lseT) - (c.s.lps[c.s.sampled]*invTau - lseS)
	case tau == 1:
		out.HasAdvantage = true
		out.Advantage = out.LogProbTeacher - out.LogProbStudent
	}
	return diag.Diagnostic{}, false
}

// where is a position of a trace, for the paths of diagnostics (built
// only when one is reported).
type where struct {
	t       int
	teacher string // "$.teacher" or "$.criteria.<id>"
}

func (w where) path(side string) string {
	if side == "student" {
		return "$.student[" + strconv.Itoa(w.t) + "]"
	}
	return w.teacher + "[" + strconv.Itoa(w.t) + "]"
}

func sideName(student bool) string {
	if student {
		return "student"
	}
	return "teacher"
}

// other returns the log-prob the list dst gives token id (entry i of src),
// or fills it, or reports it missing.
func (c *Computer) other(dst, src *sideList, i int, id int32, out *Token, t int, at where, what string) (float64, diag.Diagnostic, bool) {
	if j, ok := dst.idx.get(id); ok {
		return dst.lps[j], diag.Diagnostic{}, false
	}
	if c.miss == MissingFloor {
		out.Filled++
		return dst.minLP, diag.Diagnostic{}, false
	}
	dstName, srcName := sideName(dst == &c.s), sideName(src == &c.s)
	tok := ""
	if s := src.tokenText(i); s != "" {
		tok = " " + strconv.Quote(s)
	}
	return 0, diag.Diagnostic{Severity: diag.Error, Code: CodeMissingLogProb, Path: at.path(dstName) + ".top",
		Message: fmt.Sprintf("position %d: %s needs the %s's log-prob of token %d%s (p = %.3g under the %s), which the %s does not list",
			t, what, dstName, id, tok, math.Exp(src.lps[i]), srcName, dstName),
		Hint: fmt.Sprintf("request more log-probs from the %s (a larger top-k), or set missing: floor to bound it by the smallest listed log-prob", dstName)}, true
}

// normaliser returns log Σ exp(x_i·invTau) and the entropy of
// softmax(x·invTau), stably (the maximum subtracted).
func normaliser(x []float64, invTau float64) (lse, entropy float64) {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v*invTau)
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(v*invTau - m)
	}
	lse = m + math.Log(s)
	for _, v := range x {
		lp := v*invTau - lse
		if p := math.Exp(lp); p > 0 {
			entropy -= p * lp
		}
	}
	return lse, entropy
}

// selectTopK returns the indices of the k largest entries of x, largest
// first, ties to the lower index: the order distill.Kernel.SparseToken
// uses, so both sum in the same order.
func selectTopK(dst []int, x []float64, k int) []int {
	dst = dst[:0]
	if k <= 0 {
		return dst
	}
	for i, v := range x {
		if len(dst) == k {
			if v <= x[dst[k-1]] {
				continue // the earlier of equal values is already held
			}
			dst = dst[:k-1]
		}
		j := len(dst)
		dst = append(dst, i)
		for j > 0 && x[dst[j-1]] < v {
			dst[j] = dst[j-1]
			j--
		}
		dst[j] = i
	}
	return dst
}
