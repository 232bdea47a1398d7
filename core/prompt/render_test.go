package prompt

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/eval"
	"github.com/rcsd-dev/rcsd/core/judge"
	"github.com/rcsd-dev/rcsd/core/rubric"
)

func diagLines(dl diag.List) []string {
	var out []string
	for _, d := range dl {
		out = append(out, d.String())
	}
	return out
}

func smallItem() *eval.Item {
	return &eval.Item{
		ID:              "q1",
		Prompt:          []Message{{Role: "user", Content: "What is 2+2?"}},
		ReferenceAnswer: "4",
		Rubric: &rubric.Rubric{SchemaVersion: 1, Criteria: []rubric.Criterion{
			{ID: "answer", Title: "Correct", Description: "Answers 4.", Weight: 10, Polarity: rubric.Positive},
			{ID: "five", Title: "Wrong", Description: "Answers 5.", Weight: -1, Polarity: rubric.Negative},
		}},
	}
}

// Every problem Render reports, with the whole diagnostic text.
func TestRenderDiagnostics(t *testing.T) {
	noRef := smallItem()
	noRef.ReferenceAnswer = " "
	noUser := smallItem()
	noUser.Prompt = []Message{{Role: "system", Content: "Be brief."}}
	tool := smallItem()
	tool.Prompt = append(tool.Prompt, Message{Role: "tool", Content: "4"}, Message{Role: "user", Content: "And 3+3?"})
	noRubric := smallItem()
	noRubric.Rubric = &rubric.Rubric{}

	tests := []struct {
		name        string
		it          *eval.Item
		verdicts    []judge.Verdict
		opts        Options
		want        []string
		noStudent   bool // the student context is the zero value
		noTeacher   bool // the teacher context is the zero value
		wantPrivTxt string
	}{
		{name: "ok", it: smallItem(), opts: Options{Chat: ChatML}},
		{
			name: "unknown-variant", it: smallItem(), opts: Options{Variant: "rgds", Chat: ChatML},
			want:      []string{`error context-unknown-variant: $.variant: unknown teacher variant "rgds" (want rcsd, rgsd, opsd, feedback, single-criterion, none) (did you mean "rgsd"?)`},
			noStudent: true, noTeacher: true,
		},
		{
			name: "no-chat", it: smallItem(), opts: Options{},
			want:      []string{`error context-unknown-chat-template: $.chat: no chat template: the student and the teacher must be rendered with the model's own (want chatml, qwen3, llama3, plain)`},
			noStudent: true, noTeacher: true,
		},
		{
			name: "unknown-chat", it: smallItem(), opts: Options{Chat: "qwen"},
			want:      []string{`error context-unknown-chat-template: $.chat: unknown chat template "qwen" (want chatml, qwen3, llama3, plain) (did you mean "qwen3"?)`},
			noStudent: true, noTeacher: true,
		},
		{
			name: "nil-item", opts: Options{Chat: ChatML},
			want:      []string{`error context-no-prompt: $: no item`},
			noStudent: true, noTeacher: true,
		},
		{
			name: "no-user-turn", it: noUser, opts: Options{Chat: ChatML},
			want:      []string{`error context-no-prompt: $.prompt: the prompt has no user turn to hold the question and the privileged block`},
			noStudent: true, noTeacher: true,
		},
		{
			name: "unsupported-role", it: tool, opts: Options{Chat: Qwen3},
			want:      []string{`error context-unsupported-role: $.prompt[1].role: the qwen3 chat template does not render role "tool" (roles: system, user, assistant)`},
			noStudent: true, noTeacher: true,
		},
		{
			name: "template-drops-question", it: smallItem(), opts: Options{Chat: ChatML, Custom: "{privileged_context}"},
			want:      []string{`error context-template-drops-question: $.custom_template: the teacher prompt template has no {prompt}: the teacher would not see the question (TRL's default is "{prompt}\n\n{privileged_context}")`},
			noStudent: true, noTeacher: true,
		},
		{
			name: "template-unknown-field", it: smallItem(), opts: Options{Chat: ChatML, Custom: "{prompt}\n{privileged_contxt}"},
			want:      []string{`error context-bad-template: $.custom_template: unknown field {privileged_contxt} in the teacher prompt template (want {prompt} and {privileged_context}) (did you mean "privileged_context"?)`},
			noStudent: true, noTeacher: true,
		},
		{
			name: "no-rubric", it: noRubric, opts: Options{Chat: ChatML},
			want:      []string{`error context-no-rubric: $.rubric: the rcsd teacher needs a rubric with at least one criterion`},
			noTeacher: true,
		},
		{
			name: "rcsd-no-reference", it: noRef, opts: Options{Chat: ChatML},
			want:        []string{`warning context-no-reference: $.reference_answer: no reference answer: the rcsd teacher sees the rubric only`},
			wantPrivTxt: "Rubric (JSON array):\n[{\"title\": \"Correct\", \"description\": \"Answers 4.\", \"weight\": 10}, {\"title\": \"Wrong\", \"description\": \"Answers 5.\", \"weight\": -1}]\n\nUse the rubric as guidance.",
		},
		{
			name: "opsd-no-reference", it: noRef, opts: Options{Variant: OPSD, Chat: ChatML},
			want:      []string{`error context-no-reference: $.reference_answer: the opsd teacher needs a reference answer`},
			noTeacher: true,
		},
		{
			name: "single-no-id", it: smallItem(), opts: Options{Variant: SingleCriterion, Chat: ChatML},
			want:      []string{`error context-unknown-criterion: $.criterion: the single-criterion teacher needs a criterion id`},
			noTeacher: true,
		},
		{
			name: "single-unknown-id", it: smallItem(), opts: Options{Variant: SingleCriterion, Chat: ChatML, Criterion: "answr"},
			want:      []string{`error context-unknown-criterion: $.criterion: no criterion "answr" in the rubric (did you mean "answer"?)`},
			noTeacher: true,
		},
		{
			name: "single", it: smallItem(), opts: Options{Variant: SingleCriterion, Chat: ChatML, Criterion: "five"},
			wantPrivTxt: "Rubric (JSON array):\n[{\"title\": \"Wrong\", \"description\": \"Answers 5.\", \"weight\": -1}]\n\nUse the rubric as guidance.",
		},
		{
			name: "criterion-ignored", it: smallItem(), opts: Options{Variant: RGSD, Chat: ChatML, Criterion: "answer"},
			want: []string{`warning context-option-ignored: $.criterion: criterion "answer" is used by the single-criterion variant only; ignored for rgsd`},
		},
		{
			name: "custom-ignored", it: smallItem(), opts: Options{Variant: None, Chat: ChatML, Custom: "{prompt}"},
			want: []string{`warning context-option-ignored: $.custom_template: the none variant has no privileged block; custom_template is ignored`},
		},
		{
			name: "reason-first-unsupported", it: smallItem(), opts: Options{Variant: OPSD, Chat: ChatML, ReasonFirst: true},
			want:      []string{`error context-reason-first-unsupported: $.reason_first: the opsd variant has no reason-first analysis pass (only rcsd has one)`},
			noTeacher: true,
		},
		{
			name: "feedback-no-verdicts", it: smallItem(), opts: Options{Variant: Feedback, Chat: ChatML},
			want:      []string{`error context-no-verdicts: $.verdicts: the feedback teacher needs verdicts on a previous attempt; none of the 2 criteria has one`},
			noTeacher: true,
		},
		{
			// A met pitfall is listed; an unknown verdict is reported;
			// the missing verdict leaves its criterion out.
			name: "feedback", it: smallItem(), opts: Options{Variant: Feedback, Chat: ChatML},
			verdicts: []judge.Verdict{{ID: "five", Met: judge.Bool(true)}, {ID: "extra", Met: judge.Bool(true)}},
			want: []string{
				`warning context-unjudged: $.verdicts: feedback leaves out 1 unjudged criteria: answer`,
				`warning context-unjudged: $.verdicts: feedback ignores 1 verdicts for criteria not in the rubric: extra`,
			},
			wantPrivTxt: "Feedback on a previous answer to this question:\n\nYour previous answer contained the pitfall:\n- Answers 5.\n\nAnswer again, keeping what was right and fixing what was missed.",
		},
		{
			// Errors in the options and the item are all reported at once.
			name: "several", it: noUser, opts: Options{Variant: "x", Chat: "y", Custom: "{q}"},
			want: []string{
				`error context-unknown-variant: $.variant: unknown teacher variant "x" (want rcsd, rgsd, opsd, feedback, single-criterion, none)`,
				`error context-unknown-chat-template: $.chat: unknown chat template "y" (want chatml, qwen3, llama3, plain)`,
				`error context-bad-template: $.custom_template: unknown field {q} in the teacher prompt template (want {prompt} and {privileged_context})`,
				`error context-no-prompt: $.prompt: the prompt has no user turn to hold the question and the privileged block`,
			},
			noStudent: true, noTeacher: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, tc, dl := Render(tt.it, tt.verdicts, tt.opts)
			if diff := cmp.Diff(tt.want, diagLines(dl)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
			for _, d := range dl {
				if tt.it != nil && d.Record != tt.it.ID {
					t.Errorf("%s: record %q, want %q", d.Code, d.Record, tt.it.ID)
				}
			}
			if (s.Text == "") != tt.noStudent {
				t.Errorf("student text %q, want empty %v", s.Text, tt.noStudent)
			}
			if (tc.Text == "") != tt.noTeacher {
				t.Errorf("teacher text %q, want empty %v", tc.Text, tt.noTeacher)
			}
			if tt.wantPrivTxt != "" && tc.Privileged != tt.wantPrivTxt {
				t.Errorf("privileged block:\n%q\nwant\n%q", tc.Privileged, tt.wantPrivTxt)
			}
			if !tt.noStudent && !tt.noTeacher {
				if dd := Diff(s, tc); dd.HasErrors() {
					t.Errorf("Diff: %v", diagLines(dd))
				}
			}
		})
	}
}

// In a conversation the block goes into the last user turn; the system
// prompt and the earlier turns are the student's.
func TestRenderMultiTurn(t *testing.T) {
	it := smallItem()
	it.Prompt = []Message{
		{Role: "system", Content: "Be brief."},
		{Role: "user", Content: "Hi"},
		{Role: "assistant", Content: "<think>\nok\n</think>\n\nHello."},
		{Role: "user", Content: "What is 2+2?"},
	}
	s, tc, dl := Render(it, nil, Options{Variant: OPSD, Chat: Qwen3})
	if len(dl) > 0 {
		t.Fatal(diagLines(dl))
	}
	if s.Turn != 3 || tc.Turn != 3 {
		t.Errorf("turns %d, %d; want 3", s.Turn, tc.Turn)
	}
	wantT := "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n" +
		"<|im_start|>user\nWhat is 2+2?\n\nReference Solution:\n4\n\nUse the reference solution as guidance, reasoning in your own words.<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
	if diff := cmp.Diff(wantT, tc.Text); diff != "" {
		t.Errorf("teacher (-want +got):\n%s", diff)
	}
	start := strings.Index(wantT, "What is 2+2?\n\n") + len("What is 2+2?")
	end := strings.LastIndex(wantT, "<|im_end|>")
	if want := []Span{{Start: start, End: end}}; !cmp.Equal(want, tc.Inserted) {
		t.Errorf("inserted %v, want %v", tc.Inserted, want)
	}
	if dd := Diff(s, tc); len(dd) > 0 {
		t.Errorf("Diff: %v", diagLines(dd))
	}
	// The item is not modified.
	if it.Prompt[3].Content != "What is 2+2?" {
		t.Errorf("item modified: %q", it.Prompt[3].Content)
	}
}

// Llama 3 trims each turn: a question ending in whitespace keeps it in
// the teacher's turn (the block follows) but loses it in the student's.
// Render reproduces that faithfully and Diff reports it as a warning.
func TestRenderTrimmedQuestion(t *testing.T) {
	it := smallItem()
	it.Prompt[0].Content = "  What is 2+2?\n"
	s, tc, dl := Render(it, nil, Options{Variant: OPSD, Chat: Llama3})
	if len(dl) > 0 {
		t.Fatal(diagLines(dl))
	}
	if !strings.Contains(s.Text, "\n\nWhat is 2+2?<|eot_id|>") || !strings.Contains(tc.Text, "\n\nWhat is 2+2?\n\n\nReference Solution:") {
		t.Errorf("student %q\nteacher %q", s.Text, tc.Text)
	}
	want := []string{`warning context-whitespace-mismatch: $.teacher.text: outside the privileged block the contexts differ in whitespace only, from byte 71 of the student's: the tokens around the question differ slightly (a trimming chat template such as llama3 does this to a question that ends in whitespace)`}
	if diff := cmp.Diff(want, diagLines(Diff(s, tc))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseComposition(t *testing.T) {
	tests := []struct {
		tmpl      string
		content   string // composed with prompt "Q" and block "B"
		inserted  []Span
		wantDiags []string
	}{
		{tmpl: DefaultTemplate, content: "Q\n\nB", inserted: []Span{{Start: 1, End: 4}}},
		{tmpl: "{privileged_context}\n\n{prompt}", content: "B\n\nQ", inserted: []Span{{Start: 0, End: 3}}},
		{tmpl: "Q: {prompt} {{x}} {privileged_context}!", content: "Q: Q {x} B!", inserted: []Span{{Start: 0, End: 3}, {Start: 4, End: 11}}},
		// A second {prompt} is the teacher's own copy: inserted.
		{tmpl: "{prompt}|{privileged_context}|{prompt}", content: "Q|B|Q", inserted: []Span{{Start: 1, End: 5}}},
		{tmpl: "{prompt}", wantDiags: []string{`error context-bad-template: $.custom_template: the teacher prompt template has no {privileged_context}: the teacher would see nothing the student does not (TRL's default is "{prompt}\n\n{privileged_context}")`}},
		{tmpl: "x", wantDiags: []string{
			`error context-template-drops-question: $.custom_template: the teacher prompt template has no {prompt}: the teacher would not see the question (TRL's default is "{prompt}\n\n{privileged_context}")`,
			`error context-bad-template: $.custom_template: the teacher prompt template has no {privileged_context}: the teacher would see nothing the student does not (TRL's default is "{prompt}\n\n{privileged_context}")`,
		}},
		{tmpl: "{prompt} } {privileged_context}", wantDiags: []string{`error context-bad-template: $.custom_template: single '}' at byte 9 of the teacher prompt template (write "}}" for a literal brace)`}},
		{tmpl: "{prompt} {privileged_context", wantDiags: []string{`error context-bad-template: $.custom_template: unclosed '{' at byte 9 of the teacher prompt template (write "{{" for a literal brace)`}},
		{tmpl: "{prompt!r} {privileged_context}", wantDiags: []string{`error context-bad-template: $.custom_template: unknown field {prompt!r} in the teacher prompt template (want {prompt} and {privileged_context}) (did you mean "prompt"?)`}},
	}
	for _, tt := range tests {
		t.Run(tt.tmpl, func(t *testing.T) {
			pieces, dl := parseComposition(tt.tmpl)
			if diff := cmp.Diff(tt.wantDiags, diagLines(dl)); diff != "" {
				t.Fatalf("diagnostics (-want +got):\n%s", diff)
			}
			if dl != nil {
				return
			}
			content, spans := compose(pieces, "Q", "B")
			if content != tt.content || !cmp.Equal(spans, tt.inserted) {
				t.Errorf("compose = %q %v, want %q %v", content, spans, tt.content, tt.inserted)
			}
		})
	}
}

// The reference strings are Python 3's json.dumps(criteria,
// ensure_ascii=False) and json.dumps(w) output, run on the same values.
func TestRubricJSON(t *testing.T) {
	r := &rubric.Rubric{Format: rubric.FormatRaR, Criteria: []rubric.Criterion{
		{Title: `Quotes "x" and \ back`, Description: "Tab\there, newline\nthere, bell\x07, DEL\x7f, λ⁻⁴ and </script> & <b>", Weight: 7.5},
		{Description: "mentions X", Weight: -1, Category: rubric.CategoryPitfall},
		{Title: "tiny", Description: "u2028\u2028 end", Weight: 1e-05},
	}}
	want := `[{"title": "Quotes \"x\" and \\ back", "description": "Tab\there, newline\nthere, bell\u0007, DEL` + "\x7f" + `, λ⁻⁴ and </script> & <b>", "weight": 7.5}, {"title": "Criterion 2", "description": "Pitfall Criteria: mentions X", "weight": -1}, {"title": "tiny", "description": "u2028` + "\u2028" + ` end", "weight": 1e-05}]`
	if got := rubricJSON(r, []int{0, 1, 2}); got != want {
		t.Errorf("rubricJSON:\n got %s\nwant %s", got, want)
	}
	for w, want := range map[float64]string{10: "10", -1: "-1", 0.7: "0.7", 1e-05: "1e-05", 123456789.5: "123456789.5", 1e16: "1e+16", 2.5e20: "2.5e+20", 0.0001: "0.0001", -0.5: "-0.5", 0: "0"} {
		if got := pyNumber(w); got != want {
			t.Errorf("pyNumber(%v) = %s, want %s", w, got, want)
		}
	}
}

// WithAnalysis completes a reason-first teacher once; other contexts are
// returned as they are.
func TestWithAnalysis(t *testing.T) {
	s, tc, _ := Render(smallItem(), nil, Options{Chat: Plain, ReasonFirst: true})
	if !tc.NeedsAnalysis || tc.Transition == "" || tc.Suffix != "" {
		t.Fatalf("pending teacher: %+v", tc)
	}
	done := tc.WithAnalysis("It asks for 4.")
	if done.NeedsAnalysis || done.Text != tc.Text+"It asks for 4."+tc.Transition || done.Suffix != "It asks for 4."+tc.Transition {
		t.Errorf("completed teacher: %+v", done)
	}
	last := done.Inserted[len(done.Inserted)-1]
	if last.Start != len(tc.Text) || last.End != len(done.Text) || len(tc.Inserted) != len(done.Inserted)-1 {
		t.Errorf("inserted %v (before %v)", done.Inserted, tc.Inserted)
	}
	if again := done.WithAnalysis("more"); again.Text != done.Text {
		t.Error("WithAnalysis applied twice")
	}
	if same := s.WithAnalysis("x"); same.Text != s.Text {
		t.Error("WithAnalysis changed a student context")
	}
	if dl := Diff(s, done); len(dl) > 0 {
		t.Errorf("Diff: %v", diagLines(dl))
	}
}

// Every embedded teacher template parses; only rcsd has the analysis pass.
func TestTeacherTemplates(t *testing.T) {
	tm, err := loadBlocks()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range blockVariants {
		if tm[v] == nil {
			t.Fatalf("%s: no template", v)
		}
		if has := tm[v].lookup("analysis"); has != (v == RCSD) {
			t.Errorf("%s: analysis pass %v", v, has)
		}
	}
}
