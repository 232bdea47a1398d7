package api_test

import (
	"bufio"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"

	"github.com/rcsd-dev/rcsd/core/api"
	"github.com/rcsd-dev/rcsd/core/config"
	"github.com/rcsd-dev/rcsd/core/eval"
	"github.com/rcsd-dev/rcsd/core/lm"
	"github.com/rcsd-dev/rcsd/core/lm/demo"
	"github.com/rcsd-dev/rcsd/core/trace"
)

func firstLine(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<22)
	sc.Scan()
	return sc.Text()
}

func demoScorer(t testing.TB) lm.Scorer {
	m, err := demo.Load()
	if err != nil {
		t.Fatal(err)
	}
	return lm.Demo(m)
}

// The playground must show the numbers the CLI's path gives for the same
// input: Evaluate's results, and the loss of the traces Traces produces,
// encoded and read back as `rcsd logprobs | rcsd loss` does.
func TestPlaygroundMatchesEvaluateAndLoss(t *testing.T) {
	ctx := context.Background()
	for _, file := range []string{"../../examples/math.jsonl", "../../examples/science.jsonl", "../../examples/medical.jsonl"} {
		t.Run(file, func(t *testing.T) {
			item := firstLine(t, file)
			const cfgText = "schema_version: 1\npreset: rcsd\nprompt:\n  chat: plain\nscoring:\n  grpo: trl\n"
			resp := api.Playground(ctx, api.PlaygroundRequest{Config: cfgText, Item: item}, nil, demoScorer(t))
			for _, d := range resp.Diagnostics {
				if d.Severity == "error" {
					t.Fatalf("diagnostic: %v", d)
				}
			}
			ev := api.Evaluate(ctx, api.EvaluateRequest{Items: item, Config: api.EvalConfig{GRPO: "trl"}})
			opts := cmp.Options{cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Metrics" }, cmp.Ignore())}
			if d := cmp.Diff(ev.Results, resp.Results, opts); d != "" {
				t.Errorf("results differ from Evaluate (-evaluate +playground)\n%s", d)
			}
			if len(resp.Results) > 1 && resp.Results[0].Advantage == nil {
				t.Error("no GRPO advantage for a group")
			}
			// The CLI path: traces encoded to JSONL, then Loss.
			c, _ := config.Parse("c.yaml", []byte(cfgText))
			e, err := api.NewEvaluator(api.EvalConfig{})
			if err != nil {
				t.Fatal(err)
			}
			it, dl := eval.ParseItem([]byte(item), 1, eval.ParseOptions{File: "item"})
			if dl.HasErrors() {
				t.Fatal(dl)
			}
			trs, dl := e.Traces(ctx, demoScorer(t), it, api.LogprobsConfig{Prompt: c.PromptOptions()})
			if dl.HasErrors() {
				t.Fatal(dl)
			}
			var sb strings.Builder
			for _, tr := range trs {
				sb.Write(trace.Encode(tr))
				sb.WriteByte('\n')
			}
			want := api.Loss(ctx, api.LossRequest{Config: api.LossConfig{Loss: c.LossOptions(), Trace: c.Trace}, Traces: sb.String()})
			if resp.Loss == nil || resp.Loss.Source != "scorer" {
				t.Fatalf("loss %+v", resp.Loss)
			}
			if d := cmp.Diff(want.Results, resp.Loss.Results); d != "" {
				t.Errorf("loss differs from Loss over encoded traces (-loss +playground)\n%s", d)
			}
			if d := cmp.Diff(want.Summary, resp.Loss.Summary); d != "" {
				t.Errorf("summary differs\n%s", d)
			}
			// Pasted traces give the same loss as the scorer's.
			pasted := api.Playground(ctx, api.PlaygroundRequest{Config: cfgText, Item: item, Traces: sb.String()}, nil, nil)
			if pasted.Loss == nil || pasted.Loss.Source != "traces" {
				t.Fatalf("pasted loss %+v", pasted.Loss)
			}
			if d := cmp.Diff(want.Results, pasted.Loss.Results); d != "" {
				t.Errorf("pasted traces: loss differs\n%s", d)
			}
			if n := len(resp.Loss.Tokens[0]); n != len(resp.Loss.Results[0].Tokens) || n == 0 {
				t.Errorf("%d token details for %d tokens", n, len(resp.Loss.Results[0].Tokens))
			}
		})
	}
}

// A rubric error is reported at its line in the rubric text, and the
// reply still carries the rest (no results without a rubric).
func TestPlaygroundRubricDiagnostics(t *testing.T) {
	resp := api.Playground(context.Background(), api.PlaygroundRequest{
		Config: "schema_version: 1\n", RubricFile: "rubric.yaml",
		Rubric: "schema_version: 1\ncriteria:\n  - id: a\n    description: Names Paris.\n    wieght: 5\n",
		Item:   `{"prompt": "Capital of France?", "responses": ["Paris."]}`,
	}, nil, nil)
	var got []string
	for _, d := range resp.Diagnostics {
		got = append(got, d.String())
	}
	want := []string{
		`rubric.yaml:3:5: error missing-field: $.criteria[0]: criterion has no "weight"`,
		`rubric.yaml:5:13: error unknown-field: $.criteria[0].wieght: unknown field "wieght" in a criterion (did you mean "weight"?)`,
	}
	if d := cmp.Diff(want, got[:min(2, len(got))]); d != "" {
		t.Errorf("diagnostics (-want +got)\n%s\nall: %q", d, got)
	}
}

// Call's replies: bad JSON, unknown keys, wrong types, deep nesting,
// unknown methods all get 4xx with a located diagnostic; version lists
// the methods.
func TestCall(t *testing.T) {
	ctx := context.Background()
	h := api.Host{Limits: api.Limits{MaxDepth: 8, MaxArray: 4, MaxRecords: 2}}
	cases := []struct {
		method, body string
		status       int
		want         string
	}{
		{"version", ``, 200, `"methods":["version","validate","evaluate","loss","contexts","playground"]`},
		{"validate", ``, 400, `the request body is empty`},
		{"validate", `{"content": 3}`, 400, `"message":"expected a string, got JSON number","line":1,"column":14,"path":"$.content"`},
		{"validate", `{"contnet": "x"}`, 400, `unknown field \"contnet\"`},
		{"validate", `{"content": "x"`, 400, `"message":"invalid JSON: unexpected end of input","line":1,"column":16`},
		{"evaluate", `{"items": "` + strings.Repeat(`{}\n`, 3) + `"}`, 400, `"code":"request-too-long","message":"3 records; at most 2 per request","path":"$.items"`},
		{"evaluate", `{"config": {"judge": "llm"}, "items": "{}"}`, 400, `"code":"llm-unavailable"`},
		{"loss", `{"a": [[[[[[[[[1]]]]]]]]]}`, 400, `"code":"request-too-deep"`},
		{"loss", `{"a": [1,2,3,4,5]}`, 400, `"code":"request-too-long"`},
		{"evalute", `{}`, 404, `unknown method \"evalute\" did you mean \"evaluate\"?`},
		{"validate", `{"file": "r.yaml", "content": "schema_version: 1\ncriteria: []\n"}`, 200, `"kind":"rubric"`},
	}
	for _, c := range cases {
		r := api.Call(ctx, h, c.method, []byte(c.body))
		if r.Status != c.status || !strings.Contains(string(r.Body), c.want) {
			t.Errorf("%s %s: %d %s\nwant %d containing %s", c.method, c.body, r.Status, r.Body, c.status, c.want)
		}
		if !json.Valid(r.Body) {
			t.Errorf("%s: reply is not JSON: %s", c.method, r.Body)
		}
	}
}

// Through Call with a trace cache: a second call that changes only the
// loss settings is answered from the cache and gives exactly what a call
// without a cache gives; a rubric edit (the teacher's context changes)
// scores again; SkipLoss leaves the loss out and keeps the rest.
func TestPlaygroundTraceCache(t *testing.T) {
	ctx := context.Background()
	scorer := demoScorer(t)
	cache := api.NewTraceCache(4)
	host := api.Host{Scorer: scorer, Traces: cache}
	item := firstLine(t, "../../examples/math.jsonl")
	// The reply's fields the test reads (Metrics is write-only JSON).
	type reply struct {
		Results  []eval.Result
		Contexts []api.ContextPair
		Loss     *api.PlaygroundLoss
	}
	call := func(h api.Host, cfg, it string, skip, ret bool) reply {
		t.Helper()
		body, err := json.Marshal(api.PlaygroundRequest{Config: cfg, Item: it, SkipLoss: skip, ReturnTraces: ret})
		if err != nil {
			t.Fatal(err)
		}
		r := api.Call(ctx, h, api.MethodPlayground, body)
		if r.Status != 200 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		var resp reply
		if err := json.Unmarshal(r.Body, &resp); err != nil {
			t.Fatal(err)
		}
		return resp
	}
	const cfgA = "schema_version: 1\npreset: rcsd\nprompt:\n  chat: plain\n"
	const cfgB = "schema_version: 1\npreset: rcsd\nprompt:\n  chat: plain\nloss:\n  divergence: jsd\n  beta: 0.5\n  support: teacher-topk\n  top_k: 10\n"
	first := call(host, cfgA, item, false, true)
	if first.Loss == nil || first.Loss.Cached || cache.Len() != 1 {
		t.Fatalf("first call: loss %v, cache %d entries", first.Loss, cache.Len())
	}
	// The returned traces give the same loss when pasted back.
	pasted := api.Playground(ctx, api.PlaygroundRequest{Config: cfgA, Item: item, Traces: first.Loss.Traces}, nil, nil)
	if pasted.Loss == nil {
		t.Fatalf("pasted traces: %v", pasted.Diagnostics)
	}
	if d := cmp.Diff(first.Loss.Results, pasted.Loss.Results); d != "" {
		t.Errorf("returned traces give another loss\n%s", d)
	}
	second := call(host, cfgB, item, false, false)
	if second.Loss == nil || !second.Loss.Cached || cache.Len() != 1 {
		t.Fatalf("a loss-setting change was not answered from the cache: %+v, %d entries", second.Loss, cache.Len())
	}
	fresh := call(api.Host{Scorer: scorer}, cfgB, item, false, false)
	if d := cmp.Diff(fresh.Loss.Results, second.Loss.Results); d != "" {
		t.Errorf("cached loss differs from a fresh one\n%s", d)
	}
	if second.Loss.Summary.Loss == first.Loss.Summary.Loss {
		t.Errorf("the loss settings changed nothing: %v", second.Loss.Summary.Loss)
	}
	// Another rubric weight changes the teacher's context: no hit.
	edited := strings.Replace(item, `"weight": 7`, `"weight": 6`, 1)
	if edited == item {
		t.Fatal("the edit did not apply")
	}
	third := call(host, cfgA, edited, false, false)
	if third.Loss == nil || third.Loss.Cached || cache.Len() != 2 {
		t.Fatalf("a rubric edit was answered from the cache: %+v, %d entries", third.Loss, cache.Len())
	}
	skipped := call(host, cfgA, edited, true, false)
	if skipped.Loss != nil || len(skipped.Results) != len(third.Results) || len(skipped.Contexts) == 0 {
		t.Fatalf("skip_loss: loss %v, %d results", skipped.Loss, len(skipped.Results))
	}
	if d := cmp.Diff(third.Results, skipped.Results); d != "" {
		t.Errorf("skip_loss changed the results\n%s", d)
	}
}
