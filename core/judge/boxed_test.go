package judge

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestLastBoxed(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // the box content; "-" when there is no box
	}{
		{"none", "The answer is 4.", "-"},
		{"simple", `\boxed{4}`, "4"},
		{"last-of-two", `\boxed{3} and \boxed{4}`, "4"},
		{"nested-braces", `$\boxed{\frac{1}{2}}$`, `\frac{1}{2}`},
		{"deep-braces", `\boxed{{a}{b{c}}}`, `{a}{b{c}}`},
		{"outer-of-nested-boxes", `\boxed{1 + \boxed{2}}`, `1 + \boxed{2}`},
		{"later-disjoint-after-nested", `\boxed{\boxed{1}} \boxed{2}`, "2"},
		{"fbox", `\fbox{x}`, "x"},
		{"space-before-brace", "\\boxed \t{5}", "5"},
		{"unclosed-last-skipped", `\boxed{a} \boxed{b`, "a"},
		{"unclosed-outer-keeps-inner", `\boxed{a \boxed{b}`, "b"},
		{"escaped-braces", `\boxed{\{1\}}`, `\{1\}`},
		{"escaped-close-brace-does-not-close", `\boxed{a\}b}`, `a\}b`},
		{"longer-macro-name", `\boxedx{1}`, "-"},
		{"fboxed-is-no-macro", `\fboxed{1}`, "-"},
		{"no-brace", `\boxed 5`, "-"},
		{"empty-box", `\boxed{}`, ""},
		{"stray-close-brace", `} \boxed{7}}`, "7"},
		{"escaped-backslash", `\\boxed{1}`, "-"},
		{"escaped-backslash-after-box", `\boxed{2} \\boxed{1}`, "2"},
		{"three-backslashes", `\\\boxed{1}`, "1"},
		{"box-inside-text", `\text{\boxed{9}}`, "9"},
		{"multibyte", `\boxed{π≈3.14}`, "π≈3.14"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, e, ok := lastBoxed(tt.in)
			got := "-"
			if ok {
				got = tt.in[s:e]
			}
			if got != tt.want {
				t.Errorf("lastBoxed(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if rs, re, rok := refLastBoxed(tt.in); rok != ok || rok && (rs != s || re != e) {
				t.Errorf("reference disagrees: %d,%d,%v vs %d,%d,%v", rs, re, rok, s, e, ok)
			}
		})
	}
}

// refLastBoxed is a slow, independent statement of lastBoxed's contract:
// a box starts at a backslash that is not itself escaped (an even number of
// backslashes before it) followed by "boxed" or "fbox" (not followed by a
// letter), optional spaces or tabs and "{"; it is closed by the brace
// where the depth (counting unescaped braces) returns to zero; of the
// closed boxes, the one that closes last wins (the outer of nested boxes,
// the later of disjoint ones).
func refLastBoxed(s string) (start, end int, ok bool) {
	best := -1
	for p := 0; p < len(s); p++ {
		if s[p] != '\\' {
			continue
		}
		n := 0
		for q := p - 1; q >= 0 && s[q] == '\\'; q-- {
			n++
		}
		if n%2 == 1 {
			continue
		}
		rest := s[p+1:]
		var name string
		switch {
		case strings.HasPrefix(rest, "boxed"):
			name = "boxed"
		case strings.HasPrefix(rest, "fbox"):
			name = "fbox"
		default:
			continue
		}
		k := p + 1 + len(name)
		if k < len(s) && ('a' <= s[k] && s[k] <= 'z' || 'A' <= s[k] && s[k] <= 'Z') {
			continue
		}
		for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
			k++
		}
		if k >= len(s) || s[k] != '{' {
			continue
		}
		depth := 0
		for i := k; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
				continue
			case '{':
				depth++
			case '}':
				depth--
			}
			if depth == 0 {
				if i > best {
					best, start, end, ok = i, k+1, i, true
				}
				break
			}
		}
	}
	return start, end, ok
}

// lastBoxed equals the reference on random LaTeX-ish strings.
func TestLastBoxedMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pieces := []string{`\boxed`, `\fbox`, `\boxed `, "{", "}", "{", "}", `\`, `\\`, `\{`, `\}`, "a", "1", " ", `\frac`, "x", "é", "\t", `\text`}
	for it := 0; it < 20000; it++ {
		var b strings.Builder
		for k := rng.IntN(14); k > 0; k-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s := b.String()
		gs, ge, gok := lastBoxed(s)
		rs, re, rok := refLastBoxed(s)
		if gok != rok || gok && (gs != rs || ge != re) {
			t.Fatalf("lastBoxed(%q) = %d,%d,%v; reference %d,%d,%v", s, gs, ge, gok, rs, re, rok)
		}
	}
}

func TestUnwrapMacros(t *testing.T) {
	tests := []struct{ in, want string }{
		{`12\,\text{cm}`, `12\,cm`},
		{`\boxed{\text{Paris}}`, "Paris"},
		{`\mathrm{ kg }`, " kg "},
		{`\textbf{\mathbf{x}}`, "x"},
		{`\operatorname{sin} x`, "sin x"},
		{`\text{a} and \text{b}`, "a and b"},
		{`\text{a`, `\text{a`}, // unbalanced: left alone
		{`\textit{a}`, `\textit{a}`},
		{"no macros", "no macros"},
	}
	for _, tt := range tests {
		if got := unwrapMacros(tt.in); got != tt.want {
			t.Errorf("unwrapMacros(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeAnswer(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Paris", "PARIS"}, // case-folded (upper case is the fold's canonical form for ASCII)
		{`$x^{2} + 1$.`, "X^2+1"},
		{`\left( a, b \right)`, "(A,B)"},
		{`\text{ mitochondria }`, "MITOCHONDRIA"},
		{`a_{n}`, "A_N"},
		{`a_{nm}`, "A_{NM}"}, // only single-character braces are dropped
		{"  (C)\n", "(C)"},
		{`\boxed{\textbf{B}}`, "B"},
		{`\displaystyle\frac{1}{2}`, `\FRAC{1}{2}`},
	}
	for _, tt := range tests {
		if got := normalizeAnswer(tt.in); got != tt.want {
			t.Errorf("normalizeAnswer(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
