package eval

import (
	"context"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rcsd-dev/rcsd/core/judge"
	"github.com/rcsd-dev/rcsd/core/score"
)

// Floats are compared within 1e-12 relative: every expected value below is
// a ratio or a closed form a few roundings away from the computed one.
var approx = cmpopts.EquateApprox(1e-12, 1e-15)

func fp(x float64) *float64 { return &x }

func mustParse(t testing.TB, line []byte) *Item {
	t.Helper()
	it, dl := ParseItem(line, 1, ParseOptions{})
	if it == nil || dl.HasErrors() {
		t.Fatalf("ParseItem: %v", dl)
	}
	return it
}

func mustNew(t testing.TB, opts Options) *Evaluator {
	t.Helper()
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func status(met bool) judge.Status {
	if met {
		return judge.StatusMet
	}
	return judge.StatusNotMet
}

func labelVerdicts(met ...bool) []judge.Verdict {
	out := make([]judge.Verdict, len(met))
	for i, m := range met {
		out[i] = judge.Verdict{ID: "c" + string(rune('1'+i)), Met: judge.Bool(m), Status: status(m), Judge: judge.KindLabels}
	}
	return out
}

// The real HealthBench row 19 (points 9, 4, −8; tags level:example on all,
// axis:completeness on c1, axis:communication_quality on c2 and c3;
// example tag theme:context_seeking) with three labelled responses, judged
// by auto (labels win) and scored by HealthBench's rule. Hand derivation:
//
//	r0 met c1 c2:  (9 + 4)/13 = 1;       completeness 9/9 = 1; communication 4/4 = 1
//	r1 met c1 c3:  (9 − 8)/13 = 1/13;    completeness 1;       communication −8/4 = −2 (not clipped)
//	r2 met c2:     4/13;                 completeness 0;       communication 4/4 = 1
//
// level:example covers every item, so it equals the overall score, and the
// example tag copies it. GRPO (TRL, group scaling, ε = 1e-4): mean 6/13,
// deviations 7/13, −5/13, −2/13, unbiased variance (78/169)/2 = 39/169,
// std √39/13, so A = (7, −5, −2) / (√39 + 13·1e-4).
func TestEvaluateHealthBenchGroup(t *testing.T) {
	line := withFields(t, readRow19(t), map[string]any{
		"responses": []string{"r0", "r1", "r2"},
		"labels":    []any{[]bool{true, true, false}, []bool{true, false, true}, []bool{false, true, false}},
	})
	it := mustParse(t, line)
	e := mustNew(t, Options{EngineVersion: "test-1"})
	got := e.Evaluate(context.Background(), it)

	const id = "83cf8f2d-2857-4f01-a283-9595d8f4ae8e"
	d := math.Sqrt(39) + 13e-4
	result := func(i int, s, comp, comm, adv float64, met ...bool) Result {
		return Result{
			ID: id, ResponseIndex: i, Score: fp(s), Scoring: "healthbench",
			TagScores: map[string]float64{"theme:context_seeking": s, "level:example": s, "axis:completeness": comp, "axis:communication_quality": comm},
			Criteria:  labelVerdicts(met...), Advantage: fp(adv), EngineVersion: "test-1",
			Metrics: []score.Metric{{Key: "overall_score", Value: s}, {Key: "theme:context_seeking", Value: s},
				{Key: "level:example", Value: s}, {Key: "axis:completeness", Value: comp}, {Key: "axis:communication_quality", Value: comm}},
		}
	}
	want := []Result{
		result(0, 1, 1, 1, 7/d, true, true, false),
		result(1, 1.0/13, 1, -2, -5/d, true, false, true),
		result(2, 4.0/13, 0, 1, -2/d, false, true, false),
	}
	if diff := cmp.Diff(want, got, approx); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The advantages of a group sum to zero.
	if s := *got[0].Advantage + *got[1].Advantage + *got[2].Advantage; math.Abs(s) > 1e-12 {
		t.Errorf("advantages sum to %v", s)
	}
}

const mathItem = `{"id":"m1","prompt":"Sum of n ≤ 100 divisible by 3 or 5? Box it.","reference_answer":"2418",` +
	`"rubric":{"schema_version":1,"criteria":[` +
	`{"id":"answer","description":"The boxed answer is 2418.","weight":10,"checks":[{"kind":"boxed","value":"2418"}]},` +
	`{"id":"incl-excl","description":"Uses inclusion–exclusion.","weight":5,"checks":[{"kind":"any","terms":["inclusion-exclusion","inclusion–exclusion","counted twice"]}]},` +
	`{"id":"overlap","description":"Gives 3468, forgetting the overlap.","weight":-5,"checks":[{"kind":"number","value":"3468"}]}]},` +
	`"responses":["1683 + 1050 − 315 = 2418 by inclusion–exclusion. \\boxed{2418}",` +
	`"1683 + 1050 = 2733, so \\boxed{2733}",` +
	`"Adding gives 3468, but multiples of 15 were counted twice, so \\boxed{3153}"]}`

// A math item judged by its checks (auto routes every criterion to rules).
// Scores: r0 meets answer and incl-excl, (10 + 5)/15 = 1; r1 nothing, 0;
// r2 meets incl-excl and the pitfall, (5 − 5)/15 = 0. GRPO (TRL): mean
// 1/3, deviations 2/3, −1/3, −1/3, unbiased variance (6/9)/2 = 1/3, std
// 1/√3, A = deviation / (1/√3 + 1e-4).
func TestEvaluateRulesGroup(t *testing.T) {
	it := mustParse(t, []byte(mathItem))
	got := mustNew(t, Options{}).Evaluate(context.Background(), it)
	r := it.Responses
	ev := func(resp string, start int, text string) *judge.Evidence {
		if resp[start:start+len(text)] != text { // the hand count must be right
			t.Fatalf("bad expected offset %d for %q in %q", start, text, resp)
		}
		return &judge.Evidence{Start: start, End: start + len(text), Text: text}
	}
	rules := func(id string, met bool, e *judge.Evidence, expl string) judge.Verdict {
		return judge.Verdict{ID: id, Met: judge.Bool(met), Status: status(met), Judge: judge.KindRules, Evidence: e, Explanation: expl}
	}
	d := 1/math.Sqrt(3) + 1e-4
	res := func(i int, s, adv float64, vs ...judge.Verdict) Result {
		return Result{ID: "m1", ResponseIndex: i, Score: fp(s), Scoring: "healthbench", Criteria: vs, Advantage: fp(adv),
			Metrics: []score.Metric{{Key: "overall_score", Value: s}}}
	}
	// Byte offsets, counted in the text: in r0 "inclusion–exclusion" starts
	// after "1683 + 1050 − 315 = 2418 by " (30 bytes, the minus sign is 3),
	// is 21 bytes long (the en dash is 3), then ". \boxed{" (9) puts the box
	// content at 60; in r1 "1683 + 1050 = 2733, so \boxed{" is 30 bytes; in
	// r2 "3468" is at 13, "counted twice" at 44 (to 57), ", so \boxed{"
	// puts the box at 69.
	want := []Result{
		res(0, 1, (2.0/3)/d,
			rules("answer", true, ev(r[0], 60, "2418"), `boxed: "2418" equals "2418"`),
			rules("incl-excl", true, ev(r[0], 30, "inclusion–exclusion"), `any "inclusion–exclusion": found at byte 30`),
			rules("overlap", false, nil, `number: no number equal to "3468"`)),
		res(1, 0, (-1.0/3)/d,
			rules("answer", false, ev(r[1], 30, "2733"), `boxed: "2733" does not equal "2418"`),
			rules("incl-excl", false, nil, `any: none of "inclusion-exclusion", "inclusion–exclusion", "counted twice" found`),
			rules("overlap", false, nil, `number: no number equal to "3468"`)),
		res(2, 0, (-1.0/3)/d,
			rules("answer", false, ev(r[2], 69, "3153"), `boxed: "3153" does not equal "2418"`),
			rules("incl-excl", true, ev(r[2], 44, "counted twice"), `any "counted twice": found at byte 44`),
			rules("overlap", true, ev(r[2], 13, "3468"), `number: "3468" equals "3468"`)),
	}
	if diff := cmp.Diff(want, got, approx); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for i, res := range got {
		for _, v := range res.Criteria {
			if e := v.Evidence; e != nil && r[i][e.Start:e.End] != e.Text {
				t.Errorf("response %d, %s: evidence %q is not response[%d:%d]", i, v.ID, e.Text, e.Start, e.End)
			}
		}
	}
}

func TestEvaluateCases(t *testing.T) {
	hbNegOnly := []byte(`{"id":"n","rubrics":[{"criterion":"Recommends antibiotics.","points":-5,"tags":[]}],"responses":["a","b"],"labels":[[true],[false]]}`)
	rar := []byte(`{"id":"r","rubric":[{"title":"A","description":"a","weight":5},{"title":"B","description":"b","weight":3},{"title":"P","description":"p","weight":-2}],` +
		`"responses":["x","y"],"labels":[[true,false,true],[true,true,false]]}`)
	single := []byte(`{"id":"s","rubric":[{"description":"a","weight":2},{"description":"b","weight":2}],"response":"x","labels":[true,false]}`)
	unlabelled := []byte(`{"id":"u","rubric":[{"description":"a","weight":2},{"description":"b","weight":2}],"responses":["x","y"]}`)
	lv := func(id string, met bool) judge.Verdict {
		return judge.Verdict{ID: id, Met: judge.Bool(met), Status: status(met), Judge: judge.KindLabels}
	}
	noLabel := func(id string) judge.Verdict {
		return judge.Verdict{ID: id, Judge: judge.KindLabels, Status: judge.StatusNotApplicable, Explanation: "no label for criterion"}
	}
	failed := func(id string) judge.Verdict {
		return judge.Verdict{ID: id, Judge: judge.KindLLM, Status: judge.StatusUnjudged, Error: "grader request failed: HTTP 500"}
	}
	partly := []byte(`{"id":"p","rubric":[{"description":"a","weight":2},{"description":"b","weight":6}],"responses":["x","y"],"labels":[[true,null],[false,null]]}`)
	down := []byte(`{"id":"d","rubric":[{"description":"a","weight":2},{"description":"b","weight":2}],"responses":["x","y"]}`)
	tests := []struct {
		name string
		line []byte
		opts Options
		want []Result
	}{
		{
			// No positive points: HealthBench's score is undefined, so no
			// advantages either.
			name: "undefined-score",
			line: hbNegOnly, opts: Options{Judge: judge.KindLabels},
			want: []Result{
				{ID: "n", ResponseIndex: 0, Scoring: "healthbench", Criteria: []judge.Verdict{lv("c1", true)}, Note: score.ReasonNoPositive},
				{ID: "n", ResponseIndex: 1, Scoring: "healthbench", Criteria: []judge.Verdict{lv("c1", false)}, Note: score.ReasonNoPositive},
			},
		},
		{
			// RaR: Σ w·c / Σ w over all weights = (5 − 2)/6 = 0.5 and
			// (5 + 3)/6 = 4/3. verl, no std scaling: A = r − mean,
			// mean 11/12, so −5/12 and +5/12.
			name: "rar-verl-unscaled",
			line: rar, opts: Options{Judge: judge.KindLabels, Scoring: score.RuleRaR, GRPO: score.Verl(false)},
			want: []Result{
				{ID: "r", ResponseIndex: 0, Score: fp(0.5), Scoring: "rar", Criteria: []judge.Verdict{lv("c1", true), lv("c2", false), lv("c3", true)},
					Advantage: fp(-5.0 / 12), Metrics: []score.Metric{{Key: "overall_score", Value: 0.5}}},
				{ID: "r", ResponseIndex: 1, Score: fp(4.0 / 3), Scoring: "rar", Criteria: []judge.Verdict{lv("c1", true), lv("c2", true), lv("c3", false)},
					Advantage: fp(5.0 / 12), Metrics: []score.Metric{{Key: "overall_score", Value: 4.0 / 3}}},
			},
		},
		{
			// One response: no group, no advantage. (2)/(2 + 2) = 0.5.
			name: "single-response",
			line: single, opts: Options{Judge: judge.KindLabels},
			want: []Result{{ID: "s", ResponseIndex: 0, Score: fp(0.5), Scoring: "healthbench", Criteria: []judge.Verdict{lv("c1", true), lv("c2", false)},
				Metrics: []score.Metric{{Key: "overall_score", Value: 0.5}}}},
		},
		{
			// No criterion labelled: nothing applies, so no score (not 0)
			// and no advantages.
			name: "nothing-applies",
			line: unlabelled, opts: Options{Judge: judge.KindLabels},
			want: []Result{
				{ID: "u", ResponseIndex: 0, Scoring: "healthbench", Criteria: []judge.Verdict{noLabel("c1"), noLabel("c2")},
					NotApplicable: 2, Note: score.ReasonNoneApplies},
				{ID: "u", ResponseIndex: 1, Scoring: "healthbench", Criteria: []judge.Verdict{noLabel("c1"), noLabel("c2")},
					NotApplicable: 2, Note: score.ReasonNoneApplies},
			},
		},
		{
			// c2 unlabelled: left out of the score, so 2/2 = 1 and 0/2 = 0
			// (not 2/8 and 0). GRPO (TRL): mean 1/2, std 1/√2.
			name: "not-applicable-left-out",
			line: partly, opts: Options{Judge: judge.KindLabels},
			want: []Result{
				{ID: "p", ResponseIndex: 0, Score: fp(1), Scoring: "healthbench", Criteria: []judge.Verdict{lv("c1", true), noLabel("c2")},
					NotApplicable: 1, Advantage: fp(0.5 / (1/math.Sqrt2 + 1e-4)), Metrics: []score.Metric{{Key: "overall_score", Value: 1}}},
				{ID: "p", ResponseIndex: 1, Score: fp(0), Scoring: "healthbench", Criteria: []judge.Verdict{lv("c1", false), noLabel("c2")},
					NotApplicable: 1, Advantage: fp(-0.5 / (1/math.Sqrt2 + 1e-4)), Metrics: []score.Metric{{Key: "overall_score", Value: 0}}},
			},
		},
		{
			// The grader fails: the scores are unknown (null, not 0), and
			// so are the group's advantages.
			name: "unjudged",
			line: down, opts: Options{Judge: judge.KindLLM, LLM: failingGrader{}},
			want: []Result{
				{ID: "d", ResponseIndex: 0, Scoring: "healthbench", Criteria: []judge.Verdict{failed("c1"), failed("c2")},
					Unjudged: 2, Note: score.ReasonUnjudged},
				{ID: "d", ResponseIndex: 1, Scoring: "healthbench", Criteria: []judge.Verdict{failed("c1"), failed("c2")},
					Unjudged: 2, Note: score.ReasonUnjudged},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustNew(t, tt.opts).Evaluate(context.Background(), mustParse(t, tt.line))
			if diff := cmp.Diff(tt.want, got, approx); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// failingGrader fails every criterion, as a grader answering 500 does.
type failingGrader struct{}

func (failingGrader) Judge(_ context.Context, in *judge.Input) []judge.Verdict {
	out := make([]judge.Verdict, len(in.Rubric.Criteria))
	for i, c := range in.Rubric.Criteria {
		out[i] = judge.Verdict{ID: c.ID, Judge: judge.KindLLM, Error: "grader request failed: HTTP 500"}
	}
	return out
}

// One response of a group unjudged: its score is null, the other's is
// kept, and no member has an advantage (the baseline needs all of them).
func TestEvaluateGroupWithUnjudgedMember(t *testing.T) {
	it := mustParse(t, []byte(`{"id":"g","rubric":[{"description":"a","weight":1}],"responses":["x","y","z"]}`))
	got := mustNew(t, Options{Judge: judge.KindLLM, LLM: flakyGrader{fail: "y"}}).Evaluate(context.Background(), it)
	if got[0].Score == nil || *got[0].Score != 1 || got[2].Score == nil || got[1].Score != nil || got[1].Unjudged != 1 {
		t.Fatalf("scores %v %v %v, unjudged %d", got[0].Score, got[1].Score, got[2].Score, got[1].Unjudged)
	}
	for i, r := range got {
		if r.Advantage != nil {
			t.Errorf("response %d has advantage %v in a group with an unknown score", i, *r.Advantage)
		}
	}
}

// flakyGrader fails on the response fail and meets everything else.
type flakyGrader struct{ fail string }

func (g flakyGrader) Judge(_ context.Context, in *judge.Input) []judge.Verdict {
	out := make([]judge.Verdict, len(in.Rubric.Criteria))
	for i, c := range in.Rubric.Criteria {
		out[i] = judge.Verdict{ID: c.ID, Judge: judge.KindLLM, Met: judge.Bool(true)}
		if in.Response == g.fail {
			out[i] = judge.Verdict{ID: c.ID, Judge: judge.KindLLM, Error: "grader request failed: connection refused"}
		}
	}
	return out
}

// stubGrader answers every criterion "met" and counts its calls.
type stubGrader struct{ calls int }

func (g *stubGrader) Judge(_ context.Context, in *judge.Input) []judge.Verdict {
	g.calls++
	out := make([]judge.Verdict, len(in.Rubric.Criteria))
	for i, c := range in.Rubric.Criteria {
		out[i] = judge.Verdict{ID: c.ID, Met: judge.Bool(true), Judge: judge.KindLLM}
	}
	return out
}

func TestNew(t *testing.T) {
	e := mustNew(t, Options{})
	want := Options{Judge: judge.KindAuto, Scoring: score.RuleHealthBench, GRPO: score.Convention{Framework: score.FrameworkTRL, Scale: score.ScaleGroup, Epsilon: 1e-4}}
	if diff := cmp.Diff(want, e.Options()); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}

	errs := []struct {
		name string
		opts Options
		err  string
	}{
		{"unknown-judge", Options{Judge: "magic"}, `unknown judge "magic" (want auto, labels, rules, lexical or llm)`},
		{"llm-without-grader", Options{Judge: judge.KindLLM}, "the llm judge needs a grader: give --judge-url (and --judge-model)"},
		{"misspelt-rule", Options{Scoring: "helthbench"}, `score: unknown rule "helthbench" (valid: healthbench, rar, rar-category, research, weighted); did you mean "healthbench"?`},
		{"bad-grpo", Options{GRPO: score.Convention{Framework: "ppo"}}, `score: unknown GRPO framework "ppo" (valid: trl, verl)`},
		{"verl-batch", Options{GRPO: score.Convention{Framework: score.FrameworkVerl, Scale: score.ScaleBatch}}, "score: verl has no batch scaling (use group or none)"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			e, err := New(tt.opts)
			if err == nil || err.Error() != tt.err || e != nil {
				t.Errorf("New = %v, %v; want error %q", e, err, tt.err)
			}
		})
	}

	// Each judge kind is wired to its judge.
	it := mustParse(t, []byte(`{"id":"k","rubric":[{"description":"Mentions water.","weight":1}],"response":"Drink water.","labels":[false]}`))
	g := &stubGrader{}
	for _, tc := range []struct {
		kind judge.Kind
		want judge.Kind
	}{{judge.KindAuto, judge.KindLabels}, {judge.KindLabels, judge.KindLabels}, {judge.KindRules, judge.KindRules},
		{judge.KindLexical, judge.KindLexical}, {judge.KindLLM, judge.KindLLM}} {
		got := mustNew(t, Options{Judge: tc.kind, LLM: g}).Evaluate(context.Background(), it)
		if v := got[0].Criteria[0]; v.Judge != tc.want {
			t.Errorf("judge %s: verdict from %s, want %s", tc.kind, v.Judge, tc.want)
		}
	}
	if g.calls != 1 {
		t.Errorf("grader called %d times, want once (the llm judge only)", g.calls)
	}
}

func TestRenderPrompt(t *testing.T) {
	tests := []struct {
		in   []Message
		want string
	}{
		{nil, ""},
		{[]Message{{"user", "Hi"}}, "user: Hi"},
		{[]Message{{"system", "Be brief."}, {"user", "2+2?"}, {"assistant", "4"}}, "system: Be brief.\n\nuser: 2+2?\n\nassistant: 4"},
	}
	for _, tt := range tests {
		if got := RenderPrompt(tt.in); got != tt.want {
			t.Errorf("RenderPrompt(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
