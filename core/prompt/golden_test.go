package prompt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/eval"
	"github.com/rcsd-dev/rcsd/core/judge"
)

// scienceItem reads the first item of examples/science.jsonl: a real
// question with a reference answer and a six-criterion rubric (one
// pitfall with weight -1).
func scienceItem(t testing.TB) *eval.Item {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "science.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	it, dl := eval.ParseItem(line, 1, eval.ParseOptions{File: "science.jsonl"})
	if dl.HasErrors() || it == nil {
		t.Fatalf("parse: %v", dl)
	}
	return it
}

// scienceVerdicts are verdicts on the item's third response ("the sky is
// blue mainly because it reflects the oceans…"), written by hand: it
// meets the sunset and length criteria, misses the physics, contains the
// ocean-reflection pitfall, and not-violet is left unjudged.
func scienceVerdicts() []judge.Verdict {
	return []judge.Verdict{
		{ID: "rayleigh", Met: judge.Bool(false), Judge: judge.KindRules},
		{ID: "lambda4", Met: judge.Bool(false), Judge: judge.KindRules},
		{ID: "not-violet", Judge: judge.KindLLM, Error: "grader timed out"},
		{ID: "sunset", Met: judge.Bool(true), Judge: judge.KindRules},
		{ID: "concise", Met: judge.Bool(true), Judge: judge.KindRules},
		{ID: "ocean-myth", Met: judge.Bool(true), Judge: judge.KindRules},
	}
}

type chatCase struct {
	name     string
	chat     ChatTemplate
	thinking bool
}

var chatCases = []chatCase{
	{"chatml", ChatML, false},
	{"qwen3-think", Qwen3, true},
	{"qwen3-nothink", Qwen3, false},
	{"llama3", Llama3, false},
	{"plain", Plain, false},
}

type goldenCase struct {
	name     string
	opts     Options
	analysis *string // for a reason-first teacher: complete it with WithAnalysis
}

func goldenCases() []goldenCase {
	var cs []goldenCase
	for _, v := range Variants() {
		for _, c := range chatCases {
			o := Options{Variant: v, Chat: c.chat, Thinking: c.thinking}
			if v == SingleCriterion {
				o.Criterion = "lambda4"
			}
			cs = append(cs, goldenCase{name: string(v) + "-" + c.name, opts: o})
		}
	}
	analysis := "The answer must name Rayleigh scattering by air molecules, give the 1/λ^4 law, explain why the sky is not violet and why sunsets are red, stay under 220 words, and must not invoke ocean reflection."
	cs = append(cs,
		goldenCase{name: "rcsd-reasonfirst-pending-qwen3-nothink", opts: Options{Chat: Qwen3, ReasonFirst: true}},
		goldenCase{name: "rcsd-reasonfirst-qwen3-nothink", opts: Options{Chat: Qwen3, ReasonFirst: true}, analysis: &analysis},
		goldenCase{name: "rcsd-reasonfirst-qwen3-think", opts: Options{Chat: Qwen3, Thinking: true, ReasonFirst: true}, analysis: &analysis},
		goldenCase{name: "rcsd-custom-llama3", opts: Options{Chat: Llama3, Custom: "Context for you only:\n{privileged_context}\n\nQuestion: {prompt}"}},
	)
	return cs
}

// TestGolden renders the science item with every variant and chat
// template and compares the whole output — both texts, the teacher's
// messages and spans, and every diagnostic of Render and Diff — with
// testdata/<case>.golden. UPDATE_GOLDEN=1 rewrites the files; read the
// diff before committing it: the golden files are the reviewed prompts.
func TestGolden(t *testing.T) {
	it := scienceItem(t)
	for _, gc := range goldenCases() {
		t.Run(gc.name, func(t *testing.T) {
			s, tc, dl := Render(it, scienceVerdicts(), gc.opts)
			if dl.HasErrors() {
				t.Fatalf("Render: %v", dl)
			}
			if gc.analysis != nil {
				tc = tc.WithAnalysis(*gc.analysis)
			}
			got := goldenText(gc, s, tc, dl, Diff(s, tc))
			path := filepath.Join("testdata", gc.name+".golden")
			if os.Getenv("UPDATE_GOLDEN") == "1" {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s changed; got:\n%s", path, got)
			}
		})
	}
}

// goldenText lays a case out in sections. Each section's content is
// followed by one newline that the renderer did not write.
func goldenText(gc goldenCase, s, tc Rendered, render, diff diag.List) string {
	var b strings.Builder
	o, _ := json.Marshal(gc.opts)
	fmt.Fprintf(&b, "# options: %s\n", o)
	section := func(name, body string) {
		fmt.Fprintf(&b, "-- %s --\n%s\n", name, body)
	}
	diags := func(dl diag.List) string {
		if len(dl) == 0 {
			return "(none)"
		}
		var lines []string
		for _, d := range dl {
			lines = append(lines, d.String())
		}
		return strings.Join(lines, "\n")
	}
	section("render diagnostics", diags(render))
	section("diff diagnostics", diags(diff))
	section("student text", s.Text)
	section("teacher privileged", tc.Privileged)
	section("teacher text", tc.Text)
	var ins []string
	for _, sp := range tc.Inserted {
		ins = append(ins, fmt.Sprintf("[%d, %d) %q", sp.Start, sp.End, clipMiddle(tc.Text[sp.Start:sp.End])))
	}
	section("teacher inserted", strings.Join(ins, "\n"))
	if tc.Suffix != "" || tc.Transition != "" {
		section("teacher suffix", fmt.Sprintf("%q", tc.Suffix))
		section("teacher transition", fmt.Sprintf("%q", tc.Transition))
	}
	m, _ := json.MarshalIndent(tc.Messages, "", "  ")
	section("teacher messages", string(m))
	return b.String()
}

func clipMiddle(s string) string {
	if len(s) <= 60 {
		return s
	}
	a, z := 30, len(s)-25
	for a > 0 && !runeStart(s[a]) {
		a--
	}
	for z < len(s) && !runeStart(s[z]) {
		z++
	}
	return s[:a] + "…" + s[z:]
}
