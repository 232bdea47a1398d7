package judge

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFoldedLiteralPrefix(t *testing.T) {
	tests := []struct {
		pattern string
		want    string // "" when there is no fast path
	}{
		{`(?i)final answer\s*:`, "final answer"},
		{`(?i)(final answer\s*:)`, "final answer"}, // a capture of the whole pattern is looked through
		{`(?i)(final answer)\s*:`, ""},             // a capture first is not (conservative)
		{`(?i)abc`, "abc"},
		{`(?i)abc|abd`, ""},      // factored to ab[cd]: prefix "ab" is too short
		{`(?i)abcx|abcy`, "abc"}, // factored to abc[xy]
		{`(?i)ab`, ""},           // shorter than three bytes
		{`(?i)é`, ""},            // two bytes
		{`(?i)éa`, "éa"},         // three bytes
		{`final answer`, ""},     // case-sensitive: regexp skips ahead by itself
		{`(?i)^final`, ""},       // starts with an assertion
		{`(?i)\bfinal`, ""},      // starts with an assertion
		{`(?i)fin*al`, ""},       // "fi" then a repetition
		{`(?i)(?:abc)+`, ""},     // a repetition first
		{`(?i)   x`, "   x"},     // spaces count when not all spaces
		{`(?i)   `, ""},          // only spaces
		{`(?i)\x{FFFD}ab`, ""},   // U+FFFD also matches invalid bytes, which folding keeps raw
		{`(?i)ab\x{FFFD}`, ""},   // anywhere in the prefix
		{`(`, ""},                // does not parse
		{`(?i)straße`, "straße"},
	}
	for _, tt := range tests {
		got, ok := foldedLiteralPrefix(tt.pattern)
		if ok != (tt.want != "") || !strings.EqualFold(got, tt.want) {
			t.Errorf("foldedLiteralPrefix(%q) = %q, %v; want %q", tt.pattern, got, ok, tt.want)
		}
		if fr, err := compileRegex(tt.pattern); err == nil && (fr.anchored != nil) != (tt.want != "") {
			t.Errorf("compileRegex(%q): fast path %v, want %v", tt.pattern, fr.anchored != nil, tt.want != "")
		}
	}
}

// fastRegex.find must equal regexp's FindStringIndex on every input: the
// fast path only skips positions where no match can start. This property
// test draws patterns with a case-folded literal prefix and texts built
// from case variants of its letters (including runes whose folding
// changes byte length: Kelvin sign, long s, capital sharp s), invalid
// UTF-8 and U+FFFD. Deterministic seed, so a failure reproduces.
func TestFastRegexMatchesRegexp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	prefixRunes := []string{"a", "b", "k", "s", "é", "ß", "σ", " ", "1", ".", `\x{FFFD}`}
	tails := []string{"", `\s*`, `\d+`, `[a-z]*`, `\b`, `$`, `(?:x|yy)`, `.`, `\w+?`, `k*s`, `(?-i:K)`, `\B`, `[^a]`}
	textPieces := []string{"a", "A", "b", "B", "k", "K", "\u212a", "s", "S", "\u017f", "é", "É", "ß", "ẞ", "σ", "Σ", "ς",
		" ", "\n", "1", "x", "yy", ".", "\xff", "\xe2\x82", "\ufffd", "KS", "ab"}
	fast := 0
	const n = 4000
	for it := 0; it < n; it++ {
		var p strings.Builder
		p.WriteString("(?i)")
		for k := 3 + rng.IntN(3); k > 0; k-- {
			p.WriteString(prefixRunes[rng.IntN(len(prefixRunes))])
		}
		p.WriteString(tails[rng.IntN(len(tails))])
		if rng.IntN(4) == 0 {
			p.WriteString(tails[rng.IntN(len(tails))])
		}
		pattern := p.String()
		fr, err := compileRegex(pattern)
		if err != nil {
			t.Fatalf("compileRegex(%q): %v", pattern, err)
		}
		if fr.anchored != nil {
			fast++
		}
		// Texts: random pieces, and random pieces around a case-scrambled
		// copy of the pattern's literal so that matches are common.
		lit, _ := foldedLiteralPrefix(pattern)
		for k := 0; k < 5; k++ {
			var b strings.Builder
			for m := rng.IntN(12); m > 0; m-- {
				b.WriteString(textPieces[rng.IntN(len(textPieces))])
			}
			if lit != "" && k%2 == 0 {
				for _, r := range lit {
					if rng.IntN(2) == 0 {
						b.WriteString(strings.ToUpper(string(r)))
					} else {
						b.WriteRune(r)
					}
				}
			}
			for m := rng.IntN(6); m > 0; m-- {
				b.WriteString(textPieces[rng.IntN(len(textPieces))])
			}
			text := b.String()
			st := &evalState{resp: text}
			got := fr.find(st)
			want := fr.re.FindStringIndex(text)
			if !cmp.Equal(got, want) {
				t.Fatalf("pattern %q on %q: fast path %v, regexp %v", pattern, text, got, want)
			}
		}
	}
	// The property is vacuous if the fast path is never taken.
	if fast < n/4 {
		t.Errorf("fast path taken for %d of %d patterns; the generator no longer exercises it", fast, n)
	}
}

// The regex check reports the same span as regexp for a realistic
// pattern on a long response, whether or not the fast path applies.
func TestFastRegexLongResponse(t *testing.T) {
	resp := strings.Repeat("Reasoning step with finality and answers. ", 2000) + "\nFinal Answer: 1234\n"
	for _, pattern := range []string{`(?i)final answer:\s*(\d+)`, `Final Answer:\s*(\d+)`, `(?i)answer:\s*\d+`} {
		fr, err := compileRegex(pattern)
		if err != nil {
			t.Fatal(err)
		}
		got := fr.find(&evalState{resp: resp})
		want := regexp.MustCompile(pattern).FindStringIndex(resp)
		if !cmp.Equal(got, want) || want == nil {
			t.Errorf("%q: got %v, want %v", pattern, got, want)
		}
	}
}
