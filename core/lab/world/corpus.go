package world

import (
	"fmt"
	"math/rand/v2"
)

// CorpusConfig configures the pretraining corpus.
type CorpusConfig struct {
	// Seed fixes the corpus: example i depends on Seed and i only.
	Seed uint64 `json:"seed"`
	// RubricShare is the share of examples whose context shows the rubric
	// (the teacher's context); the rest show the prompt alone. 0.5 when 0.
	RubricShare float64 `json:"rubric_share"`
	// MetProb is, for a prompt-only example, the chance that each
	// criterion of the (unseen) rubric is met (a pitfall avoided); the
	// other slots are guessed. 0.5 when 0.
	MetProb float64 `json:"met_prob"`
}

func (c CorpusConfig) withDefaults() CorpusConfig {
	if c.RubricShare == 0 {
		c.RubricShare = 0.5
	}
	if c.MetProb == 0 {
		c.MetProb = 0.5
	}
	return c
}

// Corpus draws pretraining examples from the train split only: a
// mixture of (prompt + rubric → an answer that meets every positive
// criterion and no pitfall, the other slots guessed) and (prompt alone →
// an answer that meets a random subset), so a model learns to follow a
// rubric when shown one and to guess when not. It is immutable and safe
// for concurrent use.
type Corpus struct {
	cfg CorpusConfig
	gen *Generator
	tok *Tokenizer
}

// NewCorpus returns the corpus of cfg at difficulty d.
func NewCorpus(cfg CorpusConfig, d Difficulty) (*Corpus, error) {
	cfg = cfg.withDefaults()
	if !(cfg.RubricShare > 0 && cfg.RubricShare <= 1) || !(cfg.MetProb > 0 && cfg.MetProb <= 1) {
		return nil, fmt.Errorf("corpus: rubric_share %v and met_prob %v must be in (0, 1]", cfg.RubricShare, cfg.MetProb)
	}
	g, err := NewGenerator(cfg.Seed, d)
	if err != nil {
		return nil, err
	}
	return &Corpus{cfg: cfg, gen: g, tok: NewTokenizer()}, nil
}

// Example is one pretraining example.
type Example struct {
	Task *Task `json:"task"`
	// WithRubric says the context is the teacher's (prompt and rubric);
	// otherwise it is the student's (prompt alone).
	WithRubric bool     `json:"with_rubric"`
	Answer     Rendered `json:"answer"`
	Seq        Sequence `json:"seq"`
}

// Example returns example i (i >= 0): train task i of the corpus's seed,
// and an answer drawn from a stream of its own.
func (c *Corpus) Example(i int) Example {
	t := c.gen.Task(Train, i)
	rng := rand.New(rand.NewPCG(c.cfg.Seed, uint64(i)^0xc0de5eed00000000))
	ex := Example{Task: t, WithRubric: rng.Float64() < c.cfg.RubricShare}
	var ctx []int
	if ex.WithRubric {
		ex.Answer = t.Write(rng, nil)
		ctx = TeacherContext(c.tok, t.Prompt, t.Rubric, "")
	} else {
		want := make([]bool, len(t.Criteria))
		for k, cr := range t.Criteria {
			want[k] = (rng.Float64() < c.cfg.MetProb) != cr.Kind.Negative()
		}
		ex.Answer = t.Write(rng, want)
		ctx = StudentContext(c.tok, t.Prompt)
	}
	ex.Seq = Join(ctx, AnswerIDs(c.tok, ex.Answer.Text))
	return ex
}

// Sequences returns examples [from, from+n) as training sequences.
func (c *Corpus) Sequences(from, n int) []Sequence {
	out := make([]Sequence, n)
	for k := range out {
		out[k] = c.Example(from + k).Seq
	}
	return out
}
