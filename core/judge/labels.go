package judge

import (
	"context"
	"strconv"
)

// Labels is the judge that reads verdicts supplied with the item
// (Input.Labels, one entry per criterion in rubric order). A nil entry,
// or a nil Labels slice, makes the criterion not applicable (Explanation
// "no label for criterion"): the labels say nothing about it. Labels of
// the wrong length are not aligned with the criteria, so every criterion
// is unjudged with an error saying so rather than a guess.
type Labels struct{}

// Judge returns the supplied labels as verdicts.
func (Labels) Judge(_ context.Context, in *Input) []Verdict {
	if in == nil || in.Rubric == nil {
		return nil
	}
	crit := in.Rubric.Criteria
	out := make([]Verdict, len(crit))
	aligned := in.Labels == nil || len(in.Labels) == len(crit)
	for i := range crit {
		v := &out[i]
		v.ID, v.Judge = crit[i].ID, KindLabels
		switch {
		case !aligned:
			v.Error = misalignedLabels(len(in.Labels), len(crit))
		case in.Labels == nil || in.Labels[i] == nil:
			*v = notApplicable(crit[i].ID, KindLabels, ReasonNoLabel)
		default:
			// No explanation: judge "labels" says where the verdict came
			// from, and a batch of millions of labels should not repeat it.
			v.Met = Bool(*in.Labels[i])
		}
	}
	return out
}

func misalignedLabels(nl, nc int) string {
	return "labels not aligned with criteria: " + strconv.Itoa(nl) + " labels for " + strconv.Itoa(nc) + " criteria"
}
