package model

import (
	"fmt"
	"math"
)

// AdamW is torch.optim.AdamW (Loshchilov & Hutter's decoupled weight decay,
// bias-corrected moments, amsgrad off), step by step in torch's order:
//
//	θ ← θ·(1 − lr·λ)                      (decayed tensors only, Spec.Decay)
//	m ← β₁·m + (1 − β₁)·g,  v ← β₂·v + (1 − β₂)·g²
//	θ ← θ − lr/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε)
type AdamW[F Float] struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64

	step int
	m, v *Params[F]
}

// NewAdamW returns AdamW with torch's defaults except the learning rate and
// weight decay given: β = (0.9, 0.999), ε = 1e-8.
func NewAdamW[F Float](lr, weightDecay float64) *AdamW[F] {
	return &AdamW[F]{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: weightDecay}
}

// Steps is the number of steps taken.
func (o *AdamW[F]) Steps() int { return o.step }

// Step updates p from its gradient g (same Config) and counts a step.
func (o *AdamW[F]) Step(p, g *Params[F]) error {
	if p.Config != g.Config {
		return fmt.Errorf("model: AdamW step with gradients of another shape")
	}
	if o.m == nil {
		o.m, o.v = NewParams[F](p.Config), NewParams[F](p.Config)
	} else if o.m.Config != p.Config {
		return fmt.Errorf("model: AdamW state belongs to parameters of another shape")
	}
	o.step++
	t := float64(o.step)
	bc1 := 1 - math.Pow(o.Beta1, t)
	bc2 := 1 - math.Pow(o.Beta2, t)
	stepSize := F(o.LR / bc1)
	bc2s := F(math.Sqrt(bc2))
	b1, b2 := F(o.Beta1), F(o.Beta2)
	c1, c2 := F(1-o.Beta1), F(1-o.Beta2)
	decay := F(1 - o.LR*o.WeightDecay)
	eps := F(o.Eps)
	ps, gs, ms, vs := p.Tensors(), g.Tensors(), o.m.Tensors(), o.v.Tensors()
	for i, pt := range ps {
		th, gr, m, v := pt.Data, gs[i].Data, ms[i].Data, vs[i].Data
		d := pt.Decay && o.WeightDecay != 0
		for j, gj := range gr {
			if d {
				th[j] *= decay
			}
			m[j] = m[j]*b1 + gj*c1
			v[j] = v[j]*b2 + c2*gj*gj
			den := F(math.Sqrt(float64(v[j])))/bc2s + eps
			th[j] -= stepSize * (m[j] / den)
		}
	}
	return nil
}

// ClipGradNorm is torch.nn.utils.clip_grad_norm_ with the 2-norm: it
// returns the global norm ‖g‖ = √(Σ_tensors ‖g_i‖²) and, if ‖g‖ > maxNorm,
// scales every gradient by maxNorm/(‖g‖ + 1e-6). Sums run in float64, tensor
// by tensor in Specs order.
func ClipGradNorm[F Float](g *Params[F], maxNorm float64) float64 {
	var total float64
	for _, t := range g.Tensors() {
		var s float64
		for _, v := range t.Data {
			s += float64(v) * float64(v)
		}
		n := math.Sqrt(s)
		total += n * n
	}
	total = math.Sqrt(total)
	coef := maxNorm / (total + 1e-6)
	if coef < 1 {
		c := F(coef)
		for i := range g.Data {
			g.Data[i] *= c
		}
	}
	return total
}
