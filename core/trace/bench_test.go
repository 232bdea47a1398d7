package trace

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rcsd-dev/rcsd/core/distill"
	"github.com/rcsd-dev/rcsd/core/lm"
)

// softmaxRow fills logits with N(0, scale²) draws and returns their
// log-softmax normaliser.
func softmaxRow(r *rand.Rand, logits []float64, scale float64) float64 {
	m := math.Inf(-1)
	for v := range logits {
		logits[v] = r.NormFloat64() * scale
		m = max(m, logits[v])
	}
	s := 0.0
	for _, z := range logits {
		s += math.Exp(z - m)
	}
	return m + math.Log(s)
}

// synthTrace builds a served trace of n positions over a vocabulary of
// vocab tokens: at each position the teacher lists its k most probable
// tokens, and the student lists its log-probs of those same ids, as a
// producer that scores the student at the teacher's top-k writes it
// (log-probs normalised over the whole vocabulary, most probable first).
func synthTrace(seed uint64, n, vocab, k int) *Trace {
	r := rand.New(rand.NewPCG(seed, 7))
	zs := make([]float64, vocab)
	zt := make([]float64, vocab)
	tr := &Trace{ID: "bench", Student: make([]lm.Position, n), Teacher: make([]lm.Position, n)}
	for t := range n {
		y := r.IntN(vocab)
		lseS := softmaxRow(r, zs, 2)
		lseT := softmaxRow(r, zt, 2)
		sel := selectTopK(nil, zt, k)
		st := make([]lm.Alt, len(sel))
		tt := make([]lm.Alt, len(sel))
		for j, i := range sel {
			tok := fmt.Sprintf("w%d", i)
			st[j] = lm.Alt{TokenID: i, Token: tok, LogProb: zs[i] - lseS}
			tt[j] = lm.Alt{TokenID: i, Token: tok, LogProb: zt[i] - lseT}
		}
		tok := fmt.Sprintf("w%d", y)
		tr.Student[t] = lm.Position{TokenID: y, Token: tok, LogProb: zs[y] - lseS, Top: st}
		tr.Teacher[t] = lm.Position{TokenID: y, Token: tok, LogProb: zt[y] - lseT, Top: tt}
	}
	return tr
}

// BenchmarkTraceLoss: RCSD's released loss (teacher top-20, τ = 1.2,
// per-entry clip 0.05, token mean) over traces of T positions × top-20
// (both sides list the teacher's top-20 ids; vocabulary 1000). Includes
// the validation Compute runs first.
func BenchmarkTraceLoss(b *testing.B) {
	for _, T := range []int{256, 1024, 4096} {
		b.Run(fmt.Sprintf("T=%d", T), func(b *testing.B) {
			tr := synthTrace(1, T, 1000, 20)
			k, err := distill.NewKernel(distill.RCSDReleased())
			if err != nil {
				b.Fatal(err)
			}
			c, err := NewComputer(k, Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Compute(tr); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(T)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// BenchmarkParse: reading one trace line of T positions × top-20 (both
// sides), bytes of JSON per second.
func BenchmarkParse(b *testing.B) {
	for _, T := range []int{256, 1024, 4096} {
		b.Run(fmt.Sprintf("T=%d", T), func(b *testing.B) {
			line := Encode(synthTrace(1, T, 1000, 20))
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			for b.Loop() {
				if _, dl := Parse(line, 1, ""); dl.HasErrors() {
					b.Fatal(dl)
				}
			}
			b.ReportMetric(float64(T)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// BenchmarkDenseLoss: the streaming dense path, T = 64 positions of
// float16 logits over V = 4096, 32768 and 151936 (Qwen's vocabulary), RCSD's
// released setting.
func BenchmarkDenseLoss(b *testing.B) {
	for _, V := range []int{4096, 32768, 151936} {
		b.Run(fmt.Sprintf("V=%d", V), func(b *testing.B) {
			const T = 64
			r := rand.New(rand.NewPCG(1, 1))
			bits := make([]uint16, T*V)
			for i := range bits {
				bits[i] = uint16(r.IntN(0x4c00)) | uint16(r.IntN(2))<<15
			}
			dict := npyDict("<f2", false, fmt.Sprintf("(%d, %d)", T, V))
			file := npyFile(1, dict, le16(bits))
			tokens := make([]int, T)
			for i := range tokens {
				tokens[i] = r.IntN(V)
			}
			k := mustKernel(b, distill.RCSDReleased())
			b.SetBytes(int64(2 * len(file)))
			for b.Loop() {
				sr, _ := NewNPYReader(bytes.NewReader(file))
				tr, _ := NewNPYReader(bytes.NewReader(file))
				if _, err := DenseLoss(k, sr, tr, tokens, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(T)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
