package judge

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rcsd-dev/rcsd/core/rubric"
)

// threeCriteria is a plain rubric a, b, c without checks.
func threeCriteria() *rubric.Rubric {
	return &rubric.Rubric{SchemaVersion: 1, Criteria: []rubric.Criterion{
		{ID: "a", Description: "Mentions hydration.", Weight: 5},
		{ID: "b", Description: "Recommends rest.", Weight: 3},
		{ID: "c", Description: "Prescribes antibiotics.", Weight: -5},
	}}
}

func TestLabels(t *testing.T) {
	const supplied = "" // labels carry no explanation: the judge name says it
	tests := []struct {
		name   string
		labels []*bool
		want   []Verdict
	}{
		{
			name:   "aligned",
			labels: []*bool{Bool(true), Bool(false), Bool(true)},
			want: []Verdict{
				{ID: "a", Met: Bool(true), Judge: KindLabels, Explanation: supplied},
				{ID: "b", Met: Bool(false), Judge: KindLabels, Explanation: supplied},
				{ID: "c", Met: Bool(true), Judge: KindLabels, Explanation: supplied},
			},
		},
		{
			name:   "some-unlabelled",
			labels: []*bool{nil, Bool(false), nil},
			want: []Verdict{
				{ID: "a", Judge: KindLabels, Status: StatusNotApplicable, Explanation: "no label for criterion"},
				{ID: "b", Met: Bool(false), Judge: KindLabels, Explanation: supplied},
				{ID: "c", Judge: KindLabels, Status: StatusNotApplicable, Explanation: "no label for criterion"},
			},
		},
		{
			name: "no-labels",
			want: []Verdict{
				{ID: "a", Judge: KindLabels, Status: StatusNotApplicable, Explanation: "no label for criterion"},
				{ID: "b", Judge: KindLabels, Status: StatusNotApplicable, Explanation: "no label for criterion"},
				{ID: "c", Judge: KindLabels, Status: StatusNotApplicable, Explanation: "no label for criterion"},
			},
		},
		{
			// Too few labels cannot be aligned: every criterion says so
			// rather than guessing which ones are labelled.
			name:   "too-few",
			labels: []*bool{Bool(true), Bool(true)},
			want: []Verdict{
				{ID: "a", Judge: KindLabels, Error: "labels not aligned with criteria: 2 labels for 3 criteria"},
				{ID: "b", Judge: KindLabels, Error: "labels not aligned with criteria: 2 labels for 3 criteria"},
				{ID: "c", Judge: KindLabels, Error: "labels not aligned with criteria: 2 labels for 3 criteria"},
			},
		},
		{
			name:   "too-many",
			labels: []*bool{Bool(true), Bool(true), Bool(true), Bool(false)},
			want: []Verdict{
				{ID: "a", Judge: KindLabels, Error: "labels not aligned with criteria: 4 labels for 3 criteria"},
				{ID: "b", Judge: KindLabels, Error: "labels not aligned with criteria: 4 labels for 3 criteria"},
				{ID: "c", Judge: KindLabels, Error: "labels not aligned with criteria: 4 labels for 3 criteria"},
			},
		},
		{
			// An empty, non-nil slice is a label list of the wrong length.
			name:   "empty-list",
			labels: []*bool{},
			want: []Verdict{
				{ID: "a", Judge: KindLabels, Error: "labels not aligned with criteria: 0 labels for 3 criteria"},
				{ID: "b", Judge: KindLabels, Error: "labels not aligned with criteria: 0 labels for 3 criteria"},
				{ID: "c", Judge: KindLabels, Error: "labels not aligned with criteria: 0 labels for 3 criteria"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Labels{}.Judge(context.Background(), &Input{Response: "anything", Rubric: threeCriteria(), Labels: tt.labels})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if got := (Labels{}).Judge(context.Background(), nil); got != nil {
		t.Errorf("Labels.Judge(nil) = %v", got)
	}
	if got := (Labels{}).Judge(context.Background(), &Input{}); got != nil {
		t.Errorf("Labels.Judge(no rubric) = %v", got)
	}
}

// A verdict's Met must not alias the caller's label: changing the label
// afterwards leaves the verdict alone.
func TestLabelsDoNotAlias(t *testing.T) {
	l := Bool(true)
	vs := Labels{}.Judge(context.Background(), &Input{Rubric: threeCriteria(), Labels: []*bool{l, l, l}})
	*l = false
	for _, v := range vs {
		if v.Met == nil || !*v.Met {
			t.Fatalf("verdict %s changed with the label it was read from", v.ID)
		}
	}
}
