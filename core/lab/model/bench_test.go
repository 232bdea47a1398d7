package model

import (
	"fmt"
	"testing"
)

// ref is the reference configuration for speed: 2 layers, width 64,
// 4 heads, a 512-token vocabulary, context 256; a step is 64 sequences of
// 120 tokens (bench/lab/torch_step.py runs the same step in PyTorch).
var ref = Config{Vocab: 512, Context: 256, Width: 64, Heads: 4, Layers: 2}

const refB, refT = 64, 120

func benchBatch(cfg Config, B, T int) (tokens, targets []int32, mask []float32) {
	tk, tg, mk := tinyBatch(cfg, B, T)
	return tk, tg, conv[float32](mk)
}

// BenchmarkTrainStep: forward, loss, backward, clip and AdamW on the
// reference batch, float32, 1 and 2 workers.
func BenchmarkTrainStep(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			m, err := New[float32](ref, 1, workers)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			w := m.NewWorkspace(refB, refT)
			tokens, targets, mask := benchBatch(ref, refB, refT)
			opt := NewAdamW[float32](1e-3, 0.1)
			b.ResetTimer()
			for b.Loop() {
				m.ZeroGrad()
				if err := m.Forward(w, tokens, refB, refT); err != nil {
					b.Fatal(err)
				}
				if _, err := m.Loss(w, targets, mask); err != nil {
					b.Fatal(err)
				}
				if err := m.Backward(w, w.DLogits()); err != nil {
					b.Fatal(err)
				}
				ClipGradNorm(m.Grads, 1)
				if err := opt.Step(m.Params, m.Grads); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/step")
			b.ReportMetric(float64(refB*refT*b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// BenchmarkLogProbs: teacher-forced scoring (whole log-softmax rows) of
// sequences of 64, 256 tokens, one worker, float32.
func BenchmarkLogProbs(b *testing.B) {
	for _, n := range []int{64, 256} {
		b.Run(fmt.Sprintf("tokens=%d", n), func(b *testing.B) {
			m, err := New[float32](ref, 1, 1)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			w := m.NewWorkspace(1, n)
			toks := make([]int, n)
			for i := range toks {
				toks[i] = (i*31 + 7) % ref.Vocab
			}
			dst := make([]float32, (n-1)*ref.Vocab)
			for b.Loop() {
				if err := m.LogProbs(w, toks, 1, dst); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// BenchmarkDecoder: incremental decoding with the key/value cache, 128
// tokens from an empty cache, float32.
func BenchmarkDecoder(b *testing.B) {
	m, err := New[float32](ref, 1, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	d := m.NewDecoder()
	for b.Loop() {
		d.Reset()
		for i := range 128 {
			if _, err := d.Push(i % ref.Vocab); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(128*b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkMatmulNT: the dense kernel alone at the step's shapes:
// [7680, 64]·[256, 64]ᵀ (the MLP's first layer) and the weight gradient
// [256, 7680]·[64, 7680]ᵀ.
func BenchmarkMatmulNT(b *testing.B) {
	for _, s := range []struct{ m, n, k int }{{7680, 256, 64}, {256, 64, 7680}, {7680, 512, 64}} {
		b.Run(fmt.Sprintf("%dx%dx%d", s.m, s.n, s.k), func(b *testing.B) {
			a := make([]float32, s.m*s.k)
			bb := make([]float32, s.n*s.k)
			c := make([]float32, s.m*s.n)
			for i := range a {
				a[i] = float32(i%13) * 0.1
			}
			for i := range bb {
				bb[i] = float32(i%7) * 0.1
			}
			args := ntArgs[float32]{c: c, a: a, b: bb, n: s.n, k: s.k}
			for b.Loop() {
				ntRows(&args, 0, s.m)
			}
			b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkAttention: one layer's causal attention, forward and backward,
// over the reference batch (64×120, 4 heads of 16), float32, one worker.
func BenchmarkAttention(b *testing.B) {
	m, err := New[float32](ref, 1, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	w := m.NewWorkspace(refB, refT)
	tokens, _, _ := benchBatch(ref, refB, refT)
	if err := m.Forward(w, tokens, refB, refT); err != nil {
		b.Fatal(err)
	}
	for i := range w.datty {
		w.datty[i] = float32(i%17) * 0.01
	}
	for b.Loop() {
		w.cur = curArgs[float32]{layer: 0}
		m.pool.runIndexed(refB*ref.Heads, w.attnFwd)
		m.pool.runIndexed(refB*ref.Heads, w.attnBwd)
	}
	b.ReportMetric(float64(refB*refT*b.N)/b.Elapsed().Seconds(), "tokens/s")
}
