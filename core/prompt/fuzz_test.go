package prompt

import (
	"math"
	"strings"
	"testing"

	"github.com/rcsd-dev/rcsd/core/eval"
	"github.com/rcsd-dev/rcsd/core/judge"
	"github.com/rcsd-dev/rcsd/core/rubric"
)

// FuzzRender: Render never panics, whatever the item and options; and
// when it reports no error, the two contexts pass Diff without error (the
// block is the only difference), the spans are valid, and the teacher's
// text holds the block. Expected errors are Render's own diagnostics; the
// one Diff error allowed is a question that happens to contain the block.
func FuzzRender(f *testing.F) {
	f.Add("What is 2+2?", "", "4", "Answers 4.", 10.0, "", uint8(0), uint8(0), false, false, "", true)
	f.Add("  Why?\n", "Be brief.", "", "Mentions \"x\"\x00", -1.0, "t", uint8(1), uint8(2), true, true, "{privileged_context}\n{prompt}", false)
	f.Add("{prompt}", "", "ref", "", math.NaN(), "", uint8(3), uint8(1), true, false, "{{}}{prompt}{privileged_context}}", true)
	f.Add("<think>x</think>", "sys", "r", "d", 1e300, "Title", uint8(4), uint8(3), false, true, "{prompt!r}{", false)
	f.Add("\x1f\u3000", "", "\xff", "\u2028", 0.5, "", uint8(5), uint8(4), false, false, "", true)
	f.Fuzz(func(t *testing.T, question, system, reference, desc string, weight float64, title string, variant, chat uint8, thinking, reasonFirst bool, custom string, met bool) {
		it := &eval.Item{ID: "fuzz", ReferenceAnswer: reference,
			Rubric: &rubric.Rubric{Criteria: []rubric.Criterion{
				{ID: "a", Title: title, Description: desc, Weight: weight},
				{ID: "b", Description: "Avoids " + desc, Weight: -weight, Polarity: rubric.Negative},
			}}}
		if system != "" {
			it.Prompt = append(it.Prompt, Message{Role: "system", Content: system})
		}
		it.Prompt = append(it.Prompt, Message{Role: "user", Content: question})
		vs := Variants()
		cs := append(ChatTemplates(), "")
		o := Options{
			Variant: vs[int(variant)%len(vs)], Chat: cs[int(chat)%len(cs)], Thinking: thinking,
			ReasonFirst: reasonFirst, Criterion: "b", Custom: custom,
		}
		verdicts := []judge.Verdict{{ID: "a", Met: judge.Bool(met)}, {ID: "b", Met: judge.Bool(!met)}}
		s, tc, dl := Render(it, verdicts, o)
		if dl.HasErrors() {
			return
		}
		if tc.NeedsAnalysis {
			tc = tc.WithAnalysis(desc)
		}
		for _, d := range Diff(s, tc) {
			if d.Severity == "error" && !(d.Code == CodePrivilegedInStudent || d.Code == CodeContextMismatch && strings.Contains(question, tc.Privileged)) {
				t.Fatalf("Diff: %s\nstudent %q\nteacher %q", d, s.Text, tc.Text)
			}
		}
		if _, err := removeSpans(tc.Text, tc.Inserted); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(tc.Text, tc.Privileged) {
			t.Fatalf("teacher text %q lacks the block %q", tc.Text, tc.Privileged)
		}
	})
}

// FuzzDiff: Diff never panics on contexts built by hand, spans included.
func FuzzDiff(f *testing.F) {
	f.Add("user: Q\n\nassistant: ", "user: Q\n\nREF\n\nassistant: ", "REF", 7, 12, 0, "Q", true)
	f.Add("", "x", "", -1, 5, 3, "", false)
	f.Fuzz(func(t *testing.T, student, teacher, priv string, start, end, turn int, question string, thinking bool) {
		s := Rendered{Chat: Plain, Text: student, Turn: turn, Messages: []Message{{Role: "user", Content: question}}}
		tc := Rendered{Chat: Plain, Variant: RCSD, Text: teacher, Privileged: priv, Turn: turn, Thinking: thinking, Inserted: []Span{{Start: start, End: end}}}
		Diff(s, tc)
		tc.Inserted = nil
		Diff(s, tc)
		s.Messages = nil
		Diff(tc, s)
	})
}

// FuzzLeakage: the spans are in order, inside the response and carry its
// text.
func FuzzLeakage(f *testing.F) {
	for _, s := range []string{"According to the rubric", "as the criteria state", "the reference answer\xff", "", "THE GRADING RUBRIC ITEMS"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		prev := 0
		for _, sp := range Leakage(s) {
			if sp.Start < prev || sp.End <= sp.Start || sp.End > len(s) || s[sp.Start:sp.End] != sp.Text {
				t.Fatalf("bad span %+v in %q", sp, s)
			}
			prev = sp.End
		}
		CheckLeakage(s)
	})
}
