package judge

import (
	"context"

	"github.com/rcsd-dev/rcsd/core/rubric"
)

// NewAuto returns the judge that picks, criterion by criterion, the best
// judge available offline or online:
//
//  1. labels, when in.Labels has a non-nil entry for the criterion;
//  2. rules, when the criterion has checks;
//  3. llm, when llm is not nil — all remaining criteria go to it in one
//     call, as a sub-rubric holding only those criteria (in rubric order,
//     without labels), and its verdicts are mapped back by position;
//  4. lexical otherwise.
//
// Each verdict's Judge field names the judge that decided it. Labels of
// the wrong length are ignored for routing (they are not aligned with
// the criteria) and the affected verdicts say so in their Explanation.
func NewAuto(llm Judge) Judge {
	return &auto{llm: llm, rules: NewRules(), lexical: NewLexical()}
}

type auto struct {
	llm     Judge
	rules   *Rules
	lexical *Lexical
}

func (a *auto) Judge(ctx context.Context, in *Input) []Verdict {
	if in == nil || in.Rubric == nil {
		return nil
	}
	crit := in.Rubric.Criteria
	out := make([]Verdict, len(crit))
	labels := in.Labels
	note := ""
	if labels != nil && len(labels) != len(crit) {
		note = misalignedLabels(len(labels), len(crit)) + "; ignored"
		labels = nil
	}
	const (
		routeLabel = iota + 1
		routeRules
		routeLLM
		routeLexical
	)
	route := make([]int, len(crit))
	var rest []int
	anyRules, anyLexical := false, false
	for i := range crit {
		switch {
		case labels != nil && labels[i] != nil:
			route[i] = routeLabel
		case len(crit[i].Checks) > 0:
			route[i] = routeRules
			anyRules = true
		case a.llm != nil:
			route[i] = routeLLM
			rest = append(rest, i)
		default:
			route[i] = routeLexical
			anyLexical = true
		}
	}
	var ruleVs, lexVs []Verdict
	if anyRules {
		ruleVs = a.rules.Judge(ctx, in)
	}
	if anyLexical {
		// Lexical weighs terms across the whole rubric, so it sees all of it.
		lexVs = a.lexical.Judge(ctx, in)
	}
	if len(rest) > 0 {
		sub := *in.Rubric
		sub.Criteria = make([]rubric.Criterion, len(rest))
		for k, i := range rest {
			sub.Criteria[k] = crit[i]
		}
		subIn := *in
		subIn.Rubric = &sub
		subIn.Labels = nil
		llmVs := a.llm.Judge(ctx, &subIn)
		for k, i := range rest {
			switch {
			case k >= len(llmVs):
				out[i] = Verdict{ID: crit[i].ID, Judge: KindLLM, Error: "llm judge returned no verdict for criterion"}
			case llmVs[k].ID != crit[i].ID:
				out[i] = Verdict{ID: crit[i].ID, Judge: KindLLM, Error: "llm judge returned verdict for " + llmVs[k].ID + " in place of " + crit[i].ID}
			default:
				out[i] = llmVs[k]
				if out[i].Judge == "" {
					out[i].Judge = KindLLM
				}
			}
		}
	}
	for i := range crit {
		switch route[i] {
		case routeLabel:
			out[i] = Verdict{ID: crit[i].ID, Met: Bool(*labels[i]), Judge: KindLabels}
		case routeRules:
			out[i] = ruleVs[i]
		case routeLexical:
			out[i] = lexVs[i]
		}
		if note != "" {
			if out[i].Explanation != "" {
				out[i].Explanation += "; "
			}
			out[i].Explanation += note
		}
	}
	return out
}
