package model

import (
	"math"
	"testing"
)

// TestExp32 compares exp32 with math.Exp (rounded to float32) on a grid over
// its whole range and at the edges: relative error ≤ 2 ulp (2.4e-7), and
// tanhF's float32 path with math.Tanh to an absolute 2e-7.
func TestExp32(t *testing.T) {
	worst := 0.0
	for i := 0; i <= 400000; i++ {
		x := float32(-87.3 + 176*float64(i)/400000)
		got, want := float64(exp32(x)), math.Exp(float64(x))
		if rel := math.Abs(got-want) / want; rel > worst {
			worst = rel
		}
	}
	if worst > 2.4e-7 {
		t.Errorf("exp32: worst relative error %.3g > 2.4e-7", worst)
	}
	t.Logf("exp32: worst relative error %.3g", worst)
	for _, tc := range []struct{ x, want float32 }{
		{0, 1}, {-100, 0}, {100, float32(math.Inf(1))}, {float32(math.Inf(-1)), 0},
	} {
		if got := exp32(tc.x); got != tc.want {
			t.Errorf("exp32(%v) = %v, expected %v", tc.x, got, tc.want)
		}
	}
	if v := exp32(float32(math.NaN())); v == v {
		t.Errorf("exp32(NaN) = %v", v)
	}
	worst = 0
	for i := 0; i <= 100000; i++ {
		x := float32(-12 + 24*float64(i)/100000)
		worst = math.Max(worst, math.Abs(float64(tanhF(x))-math.Tanh(float64(x))))
	}
	if worst > 2e-7 {
		t.Errorf("tanhF[float32]: worst absolute error %.3g > 2e-7", worst)
	}
}
