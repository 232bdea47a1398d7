package model

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Sampler draws tokens from logits: temperature, then top-k, then top-p
// (nucleus), in that order (as Hugging Face's generate does), from its own
// PCG generator, so a seed fixes every draw on every platform.
type Sampler struct {
	// Temperature divides the logits; 0 means greedy (the argmax, the lowest
	// id on ties).
	Temperature float64
	// TopK keeps the k most likely tokens; 0 keeps all.
	TopK int
	// TopP keeps the smallest set of most likely tokens whose probability
	// reaches p (at least one); 0 or ≥ 1 keeps all.
	TopP float64

	rng *rand.Rand
	buf []cand
}

type cand struct {
	id int
	p  float64
}

// NewSampler returns a sampler drawing from PCG(seed, 0x73616d70).
func NewSampler(seed uint64, temperature float64, topK int, topP float64) (*Sampler, error) {
	if !(temperature >= 0) || math.IsInf(temperature, 0) {
		return nil, fmt.Errorf("model: temperature %v must be finite and ≥ 0", temperature)
	}
	if topK < 0 {
		return nil, fmt.Errorf("model: top-k %d must be ≥ 0", topK)
	}
	if !(topP >= 0) || topP > 1 {
		return nil, fmt.Errorf("model: top-p %v must be in [0, 1]", topP)
	}
	return &Sampler{Temperature: temperature, TopK: topK, TopP: topP, rng: rand.New(rand.NewPCG(seed, 0x73616d70))}, nil
}

// Sample draws a token id from logits [V].
func Sample[F Float](s *Sampler, logits []F) int {
	if s.Temperature == 0 {
		best := 0
		for i, v := range logits {
			if v > logits[best] {
				best = i
			}
		}
		return best
	}
	c := s.buf[:0]
	mx := math.Inf(-1)
	for _, v := range logits {
		mx = math.Max(mx, float64(v))
	}
	for i, v := range logits {
		c = append(c, cand{i, math.Exp((float64(v) - mx) / s.Temperature)})
	}
	s.buf = c
	// most likely first, ties by id: a total order, so the draw is deterministic
	slices.SortFunc(c, func(a, b cand) int {
		if r := cmp.Compare(b.p, a.p); r != 0 {
			return r
		}
		return cmp.Compare(a.id, b.id)
	})
	if s.TopK > 0 && s.TopK < len(c) {
		c = c[:s.TopK]
	}
	var kept float64
	for _, x := range c {
		kept += x.p
	}
	if s.TopP > 0 && s.TopP < 1 {
		var cum float64
		for i, x := range c {
			cum += x.p / kept
			if cum >= s.TopP {
				c = c[:i+1]
				break
			}
		}
		kept = 0
		for _, x := range c {
			kept += x.p
		}
	}
	u := s.rng.Float64() * kept
	for _, x := range c {
		u -= x.p
		if u < 0 {
			return x.id
		}
	}
	return c[len(c)-1].id
}

// Generate pushes prompt (at least one token) into d, then samples up to
// maxNew tokens, stopping early after a token for which stop returns true
// (that token included) or when prompt and sample fill the context (so the
// whole sequence can be scored by LogProbs). It returns the sampled tokens.
func Generate[F Float](d *Decoder[F], s *Sampler, prompt []int, maxNew int, stop func(id int) bool) ([]int, error) {
	if len(prompt) == 0 {
		return nil, fmt.Errorf("model: generation needs at least one prompt token")
	}
	var logits []F
	var err error
	for _, id := range prompt {
		if logits, err = d.Push(id); err != nil {
			return nil, err
		}
	}
	var out []int
	for len(out) < maxNew {
		id := Sample(s, logits)
		out = append(out, id)
		if stop != nil && stop(id) || d.Len()+1 >= d.m.cfg.Context || len(out) == maxNew {
			break
		}
		if logits, err = d.Push(id); err != nil {
			return nil, err
		}
	}
	return out, nil
}
