package judge

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rcsd-dev/rcsd/core/rubric"
)

// stubLLM stands in for the llm judge: it records what it was asked and
// answers with a fixed reply per call.
type stubLLM struct {
	calls []Input
	reply func(in *Input) []Verdict
}

func (s *stubLLM) Judge(_ context.Context, in *Input) []Verdict {
	cp := *in
	cp.Rubric = &rubric.Rubric{Criteria: append([]rubric.Criterion(nil), in.Rubric.Criteria...)}
	s.calls = append(s.calls, cp)
	return s.reply(in)
}

// metAll answers "met" for every criterion it is given, leaving Judge
// empty on the first so that auto must fill it in.
func metAll(in *Input) []Verdict {
	out := make([]Verdict, len(in.Rubric.Criteria))
	for i, c := range in.Rubric.Criteria {
		out[i] = Verdict{ID: c.ID, Met: Bool(true), Explanation: "stub"}
		if i > 0 {
			out[i].Judge = KindLLM
		}
	}
	return out
}

func autoRubric() *rubric.Rubric {
	water := []rubric.Check{termCheck(rubric.CheckContains, "water")}
	return &rubric.Rubric{SchemaVersion: 1, Criteria: []rubric.Criterion{
		{ID: "lab", Description: "Mentions hydration."},
		{ID: "lab-chk", Description: "Mentions water.", Checks: water},
		{ID: "chk", Description: "Mentions water.", Checks: water},
		{ID: "free1", Description: "Recommends rest at home."},
		{ID: "free2", Description: "Advises fluids and sleep."},
	}}
}

const autoResp = "Drink water and rest at home."

func autoInput(labels []*bool) *Input {
	return &Input{Prompt: "user: I have a cold.", ReferenceAnswer: "Rest and fluids.", Response: autoResp, Rubric: autoRubric(), Labels: labels}
}

// Precedence, criterion by criterion: labels > rules > llm > lexical.
func TestAutoPrecedence(t *testing.T) {
	labels := []*bool{Bool(true), Bool(false), nil, nil, nil}
	labelV := func(id string, met bool) Verdict {
		return Verdict{ID: id, Met: Bool(met), Judge: KindLabels}
	}
	// The label beats the check: "lab-chk" is labelled not met although
	// the response contains "water".
	ruleV := Verdict{ID: "chk", Met: Bool(true), Judge: KindRules, Evidence: evAt(autoResp, "water"), Explanation: `contains "water": found at byte 6`}

	t.Run("with-llm", func(t *testing.T) {
		llm := &stubLLM{reply: metAll}
		got := NewAuto(llm).Judge(context.Background(), autoInput(labels))
		want := []Verdict{
			labelV("lab", true), labelV("lab-chk", false), ruleV,
			{ID: "free1", Met: Bool(true), Judge: KindLLM, Explanation: "stub"},
			{ID: "free2", Met: Bool(true), Judge: KindLLM, Explanation: "stub"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		// One call, with the sub-rubric of the remaining criteria in order,
		// no labels, and everything else passed through.
		if len(llm.calls) != 1 {
			t.Fatalf("llm called %d times, want 1", len(llm.calls))
		}
		c := llm.calls[0]
		var ids []string
		for _, cr := range c.Rubric.Criteria {
			ids = append(ids, cr.ID)
		}
		if !cmp.Equal(ids, []string{"free1", "free2"}) || c.Labels != nil || c.Response != autoResp ||
			c.Prompt != "user: I have a cold." || c.ReferenceAnswer != "Rest and fluids." {
			t.Errorf("llm saw criteria %v, labels %v, input %+v", ids, c.Labels, c)
		}
	})

	t.Run("without-llm", func(t *testing.T) {
		in := autoInput(labels)
		got := NewAuto(nil).Judge(context.Background(), in)
		// Lexical weighs terms over the whole rubric, so its verdicts are
		// those of the lexical judge on the full input.
		lex := NewLexical().Judge(context.Background(), autoInput(labels))
		want := []Verdict{labelV("lab", true), labelV("lab-chk", false), ruleV, lex[3], lex[4]}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		for _, v := range got[3:] {
			if v.Judge != KindLexical || !v.Heuristic || v.Met == nil {
				t.Errorf("%s: not a lexical verdict: %+v", v.ID, v)
			}
		}
	})

	t.Run("llm-not-called-when-not-needed", func(t *testing.T) {
		llm := &stubLLM{reply: metAll}
		in := autoInput([]*bool{Bool(true), nil, nil, Bool(false), Bool(false)})
		got := NewAuto(llm).Judge(context.Background(), in)
		if len(llm.calls) != 0 {
			t.Errorf("llm called %d times for a fully labelled-or-checked item", len(llm.calls))
		}
		kinds := []Kind{got[0].Judge, got[1].Judge, got[2].Judge, got[3].Judge, got[4].Judge}
		if want := []Kind{KindLabels, KindRules, KindRules, KindLabels, KindLabels}; !cmp.Equal(kinds, want) {
			t.Errorf("judges %v, want %v", kinds, want)
		}
	})
}

// Labels of the wrong length are not aligned with the criteria: auto
// routes as if there were none and says so on every verdict.
func TestAutoMisalignedLabels(t *testing.T) {
	const note = "labels not aligned with criteria: 2 labels for 5 criteria; ignored"
	llm := &stubLLM{reply: metAll}
	got := NewAuto(llm).Judge(context.Background(), autoInput([]*bool{Bool(false), Bool(false)}))
	water := evAt(autoResp, "water")
	want := []Verdict{
		{ID: "lab", Met: Bool(true), Judge: KindLLM, Explanation: "stub; " + note},
		{ID: "lab-chk", Met: Bool(true), Judge: KindRules, Evidence: water, Explanation: `contains "water": found at byte 6; ` + note},
		{ID: "chk", Met: Bool(true), Judge: KindRules, Evidence: water, Explanation: `contains "water": found at byte 6; ` + note},
		{ID: "free1", Met: Bool(true), Judge: KindLLM, Explanation: "stub; " + note},
		{ID: "free2", Met: Bool(true), Judge: KindLLM, Explanation: "stub; " + note},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// A verdict without explanation gets the note alone.
	empty := &stubLLM{reply: func(in *Input) []Verdict {
		out := make([]Verdict, len(in.Rubric.Criteria))
		for i, c := range in.Rubric.Criteria {
			out[i] = Verdict{ID: c.ID, Met: Bool(false), Judge: KindLLM}
		}
		return out
	}}
	got = NewAuto(empty).Judge(context.Background(), autoInput([]*bool{}))
	if got[0].Explanation != "labels not aligned with criteria: 0 labels for 5 criteria; ignored" {
		t.Errorf("explanation %q", got[0].Explanation)
	}
}

// The llm's verdicts are mapped back by position and checked by id.
func TestAutoLLMReplyMismatch(t *testing.T) {
	labels := []*bool{Bool(true), nil, nil, nil, nil}
	tests := []struct {
		name  string
		reply func(in *Input) []Verdict
		want  []Verdict // for free1, free2
	}{
		{
			name:  "too-few",
			reply: func(in *Input) []Verdict { return metAll(in)[:1] },
			want: []Verdict{
				{ID: "free1", Met: Bool(true), Judge: KindLLM, Explanation: "stub"},
				{ID: "free2", Judge: KindLLM, Error: "llm judge returned no verdict for criterion"},
			},
		},
		{
			name:  "none",
			reply: func(*Input) []Verdict { return nil },
			want: []Verdict{
				{ID: "free1", Judge: KindLLM, Error: "llm judge returned no verdict for criterion"},
				{ID: "free2", Judge: KindLLM, Error: "llm judge returned no verdict for criterion"},
			},
		},
		{
			name: "swapped",
			reply: func(in *Input) []Verdict {
				v := metAll(in)
				v[0], v[1] = v[1], v[0]
				return v
			},
			want: []Verdict{
				{ID: "free1", Judge: KindLLM, Error: "llm judge returned verdict for free2 in place of free1"},
				{ID: "free2", Judge: KindLLM, Error: "llm judge returned verdict for free1 in place of free2"},
			},
		},
		{
			// The llm's own errors pass through unchanged.
			name: "llm-error",
			reply: func(in *Input) []Verdict {
				return []Verdict{
					{ID: "free1", Judge: KindLLM, Error: "grader timed out"},
					{ID: "free2", Judge: KindLLM, Met: Bool(false), Explanation: "no"},
				}
			},
			want: []Verdict{
				{ID: "free1", Judge: KindLLM, Error: "grader timed out"},
				{ID: "free2", Judge: KindLLM, Met: Bool(false), Explanation: "no"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewAuto(&stubLLM{reply: tt.reply}).Judge(context.Background(), autoInput(labels))
			if diff := cmp.Diff(tt.want, got[3:]); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got[0].Judge != KindLabels || got[2].Judge != KindRules {
				t.Errorf("other criteria disturbed: %+v", got[:3])
			}
		})
	}
}

func TestAutoNilInput(t *testing.T) {
	a := NewAuto(nil)
	if got := a.Judge(context.Background(), nil); got != nil {
		t.Errorf("Judge(nil) = %v", got)
	}
	if got := a.Judge(context.Background(), &Input{Response: "x"}); got != nil {
		t.Errorf("Judge(no rubric) = %v", got)
	}
	if got := a.Judge(context.Background(), &Input{Rubric: &rubric.Rubric{}}); len(got) != 0 {
		t.Errorf("Judge(empty rubric) = %v", got)
	}
}
