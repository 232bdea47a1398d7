package prompt

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLeakage(t *testing.T) {
	tests := []struct {
		name, response string
		want           []string // the spans' texts, in order
	}{
		{name: "according-to-rubric", response: "According to the rubric, the sky is blue.", want: []string{"According to the rubric"}},
		{name: "reference-answer", response: "As the reference answer says, it is 1/λ^4.", want: []string{"As the reference answer says"}},
		{name: "as-the-criteria-state", response: "The path is longer, as the criteria state.", want: []string{"as the criteria state"}},
		{name: "grading-criteria", response: "This covers the grading criteria.", want: []string{"the grading criteria"}},
		{name: "stated-in", response: "As stated in the provided reference solution, ΔH = −890 kJ/mol.", want: []string{"As stated in the provided reference solution"}},
		{name: "per", response: "Per the marking scheme: state the law.", want: []string{"Per the marking scheme"}},
		{name: "satisfy", response: "To satisfy the rubric items I mention Rayleigh.", want: []string{"To satisfy the rubric items"}},
		{name: "according-to-criteria", response: "according to these criteria, yes", want: []string{"according to these criteria"}},
		{name: "answer-key", response: "The answer key gives 4.", want: []string{"The answer key"}},
		{name: "privileged", response: "From the privileged context I know.", want: []string{"the privileged context"}},
		{name: "case-and-space", response: "ACCORDING  TO\nTHE\tRUBRIC", want: []string{"ACCORDING  TO\nTHE\tRUBRIC"}},
		{name: "several", response: "The rubric wants λ^4; the reference answer agrees.", want: []string{"The rubric", "the reference answer"}},
		// Not references to privileged context.
		{name: "rayleigh-criterion", response: "By the Rayleigh criterion, two sources are resolved when…"},
		{name: "criteria-alone", response: "The criteria for equilibrium are met when ΔG = 0."},
		{name: "ideal-solution", response: "An ideal solution obeys Raoult's law; the ideal solution has ΔH_mix = 0."},
		{name: "reference-frame", response: "In the reference frame of the train, the answer is 0."},
		{name: "rubrication", response: "Rubrication is the red ink in manuscripts."},
		{name: "empty", response: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spans := Leakage(tt.response)
			var got []string
			prev := 0
			for _, s := range spans {
				if s.Start < prev || s.End <= s.Start || tt.response[s.Start:s.End] != s.Text {
					t.Errorf("bad span %+v", s)
				}
				prev = s.End
				got = append(got, s.Text)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Leakage(%q) (-want +got):\n%s", tt.response, diff)
			}
		})
	}
}

func TestCheckLeakage(t *testing.T) {
	got := diagLines(CheckLeakage("Rayleigh scattering.\nλ^4 law, as the rubric requires."))
	want := []string{`2:11: warning context-leakage: the response refers to privileged context: "as the rubric requires" (the student never sees the rubric or the reference answer; a response that mentions them learned it from the teacher)`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if dl := CheckLeakage("No leak here."); dl != nil {
		t.Errorf("clean response: %v", dl)
	}
}

// The anchor pre-filter must never hide a match: on texts assembled from
// the pattern's own words and everyday ones, Leakage equals the bare
// regexp's matches.
func TestLeakagePrefilterExact(t *testing.T) {
	words := []string{"according", "to", "the", "rubric", "Rubric", "grading", "criteria", "criterion", "reference", "answer",
		"solution", "key", "answer\nkey", "as", "states", "per", "these", "guidelines", "model", "gold", "privileged", "context",
		"marking", "scheme", "notes", "The", "photosynthesis", "light", "is", "a", ",", ".", "KEY", "\u212aey", "given", "provided"}
	rng := rand.New(rand.NewPCG(3, 4))
	matched, skipped := 0, 0
	for i := range 20000 {
		var b strings.Builder
		for j := range 3 + rng.IntN(8) {
			if j > 0 {
				b.WriteString([]string{" ", "  ", "\n", " "}[rng.IntN(4)])
			}
			b.WriteString(words[rng.IntN(len(words))])
		}
		s := b.String()
		want := leakage().FindAllStringIndex(s, -1)
		got := Leakage(s)
		matched += len(want)
		if !mayLeak(s) {
			skipped++
		}
		if len(got) != len(want) {
			t.Fatalf("case %d %q: %d spans, the regexp finds %d", i, s, len(got), len(want))
		}
		for k := range got {
			if got[k].Start != want[k][0] || got[k].End != want[k][1] {
				t.Fatalf("case %d %q: span %d differs", i, s, k)
			}
		}
	}
	if matched < 100 || skipped < 100 {
		t.Fatalf("the cases do not exercise both paths: %d matches, %d texts skipped", matched, skipped)
	}
}
