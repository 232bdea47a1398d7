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

// TestDemoDense: the dense vectors agree bit for bit with Score at the
// sampled token and at every listed alternative, and sum to 1.
func TestDemoDense(t *testing.T) {
	m, err := demo.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := lm.Demo(m).(lm.DenseScorer)
	ctx := context.Background()
	prompt, _ := s.Tokenize(ctx, "The reference answer says the light reactions happen in the thylakoid.")
	cont, _ := s.Tokenize(ctx, " They happen in the thylakoid membranes.")
	sparse, err := s.Score(ctx, prompt, cont, 4)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = s.Dense(ctx, prompt, cont, func(i int, lp []float64) error {
		n++
		if len(lp) != s.VocabSize() {
			t.Fatalf("vector of %d, want %d", len(lp), s.VocabSize())
		}
		if lp[cont[i]] != sparse[i].LogProb {
			t.Errorf("position %d: dense %v, sparse %v", i, lp[cont[i]], sparse[i].LogProb)
		}
		for _, a := range sparse[i].Top {
			if lp[a.TokenID] != a.LogProb {
				t.Errorf("position %d token %d: dense %v, top %v", i, a.TokenID, lp[a.TokenID], a.LogProb)
			}
		}
		var sum float64
		for _, v := range lp {
			sum += math.Exp(v)
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("position %d: probabilities sum to %v", i, sum)
		}
		return nil
	})
	if err != nil || n != len(cont) {
		t.Fatalf("Dense: %v after %d of %d positions", err, n, len(cont))
	}
	if err := s.Dense(ctx, prompt, []int{s.VocabSize()}, func(int, []float64) error { return nil }); err == nil {
		t.Error("an out-of-vocabulary token was accepted")
	}
}

// stopAfter is a context whose Err turns to Canceled after n calls and
// counts them: work that checks it once per position stops there.
type stopAfter struct {
	context.Context
	n, calls int
}

func (c *stopAfter) Err() error {
	c.calls++
	if c.calls > c.n {
		return context.Canceled
	}
	return nil
}

// TestDemoScorerStopsWhenCancelled: a request cancelled in the middle of
// a long response (the client left, the compute deadline passed) stops
// the demo model within a position, not at the end of the response, and
// a top-k beyond the vocabulary allocates for the vocabulary only.
func TestDemoScorerStopsWhenCancelled(t *testing.T) {
	m, err := demo.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := lm.Demo(m).(lm.SparseScorer)
	bg := context.Background()
	prompt, _ := s.Tokenize(bg, "Why is the sky blue?")
	var long []int
	for len(long) < 400 {
		ids, _ := s.Tokenize(bg, " Rayleigh scattering of sunlight by the molecules of the air.")
		long = append(long, ids...)
	}
	ctx := &stopAfter{Context: bg, n: 3}
	if _, err := s.Score(ctx, prompt, long, 1_000_000_000); err != context.Canceled || ctx.calls > ctx.n+2 {
		t.Errorf("Score: err %v after %d checks; want context.Canceled after %d", err, ctx.calls, ctx.n+1)
	}
	ctx = &stopAfter{Context: bg, n: 3}
	ids := make([][]int, len(long))
	for i := range ids {
		ids[i] = []int{long[i]}
	}
	if _, err := s.LogProbsAt(ctx, prompt, long, ids); err != context.Canceled || ctx.calls > ctx.n+2 {
		t.Errorf("LogProbsAt: err %v after %d checks; want context.Canceled after %d", err, ctx.calls, ctx.n+1)
	}
}
