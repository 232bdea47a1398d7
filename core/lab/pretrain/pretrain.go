// Package pretrain pretrains the lab model (core/lab/model) on the lab
// world's corpus (core/lab/world): a mixture of teacher contexts (prompt
// and compact rubric) followed by an answer that satisfies the rubric and
// student contexts (prompt alone) followed by an answer meeting a random
// subset of the criteria, as world.Corpus draws them. The loss is the
// mean cross-entropy over answer tokens and <eos> only; the optimiser is
// AdamW with global gradient-norm clipping and a linear-warmup, cosine
// learning-rate schedule. Training is deterministic by seed: the same
// Config gives bit-identical weights for any worker count.
//
// Evaluate measures a model on held-out tasks (world.HeldOutTasks): it
// writes an answer from the student context and from the teacher context
// (greedy, or sampled with a fixed seed), judges both with the rules judge
// against the task's rubric, scores them with RaR's explicit rule
// (score.RuleRaR), and reports per-criterion met rates and the perplexity
// of the reference answers under both contexts.
//
// The package does no I/O and imports no os.
package pretrain

import (
	"fmt"
	"math"

	"github.com/rcsd-dev/rcsd/core/lab/model"
	"github.com/rcsd-dev/rcsd/core/lab/world"
)

// Config is a pretraining run.
type Config struct {
	Model model.Config `json:"model"`
	// Level is the world's difficulty level (1–3; 0 means world.DefaultLevel).
	Level int    `json:"level"`
	Seed  uint64 `json:"seed"` // the model's initialisation and the corpus
	Steps int    `json:"steps"`
	Batch int    `json:"batch"` // sequences per step
	// LR is the peak learning rate, reached after Warmup steps (linear
	// from LR/Warmup); it then decays by a half cosine to MinLR at Steps.
	LR          float64 `json:"lr"`
	MinLR       float64 `json:"min_lr"`
	Warmup      int     `json:"warmup"`
	WeightDecay float64 `json:"weight_decay"`
	Clip        float64 `json:"clip"` // max global gradient norm (0: no clipping)
	Workers     int     `json:"workers"`
}

// DefaultConfig is the lab's pretraining run: 2 layers of width 96 over the
// world's vocabulary and context.
func DefaultConfig() Config {
	return Config{
		Model: model.Config{Vocab: world.NewTokenizer().VocabSize(), Context: world.MaxContext, Width: 96, Heads: 4, Layers: 2},
		Level: world.DefaultLevel, Seed: 1, Steps: 3000, Batch: 32,
		LR: 3e-3, MinLR: 3e-4, Warmup: 100, WeightDecay: 0.01, Clip: 1, Workers: 1,
	}
}

// Validate says what is wrong with c, if anything.
func (c Config) Validate() error {
	if err := c.Model.Validate(); err != nil {
		return err
	}
	if v := world.NewTokenizer().VocabSize(); c.Model.Vocab != v {
		return fmt.Errorf("pretrain: the model's vocabulary is %d tokens, the world's tokenizer has %d", c.Model.Vocab, v)
	}
	if c.Level < 0 || c.Level > 3 {
		return fmt.Errorf("pretrain: level %d must be 1, 2 or 3 (0 for the default)", c.Level)
	}
	if c.Steps < 1 || c.Batch < 1 {
		return fmt.Errorf("pretrain: steps %d and batch %d must be at least 1", c.Steps, c.Batch)
	}
	if !(c.LR > 0) || !(c.MinLR >= 0) || c.MinLR > c.LR || c.Warmup < 0 {
		return fmt.Errorf("pretrain: learning rates must satisfy 0 ≤ min_lr (%v) ≤ lr (%v), lr > 0, and warmup %d ≥ 0", c.MinLR, c.LR, c.Warmup)
	}
	if !(c.WeightDecay >= 0) || !(c.Clip >= 0) {
		return fmt.Errorf("pretrain: weight_decay %v and clip %v must be ≥ 0", c.WeightDecay, c.Clip)
	}
	return nil
}

func (c Config) difficulty() world.Difficulty {
	if c.Level == 0 {
		return world.Level(world.DefaultLevel)
	}
	return world.Level(c.Level)
}

// LRAt is the learning rate of step s (0-based): linear warmup over
// Warmup steps, then a half cosine from LR to MinLR at the last step.
func (c Config) LRAt(s int) float64 {
	if s < c.Warmup {
		return c.LR * float64(s+1) / float64(c.Warmup)
	}
	span := c.Steps - c.Warmup
	if span <= 1 {
		return c.LR
	}
	p := float64(s-c.Warmup) / float64(span-1)
	return c.MinLR + (c.LR-c.MinLR)*0.5*(1+math.Cos(math.Pi*p))
}

// Progress is reported after every step.
type Progress struct {
	Step     int     `json:"step"` // steps done (1..Steps)
	Loss     float64 `json:"loss"` // the step's mean answer-token cross-entropy
	LR       float64 `json:"lr"`
	GradNorm float64 `json:"grad_norm"` // before clipping
	Tokens   int     `json:"tokens"`    // answer tokens in the step
}

// Trainer holds a run's model, optimiser and corpus.
type Trainer struct {
	Config Config
	Model  *model.Model[float32]
	opt    *model.AdamW[float32]
	corpus *world.Corpus
	ws     *model.Workspace[float32]
	step   int

	tokens, targets []int32
	mask            []float32
}

// NewTrainer initialises a model from c.Seed and the corpus of the same seed.
func NewTrainer(c Config) (*Trainer, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	m, err := model.New[float32](c.Model, c.Seed, c.Workers)
	if err != nil {
		return nil, err
	}
	corpus, err := world.NewCorpus(world.CorpusConfig{Seed: c.Seed}, c.difficulty())
	if err != nil {
		m.Close()
		return nil, err
	}
	return &Trainer{
		Config: c, Model: m, opt: model.NewAdamW[float32](c.LR, c.WeightDecay), corpus: corpus,
		ws: m.NewWorkspace(c.Batch, c.Model.Context),
	}, nil
}

// Close stops the model's workers.
func (t *Trainer) Close() { t.Model.Close() }

// Steps is the number of steps taken.
func (t *Trainer) Steps() int { return t.step }

// Batch lays out sequences as inputs, targets and a loss mask, [B, T] with
// T the longest sequence minus one: position p of sequence b reads
// ids[..p] and predicts ids[p+1], which counts in the loss only if it is
// an answer token (index ≥ Start). Padding is <pad> with mask 0.
func Batch(seqs []world.Sequence, context int) (tokens, targets []int32, mask []float32, T int, err error) {
	for i, s := range seqs {
		if len(s.IDs) > context+1 {
			return nil, nil, nil, 0, fmt.Errorf("pretrain: sequence %d has %d tokens; the context holds %d", i, len(s.IDs), context+1)
		}
		if s.Start < 1 || s.Start > len(s.IDs) {
			return nil, nil, nil, 0, fmt.Errorf("pretrain: sequence %d starts its answer at %d of %d tokens", i, s.Start, len(s.IDs))
		}
		T = max(T, len(s.IDs)-1)
	}
	B := len(seqs)
	tokens, targets, mask = make([]int32, B*T), make([]int32, B*T), make([]float32, B*T)
	for b, s := range seqs {
		row := b * T
		for p := 0; p+1 < len(s.IDs); p++ {
			tokens[row+p] = int32(s.IDs[p])
			targets[row+p] = int32(s.IDs[p+1])
			if p+1 >= s.Start {
				mask[row+p] = 1
			}
		}
	}
	return tokens, targets, mask, T, nil
}

// Step trains on the next batch (corpus examples step·Batch ..) and
// returns its progress.
func (t *Trainer) Step() (Progress, error) {
	c := t.Config
	seqs := t.corpus.Sequences(t.step*c.Batch, c.Batch)
	tokens, targets, mask, T, err := Batch(seqs, c.Model.Context)
	if err != nil {
		return Progress{}, err
	}
	if err := t.Model.Forward(t.ws, tokens, c.Batch, T); err != nil {
		return Progress{}, err
	}
	loss, err := t.Model.Loss(t.ws, targets, mask)
	if err != nil {
		return Progress{}, err
	}
	t.Model.ZeroGrad()
	if err := t.Model.Backward(t.ws, t.ws.DLogits()); err != nil {
		return Progress{}, err
	}
	norm := math.NaN()
	if c.Clip > 0 {
		norm = model.ClipGradNorm(t.Model.Grads, c.Clip)
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) || math.IsInf(norm, 0) {
		return Progress{}, fmt.Errorf("pretrain: step %d diverged (loss %v, gradient norm %v)", t.step+1, loss, norm)
	}
	lr := c.LRAt(t.step)
	t.opt.LR = lr
	if err := t.opt.Step(t.Model.Params, t.Model.Grads); err != nil {
		return Progress{}, err
	}
	t.step++
	n := 0
	for _, v := range mask {
		if v != 0 {
			n++
		}
	}
	return Progress{Step: t.step, Loss: loss, LR: lr, GradNorm: norm, Tokens: n}, nil
}

// Run takes the remaining steps of the run, calling progress (if not nil)
// after each; an error from progress stops the run and is returned.
func (t *Trainer) Run(progress func(Progress) error) error {
	for t.step < t.Config.Steps {
		p, err := t.Step()
		if err != nil {
			return err
		}
		if progress != nil {
			if err := progress(p); err != nil {
				return err
			}
		}
	}
	return nil
}
