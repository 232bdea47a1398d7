package distill

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/rcsd-dev/rcsd/core/distill/distilltest"
)

// Benchmarks of the loss kernels in size tiers (the style of gonum's
// floats_test.go: one benchmark per tier over a shared helper). Each
// reports tokens/s (positions per second) and ns per vocabulary entry
// (per position and support entry: 20 for the top-20 path, V for the
// dense path). bench/distill/run.sh runs the same formulas side by side
// with PyTorch; bench/README.md §4 has the results.
//
// The data are generated deterministically (PCG, fixed seeds).

// Sequence-length tiers of the sparse top-20 path.
const (
	SparseSmall  = 1 << 10 // 1k positions
	SparseMedium = 1 << 14 // 16k positions
	SparseLarge  = 1 << 18 // 256k positions
)

// Vocabulary tiers of the dense path, with the number of distinct
// positions (rows) one benchmark operation runs through.
const (
	DenseSmallV  = 4096
	DenseSmallT  = 64
	DenseLargeV  = 151936 // Qwen2/Qwen3 vocabulary
	DenseLargeT  = 8
	benchTopK    = 20
	benchSeedGen = 20261129
)

var benchSink float64

// benchmarkSparseTop20 runs RCSD's released setting (forward KL, τ 1.2,
// teacher top-20 renormalised, per-entry clip 0.05, token mean) over t
// positions of pre-gathered top-20 log-probs through Kernel.AlignedToken.
func benchmarkSparseTop20(b *testing.B, t int) {
	k, err := NewKernel(RCSDReleased())
	if err != nil {
		b.Fatal(err)
	}
	kk := benchTopK
	student, teacher := distilltest.Sparse(t, kk)
	if _, err := k.AlignedToken(student[:kk], teacher[:kk]); err != nil { // grow the scratch
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		sum := 0.0
		for i := range t {
			r, err := k.AlignedToken(student[i*kk:(i+1)*kk], teacher[i*kk:(i+1)*kk])
			if err != nil {
				b.Fatal(err)
			}
			sum += r.Divergence
		}
		benchSink += sum / float64(t)
	}
	reportTokens(b, t, kk)
}

func BenchmarkSparseTop20Small(b *testing.B)  { benchmarkSparseTop20(b, SparseSmall) }
func BenchmarkSparseTop20Medium(b *testing.B) { benchmarkSparseTop20(b, SparseMedium) }
func BenchmarkSparseTop20Large(b *testing.B)  { benchmarkSparseTop20(b, SparseLarge) }

// benchmarkSparseServed is the same loss from served (token id, log-prob)
// lists through Kernel.SparseToken: the teacher's top-20 is selected from
// its list and each id looked up in the student's list (given in another
// order), as a caller holding vLLM prompt_logprobs would run it.
func benchmarkSparseServed(b *testing.B, t int) {
	k, err := NewKernel(RCSDReleased())
	if err != nil {
		b.Fatal(err)
	}
	kk := benchTopK
	student, teacher := distilltest.Sparse(t, kk)
	r := rand.New(rand.NewPCG(benchSeedGen+2, uint64(t)))
	ss := make([]TopLogProbs, t)
	ts := make([]TopLogProbs, t)
	for i := range t {
		tid := make([]int32, kk)
		sid := make([]int32, kk)
		slp := make([]float64, kk)
		perm := r.Perm(kk)
		for j := range kk {
			tid[j] = int32(r.IntN(151936))
		}
		for j, p := range perm {
			sid[j] = tid[p]
			slp[j] = student[i*kk+p]
		}
		ts[i] = TopLogProbs{IDs: tid, LogProbs: teacher[i*kk : (i+1)*kk]}
		ss[i] = TopLogProbs{IDs: sid, LogProbs: slp}
	}
	if _, err := k.SparseToken(ss[0], ts[0], -1); err != nil { // grow the scratch
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		sum := 0.0
		for i := range t {
			r, err := k.SparseToken(ss[i], ts[i], -1)
			if err != nil {
				b.Fatal(err)
			}
			sum += r.Divergence
		}
		benchSink += sum / float64(t)
	}
	reportTokens(b, t, kk)
}

func BenchmarkSparseServedTop20Small(b *testing.B)  { benchmarkSparseServed(b, SparseSmall) }
func BenchmarkSparseServedTop20Medium(b *testing.B) { benchmarkSparseServed(b, SparseMedium) }

// benchmarkDense runs the full-vocabulary divergence at τ = 1 over t rows
// of v logits through Kernel.Token, one position at a time in the
// kernel's O(V) scratch, token mean. With grad, each position's gradient
// row (∂loss/∂z, scaled by the token-mean weight 1/t) is written into one
// reused row, as a caller streaming positions would consume it.
func benchmarkDense(b *testing.B, o Options, t, v int, grad bool) {
	k, err := NewKernel(o)
	if err != nil {
		b.Fatal(err)
	}
	student, teacher := distilltest.Dense(t, v)
	var g []float64
	if grad {
		g = make([]float64, v)
	}
	w := 1 / float64(t)
	if _, err := k.Token(student[0], teacher[0], -1, g); err != nil { // grow the scratch
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		sum := 0.0
		for i := range t {
			r, err := k.Token(student[i], teacher[i], -1, g)
			if err != nil {
				b.Fatal(err)
			}
			sum += r.Divergence
			if grad {
				for j := range g {
					g[j] *= w
				}
			}
		}
		benchSink += sum * w
	}
	reportTokens(b, t, v)
}

func reportTokens(b *testing.B, t, entries int) {
	sec := b.Elapsed().Seconds()
	if sec <= 0 {
		return
	}
	n := float64(b.N) * float64(t)
	b.ReportMetric(n/sec, "tokens/s")
	b.ReportMetric(sec*1e9/(n*float64(entries)), "ns/entry")
}

var (
	benchForward = Options{Divergence: Forward}
	benchReverse = Options{Divergence: Reverse}
	benchJSD     = Options{Divergence: JSD, Beta: 0.5}
)

func BenchmarkDenseForwardSmall(b *testing.B) {
	benchmarkDense(b, benchForward, DenseSmallT, DenseSmallV, false)
}
func BenchmarkDenseForwardLarge(b *testing.B) {
	benchmarkDense(b, benchForward, DenseLargeT, DenseLargeV, false)
}
func BenchmarkDenseForwardGradSmall(b *testing.B) {
	benchmarkDense(b, benchForward, DenseSmallT, DenseSmallV, true)
}
func BenchmarkDenseForwardGradLarge(b *testing.B) {
	benchmarkDense(b, benchForward, DenseLargeT, DenseLargeV, true)
}
func BenchmarkDenseReverseSmall(b *testing.B) {
	benchmarkDense(b, benchReverse, DenseSmallT, DenseSmallV, false)
}
func BenchmarkDenseReverseLarge(b *testing.B) {
	benchmarkDense(b, benchReverse, DenseLargeT, DenseLargeV, false)
}
func BenchmarkDenseReverseGradSmall(b *testing.B) {
	benchmarkDense(b, benchReverse, DenseSmallT, DenseSmallV, true)
}
func BenchmarkDenseReverseGradLarge(b *testing.B) {
	benchmarkDense(b, benchReverse, DenseLargeT, DenseLargeV, true)
}
func BenchmarkDenseJSDSmall(b *testing.B) {
	benchmarkDense(b, benchJSD, DenseSmallT, DenseSmallV, false)
}
func BenchmarkDenseJSDLarge(b *testing.B) {
	benchmarkDense(b, benchJSD, DenseLargeT, DenseLargeV, false)
}
func BenchmarkDenseJSDGradSmall(b *testing.B) {
	benchmarkDense(b, benchJSD, DenseSmallT, DenseSmallV, true)
}
func BenchmarkDenseJSDGradLarge(b *testing.B) {
	benchmarkDense(b, benchJSD, DenseLargeT, DenseLargeV, true)
}

// The tests below guard the optimisations the benchmarks measure.

// expBig is e^x to about 200 bits: a Taylor series of x/2^12, squared 12 times.
func expBig(x float64) float64 {
	const prec = 200
	y := new(big.Float).SetPrec(prec).SetFloat64(math.Ldexp(x, -12))
	sum := new(big.Float).SetPrec(prec).SetInt64(1)
	term := new(big.Float).SetPrec(prec).SetInt64(1)
	for n := 1; n < 40; n++ {
		term.Mul(term, y)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(int64(n)))
		sum.Add(sum, term)
	}
	for range 12 {
		sum.Mul(sum, sum)
	}
	f, _ := sum.Float64()
	return f
}

// TestExpFast checks the table-driven exp against a 200-bit reference
// (at most 1 ulp) and math.Exp at the edges it hands over.
func TestExpFast(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	worst := 0.0
	for i := range n {
		var x float64
		switch i % 4 {
		case 0:
			x = -r.Float64() * expMax
		case 1:
			x = r.Float64() * expMax
		case 2:
			x = -r.Float64() * 30
		default:
			x = (2*r.Float64() - 1) * 0.01
		}
		want := expBig(x)
		got := expFast(x)
		ulp := math.Nextafter(want, math.Inf(1)) - want
		if u := math.Abs(got-want) / ulp; u > worst {
			worst = u
		}
	}
	if worst > 1 {
		t.Errorf("expFast is %.2f ulp from the exact value at worst, want ≤ 1", worst)
	}
	for _, x := range []float64{0, math.Copysign(0, -1), 1, -1, expMax, -expMax, math.Nextafter(-expMax, math.Inf(-1)),
		-708.5, -745, -746, 709, 710, math.Inf(1), math.Inf(-1), math.NaN(), 1e-300, -1e-300} {
		got, want := expFast(x), math.Exp(x)
		if got != want && !(math.IsNaN(got) && math.IsNaN(want)) && math.Abs(got-want) > 2*(math.Nextafter(want, math.Inf(1))-want) {
			t.Errorf("expFast(%v) = %v, math.Exp %v", x, got, want)
		}
	}
}

// TestAlignedFastPath checks that AlignedToken (whose renormalised
// forward and reverse KL take alignedRenormKL) gives what the general
// path alignedCore gives, on random rows and on the rows the fast path
// must hand over (−Inf, NaN, +Inf, positive, tiny and huge log-probs).
func TestAlignedFastPath(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	general := func(k *Kernel, s, tt []float64) (TokenResult, error) {
		n := len(s)
		k.ks, k.kt = grow(k.ks, n+1), grow(k.kt, n+1)
		k.kps, k.kpt = grow(k.kps, n+1), grow(k.kpt, n+1)
		copy(k.ks, s)
		copy(k.kt, tt)
		return k.alignedCore(n)
	}
	served := func(n int, scale float64) []float64 {
		x := randRow(r, n+1, scale)
		l := distilltest.LSE(x)
		for i := range x {
			x[i] -= l
		}
		return x[:n]
	}
	type row struct {
		name  string
		s, tt []float64
	}
	var rows []row
	for i := range 300 {
		n := []int{1, 2, 5, 20, 64}[i%5]
		rows = append(rows, row{fmt.Sprintf("random %d", i), served(n, 0.5+3*r.Float64()), served(n, 0.5+3*r.Float64())})
	}
	edge := func(name string, v float64) {
		s, tt := served(20, 2), served(20, 2)
		s[3] = v
		rows = append(rows, row{name + " student", s, tt})
		s, tt = served(20, 2), served(20, 2)
		tt[7] = v
		rows = append(rows, row{name + " teacher", s, tt})
	}
	for _, v := range []float64{math.Inf(-1), math.NaN(), math.Inf(1), 0.5, -1e300, -math.MaxFloat64, -800, 0} {
		edge(fmt.Sprint(v), v)
	}
	deep := served(20, 2)
	for i := range deep {
		deep[i] -= 2000 // every e^{s/τ} underflows: the general path's shift is needed
	}
	rows = append(rows, row{"all below -2000", deep, served(20, 2)})
	for _, div := range []Divergence{Forward, Reverse} {
		for _, tau := range []float64{1, 1.2, 0.3, 7} {
			for _, clip := range []float64{0, 0.05, 0.001} {
				o := Options{Divergence: div, Temperature: tau, Support: TeacherTopK, TopK: 20, ClipEntry: clip}
				fast, slow := mustKernel(t, o), mustKernel(t, o)
				for _, rw := range rows {
					got, err1 := fast.AlignedToken(rw.s, rw.tt)
					want, err2 := general(slow, rw.s, rw.tt)
					name := fmt.Sprintf("%s τ=%v clip=%v %s", div, tau, clip, rw.name)
					if (err1 == nil) != (err2 == nil) || (err1 != nil && err1.Error() != err2.Error()) {
						t.Errorf("%s: error %v, general path %v", name, err1, err2)
						continue
					}
					if err1 != nil {
						continue
					}
					if !close(got.Divergence, want.Divergence, 1e-13) || !close(got.Unclipped, want.Unclipped, 1e-13) ||
						!close(got.EntropyStudent, want.EntropyStudent, 1e-13) || !close(got.EntropyTeacher, want.EntropyTeacher, 1e-13) ||
						got.ClippedEntries != want.ClippedEntries || got.Clipped != want.Clipped {
						t.Errorf("%s:\n fast    %+v\n general %+v", name, got, want)
					}
				}
			}
		}
	}
}

// logBig is log x to about 150 bits: x = 2^e m, log m = 2 atanh((m−1)/(m+1)).
func logBig(x float64) float64 {
	const prec = 200
	m, e := math.Frexp(x) // m in [0.5, 1)
	if m < math.Sqrt2/2 {
		m, e = 2*m, e-1
	}
	atanh2 := func(u *big.Float) *big.Float { // 2 atanh(u)
		u2 := new(big.Float).SetPrec(prec).Mul(u, u)
		sum := new(big.Float).SetPrec(prec)
		pow := new(big.Float).SetPrec(prec).Set(u)
		term := new(big.Float).SetPrec(prec)
		for n := int64(0); n < 45; n++ { // u² < 0.03: 45 terms exceed 200 bits
			term.Quo(pow, new(big.Float).SetPrec(prec).SetInt64(2*n+1))
			sum.Add(sum, term)
			pow.Mul(pow, u2)
		}
		return sum.Mul(sum, new(big.Float).SetPrec(prec).SetInt64(2))
	}
	bm := new(big.Float).SetPrec(prec).SetFloat64(m)
	u := new(big.Float).SetPrec(prec).Sub(bm, big.NewFloat(1))
	u.Quo(u, new(big.Float).SetPrec(prec).Add(bm, big.NewFloat(1)))
	third := new(big.Float).SetPrec(prec).Quo(big.NewFloat(1), new(big.Float).SetPrec(prec).SetInt64(3))
	ln2 := atanh2(third)
	res := atanh2(u)
	res.Add(res, ln2.Mul(ln2, new(big.Float).SetPrec(prec).SetInt64(int64(e))))
	f, _ := res.Float64()
	return f
}

// TestLogFast checks the table-driven log against a high-precision
// reference (at most 1 ulp) and math.Log where it hands over.
func TestLogFast(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	n := 10000
	if testing.Short() {
		n = 2000
	}
	worst, worstX := 0.0, 0.0
	for i := range n {
		var x float64
		switch i % 4 {
		case 0:
			x = math.Exp((2*r.Float64() - 1) * 700)
		case 1:
			x = r.Float64()
		case 2:
			x = 0.5 + r.Float64()
		default:
			x = 1 + (2*r.Float64()-1)*0.07
		}
		want := logBig(x)
		got := logFast(x)
		ulp := math.Nextafter(math.Abs(want), math.Inf(1)) - math.Abs(want)
		if u := math.Abs(got-want) / ulp; u > worst {
			worst, worstX = u, x
		}
	}
	if worst > 1 {
		t.Errorf("logFast is %.2f ulp from the exact value at worst (x = %v), want ≤ 1", worst, worstX)
	}
	for _, x := range []float64{1, 2, 0.5, math.E, 1 - 0x1p-5, 1 + 0x1p-5, 0x1p-1022, 0x1p-1074, math.MaxFloat64,
		0, math.Copysign(0, -1), -1, math.Inf(1), math.Inf(-1), math.NaN()} {
		got, want := logFast(x), math.Log(x)
		if got != want && !(math.IsNaN(got) && math.IsNaN(want)) && math.Abs(got-want) > 2*(math.Nextafter(math.Abs(want), math.Inf(1))-math.Abs(want)) {
			t.Errorf("logFast(%v) = %v, math.Log %v", x, got, want)
		}
	}
}

// TestDenseFastPath checks that Token's fast path for the forward and
// reverse KL over the full vocabulary (denseKL) gives what the general
// path gives, with gradients, advantages and entropies, on random rows and
// on rows it must hand over. The general path is forced by a per-entry
// clip so large it never fires.
func TestDenseFastPath(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	type row struct {
		name  string
		s, tt []float64
	}
	var rows []row
	for i := range 60 {
		n := []int{1, 2, 7, 100, 3000}[i%5]
		rows = append(rows, row{fmt.Sprintf("random %d", i), randRow(r, n, 0.3+4*r.Float64()), randRow(r, n, 0.3+4*r.Float64())})
	}
	edge := func(name string, i int, v float64) {
		s, tt := randRow(r, 50, 2), randRow(r, 50, 2)
		s[i] = v
		rows = append(rows, row{name + " student", s, tt})
		s, tt = randRow(r, 50, 2), randRow(r, 50, 2)
		tt[i] = v
		rows = append(rows, row{name + " teacher", s, tt})
	}
	for _, v := range []float64{math.Inf(-1), math.NaN(), math.Inf(1), -1e4, 1e4, -1e308, 1e308} {
		edge(fmt.Sprint(v), 3, v)
	}
	allNegInf := []float64{math.Inf(-1), math.Inf(-1)}
	rows = append(rows, row{"all −Inf student", allNegInf, []float64{0, 1}}, row{"all −Inf teacher", []float64{0, 1}, allNegInf})
	for _, div := range []Divergence{Forward, Reverse} {
		for _, tau := range []float64{1, 1.2, 0.05, 9} {
			for _, ct := range []float64{0, 0.3} {
				o := Options{Divergence: div, Temperature: tau, ClipToken: ct}
				og := o
				og.ClipEntry = math.MaxFloat64
				fast, slow := mustKernel(t, o), mustKernel(t, og)
				for _, rw := range rows {
					n := len(rw.s)
					y := r.IntN(n)
					g1, g2 := make([]float64, n), make([]float64, n)
					got, err1 := fast.Token(rw.s, rw.tt, y, g1)
					want, err2 := slow.Token(rw.s, rw.tt, y, g2)
					name := fmt.Sprintf("%s τ=%v clip_token=%v %s", div, tau, ct, rw.name)
					if (err1 == nil) != (err2 == nil) || (err1 != nil && err1.Error() != err2.Error()) {
						t.Errorf("%s: error %v, general path %v", name, err1, err2)
						continue
					}
					if err1 != nil {
						continue
					}
					same := func(a, b float64) bool { return a == b || close(a, b, 1e-12) } // ±Inf advantages
					if !same(got.Divergence, want.Divergence) || !same(got.Unclipped, want.Unclipped) ||
						!same(got.EntropyStudent, want.EntropyStudent) || !same(got.EntropyTeacher, want.EntropyTeacher) ||
						!same(got.Advantage, want.Advantage) || got.HasAdvantage != want.HasAdvantage ||
						got.TokenClipped != want.TokenClipped || got.ClippedEntries != 0 || want.ClippedEntries != 0 {
						t.Errorf("%s:\n fast    %+v\n general %+v", name, got, want)
					}
					// Gradient entries are differences of terms of size up to
					// 1/τ (forward: (S_j − T_j)/τ), so they are compared on that
					// scale: a tiny entry left by cancellation has no digits to
					// compare.
					scale := 1 / tau
					for _, v := range g2 {
						scale = math.Max(scale, math.Abs(v))
					}
					for j := range g1 {
						if math.Abs(g1[j]-g2[j]) > 1e-12*scale {
							t.Errorf("%s: grad[%d] = %v, general path %v", name, j, g1[j], g2[j])
							break
						}
					}
				}
			}
		}
	}
}
