package lm

import (
	"context"
	"fmt"
	"math"

	"github.com/rcsd-dev/rcsd/core/lm/demo"
)

// Demo adapts the embedded demo model to Scorer.
func Demo(m *demo.Model) Scorer { return demoScorer{m} }

type demoScorer struct{ m *demo.Model }

func (d demoScorer) Tokenize(_ context.Context, text string) ([]int, error) {
	return d.m.Encode(text), nil
}

func (d demoScorer) Score(ctx context.Context, context, continuation []int, topK int) ([]Position, error) {
	ps, err := d.m.ScoreContext(ctx, context, continuation, topK)
	if err != nil {
		return nil, err
	}
	out := make([]Position, len(ps))
	n := 0 // what the model listed: topK is at most the vocabulary there
	for _, p := range ps {
		n += len(p.Top)
	}
	alts := make([]Alt, 0, n)
	for i, p := range ps {
		start := len(alts)
		for _, a := range p.Top {
			alts = append(alts, Alt{TokenID: a.TokenID, Token: a.Token, LogProb: a.LogProb})
		}
		out[i] = Position{TokenID: p.TokenID, Token: p.Token, LogProb: p.LogProb, Top: alts[start:len(alts):len(alts)]}
	}
	return out, nil
}

func (d demoScorer) VocabSize() int { return d.m.VocabSize() }

// TokenText implements Vocabulary ("" for an id outside the vocabulary).
func (d demoScorer) TokenText(id int) string {
	if id < 0 || id >= d.m.VocabSize() {
		return ""
	}
	return d.m.Token(id)
}

func (d demoScorer) LogProbsAt(ctx context.Context, context, continuation []int, ids [][]int) ([][]float64, error) {
	return d.m.LogProbsAtContext(ctx, context, continuation, ids)
}

func (d demoScorer) Dense(ctx context.Context, context, continuation []int, f func(t int, logprobs []float64) error) error {
	s := d.m.NewState()
	for _, id := range context {
		s.Push(id)
	}
	V := d.m.VocabSize()
	buf := make([]float64, V)
	for t, id := range continuation {
		if err := ctx.Err(); err != nil {
			return err
		}
		if id < 0 || id >= V {
			return fmt.Errorf("demo: continuation token %d at position %d is outside the vocabulary [0, %d)", id, t, V)
		}
		buf = s.Probs(buf)
		for i, p := range buf {
			buf[i] = math.Log(p)
		}
		if err := f(t, buf); err != nil {
			return err
		}
		s.Push(id)
	}
	return nil
}
