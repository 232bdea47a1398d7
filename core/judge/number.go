package judge

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file parses the numbers the boxed and number checks compare:
// plain decimals with optional thousands separators, scientific notation
// (2.5e-3, 2.5\times10^{-3}, 2.5 × 10^-3), fractions (1/2, \frac{1}{2},
// \dfrac, \tfrac), percent (50%, 50\%) and a trailing unit, possibly
// wrapped in \text{…} or \mathrm{…}.

// quantity is a parsed number with its unit ("" when none).
type quantity struct {
	v    float64
	unit string // canonical unit symbol from unitTable, or "" ; unknown units are kept folded
}

// unitInfo places a unit in a dimension with its factor to that
// dimension's base unit.
type unitInfo struct {
	dim    string
	factor float64
	symbol string
}

// unitTable maps unit spellings (lower case) to their dimension and factor.
var unitTable = map[string]unitInfo{}

func init() {
	add := func(dim string, factor float64, symbol string, names ...string) {
		for _, n := range append(names, symbol) {
			unitTable[strings.ToLower(n)] = unitInfo{dim, factor, symbol}
		}
	}
	add("length", 1, "m", "meter", "meters", "metre", "metres")
	add("length", 1e-2, "cm", "centimeter", "centimeters", "centimetre", "centimetres")
	add("length", 1e-3, "mm", "millimeter", "millimeters", "millimetre", "millimetres")
	add("length", 1e3, "km", "kilometer", "kilometers", "kilometre", "kilometres")
	add("length", 1e-6, "µm", "μm", "um", "micrometer", "micrometers", "micron", "microns")
	add("length", 1e-9, "nm", "nanometer", "nanometers", "nanometre", "nanometres")
	add("mass", 1, "kg", "kilogram", "kilograms", "kgs")
	add("mass", 1e-3, "g", "gram", "grams", "gm")
	add("mass", 1e-6, "mg", "milligram", "milligrams")
	add("time", 1, "s", "sec", "secs", "second", "seconds")
	add("time", 1e-3, "ms", "millisecond", "milliseconds", "msec")
	add("time", 60, "min", "mins", "minute", "minutes")
	add("time", 3600, "h", "hr", "hrs", "hour", "hours")
	add("volume", 1, "L", "l", "liter", "liters", "litre", "litres")
	add("volume", 1e-3, "mL", "ml", "milliliter", "milliliters", "millilitre", "millilitres")
	add("percent", 1, "%", "percent", "pct")
}

// lookupUnit returns the table entry for a unit spelling.
func lookupUnit(u string) (unitInfo, bool) {
	if u == "" {
		return unitInfo{}, false
	}
	ui, ok := unitTable[strings.ToLower(u)]
	return ui, ok
}

// numberScan reads one number starting exactly at s[i:] and returns its
// value and the end of the numeric part. It accepts an optional sign
// (+, -, U+2212), digits with comma thousands separators in groups of
// three, a decimal point, an e/E exponent, a LaTeX or Unicode
// "× 10^k" multiplier and "a/b" fractions. ok is false when s[i:] does
// not start with a number.
func numberScan(s string, i int) (v float64, end int, ok bool) {
	start := i
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	} else if strings.HasPrefix(s[i:], "−") {
		neg = true
		i += len("−")
	}
	for _, f := range [...]string{`\frac`, `\dfrac`, `\tfrac`} {
		if !strings.HasPrefix(s[i:], f) {
			continue
		}
		a, j1, ok1 := bracedNumber(s, i+len(f))
		if !ok1 {
			return 0, start, false
		}
		b, j2, ok2 := bracedNumber(s, j1)
		if !ok2 || b == 0 {
			return 0, start, false
		}
		v = a / b
		if neg {
			v = -v
		}
		return v, j2, true
	}
	m, j, ok := mantissa(s, i)
	if !ok {
		return 0, start, false
	}
	v = m
	// Fraction a/b (only between plain integers or decimals).
	if j < len(s) && s[j] == '/' {
		if d, k, ok := mantissa(s, j+1); ok && d != 0 && (k >= len(s) || !isWordByte(s[k])) {
			v /= d
			j = k
		}
	}
	// × 10^k multiplier.
	if k, exp, ok := timesTen(s, j); ok {
		v *= math.Pow(10, exp)
		j = k
	}
	if neg {
		v = -v
	}
	return v, j, true
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// mantissa reads digits[,ddd...][.digits][e±digits] at s[i:].
func mantissa(s string, i int) (float64, int, bool) {
	j := i
	var buf [64]byte
	b := buf[:0]
	digits, groups := 0, 0
	for j < len(s) {
		c := s[j]
		if '0' <= c && c <= '9' {
			b = append(b, c)
			digits++
			j++
			continue
		}
		// A thousands separator: a comma followed by exactly three digits
		// (and no fourth), with at most three digits before the first one.
		if c == ',' && digits > 0 && (groups > 0 || digits <= 3) && j+4 <= len(s) && allDigits(s[j+1:j+4]) && (j+4 == len(s) || !isDigit(s[j+4])) {
			b = append(b, s[j+1:j+4]...)
			digits += 3
			groups++
			j += 4
			continue
		}
		break
	}
	if j < len(s) && s[j] == '.' && j+1 < len(s) && isDigit(s[j+1]) {
		b = append(b, '.')
		j++
		for j < len(s) && isDigit(s[j]) {
			b = append(b, s[j])
			j++
			digits++
		}
	} else if digits == 0 && j < len(s) && s[j] == '.' {
		return 0, i, false
	}
	if digits == 0 {
		return 0, i, false
	}
	if j+1 < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if s[k] == '-' || s[k] == '+' {
			k++
		}
		if k < len(s) && isDigit(s[k]) {
			e0 := len(b)
			b = append(b, s[j:k]...)
			for k < len(s) && isDigit(s[k]) {
				b = append(b, s[k])
				k++
			}
			if k >= len(s) || !isWordByte(s[k]) {
				j = k
			} else {
				b = b[:e0]
			}
		}
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil && !isRangeErr(err) {
		return 0, i, false
	}
	return v, j, true
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return len(s) > 0
}

// bracedNumber reads "{number}" at s[i:], allowing spaces inside.
func bracedNumber(s string, i int) (float64, int, bool) {
	i = skipSpaces(s, i)
	if i >= len(s) || s[i] != '{' {
		return 0, i, false
	}
	j := skipSpaces(s, i+1)
	v, k, ok := numberScan(s, j)
	if !ok {
		return 0, i, false
	}
	k = skipSpaces(s, k)
	if k >= len(s) || s[k] != '}' {
		return 0, i, false
	}
	return v, k + 1, true
}

func skipSpaces(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == ' ' || s[i] == '\t' || s[i] == '~':
			i++
		case strings.HasPrefix(s[i:], `\,`) || strings.HasPrefix(s[i:], `\;`) || strings.HasPrefix(s[i:], `\!`) || strings.HasPrefix(s[i:], `\ `):
			i += 2
		default:
			return i
		}
	}
	return i
}

// timesTen reads " \times 10^{k}", " × 10^k", " \cdot 10^{k}", "x10^k" or
// "*10^k" at s[i:] and returns the end and k.
func timesTen(s string, i int) (int, float64, bool) {
	j := skipSpaces(s, i)
	switch {
	case strings.HasPrefix(s[j:], `\times`):
		j += len(`\times`)
	case strings.HasPrefix(s[j:], `\cdot`):
		j += len(`\cdot`)
	case strings.HasPrefix(s[j:], "×"):
		j += len("×")
	case strings.HasPrefix(s[j:], "·"):
		j += len("·")
	case j < len(s) && (s[j] == '*' || s[j] == 'x'):
		j++
	default:
		return i, 0, false
	}
	j = skipSpaces(s, j)
	if !strings.HasPrefix(s[j:], "10") {
		return i, 0, false
	}
	j += 2
	if strings.HasPrefix(s[j:], "**") {
		j += 2
	} else if j < len(s) && s[j] == '^' {
		j++
	} else {
		return i, 0, false
	}
	braced := j < len(s) && s[j] == '{'
	if braced {
		j++
	}
	j = skipSpaces(s, j)
	k := j
	if k < len(s) && (s[k] == '-' || s[k] == '+') {
		k++
	} else if strings.HasPrefix(s[k:], "−") {
		k += len("−")
	}
	d := k
	for d < len(s) && isDigit(s[d]) {
		d++
	}
	if d == k {
		return i, 0, false
	}
	e, err := strconv.Atoi(strings.Replace(s[j:d], "−", "-", 1))
	if err != nil {
		return i, 0, false
	}
	if braced {
		d = skipSpaces(s, d)
		if d >= len(s) || s[d] != '}' {
			return i, 0, false
		}
		d++
	}
	return d, float64(e), true
}

// unitScan reads an optional unit after a number at s[i:]: "%", "\%",
// "\text{cm}", "\mathrm{ cm }", "\,cm", " cm". It returns the unit as
// written and the end, or "" and i when the next word is not a unit in
// unitTable (or a percent sign). Only known units are consumed, so a
// following ordinary word is left alone.
func unitScan(s string, i int) (string, int) {
	j := skipSpaces(s, i)
	if strings.HasPrefix(s[j:], `\%`) {
		return "%", j + 2
	}
	if j < len(s) && s[j] == '%' {
		return "%", j + 1
	}
	for _, w := range [...]string{`\text{`, `\mathrm{`, `\textrm{`, `\mbox{`, `\operatorname{`} {
		if strings.HasPrefix(s[j:], w) {
			k := strings.IndexByte(s[j+len(w):], '}')
			if k < 0 {
				return "", i
			}
			u := strings.TrimSpace(s[j+len(w) : j+len(w)+k])
			if _, ok := lookupUnit(u); ok {
				return u, j + len(w) + k + 1
			}
			return "", i
		}
	}
	// A bare unit word: letters (and µ/μ) up to a non-letter.
	k := j
	for k < len(s) {
		r, w := utf8.DecodeRuneInString(s[k:])
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == 'µ' || r == 'μ') {
			break
		}
		k += w
	}
	if k == j {
		return "", i
	}
	// "cm2", or the first part of a compound unit ("m/s", "mg/dL", "m^2"),
	// which alone would be the wrong unit.
	if k < len(s) && (isWordByte(s[k]) || s[k] == '/' || s[k] == '^') {
		return "", i
	}
	if _, ok := lookupUnit(s[j:k]); ok {
		return s[j:k], k
	}
	return "", i
}

// parseQuantity parses s as one whole quantity: a number with an
// optional unit and nothing else apart from LaTeX wrappers ($…$,
// \left/\right, spacing, a trailing period). ok is false when s is not
// entirely a quantity.
func parseQuantity(s string) (quantity, bool) {
	s = stripMath(s)
	if s == "" {
		return quantity{}, false
	}
	v, j, ok := numberScan(s, 0)
	if !ok {
		return quantity{}, false
	}
	u, k := unitScan(s, j)
	rest := strings.TrimSpace(s[k:])
	if rest != "" {
		// An unknown unit word: keep it so that equal units still compare.
		// It must stand apart from the number: "2x", "2^10" and "5/x" are
		// expressions, which as "2 (unit x)" would equal 2.
		if u == "" && isPlainUnitWord(rest) && (s[k] == ' ' || s[k] == '\t') {
			return quantity{v: v, unit: rest}, true
		}
		return quantity{}, false
	}
	return quantity{v: v, unit: u}, true
}

func isPlainUnitWord(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '/' || r == '^' || r >= '0' && r <= '9') {
			return false
		}
	}
	return s != "" && (s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z')
}

var mathStripper = strings.NewReplacer("$", "", `\left`, "", `\right`, "", `\displaystyle`, "", `\,`, " ", `\;`, " ", `\!`, "", `\ `, " ", "~", " ")

// stripMath removes $ delimiters, \left/\right, \displaystyle, spacing
// commands and a trailing period, and trims.
func stripMath(s string) string {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "$\\~") {
		s = strings.TrimSpace(mathStripper.Replace(s))
	}
	s = strings.TrimSuffix(s, ".")
	return strings.TrimSpace(s)
}

// sameQuantity reports whether got equals want within the tolerances.
// When both carry known units of the same dimension got is converted to
// want's unit; known units of different dimensions never match; when
// only one side has a unit the bare numbers are compared. With both
// tolerances zero a relative tolerance of 1e-9 absorbs float rounding.
func sameQuantity(got, want quantity, tol, rel float64) (bool, string) {
	g := got.v
	if got.unit != "" && want.unit != "" {
		gu, gok := lookupUnit(got.unit)
		wu, wok := lookupUnit(want.unit)
		switch {
		case gok && wok && gu.dim == wu.dim:
			g = got.v * gu.factor / wu.factor
		case gok && wok:
			return false, "units " + got.unit + " and " + want.unit + " measure different things"
		case !strings.EqualFold(got.unit, want.unit):
			return false, "units " + got.unit + " and " + want.unit + " differ"
		}
	}
	d := math.Abs(g - want.v)
	if tol == 0 && rel == 0 {
		rel = 1e-9
	}
	if d <= tol || d <= rel*math.Abs(want.v) || g == want.v {
		return true, ""
	}
	return false, ""
}

// numberSpan is a number found in running text.
type numberSpan struct {
	start, end int
	q          quantity
}

// scanNumbers calls fn for every number in text (with its unit when one
// follows), left to right, until fn returns false. A number must not
// start inside a word ("H2O" holds no number, "x2" neither).
func scanNumbers(text string, fn func(numberSpan) bool) {
	for i := 0; i < len(text); {
		c := text[i]
		startsNum := isDigit(c) ||
			(c == '-' || c == '+' || c == '.') && i+1 < len(text) && isDigit(text[i+1]) ||
			c == '\\' && (strings.HasPrefix(text[i:], `\frac`) || strings.HasPrefix(text[i:], `\dfrac`) || strings.HasPrefix(text[i:], `\tfrac`)) ||
			c == 0xe2 && strings.HasPrefix(text[i:], "−") && i+3 < len(text) && isDigit(text[i+3])
		if !startsNum {
			i++
			continue
		}
		if i > 0 && (isWordByte(text[i-1]) || text[i-1] >= utf8.RuneSelf && prevIsWordRune(text, i)) {
			// Skip the rest of this word.
			w := i
			for i < len(text) && isWordByte(text[i]) {
				i++
			}
			if i < len(text) && !isWordByte(text[i]) && text[i] < utf8.RuneSelf {
				i++
			}
			if i == w { // a Unicode minus after a word ("x−3"): step over it
				_, n := utf8.DecodeRuneInString(text[i:])
				i += n
			}
			continue
		}
		j := i
		v, k, ok := numberScan(text, j)
		if !ok || k == j {
			i++
			continue
		}
		u, e := unitScan(text, k)
		if !fn(numberSpan{start: i, end: e, q: quantity{v: v, unit: u}}) {
			return
		}
		// Skip over the digits that were part of this number.
		i = e
	}
}

func prevIsWordRune(s string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return isWordRune(r)
}
