package model

import (
	"math"
	"testing"
)

var small = Config{Vocab: 50, Context: 16, Width: 16, Heads: 2, Layers: 2}

type stepResult[F Float] struct {
	loss   float64
	norm   float64
	logits []F
	grads  []F
	params []F
}

// trainSteps runs n steps of forward, loss, backward, clip and AdamW.
func trainSteps[F Float](t *testing.T, cfg Config, workers, B, T, n int) stepResult[F] {
	m, err := New[F](cfg, 11, workers)
	must(t, err)
	defer m.Close()
	w := m.NewWorkspace(B, T)
	tokens, targets, mask := tinyBatch(cfg, B, T)
	opt := NewAdamW[F](1e-2, 0.1)
	var r stepResult[F]
	for range n {
		m.ZeroGrad()
		must(t, m.Forward(w, tokens, B, T))
		r.loss, err = m.Loss(w, targets, conv[F](mask))
		must(t, err)
		must(t, m.Backward(w, w.DLogits()))
		r.norm = ClipGradNorm(m.Grads, 1)
		must(t, opt.Step(m.Params, m.Grads))
	}
	r.logits = append([]F(nil), w.Logits()...)
	r.grads = append([]F(nil), m.Grads.Data...)
	r.params = append([]F(nil), m.Params.Data...)
	return r
}

// TestWorkersBitIdentical: logits, loss, gradients and parameters after
// three steps are the same bits for 1, 2, 3 and 7 workers (B·T = 65 rows, a
// row count that no worker count divides evenly into tiles).
func TestWorkersBitIdentical(t *testing.T) {
	ref := trainSteps[float32](t, small, 1, 5, 13, 3)
	for _, workers := range []int{2, 3, 7} {
		got := trainSteps[float32](t, small, workers, 5, 13, 3)
		if got.loss != ref.loss || got.norm != ref.norm {
			t.Errorf("%d workers: loss %v, norm %v; 1 worker: %v, %v", workers, got.loss, got.norm, ref.loss, ref.norm)
		}
		for name, pair := range map[string][2][]float32{"logits": {got.logits, ref.logits}, "grads": {got.grads, ref.grads}, "params": {got.params, ref.params}} {
			for i := range pair[0] {
				if math.Float32bits(pair[0][i]) != math.Float32bits(pair[1][i]) {
					t.Errorf("%d workers: %s[%d] = %v, 1 worker %v", workers, name, i, pair[0][i], pair[1][i])
					break
				}
			}
		}
	}
}

// TestTrainingLearns: a few hundred steps on a fixed batch drive the loss
// far below its initial log V, in float32 and in float64.
func TestTrainingLearns(t *testing.T) {
	l32 := trainSteps[float32](t, small, 2, 4, 16, 150).loss
	l64 := trainSteps[float64](t, small, 2, 4, 16, 150).loss
	if l32 > 0.5 || l64 > 0.5 || math.Abs(l32-l64) > 1e-3 {
		t.Errorf("after 150 steps: loss %v (float32), %v (float64); initial ≈ log 50 = 3.9", l32, l64)
	}
}

// TestStepAllocatesNothing: once the workspace and AdamW's moments exist, a
// whole training step (forward, loss, backward, clip, AdamW) on two workers
// makes no heap allocation.
func TestStepAllocatesNothing(t *testing.T) {
	m, err := New[float32](small, 1, 2)
	must(t, err)
	defer m.Close()
	const B, T = 4, 16
	w := m.NewWorkspace(B, T)
	tokens, targets, mask := tinyBatch(small, B, T)
	mask32 := conv[float32](mask)
	opt := NewAdamW[float32](1e-3, 0.1)
	step := func() {
		m.ZeroGrad()
		must(t, m.Forward(w, tokens, B, T))
		_, err := m.Loss(w, targets, mask32)
		must(t, err)
		must(t, m.Backward(w, w.DLogits()))
		ClipGradNorm(m.Grads, 1)
		must(t, opt.Step(m.Params, m.Grads))
	}
	step()
	if n := testing.AllocsPerRun(5, step); n != 0 {
		t.Errorf("a training step makes %v allocations, expected 0", n)
	}
}

func TestInitDeterministic(t *testing.T) {
	a, b, c := NewParams[float32](small), NewParams[float32](small), NewParams[float32](small)
	a.Init(1)
	b.Init(1)
	c.Init(2)
	if !equalF(a.Data, b.Data) || equalF(a.Data, c.Data) {
		t.Errorf("Init: the same seed must give the same parameters, another seed others")
	}
}

// TestForwardRefuses: bad shapes and ids are errors that say what was
// expected, never a panic or an out-of-range read.
func TestForwardRefuses(t *testing.T) {
	m := tinyModel[float32](t, 1)
	w := m.NewWorkspace(2, 8)
	if err := m.Backward(w, nil); err == nil || err.Error() != "model: Backward before Forward" {
		t.Errorf("Backward before Forward: %v", err)
	}
	for _, tc := range []struct {
		tokens []int32
		B, T   int
		err    string
	}{
		{make([]int32, 27), 3, 9, "model: a batch of 3 sequences of 9 tokens does not fit the workspace (2 of 8)"},
		{make([]int32, 5), 1, 6, "model: 5 tokens for a batch of 1×6"},
		{[]int32{1, 2, 20, 3}, 2, 2, "model: token 20 at sequence 1 position 0 is outside the vocabulary [0, 20)"},
		{[]int32{-1}, 1, 1, "model: token -1 at sequence 0 position 0 is outside the vocabulary [0, 20)"},
	} {
		if err := m.Forward(w, tc.tokens, tc.B, tc.T); err == nil || err.Error() != tc.err {
			t.Errorf("Forward(%d×%d): error %v, expected %q", tc.B, tc.T, err, tc.err)
		}
	}
	must(t, m.Forward(w, []int32{1, 2, 3, 4}, 2, 2))
	if _, err := m.Loss(w, []int32{1, 2, 3}, nil); err == nil || err.Error() != "model: 3 targets and 0 mask entries for a batch of 2×2" {
		t.Errorf("Loss with 3 targets: %v", err)
	}
	if _, err := m.Loss(w, []int32{1, 2, 3, 99}, nil); err == nil || err.Error() != "model: target 99 at sequence 1 position 1 is outside the vocabulary [0, 20)" {
		t.Errorf("Loss with target 99: %v", err)
	}
	// a masked-out position may hold any target; an all-zero mask gives 0
	if l, err := m.Loss(w, []int32{1, 2, 3, 99}, []float32{1, 1, 1, 0}); err != nil || !(l > 0) {
		t.Errorf("Loss with target 99 masked out: %v, %v", l, err)
	}
	if l, err := m.Loss(w, []int32{1, 2, 3, 4}, []float32{0, 0, 0, 0}); err != nil || l != 0 {
		t.Errorf("Loss with an all-zero mask: %v, %v", l, err)
	}
	if err := m.Backward(w, make([]float32, 7)); err == nil || err.Error() != "model: dlogits has 7 entries, expected 80 (B=2, T=2, V=20)" {
		t.Errorf("Backward with 7 dlogits: %v", err)
	}
}
