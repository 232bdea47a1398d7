package lm_test

import (
	"context"
	"math"
	"testing"

	"github.com/rcsd-dev/rcsd/core/lm"
	"github.com/rcsd-dev/rcsd/core/lm/demo"
)

// TestDemoScorer: the adapter returns the demo model's own numbers, and
// the log-probs of a position's alternatives are at most 0 and sorted.
func TestDemoScorer(t *testing.T) {
	m, err := demo.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := lm.Demo(m)
	ctx := context.Background()
	prompt, _ := s.Tokenize(ctx, "Why is the sky blue?")
	cont, _ := s.Tokenize(ctx, " Rayleigh scattering of sunlight.")
	got, err := s.Score(ctx, prompt, cont, 5)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := m.Score(prompt, cont, 5)
	if len(got) != len(cont) || len(want) != len(got) {
		t.Fatalf("%d positions for %d tokens", len(got), len(cont))
	}
	for i := range got {
		if got[i].TokenID != cont[i] || got[i].LogProb != want[i].LogProb || len(got[i].Top) != 5 {
			t.Errorf("position %d: %+v, want id %d logprob %v", i, got[i], cont[i], want[i].LogProb)
		}
		for j, a := range got[i].Top {
			if a.LogProb > 0 || math.IsNaN(a.LogProb) || j > 0 && a.LogProb > got[i].Top[j-1].LogProb {
				t.Errorf("position %d alternative %d: %+v", i, j, a)
			}
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Score(cctx, prompt, cont, 5); err == nil {
		t.Error("Score ignored a cancelled context")
	}
}
