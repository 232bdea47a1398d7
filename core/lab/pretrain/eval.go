package pretrain

import (
	"context"
	"fmt"
	"math"

	"github.com/rcsd-dev/rcsd/core/judge"
	"github.com/rcsd-dev/rcsd/core/lab/model"
	"github.com/rcsd-dev/rcsd/core/lab/world"
	"github.com/rcsd-dev/rcsd/core/score"
)

// EvalConfig says how Evaluate writes answers.
type EvalConfig struct {
	Level int `json:"level"` // the world's level (0: the default)
	Tasks int `json:"tasks"` // the first Tasks of world.HeldOutTasks (0 or more than there are: all)
	// Temperature 0 decodes greedily; otherwise answers are sampled
	// (top-k and top-p off) from a sampler seeded with Seed and the task's
	// index, so a result depends on the seed only.
	Temperature float64 `json:"temperature"`
	Seed        uint64  `json:"seed"`
	// MaxNew bounds an answer's tokens (0: 160, beyond the longest
	// reference's 101).
	MaxNew int `json:"max_new"`
}

// Side is the evaluation of answers written from one context.
type Side struct {
	// Score is the mean RaR explicit score (score.RuleRaR: Σ w·met / Σ w
	// over all weights, so a perfect answer scores above 1) and
	// HealthBench the mean under rcsd eval's default rule.
	Score       float64 `json:"score"`
	HealthBench float64 `json:"healthbench"`
	// EOS is the share of answers that ended with <eos> within MaxNew.
	EOS float64 `json:"eos"`
	// Criteria is, per criterion kind (in the world's order), how often
	// an answer met it (for a pitfall: fell into it).
	Criteria []KindRate `json:"criteria"`
	// Perplexity is exp of the mean negative log-likelihood of the
	// reference answers' tokens (and <eos>) after this context.
	Perplexity float64 `json:"perplexity"`
}

// KindRate is a criterion kind's met rate.
type KindRate struct {
	Kind world.Kind `json:"kind"`
	N    int        `json:"n"`
	Met  int        `json:"met"`
	Rate float64    `json:"rate"`
}

// Eval is a held-out evaluation.
type Eval struct {
	Tasks   int  `json:"tasks"`
	Teacher Side `json:"teacher"` // from the teacher context (prompt and rubric)
	Student Side `json:"student"` // from the student context (prompt alone)
	// Gap is Teacher.Score − Student.Score.
	Gap float64 `json:"gap"`
	// Examples are the first task's prompt and answers, for people.
	Prompt, TeacherAnswer, StudentAnswer string
}

// Evaluate measures m on held-out tasks. It uses its own decoder and
// workspace, so m must not be training meanwhile.
func Evaluate(m *model.Model[float32], ec EvalConfig) (*Eval, error) {
	d := world.Level(world.DefaultLevel)
	if ec.Level != 0 {
		d = world.Level(ec.Level)
	}
	tasks, err := world.HeldOutTasks(d)
	if err != nil {
		return nil, err
	}
	if ec.Tasks > 0 && ec.Tasks < len(tasks) {
		tasks = tasks[:ec.Tasks]
	}
	if ec.MaxNew == 0 {
		ec.MaxNew = 160
	}
	tok := world.NewTokenizer()
	if m.Config().Vocab != tok.VocabSize() {
		return nil, fmt.Errorf("pretrain: the model's vocabulary is %d tokens, the world's tokenizer has %d", m.Config().Vocab, tok.VocabSize())
	}
	dec := m.NewDecoder()
	ws := m.NewWorkspace(1, m.Config().Context)
	rules := judge.NewRules()
	ev := &Eval{Tasks: len(tasks)}
	type acc struct {
		score, hb, eos, nll float64
		ntok                int
		rates               map[world.Kind]*KindRate
	}
	var accs [2]acc
	for i := range accs {
		accs[i].rates = map[world.Kind]*KindRate{}
	}
	stop := func(id int) bool { return id == world.EOS }
	var lp []float32
	for ti, t := range tasks {
		for side := range 2 {
			a := &accs[side]
			var ctx []int
			if side == 0 {
				ctx = world.TeacherContext(tok, t.Prompt, t.Rubric, "")
			} else {
				ctx = world.StudentContext(tok, t.Prompt)
			}
			s, err := model.NewSampler(ec.Seed^uint64(ti)<<1^uint64(side), ec.Temperature, 0, 0)
			if err != nil {
				return nil, err
			}
			dec.Reset()
			out, err := model.Generate(dec, s, ctx, min(ec.MaxNew, m.Config().Context-len(ctx)), stop)
			if err != nil {
				return nil, err
			}
			if len(out) > 0 && out[len(out)-1] == world.EOS {
				out = out[:len(out)-1]
				a.eos++
			}
			text := tok.Decode(out)
			if ti == 0 {
				ev.Prompt = t.Prompt
				if side == 0 {
					ev.TeacherAnswer = text
				} else {
					ev.StudentAnswer = text
				}
			}
			met, sc, hb, err := Judge(rules, t, text)
			if err != nil {
				return nil, err
			}
			a.score += sc
			a.hb += hb
			for k, c := range t.Criteria {
				r := a.rates[c.Kind]
				if r == nil {
					r = &KindRate{Kind: c.Kind}
					a.rates[c.Kind] = r
				}
				r.N++
				if met[k] != nil && *met[k] {
					r.Met++
				}
			}
			// The reference's perplexity after this context.
			seq := world.Join(ctx, world.AnswerIDs(tok, t.Reference))
			if len(seq.IDs) > m.Config().Context {
				return nil, fmt.Errorf("pretrain: held-out task %s: %d tokens exceed the context %d", t.ID, len(seq.IDs), m.Config().Context)
			}
			n := len(seq.IDs) - seq.Start
			V := m.Config().Vocab
			if cap(lp) < n*V {
				lp = make([]float32, n*V)
			}
			lp = lp[:n*V]
			if err := m.LogProbs(ws, seq.IDs, seq.Start, lp); err != nil {
				return nil, err
			}
			for j := range n {
				a.nll -= float64(lp[j*V+seq.IDs[seq.Start+j]])
			}
			a.ntok += n
		}
	}
	nt := float64(len(tasks))
	for side := range 2 {
		a := &accs[side]
		sd := Side{Score: a.score / nt, HealthBench: a.hb / nt, EOS: a.eos / nt, Perplexity: math.Exp(a.nll / float64(a.ntok))}
		for _, k := range world.Kinds {
			if r := a.rates[k]; r != nil {
				r.Rate = float64(r.Met) / float64(r.N)
				sd.Criteria = append(sd.Criteria, *r)
			}
		}
		if side == 0 {
			ev.Teacher = sd
		} else {
			ev.Student = sd
		}
	}
	ev.Gap = ev.Teacher.Score - ev.Student.Score
	return ev, nil
}

// Judge runs the rules judge on an answer to t and returns its verdicts
// (in rubric order, nil where undecided), its RaR explicit score and its
// HealthBench score.
func Judge(rules *judge.Rules, t *world.Task, answer string) (met []*bool, rar, healthbench float64, err error) {
	vs := rules.Judge(context.Background(), &judge.Input{Rubric: t.Rubric, Response: answer})
	met = make([]*bool, len(vs))
	for k := range vs {
		met[k] = vs[k].Met
	}
	rar, ok := score.RuleRaR.Score(t.Rubric.Criteria, met)
	if !ok {
		return nil, 0, 0, fmt.Errorf("pretrain: task %s has no RaR score", t.ID)
	}
	healthbench, ok = score.RuleHealthBench.Score(t.Rubric.Criteria, met)
	if !ok {
		return nil, 0, 0, fmt.Errorf("pretrain: task %s has no HealthBench score", t.ID)
	}
	return met, rar, healthbench, nil
}
