package judge

import (
	"context"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rcsd-dev/rcsd/core/rubric"
)

// Fuzz targets for the parsers behind the rules judge. Run as tests they
// replay the seed corpus; `go test -fuzz=FuzzX ./core/judge/` explores.
// None of them has an allow-list of errors: these functions never fail,
// they only find nothing.

var boxedSeeds = []string{
	`\boxed{4}`, `\boxed{\frac{1}{2}}`, `\boxed{\boxed{1}} \boxed{2}`, `\boxed{a \boxed{b}`, `\\boxed{1}`,
	`\\\boxed{1}`, "\\boxed \t{5}", `\boxed{\{1\}}`, `\fbox{x}`, `\boxedx{1}`, `}{\boxed{`, "\\boxed{\xff}", "",
	`\boxed{` + strings.Repeat("{", 40) + strings.Repeat("}", 41),
}

// FuzzLastBoxed: the span is a valid, in-bounds content span, preceded by
// "{" and followed by "}", and equals the slow reference.
func FuzzLastBoxed(f *testing.F) {
	for _, s := range boxedSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start, end, ok := lastBoxed(s)
		rs, re, rok := refLastBoxed(s)
		if ok != rok || ok && (start != rs || end != re) {
			t.Fatalf("lastBoxed(%q) = %d,%d,%v; reference %d,%d,%v", s, start, end, ok, rs, re, rok)
		}
		if !ok {
			return
		}
		if start < 1 || start > end || end >= len(s) || s[start-1] != '{' || s[end] != '}' {
			t.Fatalf("lastBoxed(%q) = [%d,%d): not a brace-delimited span", s, start, end)
		}
	})
}

var numberSeeds = []string{
	"42", "-3", "−3", ".5", "1,234.5", "1,000,000", "12,34", "1/2", "1/0", `\frac{1}{2}`, `-\dfrac{3}{4}`, `\frac{1}{0}`,
	"2.5e-3", `2.5\times10^{-3}`, "2.5 × 10^−3", "6.02*10**23", "3x10^8", "50%", `50\%`, "12 cm", `12\,\text{cm}`,
	"9.8 m/s^2", "100 mg/dL", "120 mmHg", "2x", "2^10", "1e999", "0x10^400", "10^{99999999999999999999}",
	"$5$", "\xff5", "5\xff", "−", `\frac{`, `\frac{1}{`, "1e", "1e+", "1,", "1,00", `\text{`, "3 µm", "3 μm",
}

// FuzzParseQuantity: never panics, is deterministic, ignores surrounding
// spaces, and a parsed unit is one the comparison can use.
func FuzzParseQuantity(f *testing.F) {
	for _, s := range numberSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, ok := parseQuantity(s)
		q2, ok2 := parseQuantity(" \t" + s + " ")
		if ok != ok2 || ok && !sameFloat(q.v, q2.v) || q.unit != q2.unit {
			t.Fatalf("parseQuantity(%q) = %+v,%v but with spaces around %+v,%v", s, q, ok, q2, ok2)
		}
		if !ok {
			if q != (quantity{}) {
				t.Fatalf("parseQuantity(%q) not ok but returned %+v", s, q)
			}
			return
		}
		if strings.ContainsAny(q.unit, " \t\n") {
			t.Fatalf("parseQuantity(%q): unit %q holds white space", s, q.unit)
		}
		// A quantity equals itself (unless NaN, e.g. 0·10^400 = 0·Inf).
		if eq, _ := sameQuantity(q, q, 0, 0); !eq && !math.IsNaN(q.v) {
			t.Fatalf("parseQuantity(%q) = %+v is not equal to itself", s, q)
		}
	})
}

func sameFloat(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

// FuzzScanNumbers: spans are in bounds, non-empty, in order and do not
// overlap; on valid UTF-8 they start and end on rune boundaries; and a
// span never starts right after a word character.
func FuzzScanNumbers(f *testing.F) {
	for _, s := range numberSeeds {
		f.Add(s)
	}
	f.Add("Take 1,000 mg, then 3.5 kg; 2 h later. BP 120/80 mmHg; H2O x2 é2 v1.2.3")
	f.Fuzz(func(t *testing.T, s string) {
		prev := 0
		scanNumbers(s, func(n numberSpan) bool {
			if n.start < prev || n.end <= n.start || n.end > len(s) {
				t.Fatalf("scanNumbers(%q): span [%d,%d) after %d", s, n.start, n.end, prev)
			}
			if utf8.ValidString(s) && (!utf8.RuneStart(s[n.start]) || n.end < len(s) && !utf8.RuneStart(s[n.end])) {
				t.Fatalf("scanNumbers(%q): span [%d,%d) cuts a rune", s, n.start, n.end)
			}
			if n.start > 0 && isWordByte(s[n.start-1]) {
				t.Fatalf("scanNumbers(%q): span at %d starts inside a word", s, n.start)
			}
			prev = n.end
			return true
		})
	})
}

// FuzzTermFind: a found term's evidence slices the response, folds to the
// term's parts separated by white space, and respects word boundaries on
// the sides where the term has word runes.
func FuzzTermFind(f *testing.F) {
	f.Add("cat", "concatenate the cat")
	f.Add("heart attack", "a heart\n  attack")
	f.Add("°C", "37°C")
	f.Add("KELVIN", "in \u212aelvin units")
	f.Add("stop", "\u017ftop")
	f.Add("οδος", "ΟΔΟΣ")
	f.Add("ab", "\xffab\xff")
	f.Add("é", "E\u0301 é")
	f.Fuzz(func(t *testing.T, term, text string) {
		m, ok := newTermMatcher(term)
		if !ok {
			if strings.TrimSpace(term) != "" {
				t.Fatalf("newTermMatcher(%q) rejected a non-blank term", term)
			}
			return
		}
		var fd folded
		fd.fold(text)
		s, e := m.find(fd.b, 0)
		if s < 0 {
			return
		}
		ostart, oend := fd.orig(s), fd.orig(e)
		if ostart < 0 || ostart > oend || oend > len(text) {
			t.Fatalf("term %q in %q: span [%d,%d) out of bounds", term, text, ostart, oend)
		}
		ev := text[ostart:oend]
		gotParts := strings.Fields(ev)
		if len(gotParts) != len(m.parts) {
			t.Fatalf("term %q in %q: evidence %q has %d parts, term %d", term, text, ev, len(gotParts), len(m.parts))
		}
		for i, p := range gotParts {
			if foldString(p) != string(m.parts[i]) {
				t.Fatalf("term %q in %q: evidence part %q does not fold to %q", term, text, p, m.parts[i])
			}
		}
		if m.left && ostart > 0 {
			if r, _ := utf8.DecodeLastRuneInString(text[:ostart]); isWordRune(r) {
				t.Fatalf("term %q in %q: no word boundary before %d", term, text, ostart)
			}
		}
		if m.right && oend < len(text) {
			if r, _ := utf8.DecodeRuneInString(text[oend:]); isWordRune(r) {
				t.Fatalf("term %q in %q: no word boundary after %d", term, text, oend)
			}
		}
	})
}

// fuzzRubric has one criterion per check kind.
var fuzzRubric = &rubric.Rubric{Criteria: []rubric.Criterion{
	{ID: "contains", Checks: []rubric.Check{termCheck(rubric.CheckContains, "water")}},
	{ID: "all", Checks: []rubric.Check{termCheck(rubric.CheckAll, "fever", "°C", "heart attack")}},
	{ID: "any", Checks: []rubric.Check{termCheck(rubric.CheckAny, "kelvin", "οδος", "x^2")}},
	{ID: "none", Checks: []rubric.Check{termCheck(rubric.CheckNone, "aspirin", "straße")}},
	{ID: "regex-fast", Checks: []rubric.Check{{Kind: rubric.CheckRegex, Pattern: `(?i)final answer\s*:\s*\S+`}}},
	{ID: "regex", Checks: []rubric.Check{{Kind: rubric.CheckRegex, Pattern: `\d+\.\d+`}}},
	{ID: "boxed", Checks: []rubric.Check{{Kind: rubric.CheckBoxed, Value: "1/2", Tolerance: 1e-3}}},
	{ID: "boxed-str", Checks: []rubric.Check{{Kind: rubric.CheckBoxed, Value: `x^{2}`}}},
	{ID: "number", Checks: []rubric.Check{{Kind: rubric.CheckNumber, Value: "1.5 g", RelTolerance: 0.01}}},
	{ID: "length", Checks: []rubric.Check{{Kind: rubric.CheckLength, Unit: "tokens", Min: ruleInt(3), Max: ruleInt(50)}}},
	{ID: "json", Checks: []rubric.Check{{Kind: rubric.CheckJSON}}},
	{ID: "bad", Checks: []rubric.Check{{Kind: rubric.CheckRegex, Pattern: "("}}},
}}

// FuzzRules: on any response every criterion gets exactly one of a
// verdict or an error, evidence slices the response, and the compiled
// rubric gives the same answer twice (the pooled scratch state is reset).
func FuzzRules(f *testing.F) {
	for _, s := range []string{
		"", "Drink water. Fever of 39°C, heart\nattack risk. \u212aelvin. Final Answer: \\boxed{\\frac{1}{2}} and 1,500 mg.",
		"```json\n{\"a\": 1}\n```", "\xff\xfe ΟΔΟΣ x^2 straße ASPIRIN", `\boxed{x^2}`, "final answer:\xff",
	} {
		f.Add(s)
	}
	c, _ := CompileRules(fuzzRubric)
	f.Fuzz(func(t *testing.T, resp string) {
		vs := c.Evaluate(resp)
		if len(vs) != len(fuzzRubric.Criteria) {
			t.Fatalf("%d verdicts for %d criteria", len(vs), len(fuzzRubric.Criteria))
		}
		for i, v := range vs {
			if v.ID != fuzzRubric.Criteria[i].ID || v.Judge != KindRules || (v.Met == nil) != (v.Error != "") {
				t.Fatalf("malformed verdict %+v", v)
			}
			if v.Met != nil && *v.Met && v.Explanation == "" {
				t.Fatalf("%s: met without explanation", v.ID)
			}
		}
		checkEvidenceSlices(t, resp, vs)
		again := c.Evaluate(resp)
		for i := range vs {
			a, b := vs[i], again[i]
			if (a.Met == nil) != (b.Met == nil) || a.Met != nil && *a.Met != *b.Met || a.Explanation != b.Explanation {
				t.Fatalf("%s: second evaluation differs: %+v vs %+v", a.ID, a, b)
			}
		}
	})
}

// FuzzLexical: the lexical judge gives one well-formed verdict per
// criterion on any response and criterion text: a confidence in
// [0.5, 0.9] with a verdict, or an error without one, and evidence that
// slices the response.
func FuzzLexical(f *testing.F) {
	f.Add("Recommends oral rehydration salts for diarrhoea.", "Give oral rehydration salts. See a doctor if above 39 °C.")
	f.Add("Does not recommend antibiotics.", "Antibiotics are not needed.\n\nx−1 = 2")
	f.Add("States that F=ma and 500 mg.", "F = m a; 0.5 g")
	f.Add("", "")
	f.Add("Essential Criteria: 1/2", "e.g. Dr. no. 1/2.")
	f.Fuzz(func(t *testing.T, crit, resp string) {
		r := &rubric.Rubric{Criteria: []rubric.Criterion{
			{ID: "fuzz", Description: crit},
			{ID: "fixed", Description: "Advises seeing a doctor if fever exceeds 39 °C."},
		}}
		vs := NewLexical().Judge(context.Background(), &Input{Response: resp, Rubric: r})
		if len(vs) != 2 {
			t.Fatalf("%d verdicts", len(vs))
		}
		for _, v := range vs {
			// Lexical never fails: an undecided criterion is not applicable.
			if v.Judge != KindLexical || !v.Heuristic || v.Error != "" || (v.Met == nil) != (v.Status == StatusNotApplicable) || (v.Met == nil) != (v.Confidence == nil) {
				t.Fatalf("malformed verdict %+v", v)
			}
			if v.Confidence != nil && (*v.Confidence < 0.5 || *v.Confidence > 0.9) {
				t.Fatalf("confidence %v out of [0.5, 0.9]", *v.Confidence)
			}
		}
		checkEvidenceSlices(t, resp, vs)
	})
}
