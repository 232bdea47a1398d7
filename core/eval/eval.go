package eval

import (
	"context"
	"fmt"
	"strings"

	"github.com/rcsd-dev/rcsd/core/judge"
	"github.com/rcsd-dev/rcsd/core/rubric"
	"github.com/rcsd-dev/rcsd/core/score"
)

// Options configure an Evaluator.
type Options struct {
	// Judge picks the judge; KindAuto when empty.
	Judge judge.Kind
	// Scoring is the per-response scoring rule; healthbench when empty.
	Scoring score.Rule
	// LLM is the grader used by the llm judge, and by auto for criteria
	// with neither label nor checks. Nil when no grader is configured.
	LLM judge.Judge
	// GRPO is the advantage convention for items with several responses.
	GRPO score.Convention
	// EngineVersion is stamped on every result.
	EngineVersion string
}

// Evaluator judges and scores items. It is safe for concurrent use when
// its judges are.
type Evaluator struct {
	opts  Options
	judge judge.Judge
}

// New checks opts and builds an Evaluator.
func New(opts Options) (*Evaluator, error) {
	if opts.Judge == "" {
		opts.Judge = judge.KindAuto
	}
	if opts.Scoring == "" {
		opts.Scoring = score.RuleHealthBench
	}
	if !opts.Scoring.Valid() {
		if _, err := score.ParseRule(string(opts.Scoring)); err != nil {
			return nil, err
		}
	}
	if opts.GRPO.Framework == "" {
		opts.GRPO = score.TRL(score.ScaleGroup)
	}
	if err := opts.GRPO.Validate(); err != nil {
		return nil, err
	}
	var j judge.Judge
	switch opts.Judge {
	case judge.KindAuto:
		j = judge.NewAuto(opts.LLM)
	case judge.KindLabels:
		j = judge.Labels{}
	case judge.KindRules:
		j = judge.NewRules()
	case judge.KindLexical:
		j = judge.NewLexical()
	case judge.KindLLM:
		if opts.LLM == nil {
			return nil, fmt.Errorf("the llm judge needs a grader: give --judge-url (and --judge-model)")
		}
		j = opts.LLM
	default:
		return nil, fmt.Errorf("unknown judge %q (want auto, labels, rules, lexical or llm)", opts.Judge)
	}
	return &Evaluator{opts: opts, judge: j}, nil
}

// Options returns the evaluator's options with defaults filled in.
func (e *Evaluator) Options() Options { return e.opts }

// Evaluate judges every response of it and returns one result per
// response, in order. It never fails as a whole. Each verdict carries its
// status (judge.Settle); scores follow score.Rule.ScoreVerdicts: a
// response with an unjudged criterion has no score (Score nil, Note
// score.ReasonUnjudged), and not-applicable criteria are left out of its
// score. The GRPO advantages of a group need every member's score (the
// baseline is the group's mean), so a group with any score missing has
// none.
func (e *Evaluator) Evaluate(ctx context.Context, it *Item) []Result {
	out := make([]Result, len(it.Responses))
	prompt := RenderPrompt(it.Prompt)
	crit := it.Rubric.Criteria
	rewards := make([]float64, len(it.Responses))
	allDefined := true
	met := make([]*bool, len(crit))
	na := make([]bool, len(crit))
	for i, resp := range it.Responses {
		in := judge.Input{Prompt: prompt, ReferenceAnswer: it.ReferenceAnswer, Response: resp, Rubric: it.Rubric}
		if it.Labels != nil {
			in.Labels = it.Labels[i]
		}
		verdicts := e.judge.Judge(ctx, &in)
		judge.Settle(verdicts)
		r := Result{ID: it.ID, ResponseIndex: i, Scoring: string(e.opts.Scoring), Criteria: verdicts, EngineVersion: e.opts.EngineVersion}
		for k := range met {
			met[k], na[k] = nil, false
			if k < len(verdicts) {
				met[k] = verdicts[k].Met
				na[k] = verdicts[k].Status == judge.StatusNotApplicable
			}
		}
		d := e.opts.Scoring.ScoreVerdicts(crit, met, na)
		r.Unjudged, r.NotApplicable = d.Unjudged, d.NotApplicable
		switch {
		case !d.OK:
			r.Note = d.Reason
		case e.opts.Scoring == score.RuleHealthBench:
			r.Score, r.Metrics, r.TagScores = healthBenchMetrics(crit, met, na, it.ExampleTags)
		default:
			s := d.Score
			r.Score = &s
			r.Metrics = []score.Metric{{Key: "overall_score", Value: s}}
		}
		if r.Score != nil {
			rewards[i] = *r.Score
		} else {
			allDefined = false
		}
		out[i] = r
	}
	if len(out) > 1 && allDefined {
		adv := score.GRPO(nil, rewards, e.opts.GRPO)
		for i := range out {
			a := adv[i]
			out[i].Advantage = &a
		}
	}
	return out
}

// healthBenchMetrics returns HealthBench's overall score and its example
// and rubric-tag metrics over the applicable criteria (fully judged: the
// caller checked).
func healthBenchMetrics(crit []rubric.Criterion, met []*bool, na []bool, exampleTags []string) (*float64, []score.Metric, map[string]float64) {
	c2, m2 := score.Applicable(crit, met, na)
	points := make([]float64, len(c2))
	tags := make([][]string, len(c2))
	for k := range c2 {
		points[k], tags[k] = c2[k].Weight, c2[k].Tags
	}
	ex, ok := score.HealthBenchExample(points, tags, exampleTags, m2)
	if !ok {
		return nil, nil, nil
	}
	var ts map[string]float64
	if len(ex.Metrics) > 1 {
		ts = make(map[string]float64, len(ex.Metrics)-1)
		for _, m := range ex.Metrics[1:] {
			ts[m.Key] = m.Value
		}
	}
	return ex.Score, ex.Metrics, ts
}

// RenderPrompt renders a conversation as "role: content" blocks, the form
// HealthBench's grader is shown.
func RenderPrompt(msgs []Message) string {
	var b strings.Builder
	for i, m := range msgs {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(m.Role)
		b.WriteString(": ")
		b.WriteString(m.Content)
	}
	return b.String()
}
