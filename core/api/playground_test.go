package api_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
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
		{"version", ``, 200, `"methods":["version","validate","evaluate","loss","contexts","playground","export"]`},
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
	cache := api.NewPlaygroundCache(4)
	host := api.Host{Scorer: scorer, Cache: cache}
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

// countingScorer counts the demo model's scoring passes.
type countingScorer struct {
	lm.SparseScorer
	passes atomic.Int64
}

func (c *countingScorer) Score(ctx context.Context, context, cont []int, k int) ([]lm.Position, error) {
	c.passes.Add(1)
	return c.SparseScorer.Score(ctx, context, cont, k)
}

// TokenText names ids as the demo scorer does (lm.Vocabulary).
func (c *countingScorer) TokenText(id int) string {
	return c.SparseScorer.(lm.Vocabulary).TokenText(id)
}

func (c *countingScorer) LogProbsAt(ctx context.Context, context, cont []int, ids [][]int) ([][]float64, error) {
	c.passes.Add(1)
	return c.SparseScorer.LogProbsAt(ctx, context, cont, ids)
}

var (
	timingsRE = regexp.MustCompile(`"timings":\{[^}]*\}`)
	cachedRE  = regexp.MustCompile(`,"cached":true`)
)

// A cached call gives byte for byte the reply of a call without a cache
// (but for loss.cached and the timings), through a sequence of edits as
// the page makes them: loss settings, rubric edits (the student side is
// not scored again), attribution, the compact form with and without the
// known token details; and a rubric edit scores only the teacher.
func TestPlaygroundCacheIsExact(t *testing.T) {
	ctx := context.Background()
	demoS := demoScorer(t).(lm.SparseScorer)
	counted := &countingScorer{SparseScorer: demoS}
	cache := api.NewPlaygroundCache(4)
	host := api.Host{Scorer: counted, Cache: cache}
	fresh := api.Host{Scorer: demoS}
	item := firstLine(t, "../../examples/math.jsonl")
	var it map[string]any
	if err := json.Unmarshal([]byte(item), &it); err != nil {
		t.Fatal(err)
	}
	rub, err := json.Marshal(it["rubric"])
	if err != nil {
		t.Fatal(err)
	}
	delete(it, "rubric")
	bare, _ := json.Marshal(it)
	const cfgA = "schema_version: 1\npreset: rcsd\nprompt:\n  chat: plain\n"
	const cfgB = "schema_version: 1\npreset: rcsd\nprompt:\n  chat: plain\nloss:\n  divergence: jsd\n  beta: 0.3\n  support: teacher-topk\n  top_k: 10\n  clip_entry: 0.1\n"
	norm := func(b []byte) string {
		return cachedRE.ReplaceAllString(timingsRE.ReplaceAllString(string(b), `"timings":{}`), "")
	}
	call := func(name string, req api.PlaygroundRequest) []byte {
		t.Helper()
		body, _ := json.Marshal(req)
		got := api.Call(ctx, host, api.MethodPlayground, body)
		want := api.Call(ctx, fresh, api.MethodPlayground, body)
		if got.Status != 200 || want.Status != 200 {
			t.Fatalf("%s: status %d, %d: %.300s", name, got.Status, want.Status, got.Body)
		}
		if d := cmp.Diff(norm(want.Body), norm(got.Body)); d != "" {
			t.Errorf("%s: the cached reply differs from a fresh one (-fresh +cached)\n%s", name, d)
		}
		return got.Body
	}
	edit := func(r string, i int) string {
		out := strings.Replace(r, `"weight":7`, fmt.Sprintf(`"weight":%d`, 7+i), 1)
		if out == r {
			t.Fatalf("the edit did not apply to %s", r)
		}
		return out
	}
	req := api.PlaygroundRequest{Config: cfgA, ConfigFile: "rcsd-config.yaml", Rubric: string(rub), RubricFile: "rubric.json", Item: string(bare)}
	call("first", req)
	nresp := len(it["responses"].([]any))
	passes := counted.passes.Load()
	if passes != int64(4*nresp) {
		t.Errorf("first call: %d scoring passes for %d responses, want 4 each (student and teacher, top-k and log-probs)", passes, nresp)
	}
	req.Config = cfgB
	call("loss-setting edit", req)
	if n := counted.passes.Load() - passes; n != 0 {
		t.Errorf("a loss-setting edit scored %d passes", n)
	}
	for i := 1; i <= 2; i++ {
		passes = counted.passes.Load()
		req.Rubric = edit(string(rub), i)
		call(fmt.Sprintf("rubric edit %d", i), req)
		if n := counted.passes.Load() - passes; n < int64(2*nresp) || n > int64(3*nresp) {
			t.Errorf("rubric edit %d: %d scoring passes, want the teacher's 2 per response (3 if the student needs new ids)", i, n)
		}
	}
	req.Rubric = string(rub)
	call("rubric back", req)
	req.Attribution = true
	passes = counted.passes.Load()
	call("attribution", req)
	all := counted.passes.Load() - passes
	passes = counted.passes.Load()
	req.Rubric = edit(string(rub), 3)
	call("attribution, rubric edit", req)
	if n := counted.passes.Load() - passes; n > all*2/3 {
		t.Errorf("a rubric edit with attribution scored %d passes of %d: the unchanged sides were scored again", n, all)
	}
	req.Attribution = false

	// The compact form: the same numbers in columns, the token details
	// left out when the caller has them.
	full := call("full form", req)
	req.Compact = true
	compact := call("compact form", req)
	var f, c struct {
		Loss api.PlaygroundLoss `json:"loss"`
	}
	if err := json.Unmarshal(full, &f); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(compact, &c); err != nil {
		t.Fatal(err)
	}
	if c.Loss.TokensID == "" || len(c.Loss.Columns) != len(f.Loss.Results) || len(c.Loss.Tokens) != len(f.Loss.Tokens) {
		t.Fatalf("compact: id %q, %d columns, %d token lists for %d results", c.Loss.TokensID, len(c.Loss.Columns), len(c.Loss.Tokens), len(f.Loss.Results))
	}
	if d := cmp.Diff(f.Loss.Tokens, c.Loss.Tokens); d != "" {
		t.Errorf("compact token details differ\n%s", d)
	}
	for k, res := range f.Loss.Results {
		col := c.Loss.Columns[k]
		if col.ID != res.ID || len(col.Flags) != len(res.Tokens) || len(c.Loss.Results[k].Tokens) != 0 {
			t.Fatalf("result %d: columns %s with %d flags, %d tokens in the slim result", k, col.ID, len(col.Flags), len(c.Loss.Results[k].Tokens))
		}
		for i, tok := range res.Tokens {
			flags := int(col.Flags[i] - '0')
			if col.Divergence[i] != tok.Divergence || col.Advantage[i] != tok.Advantage || col.LogProbStudent[i] != tok.LogProbStudent ||
				col.LogProbTeacher[i] != tok.LogProbTeacher || (flags&api.FlagValid != 0) != tok.Valid ||
				(flags&api.FlagClipped != 0) != tok.Clipped || (flags&api.FlagHasAdvantage != 0) != tok.HasAdvantage {
				t.Fatalf("result %d token %d: columns differ from %+v", k, i, tok)
			}
		}
		slim := res
		slim.Tokens = c.Loss.Results[k].Tokens
		if d := cmp.Diff(slim, c.Loss.Results[k]); d != "" {
			t.Errorf("result %d: the slim result differs but for its tokens\n%s", k, d)
		}
	}
	// Without alternatives: the texts, and the alternatives on demand.
	req.NoAlternatives = true
	var na struct {
		Loss api.PlaygroundLoss `json:"loss"`
	}
	if err := json.Unmarshal(call("compact, no alternatives", req), &na); err != nil {
		t.Fatal(err)
	}
	if na.Loss.TokensID == c.Loss.TokensID || len(na.Loss.Tokens) != len(f.Loss.Tokens) {
		t.Fatalf("no alternatives: id %q, %d token lists", na.Loss.TokensID, len(na.Loss.Tokens))
	}
	for k, toks := range f.Loss.Tokens {
		for i, d := range toks {
			if g := na.Loss.Tokens[k][i]; g.Text != d.Text || g.Student != nil || g.Teacher != nil {
				t.Fatalf("no alternatives: result %d token %d: %+v", k, i, g)
			}
		}
		got, ok := cache.Alternatives(na.Loss.TracesID, k, 0, len(toks), 5)
		if !ok {
			t.Fatalf("Alternatives(%d) not found", k)
		}
		// As JSON, as the host sends them (a byte-fallback token's text is
		// not UTF-8 until encoded).
		b, _ := json.Marshal(got)
		got = nil
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(toks, got); d != "" {
			t.Errorf("Alternatives(%d) differ from the reply's details\n%s", k, d)
		}
	}
	if _, ok := cache.Alternatives("nope", 0, 0, 1, 5); ok {
		t.Error("Alternatives of an unknown id")
	}
	if _, ok := cache.Alternatives(na.Loss.TracesID, 0, 0, 1<<20, 5); ok {
		t.Error("Alternatives beyond the result")
	}
	req.NoAlternatives = false
	req.KnownTokens = c.Loss.TokensID
	req.Config = cfgA
	known := call("compact, tokens known", req)
	var kn struct {
		Loss api.PlaygroundLoss `json:"loss"`
	}
	if err := json.Unmarshal(known, &kn); err != nil {
		t.Fatal(err)
	}
	if kn.Loss.Tokens != nil || kn.Loss.TokensID != c.Loss.TokensID || len(kn.Loss.Columns) != len(c.Loss.Columns) {
		t.Errorf("known tokens: %d token lists, id %q (was %q)", len(kn.Loss.Tokens), kn.Loss.TokensID, c.Loss.TokensID)
	}
	req.Rubric = edit(string(rub), 4)
	changed := call("compact, rubric edit", req)
	var ch struct {
		Loss api.PlaygroundLoss `json:"loss"`
	}
	if err := json.Unmarshal(changed, &ch); err != nil {
		t.Fatal(err)
	}
	if ch.Loss.Tokens == nil || ch.Loss.TokensID == c.Loss.TokensID {
		t.Errorf("a rubric edit kept the token details' id %q", ch.Loss.TokensID)
	}
	// Without alternatives, a rubric edit keeps the texts' id (the
	// response's tokens did not change) but not the traces'.
	req.NoAlternatives, req.KnownTokens = true, na.Loss.TokensID
	var ne struct {
		Loss api.PlaygroundLoss `json:"loss"`
	}
	req.Rubric = edit(string(rub), 5)
	if err := json.Unmarshal(call("compact, no alternatives, rubric edit", req), &ne); err != nil {
		t.Fatal(err)
	}
	if ne.Loss.TokensID != na.Loss.TokensID || ne.Loss.Tokens != nil || ne.Loss.TracesID == na.Loss.TracesID || ne.Loss.TracesID == "" {
		t.Errorf("no alternatives, rubric edit: tokens id %q (was %q), %d token lists, traces id %q (was %q)",
			ne.Loss.TokensID, na.Loss.TokensID, len(ne.Loss.Tokens), ne.Loss.TracesID, na.Loss.TracesID)
	}
	// Pasted traces: the id follows the text.
	req = api.PlaygroundRequest{Config: cfgA, Item: item, ReturnTraces: true}
	var withTraces struct {
		Loss api.PlaygroundLoss `json:"loss"`
	}
	if err := json.Unmarshal(call("return traces", req), &withTraces); err != nil {
		t.Fatal(err)
	}
	req = api.PlaygroundRequest{Config: cfgA, Item: item, Traces: withTraces.Loss.Traces, Compact: true}
	var p1, p2 struct {
		Loss api.PlaygroundLoss `json:"loss"`
	}
	_ = json.Unmarshal(call("pasted, compact", req), &p1)
	req.Config, req.KnownTokens = cfgB, p1.Loss.TokensID
	_ = json.Unmarshal(call("pasted, compact, known", req), &p2)
	if p1.Loss.TokensID == "" || p2.Loss.TokensID != p1.Loss.TokensID || p2.Loss.Tokens != nil || p1.Loss.Tokens == nil {
		t.Errorf("pasted traces: ids %q, %q; %d, %d token lists", p1.Loss.TokensID, p2.Loss.TokensID, len(p1.Loss.Tokens), len(p2.Loss.Tokens))
	}
}

// Pasted traces are parsed and checked once per text: the cached host's
// replies equal a fresh host's across loss-setting edits, and a bad line
// is reported the same way each time.
func TestPlaygroundPastedTracesCached(t *testing.T) {
	ctx := context.Background()
	item := firstLine(t, "../../examples/math.jsonl")
	const cfgA = "schema_version: 1\npreset: rcsd\nprompt:\n  chat: plain\n"
	const cfgB = "schema_version: 1\npreset: rcsd\nprompt:\n  chat: plain\nloss:\n  divergence: reverse\n  support: teacher-topk\n  top_k: 5\n"
	gen := api.Playground(ctx, api.PlaygroundRequest{Config: cfgA, Item: item, ReturnTraces: true}, nil, demoScorer(t))
	if gen.Loss == nil || gen.Loss.Traces == "" {
		t.Fatal("no traces to paste")
	}
	cached := api.Host{Cache: api.NewPlaygroundCache(4)}
	norm := func(b []byte) string {
		return cachedRE.ReplaceAllString(timingsRE.ReplaceAllString(string(b), `"timings":{}`), "")
	}
	traces := gen.Loss.Traces + `{"id": "bad", "student": [{"token_id": -1, "logprob": 0}], "teacher": []}` + "\n"
	for i, cfg := range []string{cfgA, cfgB, cfgA, cfgB} {
		for _, compact := range []bool{false, true} {
			body, _ := json.Marshal(api.PlaygroundRequest{Config: cfg, Item: item, Traces: traces, Compact: compact})
			got := api.Call(ctx, cached, api.MethodPlayground, body)
			want := api.Call(ctx, api.Host{}, api.MethodPlayground, body)
			if got.Status != 200 || want.Status != 200 {
				t.Fatalf("call %d: status %d, %d", i, got.Status, want.Status)
			}
			if d := cmp.Diff(norm(want.Body), norm(got.Body)); d != "" {
				t.Fatalf("call %d (compact %v): the cached reply differs (-fresh +cached)\n%s", i, compact, d)
			}
			if i > 0 && !strings.Contains(string(got.Body), `"cached":true`) {
				t.Errorf("call %d: the pasted traces were parsed again", i)
			}
			if !regexp.MustCompile(`"severity":"error"[^}]*"file":"traces","line":5`).Match(got.Body) {
				t.Errorf("call %d: the bad line is not reported", i)
			}
		}
	}
}
