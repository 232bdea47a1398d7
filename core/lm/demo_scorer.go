package lm

import (
	"context"

	"github.com/rcsd-dev/rcsd/core/lm/demo"
)

// Demo adapts the embedded demo model to Scorer.
func Demo(m *demo.Model) Scorer { return demoScorer{m} }

type demoScorer struct{ m *demo.Model }

func (d demoScorer) Tokenize(_ context.Context, text string) ([]int, error) {
	return d.m.Encode(text), nil
}

func (d demoScorer) Score(ctx context.Context, context, continuation []int, topK int) ([]Position, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ps, err := d.m.Score(context, continuation, topK)
	if err != nil {
		return nil, err
	}
	out := make([]Position, len(ps))
	alts := make([]Alt, 0, len(ps)*topK)
	for i, p := range ps {
		start := len(alts)
		for _, a := range p.Top {
			alts = append(alts, Alt{TokenID: a.TokenID, Token: a.Token, LogProb: a.LogProb})
		}
		out[i] = Position{TokenID: p.TokenID, Token: p.Token, LogProb: p.LogProb, Top: alts[start:len(alts):len(alts)]}
	}
	return out, nil
}
