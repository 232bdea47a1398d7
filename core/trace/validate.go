package trace

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/lm"
	"github.com/rcsd-dev/rcsd/core/source"
)

// Validate checks the numbers of a trace built in memory (Parse runs the
// same checks): both sides present, equally long, on the same token ids;
// token ids in [0, MaxTokenID]; finite log-probs ≤ PositiveSlack; no id
// twice in a top list; a top entry for the sampled token agreeing with
// the position's log-prob; listed probabilities summing to at most
// 1 + CoverageTolerance; criteria and mask aligned with the student.
// Diagnostics carry the trace's ID, File and Line and a JSON path.
func (tr *Trace) Validate() diag.List {
	v := validator{tr: tr}
	v.add = func(d diag.Diagnostic) {
		d.File, d.Line, d.Record = tr.File, tr.Line, tr.ID
		v.list = append(v.list, d)
	}
	v.run()
	return capList(v.list, v.full())
}

// capList keeps the first MaxRecordDiagnostics diagnostics and counts the
// rest in one note; partial says the scan stopped early, so the count is
// a lower bound.
func capList(l diag.List, partial bool) diag.List {
	if len(l) <= MaxRecordDiagnostics {
		return l
	}
	n := strconv.Itoa(len(l) - MaxRecordDiagnostics)
	if partial {
		n = "at least " + n
	}
	d := diag.Diagnostic{Severity: diag.Info, Code: CodeMoreErrors, File: l[0].File, Line: l[0].Line, Record: l[0].Record,
		Message: n + " more problems in this record are not shown"}
	return append(l[:MaxRecordDiagnostics:MaxRecordDiagnostics], d)
}

type validator struct {
	tr *Trace
	// noMass skips the probability sums (Compute forms them anyway and
	// reports trace-mass-above-one itself).
	noMass bool
	add    func(diag.Diagnostic)
	list   diag.List
	idx    idIndex
	n      int // diagnostics emitted, to stop scanning early
}

// full reports whether enough diagnostics were emitted that scanning on
// would only feed trace-more-errors; a few extra are kept for its count.
func (v *validator) full() bool { return v.n > 4*MaxRecordDiagnostics }

func (v *validator) errorf(code, path, hint, format string, args ...any) {
	v.n++
	d := diag.Errorf(code, path, format, args...)
	d.Hint = hint
	v.add(d)
}

func (v *validator) run() {
	tr := v.tr
	if tr.Student == nil {
		v.errorf(CodeMissingField, "$", `add "student": one entry per completion token`, `the trace has no "student" positions`)
	} else {
		v.side(tr.Student, "$.student", "student", "")
	}
	if tr.Teacher == nil {
		v.errorf(CodeMissingField, "$", `add "teacher": the teacher's scores of the student's tokens`, `the trace has no "teacher" positions`)
	} else {
		v.side(tr.Teacher, "$.teacher", "teacher", "")
		v.aligned(tr.Teacher, "$.teacher", "teacher", "")
	}
	for _, id := range sortedKeys(tr.Criteria) {
		path := source.Key("$.criteria", id)
		if id == "" {
			v.n++
			v.add(diag.Diagnostic{Severity: diag.Error, Code: CodeBadCriterion, Path: "$.criteria",
				Message: "a criterion id is the empty string", Hint: "use the rubric's criterion ids"})
			continue
		}
		ps := tr.Criteria[id]
		if ps == nil {
			v.errorf(CodeWrongType, path, "", "criterion %q: expected a list of teacher positions, got null", id)
			continue
		}
		v.side(ps, path, "criterion "+strconv.Quote(id), id)
		v.aligned(ps, path, "criterion "+strconv.Quote(id), id)
	}
	if tr.Mask != nil && len(tr.Mask) != len(tr.Student) {
		v.errorf(CodeMaskLength, "$.mask", "one boolean per completion position",
			"the mask has %s, the student %s", plural(len(tr.Mask), "entry"), plural(len(tr.Student), "position"))
	}
	if te := tr.ThinkEndToken; te != nil {
		if *te < 0 || *te > MaxTokenID {
			v.errorf(CodeBadTokenID, "$.think_end_token", "", "think_end_token %d is not a token id in [0, %d]", *te, MaxTokenID)
		} else if len(tr.Student) > 0 && !slices.ContainsFunc(tr.Student, func(p lm.Position) bool { return p.TokenID == *te }) {
			v.n++
			v.add(diag.Diagnostic{Severity: diag.Warning, Code: CodeThinkEndAbsent, Path: "$.think_end_token",
				Message: fmt.Sprintf("think_end_token %d never occurs in the completion: with mask_thinking this trace is dropped", *te),
				Hint:    "check the id against the tokenizer, or the completion was cut before </think>"})
		}
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "y") {
		return strconv.Itoa(n) + " " + word[:len(word)-1] + "ies"
	}
	return strconv.Itoa(n) + " " + word + "s"
}

func sortedKeys(m map[string][]lm.Position) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// side checks one list of positions.
func (v *validator) side(ps []lm.Position, path, name, crit string) {
	if len(ps) == 0 {
		v.n++
		v.add(diag.Diagnostic{Severity: diag.Error, Code: CodeEmpty, Path: path, Criterion: crit,
			Message: fmt.Sprintf("the %s has no positions (empty completion)", name),
			Hint:    "a trace needs at least one completion token; skip empty completions when writing traces"})
		return
	}
	pos := func(t int) string { return path + "[" + strconv.Itoa(t) + "]" }
	alt := func(t, j int) string { return loc{path, t, j, ""}.String() }
	for t := range ps {
		if v.full() {
			return
		}
		p := &ps[t]
		v.tokenID(p.TokenID, loc{path, t, -1, "token_id"}, name, crit)
		okS := v.logProb(p.LogProb, loc{path, t, -1, "logprob"}, name, crit)
		v.idx.reset(len(p.Top))
		mass, sampledListed := 0.0, false
		for j := range p.Top {
			a := &p.Top[j]
			okID := v.tokenID(a.TokenID, loc{path, t, j, "token_id"}, name, crit)
			ok := v.logProb(a.LogProb, loc{path, t, j, "logprob"}, name, crit)
			if !okID {
				continue
			}
			if prev, dup := v.idx.put(int32(a.TokenID), int32(j)); dup {
				v.n++
				v.add(diag.Diagnostic{Severity: diag.Error, Code: CodeDuplicateTop, Path: alt(t, j) + ".token_id", Criterion: crit,
					Message: fmt.Sprintf("%s position %d: token id %d is listed twice in the top list (entries %d and %d)", name, t, a.TokenID, prev, j),
					Hint:    "each top list holds distinct tokens"})
				continue
			}
			if ok && !v.noMass {
				mass += math.Exp(min(a.LogProb, 0))
			}
			if a.TokenID == p.TokenID {
				sampledListed = true
				if okS && ok && math.Abs(a.LogProb-p.LogProb) > MatchTolerance*max(1, math.Abs(p.LogProb)) {
					v.n++
					v.add(diag.Diagnostic{Severity: diag.Error, Code: CodeSampledMismatch, Path: alt(t, j) + ".logprob", Criterion: crit,
						Message: fmt.Sprintf("%s position %d: the top list gives the sampled token %d log-prob %v, the position %v", name, t, a.TokenID, a.LogProb, p.LogProb),
						Hint:    "both must come from the same forward pass; check how the trace was assembled"})
				}
			}
		}
		if !sampledListed && okS && !v.noMass {
			mass += math.Exp(min(p.LogProb, 0))
		}
		if mass > 1+CoverageTolerance {
			v.n++
			v.add(massDiag(pos(t)+".top", name, t, mass, crit))
		}
	}
}

// loc is the JSON path of a position's field ($.teacher[12].logprob) or
// of a top entry's (j ≥ 0: $.teacher[12].top[3].logprob), built only
// when a diagnostic needs it.
type loc struct {
	side  string
	t, j  int
	field string
}

// where is the message prefix: "teacher position 12: " or
// "teacher position 12, top entry 3: ".
func (l loc) where(name string) string {
	s := name + " position " + strconv.Itoa(l.t)
	if l.j >= 0 {
		s += ", top entry " + strconv.Itoa(l.j)
	}
	return s + ": "
}

func (l loc) String() string {
	s := l.side + "[" + strconv.Itoa(l.t) + "]"
	if l.j >= 0 {
		s += ".top[" + strconv.Itoa(l.j) + "]"
	}
	if l.field != "" {
		s += "." + l.field
	}
	return s
}

const positiveHint = "log-probs are ≤ 0, and values up to 1e-6 are read as 0: is this a logit or a probability?"

func massDiag(path, name string, t int, mass float64, crit string) diag.Diagnostic {
	return diag.Diagnostic{Severity: diag.Error, Code: CodeMassAboveOne, Path: path, Criterion: crit,
		Message: fmt.Sprintf("%s position %d: the listed tokens' probabilities sum to %.6g > 1", name, t, mass),
		Hint:    "log-probs must be full-vocabulary log-softmax at temperature 1, not renormalised over the top-k or taken at another temperature"}
}

func (v *validator) tokenID(id int, path loc, name, crit string) bool {
	if id >= 0 && id <= MaxTokenID {
		return true
	}
	v.n++
	v.add(diag.Diagnostic{Severity: diag.Error, Code: CodeBadTokenID, Path: path.String(), Criterion: crit,
		Message: fmt.Sprintf("%stoken id %d is not in [0, %d]", path.where(name), id, MaxTokenID)})
	return false
}

func (v *validator) logProb(x float64, path loc, name, crit string) bool {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		v.n++
		v.add(diag.Diagnostic{Severity: diag.Error, Code: CodeNonFinite, Path: path.String(), Criterion: crit,
			Message: fmt.Sprintf("%slog-prob %v is not finite", path.where(name), x),
			Hint:    "a scored token needs a finite log-prob; check the model's output for NaN"})
		return false
	case x > PositiveSlack:
		v.n++
		v.add(diag.Diagnostic{Severity: diag.Error, Code: CodePositive, Path: path.String(), Criterion: crit,
			Message: fmt.Sprintf("%slog-prob %v is above 0", path.where(name), x),
			Hint:    positiveHint})
		return false
	}
	return true
}

// aligned checks that ps scores the student's tokens.
func (v *validator) aligned(ps []lm.Position, path, name, crit string) {
	st := v.tr.Student
	if len(st) == 0 || len(ps) == 0 {
		return
	}
	if len(ps) != len(st) {
		v.n++
		v.add(diag.Diagnostic{Severity: diag.Error, Code: CodeLengthMismatch, Path: path, Criterion: crit,
			Message: fmt.Sprintf("the %s has %s, the student %d", name, plural(len(ps), "position"), len(st)),
			Hint:    "both sides score the same completion tokens: one entry per student token"})
	}
	first, count := -1, 0
	for t := range min(len(ps), len(st)) {
		if ps[t].TokenID != st[t].TokenID {
			if first < 0 {
				first = t
			}
			count++
		}
	}
	if first >= 0 {
		more := ""
		if count > 1 {
			more = fmt.Sprintf(" (%d positions differ)", count)
		}
		v.n++
		v.add(diag.Diagnostic{Severity: diag.Error, Code: CodeTokenMismatch, Path: path + "[" + strconv.Itoa(first) + "].token_id", Criterion: crit,
			Message: fmt.Sprintf("position %d: the %s scores token id %d, the student sampled %d%s", first, name, ps[first].TokenID, st[first].TokenID, more),
			Hint:    "score the student's token ids under the teacher's prompt; never re-tokenize the text"})
	}
}
