package main

import (
	"strings"
	"testing"

	"github.com/rcsd-dev/rcsd/core/remote/lmserver"
	"github.com/rcsd-dev/rcsd/core/trace"
)

func readTraces(t *testing.T, out string) []*trace.Trace {
	t.Helper()
	var trs []*trace.Trace
	for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
		tr, dl := trace.Parse([]byte(line), i+1, "out")
		if dl.HasErrors() {
			t.Fatalf("trace %d: %v", i+1, dl)
		}
		trs = append(trs, tr)
	}
	return trs
}

// TestLogprobsBackends: the demo backend in process and the same model
// behind a real local vLLM-compatible and SGLang-compatible HTTP server give
// the same sampled-token log-probs for every trace; the served traces
// carry each side's own top k, the demo's the union of both sides'.
func TestLogprobsBackends(t *testing.T) {
	srv, err := lmserver.Start(lmserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	items := "../../examples/math.jsonl"
	demoOut, errOut, code := rcsd(t, "", "logprobs", "--backend", "demo", "--chat", "plain", "--topk", "5", items)
	if code != exitOK {
		t.Fatalf("demo: exit %d\n%s", code, errOut)
	}
	want := readTraces(t, demoOut)
	if len(want) != 12 {
		t.Fatalf("%d traces, want 12 (3 items × 4 responses)", len(want))
	}
	for _, backend := range []string{"vllm", "sglang"} {
		out, errOut, code := rcsd(t, "", "logprobs", "--backend", backend, "--url", srv.URL, "--model", lmserver.DefaultModelName,
			"--chat", "plain", "--topk", "5", "--concurrency", "4", items)
		if code != exitOK {
			t.Fatalf("%s: exit %d\n%s", backend, code, errOut)
		}
		got := readTraces(t, out)
		if len(got) != len(want) {
			t.Fatalf("%s: %d traces, want %d", backend, len(got), len(want))
		}
		for i := range got {
			if got[i].ID != want[i].ID || len(got[i].Student) != len(want[i].Student) {
				t.Fatalf("%s trace %d: %s with %d tokens, want %s with %d", backend, i, got[i].ID, len(got[i].Student), want[i].ID, len(want[i].Student))
			}
			for p := range got[i].Student {
				g, w := got[i].Student[p], want[i].Student[p]
				gt, wt := got[i].Teacher[p], want[i].Teacher[p]
				if g.TokenID != w.TokenID || g.LogProb != w.LogProb || gt.LogProb != wt.LogProb {
					t.Fatalf("%s trace %s position %d: student %v teacher %v, demo %v %v", backend, got[i].ID, p, g.LogProb, gt.LogProb, w.LogProb, wt.LogProb)
				}
				if len(g.Top) > 5 || len(w.Top) < 5 {
					t.Fatalf("%s position %d: %d served alternatives, demo %d", backend, p, len(g.Top), len(w.Top))
				}
			}
		}
	}
	// The demo traces serve the released RCSD setting exactly; the served
	// top-5 lists cannot serve a teacher top-20 support, which is an error.
	_, errOut, code = rcsd(t, demoOut, "loss", "--preset", "rcsd", "--topk", "5", "-")
	if code != exitOK {
		t.Errorf("rcsd loss on demo traces: exit %d\n%s", code, errOut)
	}
}

func TestLogprobsUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"logprobs", "../../examples/math.jsonl"}, exitUsage, "--chat is required"},
		{[]string{"logprobs", "--chat", "plain", "--backend", "vlm", "../../examples/math.jsonl"}, exitUsage, `(did you mean "vllm"?)`},
		{[]string{"logprobs", "--chat", "plain", "--backend", "vllm", "../../examples/math.jsonl"}, exitUsage, "needs --url"},
		{[]string{"logprobs", "--chat", "plain", "--backend", "vllm", "--url", "http://127.0.0.1:1", "--model", "m", "--retries", "0", "../../examples/math.jsonl"}, exitBadInput, "logprobs-scorer"},
	}
	for _, tt := range tests {
		_, errOut, code := rcsd(t, "", tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.err) {
			t.Errorf("rcsd %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tt.args, " "), code, errOut, tt.code, tt.err)
		}
	}
}
