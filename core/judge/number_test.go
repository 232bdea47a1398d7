package judge

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Reference values are hand derivations from the literal text (e.g.
// 2.5×10⁻³ = 0.0025); compared within 1e-12 relative, the rounding of one
// or two float operations.
func TestParseQuantity(t *testing.T) {
	tests := []struct {
		in   string
		v    float64
		unit string
		ok   bool
	}{
		{"42", 42, "", true},
		{"-3", -3, "", true},
		{"+3", 3, "", true},
		{"−3", -3, "", true}, // U+2212 MINUS SIGN
		{"3.", 3, "", true},  // a trailing period is punctuation
		{".5", 0.5, "", true},
		{"1,234.5", 1234.5, "", true},
		{"1,000,000", 1e6, "", true},
		{"12,34", 0, "", false},    // not a thousands group
		{"1234,567", 0, "", false}, // four digits before the first comma
		{"1/2", 0.5, "", true},
		{"-3/4", -0.75, "", true},
		{"1/0", 0, "", false}, // no division by zero, and "/0" is no unit
		{`\frac{1}{2}`, 0.5, "", true},
		{`-\dfrac{3}{4}`, -0.75, "", true},
		{`\tfrac{ 1 }{ 8 }`, 0.125, "", true},
		{`\frac{1}{0}`, 0, "", false},
		{"2.5e-3", 0.0025, "", true},
		{"2.5E+3", 2500, "", true},
		{`2.5\times10^{-3}`, 0.0025, "", true},
		{`2.5 \cdot 10^{3}`, 2500, "", true},
		{"2.5 × 10^-3", 0.0025, "", true},
		{"2.5 × 10^−3", 0.0025, "", true},
		{"6.02*10**23", 6.02e23, "", true},
		{"3x10^8", 3e8, "", true},
		{"50%", 50, "%", true},
		{`50\%`, 50, "%", true},
		{"50 percent", 50, "percent", true},
		{"12 cm", 12, "cm", true},
		{`12\,\text{cm}`, 12, "cm", true},
		{`12\ \mathrm{ cm }`, 12, "cm", true},
		{"2 × 10^3 km", 2000, "km", true},
		{"3.0 kg.", 3, "kg", true},
		{"$5$", 5, "", true},
		{`\left(5\right)`, 0, "", false},
		{"120 mmHg", 120, "mmHg", true},     // unknown unit word kept as written
		{"5.5 mmol/L", 5.5, "mmol/L", true}, // unknown compound unit kept whole
		{"9.8 m/s^2", 9.8, "m/s^2", true},   // compound unit starting with a known one
		{"100 mg/dL", 100, "mg/dL", true},
		{"5 m^2", 5, "m^2", true},
		{"5 cm2", 5, "cm2", true},
		{"5 apples", 5, "apples", true},
		{"5 apples and pears", 0, "", false},
		// A word glued to the number is no unit: these are expressions, and
		// reading them as "2 (unit x)" would make them equal to 2.
		{"2x", 0, "", false},
		{"2^10", 0, "", false},
		{"10^3", 0, "", false},
		{"5/x", 0, "", false},
		{"120mmHg", 0, "", false},
		{"5 ^2", 0, "", false}, // a unit starts with a letter
		{"x = 5", 0, "", false},
		{"five", 0, "", false},
		{"", 0, "", false},
		{"   ", 0, "", false},
		{"1.2.3", 0, "", false},
		{"1e999", math.Inf(1), "", true}, // out of range: ParseFloat's ±Inf
	}
	for _, tt := range tests {
		q, ok := parseQuantity(tt.in)
		if ok != tt.ok {
			t.Errorf("parseQuantity(%q) ok = %v, want %v (got %+v)", tt.in, ok, tt.ok, q)
			continue
		}
		if !ok {
			continue
		}
		if q.unit != tt.unit || !(q.v == tt.v || math.Abs(q.v-tt.v) <= 1e-12*math.Abs(tt.v)) {
			t.Errorf("parseQuantity(%q) = %v %q, want %v %q", tt.in, q.v, q.unit, tt.v, tt.unit)
		}
	}
}

func TestScanNumbers(t *testing.T) {
	type span struct {
		Text string
		V    float64
		Unit string
	}
	tests := []struct {
		name string
		in   string
		want []span
	}{
		{"units-and-separators", "Take 1,000 mg, then 3.5 kg; 2 h later.", []span{{"1,000 mg", 1000, "mg"}, {"3.5 kg", 3.5, "kg"}, {"2 h", 2, "h"}}},
		{"not-inside-words", "H2O, CO2, x2 and v2 are words", nil},
		{"after-non-ascii-letter", "é2 π3 but (4)", []span{{"4", 4, ""}}},
		// A slash between integers reads as a fraction: "120/80" is 1.5.
		// Blood pressures are therefore not two numbers.
		{"slash-is-fraction", "BP 120/80 mmHg", []span{{"120/80", 1.5, ""}}},
		{"sci-no-trailing-space", "c = 3.00 × 10^8 then", []span{{"3.00 × 10^8", 3e8, ""}}},
		{"braced-exponent", `k = 2\times 10^{ -3 } s`, []span{{`2\times 10^{ -3 } s`, 0.002, "s"}}},
		{"compound-unit-not-split", "9.81 m/s^2 and 5 mg/dL", []span{{"9.81", 9.81, ""}, {"2", 2, ""}, {"5", 5, ""}}},
		{"signs", "from -4 to +5 and −6", []span{{"-4", -4, ""}, {"+5", 5, ""}, {"−6", -6, ""}}},
		{"leading-dot", "about .5 of it", []span{{".5", 0.5, ""}}},
		{"frac", `so \frac{3}{4} of it`, []span{{`\frac{3}{4}`, 0.75, ""}}},
		{"percent", "a 50% or 20\\% drop", []span{{"50%", 50, "%"}, {`20\%`, 20, "%"}}},
		{"text-unit", `12\,\text{cm} long`, []span{{`12\,\text{cm}`, 12, "cm"}}},
		{"unknown-text-unit", `12\,\text{furlongs}`, []span{{"12", 12, ""}}},
		{"word-after-number", "3 apples", []span{{"3", 3, ""}}},
		{"end-of-sentence", "It is 42.", []span{{"42", 42, ""}}},
		// A Unicode minus right after a word character starts no number
		// (as "x-3" with an ASCII hyphen); the scan must still move on.
		{"unicode-minus-after-word", "x−3 and 10−3", []span{{"3", 3, ""}, {"10", 10, ""}, {"3", 3, ""}}},
		{"unicode-minus-after-letter-end", "é−3", []span{{"3", 3, ""}}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []span
			prev := 0
			scanNumbers(tt.in, func(n numberSpan) bool {
				if n.start < prev || n.end <= n.start || n.end > len(tt.in) {
					t.Fatalf("bad span [%d,%d) after %d in %d bytes", n.start, n.end, prev, len(tt.in))
				}
				prev = n.end
				got = append(got, span{tt.in[n.start:n.end], n.q.v, n.q.unit})
				return true
			})
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(1e-12, 0)); diff != "" {
				t.Errorf("scanNumbers(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
	// fn returning false stops the scan.
	n := 0
	scanNumbers("1 2 3 4", func(numberSpan) bool { n++; return n < 2 })
	if n != 2 {
		t.Errorf("scan went on after fn returned false: %d calls", n)
	}
}

func TestSameQuantity(t *testing.T) {
	q := func(v float64, u string) quantity { return quantity{v: v, unit: u} }
	tests := []struct {
		name     string
		got      quantity
		want     quantity
		tol, rel float64
		ok       bool
		why      string
	}{
		{"equal", q(3, ""), q(3, ""), 0, 0, true, ""},
		// 0.1 km × 1e3 / 1 = 100.00000000000001 m: within the default 1e-9.
		{"convert-length", q(0.1, "km"), q(100, "m"), 0, 0, true, ""},
		{"convert-mass", q(1500, "mg"), q(1.5, "g"), 0, 0, true, ""},
		{"convert-volume-case", q(250, "ML"), q(0.25, "l"), 0, 0, true, ""}, // lookups are case-insensitive
		{"convert-time", q(90, "minutes"), q(1.5, "h"), 0, 0, true, ""},
		{"other-dimension", q(5, "s"), q(5, "m"), 0, 0, false, "units s and m measure different things"},
		{"unknown-units-equal", q(120, "mmHg"), q(120, "MMHG"), 0, 0, true, ""},
		{"unknown-units-differ", q(120, "mmHg"), q(120, "kPa"), 0, 0, false, "units mmHg and kPa differ"},
		{"known-vs-unknown", q(5, "mg"), q(5, "mg/dL"), 0, 0, false, "units mg and mg/dL differ"},
		{"one-side-unit", q(5, ""), q(5, "kg"), 0, 0, true, ""},
		{"abs-in", q(3.1416, ""), q(3.14, ""), 0.01, 0, true, ""},
		{"abs-out", q(3.2, ""), q(3.14, ""), 0.01, 0, false, ""},
		{"rel-in", q(104, ""), q(100, ""), 0, 0.05, true, ""},
		{"rel-out", q(106, ""), q(100, ""), 0, 0.05, false, ""},
		{"rel-of-want-not-got", q(-104, ""), q(-100, ""), 0, 0.05, true, ""},
		{"default-rel-tight", q(1.000001, ""), q(1, ""), 0, 0, false, ""},
		{"zero", q(0, ""), q(0, ""), 0, 0, true, ""},
		{"inf", q(math.Inf(1), ""), q(math.Inf(1), ""), 0, 0, true, ""},
		{"nan-never", q(math.NaN(), ""), q(math.NaN(), ""), 1, 1, false, ""},
	}
	for _, tt := range tests {
		ok, why := sameQuantity(tt.got, tt.want, tt.tol, tt.rel)
		if ok != tt.ok || why != tt.why {
			t.Errorf("%s: sameQuantity = %v, %q; want %v, %q", tt.name, ok, why, tt.ok, tt.why)
		}
	}
}
