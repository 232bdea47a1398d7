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
}
