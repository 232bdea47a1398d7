package judge

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rcsd-dev/rcsd/core/rubric"
)

// Expected offsets in this file are derived from the response text, not
// from the code under test: evAt finds the span by plain string search, so
// a case fails when the judge points anywhere else.

// evAt is the evidence for the first occurrence of sub in resp.
func evAt(resp, sub string) *Evidence {
	i := strings.Index(resp, sub)
	if i < 0 {
		panic("evAt: " + sub + " not in " + resp)
	}
	return &Evidence{Start: i, End: i + len(sub), Text: sub}
}

// evLast is the evidence for the last occurrence of sub in resp.
func evLast(resp, sub string) *Evidence {
	i := strings.LastIndex(resp, sub)
	if i < 0 {
		panic("evLast: " + sub + " not in " + resp)
	}
	return &Evidence{Start: i, End: i + len(sub), Text: sub}
}

func ruleInt(n int) *int { return &n }

// oneCriterion is a rubric with a single criterion "c1" holding checks.
func oneCriterion(checks ...rubric.Check) *rubric.Rubric {
	return &rubric.Rubric{SchemaVersion: 1, Criteria: []rubric.Criterion{{ID: "c1", Description: "d", Weight: 1, Checks: checks}}}
}

// ruleCase is one response judged against one criterion's checks.
type ruleCase struct {
	name   string
	resp   string
	checks []rubric.Check
	met    bool
	ev     *Evidence
	expl   string
}

// runRuleCases judges every case with a fresh Rules judge and compares the
// whole verdict; it also checks that the evidence slices the response.
func runRuleCases(t *testing.T, tests []ruleCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewRules().Judge(context.Background(), &Input{Response: tt.resp, Rubric: oneCriterion(tt.checks...)})
			want := []Verdict{{ID: "c1", Met: Bool(tt.met), Judge: KindRules, Evidence: tt.ev, Explanation: tt.expl}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("verdict mismatch (-want +got):\n%s", diff)
			}
			checkEvidenceSlices(t, tt.resp, got)
		})
	}
}

// checkEvidence asserts that every verdict's evidence lies within resp and
// that its Text is exactly resp[Start:End].
func checkEvidenceSlices(t *testing.T, resp string, vs []Verdict) {
	t.Helper()
	for _, v := range vs {
		e := v.Evidence
		if e == nil {
			continue
		}
		if e.Start < 0 || e.Start > e.End || e.End > len(resp) {
			t.Errorf("%s: evidence [%d,%d) out of bounds for a %d-byte response", v.ID, e.Start, e.End, len(resp))
			continue
		}
		if resp[e.Start:e.End] != e.Text {
			t.Errorf("%s: evidence text %q != response[%d:%d] = %q", v.ID, e.Text, e.Start, e.End, resp[e.Start:e.End])
		}
	}
}

func termCheck(kind rubric.CheckKind, ts ...string) rubric.Check {
	return rubric.Check{Kind: kind, Terms: ts}
}

func TestRulesTerms(t *testing.T) {
	const (
		kelvin = "\u212a" // KELVIN SIGN, 3 bytes, simple-folds to ASCII k
		longS  = "\u017f" // LATIN SMALL LETTER LONG S, 2 bytes, simple-folds to s
	)
	runRuleCases(t, []ruleCase{
		{
			name: "contains/case-folded", resp: "Drink plenty of WATER daily.",
			checks: []rubric.Check{termCheck(rubric.CheckContains, "water")}, met: true,
			ev: evAt("Drink plenty of WATER daily.", "WATER"), expl: `contains "water": found at byte 16`,
		},
		{
			name: "contains/word-boundary", resp: "Concatenate the strings.",
			checks: []rubric.Check{termCheck(rubric.CheckContains, "cat")}, expl: `contains "cat": not found`,
		},
		{
			// Plurals are other words: the boundary applies on the right too.
			name: "contains/no-plural", resp: "Two cats sat.",
			checks: []rubric.Check{termCheck(rubric.CheckContains, "cat")}, expl: `contains "cat": not found`,
		},
		{
			name: "contains/underscore-is-word", resp: "set max_value to 3",
			checks: []rubric.Check{termCheck(rubric.CheckContains, "max")}, expl: `contains "max": not found`,
		},
		{
			// '°' is not a word rune, so no boundary is needed on the left:
			// "°C" matches glued to the digits.
			name: "contains/symbol-side-needs-no-boundary", resp: "Keep it at 37°C.",
			checks: []rubric.Check{termCheck(rubric.CheckContains, "°C")}, met: true,
			ev: evAt("Keep it at 37°C.", "°C"), expl: `contains "°C": found at byte 13`,
		},
		{
			name: "contains/symbol-term-inside-parens", resp: "so (x^2) grows",
			checks: []rubric.Check{termCheck(rubric.CheckContains, "x^2")}, met: true,
			ev: evAt("so (x^2) grows", "x^2"), expl: `contains "x^2": found at byte 4`,
		},
		{
			// A space in a term matches any run of white space, newlines too.
			name: "contains/whitespace-run", resp: "Signs of a heart\n   attack include pain.",
			checks: []rubric.Check{termCheck(rubric.CheckContains, "Heart  Attack")}, met: true,
			ev: evAt("Signs of a heart\n   attack include pain.", "heart\n   attack"), expl: `contains "Heart  Attack": found at byte 11`,
		},
		{
			name: "contains/whitespace-needed", resp: "a heartattack",
			checks: []rubric.Check{termCheck(rubric.CheckContains, "heart attack")}, expl: `contains "heart attack": not found`,
		},
		{
			// Kelvin sign (3 bytes) folds to "K" (1 byte): the folded text is
			// shorter, and the evidence must map back to original bytes.
			name: "contains/unicode-kelvin-sign", resp: "in " + kelvin + "elvin units",
			checks: []rubric.Check{termCheck(rubric.CheckContains, "KELVIN")}, met: true,
			ev: evAt("in "+kelvin+"elvin units", kelvin+"elvin"), expl: `contains "KELVIN": found at byte 3`,
		},
		{
			name: "contains/unicode-long-s", resp: "Do not " + longS + "top the drug.",
			checks: []rubric.Check{termCheck(rubric.CheckContains, "stop")}, met: true,
			ev: evAt("Do not "+longS+"top the drug.", longS+"top"), expl: `contains "stop": found at byte 7`,
		},
		{
			// Σ, σ and ς are one simple-folding orbit.
			name: "contains/unicode-greek-sigma", resp: "η ΟΔΟΣ είναι",
			checks: []rubric.Check{termCheck(rubric.CheckContains, "οδος")}, met: true,
			ev: evAt("η ΟΔΟΣ είναι", "ΟΔΟΣ"), expl: `contains "οδος": found at byte 3`,
		},
		{
			name: "contains/unicode-final-sigma", resp: "ΟΔΟΣ",
			checks: []rubric.Check{termCheck(rubric.CheckContains, "οδος")}, met: true,
			ev: evAt("ΟΔΟΣ", "ΟΔΟΣ"), expl: `contains "οδος": found at byte 0`,
		},
		{
			// Simple folding only: ß does not become ss.
			name: "contains/no-full-folding", resp: "Die Straße ist lang.",
			checks: []rubric.Check{termCheck(rubric.CheckContains, "strasse")}, expl: `contains "strasse": not found`,
		},
		{
			name: "contains/eszett-capital", resp: "STRAẞE",
			checks: []rubric.Check{termCheck(rubric.CheckContains, "straße")}, met: true,
			ev: evAt("STRAẞE", "STRAẞE"), expl: `contains "straße": found at byte 0`,
		},
		{
			// A combining mark is a word rune: "cafe" + U+0301 is one word.
			name: "contains/combining-mark-is-word", resp: "the cafe\u0301 opens",
			checks: []rubric.Check{termCheck(rubric.CheckContains, "cafe")}, expl: `contains "cafe": not found`,
		},
		{
			name: "contains/non-ascii-letter-is-word", resp: "naïve",
			checks: []rubric.Check{termCheck(rubric.CheckContains, "ve")}, expl: `contains "ve": not found`,
		},
		{
			name: "contains/second-occurrence-at-boundary", resp: "catalog cat",
			checks: []rubric.Check{termCheck(rubric.CheckContains, "cat")}, met: true,
			ev: evLast("catalog cat", "cat"), expl: `contains "cat": found at byte 8`,
		},
		{
			// Evidence spans the earliest to the latest first match.
			name: "all/met", resp: "Rash appears after the fever breaks.",
			checks: []rubric.Check{termCheck(rubric.CheckAll, "fever", "rash")}, met: true,
			ev: evAt("Rash appears after the fever breaks.", "Rash appears after the fever"), expl: `all: found "fever", "rash"`,
		},
		{
			name: "all/missing", resp: "Rash appears after the fever breaks.",
			checks: []rubric.Check{termCheck(rubric.CheckAll, "fever", "cough", "rash", "vomiting")},
			expl:   `all: missing "cough", "vomiting"`,
		},
		{
			// The first listed term that matches gives the evidence, not the
			// leftmost match.
			name: "any/first-listed", resp: "Take paracetamol or ibuprofen.",
			checks: []rubric.Check{termCheck(rubric.CheckAny, "ibuprofen", "paracetamol")}, met: true,
			ev: evAt("Take paracetamol or ibuprofen.", "ibuprofen"), expl: `any "ibuprofen": found at byte 20`,
		},
		{
			name: "any/none-found", resp: "Rest and fluids.",
			checks: []rubric.Check{termCheck(rubric.CheckAny, "ibuprofen", "paracetamol")},
			expl:   `any: none of "ibuprofen", "paracetamol" found`,
		},
		{
			name: "none/met", resp: "Rest and fluids.",
			checks: []rubric.Check{termCheck(rubric.CheckNone, "aspirin", "codeine")}, met: true,
			expl: "none: no forbidden term found",
		},
		{
			name: "none/violated", resp: "Avoid codeine; Aspirin is fine.",
			checks: []rubric.Check{termCheck(rubric.CheckNone, "aspirin", "codeine")},
			ev:     evAt("Avoid codeine; Aspirin is fine.", "Aspirin"), expl: `none: found "aspirin" at byte 15`,
		},
		{
			name: "none/boundary-protects", resp: "Aspirinate is not a drug.",
			checks: []rubric.Check{termCheck(rubric.CheckNone, "aspirin")}, met: true,
			expl: "none: no forbidden term found",
		},
	})
}

func TestRulesRegex(t *testing.T) {
	const long = "Let me think. The answer follows.\nFINAL  answer : 42\nfinal answer: 7"
	runRuleCases(t, []ruleCase{
		{
			// Fast path (case-folded prefix "final answer"); leftmost match.
			name: "case-folded-prefix", resp: long,
			checks: []rubric.Check{{Kind: rubric.CheckRegex, Pattern: `(?i)final\s+answer\s*:\s*\d+`}}, met: true,
			ev: evAt(long, "FINAL  answer : 42"), expl: `regex /(?i)final\s+answer\s*:\s*\d+/: matched at byte 34`,
		},
		{
			name: "case-sensitive-by-default", resp: long,
			checks: []rubric.Check{{Kind: rubric.CheckRegex, Pattern: `Final answer`}},
			expl:   `regex /Final answer/: no match`,
		},
		{
			name: "anchored", resp: long,
			checks: []rubric.Check{{Kind: rubric.CheckRegex, Pattern: `(?m)^final answer: (\d+)$`}}, met: true,
			ev: evAt(long, "final answer: 7"), expl: `regex /(?m)^final answer: (\d+)$/: matched at byte 53`,
		},
		{
			// The fast path with a folded prefix whose case-folding changes
			// byte lengths (Kelvin sign in the response).
			name: "folded-prefix-kelvin", resp: "T = 300 \u212aelvin",
			checks: []rubric.Check{{Kind: rubric.CheckRegex, Pattern: `(?i)kelvin\b`}}, met: true,
			ev: evAt("T = 300 \u212aelvin", "\u212aelvin"), expl: `regex /(?i)kelvin\b/: matched at byte 8`,
		},
		{
			name: "empty-match", resp: "abc",
			checks: []rubric.Check{{Kind: rubric.CheckRegex, Pattern: `x*`}}, met: true,
			ev: &Evidence{Start: 0, End: 0, Text: ""}, expl: `regex /x*/: matched at byte 0`,
		},
	})
}

func TestRulesBoxed(t *testing.T) {
	boxed := func(v string) rubric.Check { return rubric.Check{Kind: rubric.CheckBoxed, Value: v} }
	tol := func(v string, abs, rel float64) rubric.Check {
		return rubric.Check{Kind: rubric.CheckBoxed, Value: v, Tolerance: abs, RelTolerance: rel}
	}
	const twoBoxes = `First \boxed{3}, corrected: \boxed{4}.`
	runRuleCases(t, []ruleCase{
		{
			name: "last-box-wins", resp: twoBoxes, checks: []rubric.Check{boxed("4")}, met: true,
			ev: evLast(twoBoxes, "4"), expl: `boxed: "4" equals "4"`,
		},
		{
			name: "earlier-box-ignored", resp: twoBoxes, checks: []rubric.Check{boxed("3")},
			ev: evLast(twoBoxes, "4"), expl: `boxed: "4" does not equal "3"`,
		},
		{
			name: "nested-braces-frac", resp: `so $\boxed{\frac{1}{2}}$`, checks: []rubric.Check{boxed("0.5")}, met: true,
			ev: evAt(`so $\boxed{\frac{1}{2}}$`, `\frac{1}{2}`), expl: `boxed: "\\frac{1}{2}" equals "0.5"`,
		},
		{
			name: "dfrac-vs-slash", resp: `\boxed{\dfrac{3}{4}}`, checks: []rubric.Check{boxed("3/4")}, met: true,
			ev: evAt(`\boxed{\dfrac{3}{4}}`, `\dfrac{3}{4}`), expl: `boxed: "\\dfrac{3}{4}" equals "3/4"`,
		},
		{
			// Of nested boxes the outer one counts; normalisation unwraps it.
			name: "nested-boxes", resp: `\boxed{\boxed{7}}`, checks: []rubric.Check{boxed("7")}, met: true,
			ev: evAt(`\boxed{\boxed{7}}`, `\boxed{7}`), expl: `boxed: "\\boxed{7}" equals "7"`,
		},
		{
			name: "fbox", resp: `answer \fbox{12}`, checks: []rubric.Check{boxed("12")}, met: true,
			ev: evAt(`answer \fbox{12}`, "12"), expl: `boxed: "12" equals "12"`,
		},
		{
			name: "unclosed-last-box-skipped", resp: `\boxed{5} then \boxed{6`, checks: []rubric.Check{boxed("5")}, met: true,
			ev: evAt(`\boxed{5} then \boxed{6`, "5"), expl: `boxed: "5" equals "5"`,
		},
		{
			// 1.2 km = 1200 m: units of one dimension are converted.
			name: "units-converted", resp: `d = \boxed{1.2\,\text{km}}`, checks: []rubric.Check{boxed("1200 m")}, met: true,
			ev: evAt(`d = \boxed{1.2\,\text{km}}`, `1.2\,\text{km}`), expl: `boxed: "1.2\\,\\text{km}" equals "1200 m"`,
		},
		{
			name: "units-other-dimension", resp: `\boxed{5\text{ s}}`, checks: []rubric.Check{boxed("5 m")},
			ev: evAt(`\boxed{5\text{ s}}`, `5\text{ s}`), expl: `boxed: "5\\text{ s}" does not equal "5 m" (units s and m measure different things)`,
		},
		{
			// A unit on one side only: the bare numbers are compared.
			name: "unit-one-side", resp: `\boxed{121.5}`, checks: []rubric.Check{boxed(`121.5\ \text{m}`)}, met: true,
			ev: evAt(`\boxed{121.5}`, "121.5"), expl: `boxed: "121.5" equals "121.5\\ \\text{m}"`,
		},
		{
			// |3.1416 − 3.14| = 0.0016 ≤ 0.01.
			name: "abs-tolerance-in", resp: `\boxed{3.1416}`, checks: []rubric.Check{tol("3.14", 0.01, 0)}, met: true,
			ev: evAt(`\boxed{3.1416}`, "3.1416"), expl: `boxed: "3.1416" equals "3.14"`,
		},
		{
			// |3.2 − 3.14| = 0.06 > 0.01.
			name: "abs-tolerance-out", resp: `\boxed{3.2}`, checks: []rubric.Check{tol("3.14", 0.01, 0)},
			ev: evAt(`\boxed{3.2}`, "3.2"), expl: `boxed: "3.2" does not equal "3.14"`,
		},
		{
			// |104 − 100| = 4 ≤ 0.05·100 = 5.
			name: "rel-tolerance-in", resp: `\boxed{104}`, checks: []rubric.Check{tol("100", 0, 0.05)}, met: true,
			ev: evAt(`\boxed{104}`, "104"), expl: `boxed: "104" equals "100"`,
		},
		{
			// |106 − 100| = 6 > 5.
			name: "rel-tolerance-out", resp: `\boxed{106}`, checks: []rubric.Check{tol("100", 0, 0.05)},
			ev: evAt(`\boxed{106}`, "106"), expl: `boxed: "106" does not equal "100"`,
		},
		{
			// With no tolerance a relative 1e-9 absorbs float rounding:
			// 0.1+0.2 prints as 0.30000000000000004.
			name: "default-rel-1e-9", resp: `\boxed{0.30000000000000004}`, checks: []rubric.Check{boxed("0.3")}, met: true,
			ev: evAt(`\boxed{0.30000000000000004}`, "0.30000000000000004"), expl: `boxed: "0.30000000000000004" equals "0.3"`,
		},
		{
			// 1e-6 relative is beyond the default 1e-9.
			name: "default-is-tight", resp: `\boxed{1.000001}`, checks: []rubric.Check{boxed("1")},
			ev: evAt(`\boxed{1.000001}`, "1.000001"), expl: `boxed: "1.000001" does not equal "1"`,
		},
		{
			name: "thousands-and-sci", resp: `\boxed{1,500}`, checks: []rubric.Check{boxed("1.5e3")}, met: true,
			ev: evAt(`\boxed{1,500}`, "1,500"), expl: `boxed: "1,500" equals "1.5e3"`,
		},
		{
			name: "latex-times-ten", resp: `\boxed{2.5 \times 10^{-3}}`, checks: []rubric.Check{boxed("0.0025")}, met: true,
			ev: evAt(`\boxed{2.5 \times 10^{-3}}`, `2.5 \times 10^{-3}`), expl: `boxed: "2.5 \\times 10^{-3}" equals "0.0025"`,
		},
		{
			// Not numbers: compared after normalisation (spaces, ^{x}, case,
			// \text, trailing period).
			name: "string-normalised", resp: `\boxed{X^2 + 1}`, checks: []rubric.Check{boxed(`x^{2}+1`)}, met: true,
			ev: evAt(`\boxed{X^2 + 1}`, "X^2 + 1"), expl: `boxed: "X^2 + 1" equals "x^{2}+1"`,
		},
		{
			name: "string-text-wrapper", resp: `\boxed{\text{Paris}.}`, checks: []rubric.Check{boxed("paris")}, met: true,
			ev: evAt(`\boxed{\text{Paris}.}`, `\text{Paris}.`), expl: `boxed: "\\text{Paris}." equals "paris"`,
		},
		{
			// "2x" is an expression, not 2 with a unit "x".
			name: "number-with-variable", resp: `\boxed{2x}`, checks: []rubric.Check{boxed("2")},
			ev: evAt(`\boxed{2x}`, "2x"), expl: `boxed: "2x" does not equal "2"`,
		},
		{
			name: "power-is-not-a-unit", resp: `\boxed{2^10}`, checks: []rubric.Check{boxed("2")},
			ev: evAt(`\boxed{2^10}`, "2^10"), expl: `boxed: "2^10" does not equal "2"`,
		},
		{
			// Glued unknown unit: compared as strings, spaces removed.
			name: "glued-unknown-unit", resp: `\boxed{120mmHg}`, checks: []rubric.Check{boxed("120 mmHg")}, met: true,
			ev: evAt(`\boxed{120mmHg}`, "120mmHg"), expl: `boxed: "120mmHg" equals "120 mmHg"`,
		},
		{
			name: "string-differs", resp: `\boxed{B}`, checks: []rubric.Check{boxed("C")},
			ev: evAt(`\boxed{B}`, "B"), expl: `boxed: "B" does not equal "C"`,
		},
		{
			name: "no-box", resp: "The answer is 4.", checks: []rubric.Check{boxed("4")},
			expl: `boxed: no \boxed{} in response`,
		},
		{
			// "\\" is an escaped backslash (a LaTeX line break), so
			// "\\boxed{4}" is text, not a box — wherever it stands.
			name: "escaped-backslash-not-a-box", resp: `\\boxed{4}`, checks: []rubric.Check{boxed("4")},
			expl: `boxed: no \boxed{} in response`,
		},
	})
}

func TestRulesNumber(t *testing.T) {
	num := func(v string) rubric.Check { return rubric.Check{Kind: rubric.CheckNumber, Value: v} }
	tol := func(v string, abs, rel float64) rubric.Check {
		return rubric.Check{Kind: rubric.CheckNumber, Value: v, Tolerance: abs, RelTolerance: rel}
	}
	runRuleCases(t, []ruleCase{
		{
			// 1,500 mg = 1.5 g (mg → g: ×1e-6/1e-3).
			name: "thousands-and-unit-conversion", resp: "The dose is 1,500 mg per day.", checks: []rubric.Check{num("1.5 g")}, met: true,
			ev: evAt("The dose is 1,500 mg per day.", "1,500 mg"), expl: `number: "1,500 mg" equals "1.5 g"`,
		},
		{
			name: "first-equal-number", resp: "Day 2: 20 mg; day 3: 20 mg.", checks: []rubric.Check{num("20")}, met: true,
			ev: evAt("Day 2: 20 mg; day 3: 20 mg.", "20 mg"), expl: `number: "20 mg" equals "20"`,
		},
		{
			name: "fraction", resp: "About 3/4 of patients improve.", checks: []rubric.Check{num("0.75")}, met: true,
			ev: evAt("About 3/4 of patients improve.", "3/4"), expl: `number: "3/4" equals "0.75"`,
		},
		{
			name: "latex-frac", resp: `we get $\frac{1}{3}$ here`, checks: []rubric.Check{tol("0.333", 0.001, 0)}, met: true,
			ev: evAt(`we get $\frac{1}{3}$ here`, `\frac{1}{3}`), expl: `number: "\\frac{1}{3}" equals "0.333"`,
		},
		{
			name: "scientific-e", resp: "k = 2.5e-3 per second", checks: []rubric.Check{num(`2.5\times10^{-3}`)}, met: true,
			ev: evAt("k = 2.5e-3 per second", "2.5e-3"), expl: `number: "2.5e-3" equals "2.5\\times10^{-3}"`,
		},
		{
			// The compound unit m/s is not read as metres.
			name: "scientific-unicode-times", resp: "c = 3.00 × 10^8 m/s", checks: []rubric.Check{num("3e8")}, met: true,
			ev: evAt("c = 3.00 × 10^8 m/s", "3.00 × 10^8"), expl: `number: "3.00 × 10^8" equals "3e8"`,
		},
		{
			name: "thousands-million", resp: "1,000,000 cells", checks: []rubric.Check{num("1e6")}, met: true,
			ev: evAt("1,000,000 cells", "1,000,000"), expl: `number: "1,000,000" equals "1e6"`,
		},
		{
			name: "percent", resp: "a 50% reduction", checks: []rubric.Check{num("50%")}, met: true,
			ev: evAt("a 50% reduction", "50%"), expl: `number: "50%" equals "50%"`,
		},
		{
			name: "unicode-minus", resp: "It froze at −40 °C.", checks: []rubric.Check{num("-40")}, met: true,
			ev: evAt("It froze at −40 °C.", "−40"), expl: `number: "−40" equals "-40"`,
		},
		{
			// |9.81 − 9.8| = 0.01 ≤ 0.05; the compound unit is kept whole on
			// the value side and not misread as metres on the response side.
			name: "compound-unit-with-tolerance", resp: "g ≈ 9.81 m/s^2 here", checks: []rubric.Check{tol("9.8 m/s^2", 0.05, 0)}, met: true,
			ev: evAt("g ≈ 9.81 m/s^2 here", "9.81"), expl: `number: "9.81" equals "9.8 m/s^2"`,
		},
		{
			name: "compound-unit-medical", resp: "Fasting glucose of 126 mg/dL or more.", checks: []rubric.Check{num("126 mg/dL")}, met: true,
			ev: evAt("Fasting glucose of 126 mg/dL or more.", "126"), expl: `number: "126" equals "126 mg/dL"`,
		},
		{
			name: "time-conversion", resp: "Wait 90 minutes.", checks: []rubric.Check{num("1.5 h")}, met: true,
			ev: evAt("Wait 90 minutes.", "90 minutes"), expl: `number: "90 minutes" equals "1.5 h"`,
		},
		{
			name: "other-dimension-never-matches", resp: "Walk 5 min.", checks: []rubric.Check{num("5 m")},
			expl: `number: no number equal to "5 m"`,
		},
		{
			name: "inside-words-not-numbers", resp: "H2O and CO2 and x2", checks: []rubric.Check{num("2")},
			expl: `number: no number equal to "2"`,
		},
		{
			// A Unicode minus glued to a word once made the scan loop forever.
			name: "unicode-minus-after-word", resp: "Let x−1 = 4, so x = 5.", checks: []rubric.Check{num("5")}, met: true,
			ev: evLast("Let x−1 = 4, so x = 5.", "5"), expl: `number: "5" equals "5"`,
		},
		{
			name: "abs-tolerance-out", resp: "about 3.2", checks: []rubric.Check{tol("3.14", 0.05, 0)},
			expl: `number: no number equal to "3.14"`,
		},
		{
			name: "rel-tolerance-in", resp: "about 98 beats", checks: []rubric.Check{tol("100", 0, 0.02)}, met: true,
			ev: evAt("about 98 beats", "98"), expl: `number: "98" equals "100"`,
		},
	})
}

func TestRulesLength(t *testing.T) {
	length := func(unit string, min, max *int) rubric.Check {
		return rubric.Check{Kind: rubric.CheckLength, Unit: unit, Min: min, Max: max}
	}
	runRuleCases(t, []ruleCase{
		// "héllo" is 5 code points (6 bytes).
		{name: "chars-exact", resp: "héllo", checks: []rubric.Check{length("", ruleInt(5), ruleInt(5))}, met: true, expl: "length: 5 chars, want 5..5"},
		{name: "chars-explicit-unit", resp: "héllo", checks: []rubric.Check{length("chars", nil, ruleInt(4))}, expl: "length: 5 chars, want ..4"},
		// Runs of non-space: one, two, three, four.
		{name: "words-over-max", resp: "one two  three\nfour", checks: []rubric.Check{length("words", nil, ruleInt(3))}, expl: "length: 4 words, want ..3"},
		{name: "words-min", resp: "one two  three\nfour", checks: []rubric.Check{length("words", ruleInt(4), nil)}, met: true, expl: "length: 4 words, want 4.."},
		// Hello , world ! x ^ 2 → 7 tokens.
		{name: "tokens", resp: "Hello, world! x^2", checks: []rubric.Check{length("tokens", ruleInt(8), nil)}, expl: "length: 7 tokens, want 8.."},
		{name: "empty-response", resp: "", checks: []rubric.Check{length("words", ruleInt(1), nil)}, expl: "length: 0 words, want 1.."},
	})
}

func TestRulesJSON(t *testing.T) {
	js := []rubric.Check{{Kind: rubric.CheckJSON}}
	const fenced = "Here it is:\n```json\n{\"a\": [1, 2]}\n```\nDone."
	runRuleCases(t, []ruleCase{
		{name: "raw", resp: "  {\"a\": 1}\n", checks: js, met: true, ev: evAt("  {\"a\": 1}\n", `{"a": 1}`), expl: "json: valid JSON (whole response)"},
		{name: "raw-scalar", resp: "42", checks: js, met: true, ev: evAt("42", "42"), expl: "json: valid JSON (whole response)"},
		{name: "fenced", resp: fenced, checks: js, met: true, ev: evAt(fenced, `{"a": [1, 2]}`), expl: "json: valid JSON (fenced block)"},
		{name: "fenced-no-info-string", resp: "x\n```\n[true]\n```", checks: js, met: true, ev: evAt("x\n```\n[true]\n```", "[true]"), expl: "json: valid JSON (fenced block)"},
		{name: "not-json", resp: "not json", checks: js, expl: "json: not valid JSON and no ``` fenced block"},
		{name: "unterminated-fence", resp: "x ```json\n{}", checks: js, expl: "json: unterminated ``` fenced block"},
		{name: "fence-without-newline", resp: "x ```{}```", checks: js, expl: "json: unterminated ``` fenced block"},
		{name: "bad-fenced-block", resp: "```\n{a: 1}\n```\n```\n{}\n```", checks: js, expl: "json: first fenced block is not valid JSON"},
		{name: "empty", resp: "", checks: js, expl: "json: not valid JSON and no ``` fenced block"},
	})
}

func TestRulesSeveralChecks(t *testing.T) {
	const resp = "Drink water often. Rest a lot."
	water := termCheck(rubric.CheckContains, "water")
	runRuleCases(t, []ruleCase{
		{
			name: "all-pass", resp: resp,
			checks: []rubric.Check{water, {Kind: rubric.CheckLength, Unit: "words", Max: ruleInt(10)}}, met: true,
			ev: evAt(resp, "water"), expl: `contains "water": found at byte 6; length: 6 words, want ..10`,
		},
		{
			// The failing check's explanation replaces the others; a failing
			// check without evidence leaves none.
			name: "second-fails", resp: resp,
			checks: []rubric.Check{water, {Kind: rubric.CheckLength, Unit: "words", Max: ruleInt(3)}},
			expl:   "check 2 of 2 failed: length: 6 words, want ..3",
		},
		{
			// A failing check with evidence shows its own evidence.
			name: "second-fails-with-evidence", resp: resp,
			checks: []rubric.Check{water, termCheck(rubric.CheckNone, "rest")},
			ev:     evAt(resp, "Rest"), expl: `check 2 of 2 failed: none: found "rest" at byte 19`,
		},
		{
			// Evaluation stops at the first failing check.
			name: "first-fails", resp: resp,
			checks: []rubric.Check{termCheck(rubric.CheckContains, "tea"), water},
			expl:   `check 1 of 2 failed: contains "tea": not found`,
		},
	})
}

// Compile errors belong to their criterion: it gets Met == nil and the
// message as its Error, the others are judged as usual.
func TestRulesCompileErrors(t *testing.T) {
	tests := []struct {
		name  string
		check rubric.Check
		err   string
	}{
		{"bad-regex", rubric.Check{Kind: rubric.CheckRegex, Pattern: "("}, "check 1: bad regex: error parsing regexp: missing closing ): `(`"},
		{"regex-no-pattern", rubric.Check{Kind: rubric.CheckRegex}, "check 1: regex check has no pattern"},
		{"contains-two-terms", termCheck(rubric.CheckContains, "a", "b"), "check 1: contains check takes exactly one term, got 2 (use all or any for several)"},
		{"all-no-terms", rubric.Check{Kind: rubric.CheckAll}, "check 1: all check has no terms"},
		{"any-blank-term", termCheck(rubric.CheckAny, "ok", " \t"), "check 1: any check has an empty term"},
		{"boxed-no-value", rubric.Check{Kind: rubric.CheckBoxed, Value: "  "}, "check 1: boxed check has no value"},
		{"number-negative-tolerance", rubric.Check{Kind: rubric.CheckNumber, Value: "3", Tolerance: -1}, "check 1: number check has a negative tolerance"},
		{"number-not-a-number", rubric.Check{Kind: rubric.CheckNumber, Value: "about three"}, `check 1: number check value "about three" is not a number`},
		{"length-no-bounds", rubric.Check{Kind: rubric.CheckLength}, "check 1: length check needs min or max"},
		{"length-min-gt-max", rubric.Check{Kind: rubric.CheckLength, Min: ruleInt(5), Max: ruleInt(2)}, "check 1: length check min 5 > max 2"},
		{"length-bad-unit", rubric.Check{Kind: rubric.CheckLength, Max: ruleInt(2), Unit: "lines"}, `check 1: length check unit "lines" is not chars, words or tokens`},
		{"unknown-kind", rubric.Check{Kind: "regx"}, `check 1: unknown check kind "regx"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &rubric.Rubric{Criteria: []rubric.Criterion{
				{ID: "ok", Description: "d", Checks: []rubric.Check{termCheck(rubric.CheckContains, "water")}},
				{ID: "bad", Description: "d", Checks: []rubric.Check{tt.check}},
				{ID: "none", Description: "d"},
			}}
			got := NewRules().Judge(context.Background(), &Input{Response: "water", Rubric: r})
			want := []Verdict{
				{ID: "ok", Met: Bool(true), Judge: KindRules, Evidence: &Evidence{0, 5, "water"}, Explanation: `contains "water": found at byte 0`},
				{ID: "bad", Judge: KindRules, Error: tt.err},
				{ID: "none", Judge: KindRules, Status: StatusNotApplicable, Explanation: "no checks"},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("verdicts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompileRulesJoinsErrors(t *testing.T) {
	r := &rubric.Rubric{Criteria: []rubric.Criterion{
		{ID: "a", Checks: []rubric.Check{termCheck(rubric.CheckContains, "x"), {Kind: rubric.CheckRegex, Pattern: "a{2,1}"}}},
		{ID: "b"}, // no checks is not a compile error
		{ID: "c", Checks: []rubric.Check{{Kind: rubric.CheckJSON}, {Kind: rubric.CheckLength}}},
	}}
	c, err := CompileRules(r)
	if c == nil {
		t.Fatal("CompileRules returned nil rules")
	}
	const wantErr = "criterion a check 2: bad regex: error parsing regexp: invalid repeat count: `{2,1}`\n" +
		"criterion c check 2: length check needs min or max"
	if err == nil || err.Error() != wantErr {
		t.Fatalf("CompileRules error = %v, want\n%s", err, wantErr)
	}
	got := c.Evaluate("x")
	want := []Verdict{
		{ID: "a", Judge: KindRules, Error: "check 2: bad regex: error parsing regexp: invalid repeat count: `{2,1}`"},
		{ID: "b", Judge: KindRules, Status: StatusNotApplicable, Explanation: "no checks"},
		{ID: "c", Judge: KindRules, Error: "check 2: length check needs min or max"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Evaluate (-want +got):\n%s", diff)
	}
	if _, err := CompileRules(oneCriterion(termCheck(rubric.CheckAny, "x"))); err != nil {
		t.Errorf("CompileRules on good checks: %v", err)
	}
}

// The Rules judge compiles a rubric once (keyed by pointer) and gives the
// same verdicts as CompiledRules; nil inputs give nil.
func TestRulesJudgeAndCache(t *testing.T) {
	r := oneCriterion(termCheck(rubric.CheckContains, "water"))
	j := NewRules()
	for _, resp := range []string{"water", "no", "WATER!"} {
		c, _ := CompileRules(r)
		want := c.Evaluate(resp)
		got := j.Judge(context.Background(), &Input{Response: resp, Rubric: r})
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%q: Judge differs from CompiledRules (-want +got):\n%s", resp, diff)
		}
		if got2 := c.Judge(context.Background(), &Input{Response: resp, Rubric: r}); !cmp.Equal(want, got2) {
			t.Errorf("%q: CompiledRules.Judge differs from Evaluate", resp)
		}
	}
	if len(j.cache) != 1 {
		t.Errorf("cache holds %d rubrics after judging one, want 1", len(j.cache))
	}
	if got := j.Judge(context.Background(), nil); got != nil {
		t.Errorf("Judge(nil) = %v, want nil", got)
	}
	if got := j.Judge(context.Background(), &Input{Response: "x"}); got != nil {
		t.Errorf("Judge(no rubric) = %v, want nil", got)
	}
	var zero Rules // the zero value is ready to use
	if got := zero.Judge(context.Background(), &Input{Response: "water", Rubric: r}); got[0].Met == nil || !*got[0].Met {
		t.Errorf("zero Rules: %+v", got)
	}
}

// Verdicts from concurrent judging equal the sequential ones (run with
// -race to check the pooled state and the cache).
func TestRulesConcurrent(t *testing.T) {
	r := &rubric.Rubric{Criteria: []rubric.Criterion{
		{ID: "a", Checks: []rubric.Check{termCheck(rubric.CheckAll, "fever", "rash")}},
		{ID: "b", Checks: []rubric.Check{{Kind: rubric.CheckRegex, Pattern: `(?i)final answer:\s*\d+`}}},
		{ID: "c", Checks: []rubric.Check{{Kind: rubric.CheckNumber, Value: "39"}}},
	}}
	resps := []string{"Fever and rash. Final answer: 3", "ΟΔΟΣ \u212aelvin fever", "nothing", "RASH, FEVER, 39"}
	want := make([][]Verdict, len(resps))
	for i, s := range resps {
		want[i] = NewRules().Judge(context.Background(), &Input{Response: s, Rubric: r})
	}
	j := NewRules()
	done := make(chan [2]int, 8*len(resps))
	errs := make(chan string, 8*len(resps))
	for g := 0; g < 8; g++ {
		go func(g int) {
			for i := range resps {
				k := (i + g) % len(resps)
				got := j.Judge(context.Background(), &Input{Response: resps[k], Rubric: r})
				if !cmp.Equal(want[k], got) {
					errs <- cmp.Diff(want[k], got)
				}
				done <- [2]int{g, k}
			}
		}(g)
	}
	for n := 0; n < 8*len(resps); n++ {
		<-done
	}
	close(errs)
	for e := range errs {
		t.Errorf("concurrent verdict differs:\n%s", e)
	}
}
