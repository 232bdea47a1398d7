package eval

import (
	"sort"

	"github.com/rcsd-dev/rcsd/core/judge"
)

// CriterionStat counts the verdicts of one criterion over a run.
type CriterionStat struct {
	ID          string  `json:"id"`
	Description string  `json:"description,omitempty"`
	Weight      float64 `json:"weight"`
	Category    string  `json:"category,omitempty"`
	// Varies is set when the same id carried different descriptions in
	// different items (per-item rubrics): its pass rate mixes criteria.
	Varies bool           `json:"varies,omitempty"`
	Judged int            `json:"judged"`
	Met    int            `json:"met"`
	Errors int            `json:"errors"`
	Judges map[string]int `json:"judges"`
}

// PassRate is Met/Judged, or 0 when nothing was judged.
func (c *CriterionStat) PassRate() float64 {
	if c.Judged == 0 {
		return 0
	}
	return float64(c.Met) / float64(c.Judged)
}

// Summary accumulates a run: counts, per-response scores, tag scores and
// per-criterion verdict counts. It keeps one float64 per scored response
// (the bootstrap needs them all) and nothing else that grows with input.
type Summary struct {
	Items     int `json:"items"`
	Responses int `json:"responses"`
	// Skipped counts records that could not be evaluated (bad input).
	Skipped int `json:"skipped"`
	// Undefined counts responses with no score (unjudged criteria, or a
	// rule undefined for the rubric).
	Undefined int `json:"undefined"`
	// CriterionErrors counts verdicts that carry an error.
	CriterionErrors int `json:"criterion_errors"`
	// Unjudged counts verdicts the judge failed to decide (status
	// unjudged); UnjudgedResponses the responses with at least one. A run
	// with any is incomplete: --resume judges those responses again.
	Unjudged          int `json:"unjudged"`
	UnjudgedResponses int `json:"unjudged_responses"`
	// NotApplicable counts verdicts the judge had no means to decide
	// (status not_applicable), which scores leave out.
	NotApplicable int `json:"not_applicable"`

	scores []float64
	// names and values hold every example metric (overall_score, tags,
	// then "score") in order of first appearance, as simple-evals'
	// _aggregate_get_clipped_mean collects them.
	names  []string
	values map[string][]float64
	crit   map[string]*CriterionStat
	order  []string
}

// NewSummary returns an empty Summary.
func NewSummary() *Summary {
	return &Summary{values: map[string][]float64{}, crit: map[string]*CriterionStat{}}
}

// Add records the results of one item. it may be nil (results read back
// from an output file), then criteria are known by id only.
func (s *Summary) Add(it *Item, rs []Result) {
	s.Items++
	for i := range rs {
		s.addResult(it, &rs[i])
	}
}

func (s *Summary) addResult(it *Item, r *Result) {
	s.Responses++
	if r.Score == nil {
		s.Undefined++
	} else {
		s.scores = append(s.scores, *r.Score)
	}
	switch {
	case r.Score == nil:
	case r.Metrics != nil:
		for _, m := range r.Metrics {
			s.addNamed(m.Key, m.Value)
		}
	default: // read back from JSON: the order of the tags is lost
		s.addNamed("overall_score", *r.Score)
		tags := make([]string, 0, len(r.TagScores))
		for t := range r.TagScores {
			tags = append(tags, t)
		}
		sort.Strings(tags)
		for _, t := range tags {
			s.addNamed(t, r.TagScores[t])
		}
	}
	if r.Score != nil {
		s.addNamed("score", *r.Score)
	}
	if s.addCriteria(it, r) {
		s.UnjudgedResponses++
	}
}

// addCriteria counts r's verdicts and reports whether any is unjudged.
func (s *Summary) addCriteria(it *Item, r *Result) (unjudged bool) {
	for k := range r.Criteria {
		v := &r.Criteria[k]
		c := s.crit[v.ID]
		if c == nil {
			c = &CriterionStat{ID: v.ID, Judges: map[string]int{}}
			if it != nil && it.Rubric != nil && k < len(it.Rubric.Criteria) {
				rc := it.Rubric.Criteria[k]
				c.Description, c.Weight, c.Category = rc.Description, rc.Weight, string(rc.Category)
			}
			s.crit[v.ID] = c
			s.order = append(s.order, v.ID)
		} else if it != nil && it.Rubric != nil && k < len(it.Rubric.Criteria) && !c.Varies {
			if it.Rubric.Criteria[k].Description != c.Description {
				c.Varies = true
			}
		}
		if v.Error != "" {
			c.Errors++
			s.CriterionErrors++
		}
		switch v.State() {
		case judge.StatusUnjudged:
			s.Unjudged++
			unjudged = true
			continue
		case judge.StatusNotApplicable:
			s.NotApplicable++
			continue
		}
		if v.Met == nil { // a status that contradicts met: count it as unjudged
			s.Unjudged++
			unjudged = true
			continue
		}
		c.Judged++
		c.Judges[string(v.Judge)]++
		if *v.Met {
			c.Met++
		}
	}
	return unjudged
}

// Scores returns the defined per-response scores in the order added.
func (s *Summary) Scores() []float64 { return s.scores }

func (s *Summary) addNamed(name string, v float64) {
	vs, ok := s.values[name]
	if !ok {
		s.names = append(s.names, name)
	}
	s.values[name] = append(vs, v)
}

// Named returns the example metrics collected, names in order of first
// appearance ("overall_score", tags, "score"), for the aggregate.
func (s *Summary) Named() (names []string, values map[string][]float64) {
	return s.names, s.values
}

// Criteria returns the per-criterion stats in first-seen order.
func (s *Summary) Criteria() []*CriterionStat {
	out := make([]*CriterionStat, len(s.order))
	for i, id := range s.order {
		out[i] = s.crit[id]
	}
	return out
}

// Judges returns how many verdicts each judge kind gave.
func (s *Summary) Judges() map[judge.Kind]int {
	m := map[judge.Kind]int{}
	for _, c := range s.crit {
		for k, n := range c.Judges {
			m[judge.Kind(k)] += n
		}
	}
	return m
}
