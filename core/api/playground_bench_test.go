package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"

	"github.com/rcsd-dev/rcsd/core/api"
	"github.com/rcsd-dev/rcsd/core/eval"
	"github.com/rcsd-dev/rcsd/core/prompt"
	"github.com/rcsd-dev/rcsd/core/trace"
)

// benchInput is the playground's speed budget case: a 20-criterion
// rubric and one response of about 2,000 demo-model tokens.
func benchInput(b *testing.B) (rubricYAML, item string) {
	var rb strings.Builder
	rb.WriteString("schema_version: 1\ncriteria:\n")
	for i := range 20 {
		fmt.Fprintf(&rb, "  - id: c%d\n    description: The answer explains point %d about photosynthesis and light.\n    weight: %d\n    checks: [{kind: any, terms: [chlorophyll, light%d, glucose]}]\n", i, i, 1+i%5, i)
	}
	sentence := "Plants capture light with chlorophyll and turn carbon dioxide and water into glucose and oxygen. "
	resp := strings.Repeat(sentence, 46)
	it, _ := json.Marshal(map[string]any{"prompt": "Explain photosynthesis.", "responses": []string{resp}})
	return rb.String(), string(it)
}

// BenchmarkPlayground measures one recompute after an edit: judging and
// scoring only; the loss from cached (pasted) traces; and everything with
// the demo model scoring both contexts. `make bench` runs it natively;
// GOOS=js GOARCH=wasm go test -tags rcsd_stdjson -bench Playground runs it
// in Node's WebAssembly engine, as the browser would.
func BenchmarkPlayground(b *testing.B) {
	rub, item := benchInput(b)
	ctx := context.Background()
	const cfg = "schema_version: 1\npreset: rcsd\nprompt: {chat: plain}\njudge: {kind: rules}\n"
	scorer := demoScorer(b)
	full := api.Playground(ctx, api.PlaygroundRequest{Config: cfg, Rubric: rub, Item: item}, nil, scorer)
	if full.Loss == nil || len(full.Loss.Results) != 1 {
		b.Fatalf("no loss: %v", full.Diagnostics)
	}
	b.ReportMetric(float64(len(full.Loss.Results[0].Tokens)), "tokens")
	e, _ := api.NewEvaluator(api.EvalConfig{})
	pit, _ := eval.ParseItem([]byte(item), 1, eval.ParseOptions{Rubric: full.Rubric})
	trs, dl := e.Traces(ctx, scorer, pit, api.LogprobsConfig{Prompt: prompt.Options{Chat: prompt.Plain}})
	if dl.HasErrors() || len(trs) != 1 {
		b.Fatal(dl)
	}
	var sb strings.Builder
	for _, tr := range trs {
		sb.Write(trace.Encode(tr))
		sb.WriteByte('\n')
	}
	traces := sb.String()
	if r := api.Playground(ctx, api.PlaygroundRequest{Config: cfg, Rubric: rub, Item: item, Traces: traces}, nil, nil); r.Loss == nil || len(r.Loss.Results) != 1 {
		b.Fatalf("pasted traces give no loss: %v", r.Diagnostics)
	}
	b.Run("judge", func(b *testing.B) {
		for b.Loop() {
			api.Playground(ctx, api.PlaygroundRequest{Config: cfg, Rubric: rub, Item: item}, nil, nil)
		}
	})
	b.Run("judge+loss-from-traces", func(b *testing.B) {
		for b.Loop() {
			api.Playground(ctx, api.PlaygroundRequest{Config: cfg, Rubric: rub, Item: item, Traces: traces}, nil, nil)
		}
	})
	b.Run("judge+demo-model", func(b *testing.B) {
		for b.Loop() {
			api.Playground(ctx, api.PlaygroundRequest{Config: cfg, Rubric: rub, Item: item}, nil, scorer)
		}
	})

	// The page's edits through Call (the JSON reply included), with the
	// bridge's cache: a loss-setting edit answered from the cached traces
	// (the full reply, then the compact one whose token details the page
	// has), and a rubric edit that re-scores the teacher only.
	cache := api.NewPlaygroundCache(8)
	host := api.Host{Scorer: scorer, Cache: cache}
	body := func(req api.PlaygroundRequest) []byte {
		out, err := json.Marshal(req)
		if err != nil {
			b.Fatal(err)
		}
		return out
	}
	clip := func(i int) string {
		return cfg + fmt.Sprintf("loss: {divergence: forward, temperature: 1.2, support: teacher-topk, top_k: 20, clip_entry: 0.0%d}\n", 5+i%4)
	}
	if r := api.Call(ctx, host, api.MethodPlayground, body(api.PlaygroundRequest{Config: clip(1), Rubric: rub, Item: item})); !strings.Contains(string(r.Body), `"loss":{"source":"scorer","results":[{`) {
		b.Fatalf("no loss: %.2000s", r.Body)
	}
	b.Run("cached-loss-edit/full", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			api.Call(ctx, host, api.MethodPlayground, body(api.PlaygroundRequest{Config: clip(i), Rubric: rub, Item: item}))
		}
	})
	// The page's request: compact, texts only, the texts it has.
	first := api.Call(ctx, host, api.MethodPlayground, body(api.PlaygroundRequest{Config: cfg, Rubric: rub, Item: item, Compact: true, NoAlternatives: true}))
	var r struct {
		Loss api.PlaygroundLoss `json:"loss"`
	}
	if err := json.Unmarshal(first.Body, &r); err != nil || r.Loss.TokensID == "" {
		b.Fatalf("no tokens id: %v", err)
	}
	b.ReportMetric(float64(len(first.Body)), "compact-bytes")
	b.Run("cached-loss-edit/page", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			api.Call(ctx, host, api.MethodPlayground, body(api.PlaygroundRequest{Config: clip(i), Rubric: rub, Item: item, Compact: true, NoAlternatives: true, KnownTokens: r.Loss.TokensID}))
		}
	})
	b.Run("rubric-edit-rescore/page", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			edited := strings.Replace(rub, "point 1 about", fmt.Sprintf("point 1 (edit %d) about", i), 1)
			api.Call(ctx, host, api.MethodPlayground, body(api.PlaygroundRequest{Config: cfg, Rubric: edited, Item: item, Compact: true, NoAlternatives: true, KnownTokens: r.Loss.TokensID}))
		}
	})
}
