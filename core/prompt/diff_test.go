package prompt

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pair renders smallItem with o, failing the test on any diagnostic.
func pair(t *testing.T, o Options) (Rendered, Rendered) {
	t.Helper()
	s, tc, dl := Render(smallItem(), nil, o)
	if len(dl) > 0 {
		t.Fatal(diagLines(dl))
	}
	return s, tc
}

// Each case breaks a correctly rendered pair the way users' pipelines
// have broken theirs and expects the whole list of diagnostics.
func TestDiff(t *testing.T) {
	rcsd := Options{Chat: ChatML}
	tests := []struct {
		name   string
		mutate func(t *testing.T, s, tc *Rendered)
		want   []string
	}{
		{name: "same", mutate: func(*testing.T, *Rendered, *Rendered) {}},
		{
			name: "chat-template",
			mutate: func(t *testing.T, s, tc *Rendered) {
				*tc = mustTeacher(t, Options{Chat: Qwen3})
			},
			want: []string{`error context-chat-mismatch: $.teacher.chat: the student is rendered with the chatml chat template and the teacher with qwen3`},
		},
		{
			name: "thinking",
			mutate: func(t *testing.T, s, tc *Rendered) {
				*s, _ = pair(t, Options{Chat: Qwen3, Thinking: true})
				*tc = mustTeacher(t, Options{Chat: Qwen3})
			},
			want: []string{`error context-thinking-mismatch: $.teacher.thinking: the student is rendered with thinking on and the teacher with thinking off: their generation prompts differ, and the context with thinking off does not expect the <think> the other opens with, so the divergence spikes at the first tokens`},
		},
		{
			// Llama 3 ignores the flag: the texts agree, the configurations do not.
			name: "thinking-ignored",
			mutate: func(t *testing.T, s, tc *Rendered) {
				*s, _ = pair(t, Options{Chat: Llama3})
				*tc = mustTeacher(t, Options{Chat: Llama3, Thinking: true})
			},
			want: []string{`warning context-thinking-mismatch: $.teacher.thinking: the student is rendered with thinking off and the teacher with thinking on; the llama3 template ignores the flag, but the configurations disagree`},
		},
		{
			name: "system-prompt",
			mutate: func(t *testing.T, s, tc *Rendered) {
				it := smallItem()
				it.Prompt = append([]Message{{Role: "system", Content: "You are a helpful tutor."}}, it.Prompt...)
				*s, _, _ = Render(it, nil, rcsd)
				it.Prompt[0].Content = "You are a grader."
				_, *tc, _ = Render(it, nil, rcsd)
			},
			want: []string{`error context-system-prompt-mismatch: $.teacher.messages[0].content: the system prompts differ: "You are a helpful tutor." for the student, "You are a grader." for the teacher`},
		},
		{
			name: "system-prompt-missing",
			mutate: func(t *testing.T, s, tc *Rendered) {
				it := smallItem()
				it.Prompt = append([]Message{{Role: "system", Content: "You are a helpful tutor."}}, it.Prompt...)
				*s, _, _ = Render(it, nil, rcsd)
			},
			want: []string{`error context-turn-mismatch: $.teacher.messages: the student has 2 turns and the teacher 1`},
		},
		{
			name: "question-truncated",
			mutate: func(t *testing.T, s, tc *Rendered) {
				it := smallItem()
				it.Prompt[0].Content = "2+2?"
				_, *tc, _ = Render(it, nil, rcsd)
			},
			want: []string{`error context-question-dropped: $.teacher.messages[0].content: the teacher's turn 0 does not contain the student's question in full ("What is 2+2?"): the teacher grades an answer to a question it has not seen`},
		},
		{
			// A trainer that kept only the text, cut from the left to fit
			// max_length: the block is found from Privileged.
			name: "truncated-left",
			mutate: func(t *testing.T, s, tc *Rendered) {
				tc.Text = tc.Text[len("<|im_start|>user\nWhat is "):]
				tc.Messages, tc.Inserted = nil, nil
			},
			want: []string{`error context-truncated-left: $.teacher.text: the teacher's context lacks the first 25 bytes of the student's ("<|im_start|>user\nWhat is "): it was truncated from the left, which drops the system prompt and the question first`},
		},
		{
			name: "question-missing-from-text",
			mutate: func(t *testing.T, s, tc *Rendered) {
				tc.Text = strings.Replace(tc.Text, "What is 2+2?", "", 1)
				tc.Messages, tc.Inserted = nil, nil
			},
			want: []string{`error context-question-dropped: $.teacher.text: the teacher's context does not contain the student's question in full ("What is 2+2?")`},
		},
		{
			name: "other-difference",
			mutate: func(t *testing.T, s, tc *Rendered) {
				tc.Text = strings.Replace(tc.Text, "<|im_start|>assistant\n", "<|im_start|>assistant\n<think>\n", 1)
			},
			want: []string{`error context-mismatch: $.teacher.text: outside the privileged block the contexts differ from byte 62 of the student's: (end) for the student, "<think>\n" for the teacher`},
		},
		{
			name: "whitespace",
			mutate: func(t *testing.T, s, tc *Rendered) {
				tc.Text = strings.Replace(tc.Text, "<|im_end|>\n", "<|im_end|>\n\n", 1)
			},
			want: []string{`warning context-whitespace-mismatch: $.teacher.text: outside the privileged block the contexts differ in whitespace only, from byte 40 of the student's: the tokens around the question differ slightly (a trimming chat template such as llama3 does this to a question that ends in whitespace)`},
		},
		{
			name: "no-privileged",
			mutate: func(t *testing.T, s, tc *Rendered) {
				*tc = *s
				tc.Variant = RCSD
			},
			want: []string{`warning context-no-privileged: $.teacher.privileged: the teacher (variant "rcsd") has no privileged block: it sees what the student sees, and the loss carries no signal`},
		},
		{
			name: "privileged-in-student",
			mutate: func(t *testing.T, s, tc *Rendered) {
				it := smallItem()
				it.Prompt[0].Content = tc.Messages[0].Content
				*s, _, _ = Render(it, nil, rcsd)
			},
			want: []string{
				`error context-mismatch: $.teacher.text: outside the privileged block the contexts differ from byte 29 of the student's: "\n\nReference Answer:\n4\n\nRubric (JSON arra"… for the student, "<|im_end|>\n<|im_start|>assistant\n" for the teacher`,
				`error context-privileged-in-student: $.student.text: the student's context contains the teacher's privileged block: the student sees the answer it is supposed to learn to produce`,
			},
		},
		{
			name: "bad-spans",
			mutate: func(t *testing.T, s, tc *Rendered) {
				tc.Inserted = []Span{{Start: 30, End: 40}, {Start: 35, End: 50}}
			},
			want: []string{`error context-bad-spans: $.teacher.inserted: inserted span 1 [35, 50) is out of order or outside the teacher's text (288 bytes)`},
		},
		{
			name: "analysis-pending",
			mutate: func(t *testing.T, s, tc *Rendered) {
				*tc = mustTeacher(t, Options{Chat: ChatML, ReasonFirst: true})
			},
			want: []string{`warning context-analysis-pending: $.teacher.needs_analysis: the reason-first teacher has no analysis yet: its text is the prompt of the analysis pass; generate the analysis and call WithAnalysis before scoring`},
		},
		{
			name: "first-token-spike",
			mutate: func(t *testing.T, s, tc *Rendered) {
				o := Options{Chat: Qwen3, Thinking: true, ReasonFirst: true}
				*s, _ = pair(t, o)
				*tc = mustTeacher(t, o).WithAnalysis("It asks for 4.")
			},
			want: []string{`warning context-first-token-spike: $.teacher.suffix: the teacher's context continues inside the assistant turn (the reason-first analysis and transition), but with thinking on the student's completion opens with <think>, which the teacher does not expect there: the first tokens' divergence will spike; mask the completion up to </think> or skip its first tokens`},
		},
		{
			// Thinking off: the student's completion follows the empty
			// think block in both contexts; nothing to warn about.
			name: "reason-first-nothink",
			mutate: func(t *testing.T, s, tc *Rendered) {
				o := Options{Chat: Qwen3, ReasonFirst: true}
				*s, _ = pair(t, o)
				*tc = mustTeacher(t, o).WithAnalysis("It asks for 4.")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, tc := pair(t, rcsd)
			tt.mutate(t, &s, &tc)
			dl := Diff(s, tc)
			if diff := cmp.Diff(tt.want, diagLines(dl)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for _, d := range dl {
				if d.Record != "q1" {
					t.Errorf("%s: record %q", d.Code, d.Record)
				}
			}
		})
	}
}

func mustTeacher(t *testing.T, o Options) Rendered {
	t.Helper()
	_, tc := pair(t, o)
	return tc
}

// Diff of zero values and of contexts built by hand.
func TestDiffByHand(t *testing.T) {
	if dl := Diff(Rendered{}, Rendered{Variant: None}); len(dl) > 0 {
		t.Errorf("zero values: %v", diagLines(dl))
	}
	s := Rendered{Chat: Plain, Text: "user: Q\n\nassistant: "}
	tc := Rendered{Chat: Plain, Variant: OPSD, Text: "user: Q\n\nREF\n\nassistant: ", Privileged: "REF"}
	// The block and the separator before it are found from Privileged.
	if dl := Diff(s, tc); len(dl) > 0 {
		t.Errorf("without spans: %v", diagLines(dl))
	}
	// Spans that leave the separator in show the difference.
	tc.Inserted = []Span{{Start: 9, End: 12}}
	want := []string{`warning context-whitespace-mismatch: $.teacher.text: outside the privileged block the contexts differ in whitespace only, from byte 9 of the student's: the tokens around the question differ slightly (a trimming chat template such as llama3 does this to a question that ends in whitespace)`}
	if diff := cmp.Diff(want, diagLines(Diff(s, tc))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
