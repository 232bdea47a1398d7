package judge

import (
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
)

func TestFoldRune(t *testing.T) {
	// Every member of a simple-folding orbit maps to the orbit's smallest
	// rune, so equal folds mean equal under Unicode simple case folding.
	orbits := [][]rune{
		{'K', 'k', '\u212a'}, // Kelvin sign
		{'S', 's', '\u017f'}, // long s
		{'Σ', 'σ', 'ς'},      // sigma, final sigma
		{'ß', 'ẞ'},           // sharp s (simple folding only)
		{'Å', 'å', '\u212b'}, // Angstrom sign
		{'Ǆ', 'ǅ', 'ǆ'},      // title-case digraph
		{'1'}, {'°'}, {'\ufffd'}, {'_'},
	}
	for _, o := range orbits {
		want := o[0]
		for _, r := range o {
			if got := foldRune(r); got != want {
				t.Errorf("foldRune(%U) = %U, want %U", r, got, want)
			}
		}
	}
}

func TestFolded(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
		off  []int32 // nil: offsets shared with the original
	}{
		{"ascii", "Hello, World", "HELLO, WORLD", nil},
		{"same-length-unicode", "Ωmega é", "ΩMEGA É", nil},
		// Kelvin sign: 3 bytes fold to 1; each folded byte maps back.
		{"shorter", "\u212ak", "KK", []int32{0, 3, 4}},
		// Long s: 2 bytes fold to 1.
		{"long-s", "a\u017fb", "ASB", []int32{0, 1, 3, 4}},
		// Invalid bytes are copied unchanged.
		{"invalid", "a\xffb", "A\xffB", nil},
		{"invalid-with-shrink", "\xff\u212a", "\xffK", []int32{0, 1, 4}},
		{"empty", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f folded
			f.fold("some earlier, longer text \u212a to reuse the buffers")
			f.fold(tt.in)
			if string(f.b) != tt.want {
				t.Errorf("fold(%q) = %q, want %q", tt.in, f.b, tt.want)
			}
			if tt.off == nil && f.off != nil || tt.off != nil && !cmp.Equal(f.off, tt.off) {
				t.Errorf("fold(%q) offsets = %v, want %v", tt.in, f.off, tt.off)
			}
			// orig is monotone and maps the ends to the ends.
			if f.orig(0) != 0 || f.orig(len(f.b)) != len(tt.in) {
				t.Errorf("orig(0), orig(end) = %d, %d; want 0, %d", f.orig(0), f.orig(len(f.b)), len(tt.in))
			}
		})
	}
}

func TestTermMatcher(t *testing.T) {
	tests := []struct {
		term, text string
		want       [2]int // byte span in the folded text; -1,-1 for none
	}{
		{"cat", "a cat.", [2]int{2, 5}},
		{"cat", "concat cat", [2]int{7, 10}},
		{"cat", "cats", [2]int{-1, -1}},
		{"CAT", "(cat)", [2]int{1, 4}},
		{"heart attack", "heart \t\n attack", [2]int{0, 15}},
		{"heart attack", "heart-attack", [2]int{-1, -1}},
		{"°C", "37°C", [2]int{2, 5}},
		{"°C", "37°Cx", [2]int{-1, -1}}, // the right side is a word rune: boundary needed
		{"x^2", "ax^2", [2]int{-1, -1}}, // the left side is a word rune
		{"x^2", "x^23", [2]int{-1, -1}}, // the right side '2' is a word rune, and '3' follows
		{"c++", "c++11", [2]int{0, 3}},  // '+' is not a word rune: no boundary needed on the right
		{"e.g.", "see e.g. here", [2]int{4, 8}},
		{"ab", "ab\u0301", [2]int{-1, -1}}, // a combining mark continues the word
		{"ab", "\u0301ab", [2]int{-1, -1}},
	}
	for _, tt := range tests {
		m, ok := newTermMatcher(tt.term)
		if !ok {
			t.Fatalf("newTermMatcher(%q) not ok", tt.term)
		}
		s, e := m.find([]byte(foldString(tt.text)), 0)
		if [2]int{s, e} != tt.want {
			t.Errorf("term %q in %q: [%d,%d), want %v", tt.term, tt.text, s, e, tt.want)
		}
	}
	for _, blank := range []string{"", " ", "\t\n", "\u00a0"} {
		if _, ok := newTermMatcher(blank); ok {
			t.Errorf("newTermMatcher(%q) ok for a blank term", blank)
		}
	}
}

func TestIsWordRune(t *testing.T) {
	for _, r := range "aZ09_éπж\u0301٣" {
		if !isWordRune(r) {
			t.Errorf("isWordRune(%U) = false", r)
		}
	}
	for _, r := range " -.,°^+\u00a0\ufffd€" {
		if isWordRune(r) {
			t.Errorf("isWordRune(%U) = true", r)
		}
	}
	// The ASCII fast path agrees with the Unicode definition.
	for r := rune(0); r < 128; r++ {
		want := unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_'
		if isWordRune(r) != want {
			t.Errorf("isWordRune(%q) = %v, want %v", r, !want, want)
		}
	}
}
