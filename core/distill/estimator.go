package distill

import "math"

// EstimatorTerm returns the per-token loss term of estimator e and its
// derivative with respect to log S(y_t), given Δ = log S(y_t) − log T(y_t)
// and, for tinker, λ. For the policy-gradient estimators (sampled-token,
// tinker, rllm) the term is −a·log S(y_t) with a stop-gradient advantage a
// (returned too), so the derivative is −a; logS is log S(y_t).
//
//	sampled-token: a = −Δ                      (RCSD, thinking-machines form)
//	tinker:        a = −λΔ                     (before the discounted sum)
//	rllm:          a = clamp(−Δ, −5, 5)
//	k1:    Δ,        ∂ = 1
//	abs:   |Δ|,      ∂ = sign Δ (0 at 0, as torch.abs)
//	k2:    ½Δ²,      ∂ = Δ
//	k3:    clamp(e^u − u − 1, −10, 10), u = clamp(−Δ, −20, 20),
//	       ∂ = 1 − e^u inside both clamps, 0 where either clamp binds
//
// The clamps follow verl's core_algos.kl_penalty; a value exactly on a
// clamp bound keeps its gradient, as torch.clamp does. EstimatorTerm
// panics for NoEstimator or an unknown estimator.
func EstimatorTerm(e Estimator, delta, logS, lambda float64) (term, dTerm, adv float64) {
	switch e {
	case SampledToken:
		adv = -delta
	case Tinker:
		adv = -lambda * delta
	case RLLM:
		adv = min(max(-delta, -RLLMAdvantageClip), RLLMAdvantageClip)
	case K1:
		return delta, 1, 0
	case Abs:
		switch {
		case delta > 0:
			return delta, 1, 0
		case delta < 0:
			return -delta, -1, 0
		}
		return 0, 0, 0
	case K2:
		return 0.5 * delta * delta, delta, 0
	case K3:
		u := -delta
		inside := true
		if u < -20 {
			u, inside = -20, false
		} else if u > 20 {
			u, inside = 20, false
		}
		eu := math.Exp(u)
		v := eu - u - 1
		if v > 10 {
			return 10, 0, 0
		}
		if v < -10 {
			return -10, 0, 0
		}
		if !inside {
			return v, 0, 0
		}
		return v, 1 - eu, 0
	default:
		panic("distill: EstimatorTerm with estimator " + string(e))
	}
	return -adv * logS, -adv, adv
}

// estimatorToken fills r for a sampled-token estimator at one position.
// The per-token gradient is c·(δ_jy − S_j)/τ with c = ∂term/∂log S(y).
func (k *Kernel) estimatorToken(r TokenResult, sampled, n int, lseS, lseT, sumS, sumT float64, grad []float64) (TokenResult, error) {
	if sampled < 0 {
		return TokenResult{}, inputErr("estimator %q needs the sampled token", k.o.Estimator)
	}
	ls, lt := k.ls[:n], k.lt[:n]
	ps, pt := k.ps[:n], k.pt[:n]
	rs, rt := 1/sumS, 1/sumT
	hs, ht := 0.0, 0.0
	for i := range n {
		if s := ps[i] * rs; s > 0 {
			hs -= s * (ls[i] - lseS)
		}
		if t := pt[i] * rt; t > 0 {
			ht -= t * (lt[i] - lseT)
		}
	}
	r.EntropyStudent, r.EntropyTeacher = hs, ht
	logS := ls[sampled] - lseS
	logT := lt[sampled] - lseT
	if math.IsInf(logS, -1) || math.IsInf(logT, -1) {
		return TokenResult{}, inputErr("sampled token %d has probability 0 under the %s", sampled, map[bool]string{true: "student", false: "teacher"}[math.IsInf(logS, -1)])
	}
	term, c, adv := EstimatorTerm(k.o.Estimator, logS-logT, logS, k.o.KLCoef)
	r.PGAdvantage = adv
	k.finishToken(&r, term)
	if grad != nil {
		k.estimatorGrad(grad, sampled, c, rs)
	}
	return r, nil
}

func (k *Kernel) estimatorGrad(grad []float64, sampled int, c, rs float64) {
	n := len(grad)
	ps := k.ps[:n]
	f := -c * rs * k.invTau
	for i := range n {
		grad[i] = ps[i] * f
	}
	grad[sampled] += c * k.invTau
}
