// Package labscorer adapts the lab model (core/lab/model) and the lab
// world's tokenizer (core/lab/world) to rcsd's log-prob interface
// (core/lm): Scorer, DenseScorer, SparseScorer and Vocabulary. Every
// log-probability is the model's whole log-softmax at a position
// (model.LogProbs), so top-k alternatives are exact, no id is ever
// missing, and Score, Dense and LogProbsAt agree to the bit.
//
// The package does no I/O and imports no os.
package labscorer

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/rcsd-dev/rcsd/core/lab/model"
	"github.com/rcsd-dev/rcsd/core/lab/world"
	"github.com/rcsd-dev/rcsd/core/lm"
)

// Scorer scores token ids with a lab model. It is safe for concurrent use
// (calls are serialised: the model's kernels already use its workers).
type Scorer struct {
	m   *model.Model[float32]
	tok *world.Tokenizer

	mu sync.Mutex
	ws *model.Workspace[float32]
	lp []float32
}

var (
	_ lm.DenseScorer  = (*Scorer)(nil)
	_ lm.SparseScorer = (*Scorer)(nil)
	_ lm.Vocabulary   = (*Scorer)(nil)
)

// New returns a scorer for m, whose vocabulary must be the world
// tokenizer's.
func New(m *model.Model[float32]) (*Scorer, error) {
	tok := world.NewTokenizer()
	if v := m.Config().Vocab; v != tok.VocabSize() {
		return nil, fmt.Errorf("labscorer: the model's vocabulary is %d tokens, the lab world's tokenizer has %d", v, tok.VocabSize())
	}
	return &Scorer{m: m, tok: tok}, nil
}

// Tokenize encodes text with the world's tokenizer, adding no special
// tokens (a context starts with world.BOS; world.StudentContext and
// world.TeacherContext build the model's contexts).
func (s *Scorer) Tokenize(_ context.Context, text string) ([]int, error) {
	return s.tok.Encode(text), nil
}

// VocabSize is the model's vocabulary size.
func (s *Scorer) VocabSize() int { return s.m.Config().Vocab }

// TokenText is the text of id: a piece, one byte, or a special token's
// name ("<eos>"); "" for an id outside the vocabulary.
func (s *Scorer) TokenText(id int) string {
	if id < 0 || id >= s.VocabSize() {
		return ""
	}
	return s.tok.TokenText(id)
}

// logProbs runs context+continuation through the model and calls f with
// each continuation position's whole log-softmax, under the lock.
func (s *Scorer) logProbs(ctx context.Context, context, continuation []int, f func(t int, lp []float32) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(context) == 0 {
		return fmt.Errorf("labscorer: the context is empty; the lab model predicts the first token from at least <bos> (id %d)", world.BOS)
	}
	c := s.m.Config()
	n := len(context) + len(continuation)
	if n > c.Context {
		return fmt.Errorf("labscorer: %d context and %d continuation tokens exceed the model's context of %d", len(context), len(continuation), c.Context)
	}
	if len(continuation) == 0 {
		return nil
	}
	V := c.Vocab
	ids := make([]int, 0, n)
	ids = append(append(ids, context...), continuation...)
	for i, id := range ids {
		if id < 0 || id >= V {
			part, at := "context", i
			if i >= len(context) {
				part, at = "continuation", i-len(context)
			}
			return fmt.Errorf("labscorer: %s token %d at position %d is outside the vocabulary [0, %d)", part, id, at, V)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ws == nil {
		s.ws = s.m.NewWorkspace(1, c.Context)
	}
	m := len(continuation) * V
	if cap(s.lp) < m {
		s.lp = make([]float32, m)
	}
	lp := s.lp[:m]
	if err := s.m.LogProbs(s.ws, ids, len(context), lp); err != nil {
		return err
	}
	for t := range continuation {
		if err := f(t, lp[t*V:(t+1)*V]); err != nil {
			return err
		}
	}
	return nil
}

// Score returns one position per continuation id with its log-probability
// and the topK most probable tokens (exact; ties by lower id first).
func (s *Scorer) Score(ctx context.Context, context, continuation []int, topK int) ([]lm.Position, error) {
	if topK < 0 {
		return nil, fmt.Errorf("labscorer: top-k %d is negative", topK)
	}
	topK = min(topK, s.VocabSize())
	out := make([]lm.Position, len(continuation))
	alts := make([]lm.Alt, len(continuation)*topK)
	order := make([]int, s.VocabSize())
	err := s.logProbs(ctx, context, continuation, func(t int, lp []float32) error {
		id := continuation[t]
		p := lm.Position{TokenID: id, Token: s.tok.TokenText(id), LogProb: float64(lp[id])}
		if topK > 0 {
			for i := range order {
				order[i] = i
			}
			slices.SortStableFunc(order, func(a, b int) int {
				switch {
				case lp[a] > lp[b]:
					return -1
				case lp[a] < lp[b]:
					return 1
				}
				return 0
			})
			top := alts[t*topK : (t+1)*topK : (t+1)*topK]
			for j, a := range order[:topK] {
				top[j] = lm.Alt{TokenID: a, Token: s.tok.TokenText(a), LogProb: float64(lp[a])}
			}
			p.Top = top
		}
		out[t] = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Dense calls f with the whole vocabulary's natural-log probabilities at
// each continuation position (the slice is reused; f must not keep it).
func (s *Scorer) Dense(ctx context.Context, context, continuation []int, f func(t int, logprobs []float64) error) error {
	buf := make([]float64, s.VocabSize())
	return s.logProbs(ctx, context, continuation, func(t int, lp []float32) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		for i, v := range lp {
			buf[i] = float64(v)
		}
		return f(t, buf)
	})
}

// LogProbsAt returns out[t][j] = log P(ids[t][j]) at continuation position t.
func (s *Scorer) LogProbsAt(ctx context.Context, context, continuation []int, ids [][]int) ([][]float64, error) {
	if len(ids) != len(continuation) {
		return nil, fmt.Errorf("labscorer: %d id lists for %d continuation positions", len(ids), len(continuation))
	}
	V := s.VocabSize()
	for t, list := range ids {
		for j, id := range list {
			if id < 0 || id >= V {
				return nil, fmt.Errorf("labscorer: id %d (list %d, entry %d) is outside the vocabulary [0, %d)", id, t, j, V)
			}
		}
	}
	out := make([][]float64, len(ids))
	err := s.logProbs(ctx, context, continuation, func(t int, lp []float32) error {
		row := make([]float64, len(ids[t]))
		for j, id := range ids[t] {
			row[j] = float64(lp[id])
		}
		out[t] = row
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
