package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// tiny is the shape of the gradient checks and the PyTorch reference.
var tiny = Config{Vocab: 20, Context: 8, Width: 8, Heads: 2, Layers: 2}

// randomize sets every parameter (biases and LayerNorm gains included) to a
// normal draw of standard deviation std around 0, or around 1 for the gains,
// so that every path of the network carries signal.
func randomize[F Float](p *Params[F], seed uint64, std float64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	for _, t := range p.Tensors() {
		mean := 0.0
		if hasSuffix(t.Name, "ln1.w") || hasSuffix(t.Name, "ln2.w") || t.Name == "lnf.w" {
			mean = 1
		}
		for i := range t.Data {
			t.Data[i] = F(mean + std*rng.NormFloat64())
		}
	}
}

// tinyBatch is a deterministic batch: tokens, targets (the next token, the
// last position predicting token 0) and a mask with a few zeros.
func tinyBatch(cfg Config, B, T int) (tokens, targets []int32, mask []float64) {
	tokens = make([]int32, B*T)
	targets = make([]int32, B*T)
	mask = make([]float64, B*T)
	for i := range tokens {
		tokens[i] = int32((i*7 + 3) % cfg.Vocab)
	}
	for i := range targets {
		targets[i] = int32((i*11 + 5) % cfg.Vocab)
		if (i*5)%7 != 3 {
			mask[i] = 1
		}
	}
	return
}

// patternGrad is a fixed dLoss/dlogits, exactly representable: ((37i mod 101) − 50)/500.
func patternGrad(n int) []float64 {
	g := make([]float64, n)
	for i := range g {
		g[i] = float64((i*37)%101-50) / 500
	}
	return g
}

func toF[F Float](x []float64) []F { return conv[F](x) }

// conv converts between element types.
func conv[D, S Float](x []S) []D {
	out := make([]D, len(x))
	for i, v := range x {
		out[i] = D(v)
	}
	return out
}

// TestGradientsFiniteDifferences checks every element of every parameter
// tensor's gradient against central differences (h = 1e-5, float64) for the
// masked cross-entropy and for an arbitrary given dlogits. The error measure
// is |fd − analytic| / max(|fd|, |analytic|, 1e-3); the worst seen is about
// 1.2e-7 (the h² truncation), the tolerance 1e-6.
func TestGradientsFiniteDifferences(t *testing.T) {
	const B, T, h, tol = 2, 7, 1e-5, 1e-6
	m, err := New[float64](tiny, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	randomize(m.Params, 3, 0.5)
	w := m.NewWorkspace(B, tiny.Context)
	tokens, targets, mask := tinyBatch(tiny, B, T)
	G := patternGrad(B * T * tiny.Vocab)

	lossOf := func() float64 {
		if err := m.Forward(w, tokens, B, T); err != nil {
			t.Fatal(err)
		}
		l, err := m.Loss(w, targets, mask)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	customOf := func() float64 {
		if err := m.Forward(w, tokens, B, T); err != nil {
			t.Fatal(err)
		}
		var s float64
		for i, z := range w.Logits() {
			s += G[i] * z
		}
		return s
	}
	for _, tc := range []struct {
		name     string
		f        func() float64
		backward func()
	}{
		{"cross-entropy", lossOf, func() { must(t, m.Backward(w, w.DLogits())) }},
		{"given dlogits", customOf, func() { must(t, m.Backward(w, G)) }},
	} {
		m.ZeroGrad()
		tc.f()
		tc.backward()
		worst := 0.0
		for i, pt := range m.Params.Tensors() {
			gt := m.Grads.Tensors()[i]
			for j := range pt.Data {
				old := pt.Data[j]
				pt.Data[j] = old + h
				up := tc.f()
				pt.Data[j] = old - h
				down := tc.f()
				pt.Data[j] = old
				fd := (up - down) / (2 * h)
				an := gt.Data[j]
				rel := math.Abs(fd-an) / math.Max(math.Max(math.Abs(fd), math.Abs(an)), 1e-3)
				worst = math.Max(worst, rel)
				if rel > tol {
					t.Errorf("%s: d/d%s[%d]: analytic %.12g, central difference %.12g (relative error %.2g > %g)", tc.name, pt.Name, j, an, fd, rel, tol)
				}
			}
		}
		t.Logf("%s: worst relative error %.3g over %d parameters", tc.name, worst, tiny.NumParams())
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
