package model

import (
	"fmt"
	"math"
	"testing"
)

// TestNTKernel checks C = A·Bᵀ (+ bias), overwritten and accumulated, in
// float32 (the AVX2 tile where the CPU has it) against float64 sums, on
// shapes with row, column and reduction remainders and reductions longer
// than one block (ntKC): relative error ≤ 1e-5 of the largest |C|.
func TestNTKernel(t *testing.T) {
	for _, s := range []struct{ m, n, k int }{
		{1, 1, 1}, {3, 4, 8}, {7, 5, 19}, {12, 8, 64}, {13, 9, 520}, {5, 3, 1031}, {24, 64, 16},
	} {
		for _, acc := range []bool{false, true} {
			t.Run(fmt.Sprintf("%dx%dx%d/accumulate=%v", s.m, s.n, s.k, acc), func(t *testing.T) {
				a := make([]float32, s.m*s.k)
				b := make([]float32, s.n*s.k)
				bias := make([]float32, s.n)
				c := make([]float32, s.m*s.n)
				for i := range a {
					a[i] = float32((i*37)%23-11) / 7
				}
				for i := range b {
					b[i] = float32((i*29)%19-9) / 5
				}
				for i := range bias {
					bias[i] = float32(i) - 2
				}
				for i := range c {
					c[i] = 0.5 // overwritten, or added to
				}
				args := ntArgs[float32]{c: c, a: a, b: b, bias: bias, n: s.n, k: s.k, accumulate: acc}
				// two chunks, the second starting at a tile boundary
				split := min(ntTileRows, s.m)
				ntRows(&args, 0, split)
				ntRows(&args, split, s.m)
				worst, scale := 0.0, 1e-30
				for i := range s.m {
					for j := range s.n {
						want := float64(bias[j])
						if acc {
							want += 0.5
						}
						for q := range s.k {
							want += float64(a[i*s.k+q]) * float64(b[j*s.k+q])
						}
						scale = math.Max(scale, math.Abs(want))
						worst = math.Max(worst, math.Abs(float64(c[i*s.n+j])-want))
					}
				}
				if worst/scale > 1e-5 {
					t.Errorf("worst error %.3g relative to max |C| %.3g", worst/scale, scale)
				}
			})
		}
	}
}
