// Package distilltest generates the loss benchmarks' inputs, the same
// bits for core/distill's Go benchmarks and bench/distill's side-by-side
// run against PyTorch (which reads them from the program).
package distilltest

import (
	"math"
	"math/rand/v2"
)

// Seed seeds the generators (Sparse uses it, Dense Seed+1).
const Seed = 20261129

// Sparse returns t positions of aligned top-k log-probs (served
// form: full-vocabulary log-probs at τ = 1, all ≤ 0), flat row-major
// (position i is [i*k, (i+1)*k)). The teacher's entries are its top-k
// (sorted, largest first); the student's are its log-probs of the same
// tokens. The top-k hold most but not all of each side's mass.
func Sparse(t, k int) (student, teacher []float64) {
	r := rand.New(rand.NewPCG(Seed, uint64(t)))
	student = make([]float64, t*k)
	teacher = make([]float64, t*k)
	xs := make([]float64, k+1)
	xt := make([]float64, k+1)
	for i := range t {
		for j := range k {
			xt[j] = -0.35*float64(j) + 0.3*r.NormFloat64()
			xs[j] = xt[j] + 0.8*r.NormFloat64()
		}
		// The mass outside the top-k, as one extra logit.
		xt[k] = -1.5 + r.NormFloat64()
		xs[k] = -1 + r.NormFloat64()
		lt, ls := LSE(xt), LSE(xs)
		// Sort the teacher's entries largest first (insertion sort, small k),
		// carrying the student's along.
		for a := 1; a < k; a++ {
			for b := a; b > 0 && xt[b-1] < xt[b]; b-- {
				xt[b-1], xt[b] = xt[b], xt[b-1]
				xs[b-1], xs[b] = xs[b], xs[b-1]
			}
		}
		for j := range k {
			teacher[i*k+j] = xt[j] - lt
			student[i*k+j] = xs[j] - ls
		}
	}
	return student, teacher
}

// LSE is log Σ exp x, computed with the maximum subtracted.
func LSE(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

// Dense returns t rows of student and teacher logits over a
// vocabulary of v: a Gaussian body (σ 2) with a few dozen boosted tokens
// per row, the teacher a perturbation of the student.
func Dense(t, v int) (student, teacher [][]float64) {
	r := rand.New(rand.NewPCG(Seed+1, uint64(t*v)))
	student = make([][]float64, t)
	teacher = make([][]float64, t)
	for i := range t {
		s := make([]float64, v)
		u := make([]float64, v)
		for j := range v {
			s[j] = 2 * r.NormFloat64()
			u[j] = s[j] + r.NormFloat64()
		}
		for range 32 {
			j := r.IntN(v)
			s[j] += 8 + 4*r.Float64()
			u[j] += 8 + 4*r.Float64()
		}
		student[i], teacher[i] = s, u
	}
	return student, teacher
}
