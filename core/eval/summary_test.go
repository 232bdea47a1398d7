package eval

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rcsd-dev/rcsd/core/judge"
)

// summaryRun evaluates four items and returns them with their results:
//
//	A: HealthBench row 19, three labelled responses (scores 1, 1/13, 4/13)
//	B: the math item judged by rules (scores 1, 0, 0)
//	C: a HealthBench rubric with no positive points (scores undefined);
//	   its c1 has another description than A's c1
//	D: two unlabelled responses under the labels judge (every verdict not
//	   applicable; no scores); its c1 and c2 differ from A's
//	E: two responses whose grader fails (every verdict unjudged, with an
//	   error; no scores)
func summaryRun(t *testing.T) ([]*Item, [][]Result) {
	a := mustParse(t, withFields(t, readRow19(t), map[string]any{
		"responses": []string{"r0", "r1", "r2"},
		"labels":    []any{[]bool{true, true, false}, []bool{true, false, true}, []bool{false, true, false}},
	}))
	b := mustParse(t, []byte(mathItem))
	c := mustParse(t, []byte(`{"id":"n","rubrics":[{"criterion":"Recommends antibiotics.","points":-5,"tags":[]}],"responses":["a","b"],"labels":[[true],[false]]}`))
	d := mustParse(t, []byte(`{"id":"u","rubric":[{"description":"a","weight":2},{"description":"b","weight":2}],"responses":["x","y"]}`))
	e := mustParse(t, []byte(`{"id":"e","rubric":[{"id":"e1","description":"a","weight":2},{"id":"e2","description":"b","weight":2}],"responses":["x","y"]}`))
	auto := mustNew(t, Options{})
	labels := mustNew(t, Options{Judge: judge.KindLabels})
	down := mustNew(t, Options{Judge: judge.KindLLM, LLM: failingGrader{}})
	items := []*Item{a, b, c, d, e}
	results := [][]Result{
		auto.Evaluate(context.Background(), a),
		auto.Evaluate(context.Background(), b),
		labels.Evaluate(context.Background(), c),
		labels.Evaluate(context.Background(), d),
		down.Evaluate(context.Background(), e),
	}
	return items, results
}

func TestSummary(t *testing.T) {
	items, results := summaryRun(t)
	s := NewSummary()
	for i := range items {
		s.Add(items[i], results[i])
	}
	type cs struct{ Items, Responses, Skipped, Undefined, CriterionErrors, Unjudged, UnjudgedResponses, NotApplicable int }
	counts := cs{s.Items, s.Responses, s.Skipped, s.Undefined, s.CriterionErrors, s.Unjudged, s.UnjudgedResponses, s.NotApplicable}
	wantCounts := cs{Items: 5, Responses: 12, Undefined: 6, CriterionErrors: 4, Unjudged: 4, UnjudgedResponses: 2, NotApplicable: 4}
	if counts != wantCounts {
		t.Errorf("counts %+v, want %+v", counts, wantCounts)
	}
	if diff := cmp.Diff([]float64{1, 1.0 / 13, 4.0 / 13, 1, 0, 0}, s.Scores(), approx); diff != "" {
		t.Errorf("Scores (-want +got):\n%s", diff)
	}
	names, values := s.Named()
	wantNames := []string{"overall_score", "theme:context_seeking", "level:example", "axis:completeness", "axis:communication_quality", "score"}
	all := []float64{1, 1.0 / 13, 4.0 / 13, 1, 0, 0}
	a := []float64{1, 1.0 / 13, 4.0 / 13}
	wantValues := map[string][]float64{
		"overall_score": all, "score": all, "theme:context_seeking": a, "level:example": a,
		"axis:completeness": {1, 1, 0}, "axis:communication_quality": {1, -2, 1},
	}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantValues, values, approx); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	row := row19Rubric().Criteria
	wantCrit := []*CriterionStat{
		// c1: A judged 3 (met 2), C judged 2 (met 1), D 2 not applicable.
		{ID: "c1", Description: row[0].Description, Weight: 9, Varies: true, Judged: 5, Met: 3, Judges: map[string]int{"labels": 5}},
		{ID: "c2", Description: row[1].Description, Weight: 4, Varies: true, Judged: 3, Met: 2, Judges: map[string]int{"labels": 3}},
		{ID: "c3", Description: row[2].Description, Weight: -8, Judged: 3, Met: 1, Judges: map[string]int{"labels": 3}},
		{ID: "answer", Description: "The boxed answer is 2418.", Weight: 10, Judged: 3, Met: 1, Judges: map[string]int{"rules": 3}},
		{ID: "incl-excl", Description: "Uses inclusion–exclusion.", Weight: 5, Judged: 3, Met: 2, Judges: map[string]int{"rules": 3}},
		{ID: "overlap", Description: "Gives 3468, forgetting the overlap.", Weight: -5, Judged: 3, Met: 1, Judges: map[string]int{"rules": 3}},
		{ID: "e1", Description: "a", Weight: 2, Errors: 2, Judges: map[string]int{}},
		{ID: "e2", Description: "b", Weight: 2, Errors: 2, Judges: map[string]int{}},
	}
	if diff := cmp.Diff(wantCrit, s.Criteria()); diff != "" {
		t.Errorf("Criteria (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[judge.Kind]int{judge.KindLabels: 11, judge.KindRules: 9}, s.Judges()); diff != "" {
		t.Errorf("Judges (-want +got):\n%s", diff)
	}
	if got := s.Criteria()[0].PassRate(); got != 0.6 {
		t.Errorf("c1 pass rate %v, want 3/5", got)
	}
	if got := (&CriterionStat{}).PassRate(); got != 0 {
		t.Errorf("pass rate with nothing judged = %v, want 0", got)
	}
}

// Results read back from an output file carry no Metrics (not
// serialised) and no item: the summary takes the tag scores in sorted
// order and knows criteria by id only.
func TestSummaryReadBack(t *testing.T) {
	_, results := summaryRun(t)
	b, err := json.Marshal(results[0])
	if err != nil {
		t.Fatal(err)
	}
	var back []Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	s := NewSummary()
	s.Add(nil, back)
	names, values := s.Named()
	wantNames := []string{"overall_score", "axis:communication_quality", "axis:completeness", "level:example", "theme:context_seeking", "score"}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]float64{1, -2, 1}, values["axis:communication_quality"], approx); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	want := []*CriterionStat{
		{ID: "c1", Judged: 3, Met: 2, Judges: map[string]int{"labels": 3}},
		{ID: "c2", Judged: 3, Met: 2, Judges: map[string]int{"labels": 3}},
		{ID: "c3", Judged: 3, Met: 1, Judges: map[string]int{"labels": 3}},
	}
	if diff := cmp.Diff(want, s.Criteria()); diff != "" {
		t.Errorf("Criteria (-want +got):\n%s", diff)
	}
	if s.Items != 1 || s.Responses != 3 {
		t.Errorf("items %d responses %d", s.Items, s.Responses)
	}
}

// The serialised result is the documented JSONL record: Metrics stays
// out, an undefined score is null with a note.
func TestResultJSON(t *testing.T) {
	_, results := summaryRun(t)
	b, err := json.Marshal(results[2][0])
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"id":"n","response_index":0,"score":null,"scoring":"healthbench",` +
		`"criteria":[{"id":"c1","met":true,"status":"met","judge":"labels"}],` +
		`"note":"no criterion has a positive weight","engine_version":""}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}
