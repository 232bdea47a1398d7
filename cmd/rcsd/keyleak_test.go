package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rcsd-dev/rcsd/core/redact"
	"github.com/rcsd-dev/rcsd/core/remote/remotetest"
)

// leakKey is the grader key of the tests below; the fake grader echoes it.
const leakKey = "sk-leak-test-5f4e3d2c1b0a99887766"

// keyFragment returns the first piece of leakKey of redact.MinFragment
// bytes found in s, or "".
func keyFragment(s string) string {
	for i := 0; i+redact.MinFragment <= len(leakKey); i++ {
		if f := leakKey[i : i+redact.MinFragment]; strings.Contains(s, f) {
			return f
		}
	}
	return ""
}

// TestEvalEchoedKeyLeavesNoTrace: `rcsd eval --judge llm` against a
// grader that repeats the key in every verdict and in an error body cut
// across byte 200 writes no piece of it (8 bytes or more) to the
// records, the reply cache, the HTML report, the summary or stderr.
func TestEvalEchoedKeyLeavesNoTrace(t *testing.T) {
	s := remotetest.NewServer(remotetest.Options{APIKey: leakKey, EchoKey: true,
		Schedule: []remotetest.Fault{remotetest.FaultEchoError, remotetest.FaultEchoError, remotetest.FaultEchoError}})
	defer s.Close()
	t.Setenv("RCSD_JUDGE_API_KEY", leakKey)
	dir := t.TempDir()
	item := map[string]any{
		"prompt_id": "ankle",
		"prompt":    []map[string]string{{"role": "user", "content": "What can I take for a sprained ankle?"}},
		"rubrics": []map[string]any{
			{"criterion": `Suggests "ibuprofen".`, "points": 5, "tags": []string{}},
			{"criterion": `Recommends "aspirin".`, "points": -3, "tags": []string{}},
		},
		"responses": []string{"Take ibuprofen and rest the ankle.", "Take aspirin."},
	}
	line, err := json.Marshal(item)
	if err != nil {
		t.Fatal(err)
	}
	in := writeFile(t, dir, "items.jsonl", string(line)+"\n")
	out := filepath.Join(dir, "out.jsonl")
	sum, rep := filepath.Join(dir, "summary.json"), filepath.Join(dir, "report.html")
	stdout, stderr, code := rcsd(t, "", "eval", "--judge", "llm", "--judge-url", s.URL, "--judge-model", "grader",
		"--judge-mode", "per-criterion", "--judge-retries", "1", "--concurrency", "1", "--no-progress",
		"--overwrite", "-o", out, "--summary", sum, "--report", rep, in)
	// The first response's two criteria are asked at once and both
	// retried once: one fails twice (its error is recorded), the other
	// once; the second response's two are answered.
	if n := s.Requests(); n != 2+2+2 {
		t.Fatalf("%d grader requests, want 6; exit %d, stderr:\n%s", n, code, stderr)
	}
	texts := map[string]string{"stdout": stdout, "stderr": stderr}
	for _, p := range []string{out, out + ".cache", sum, rep} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		texts[filepath.Base(p)] = string(b)
	}
	for name, text := range texts {
		if f := keyFragment(text); f != "" {
			t.Errorf("%s holds %q of the key:\n%.2000s", name, f, text)
		}
	}
	if !strings.Contains(texts["out.jsonl"], "[redacted]") || !strings.Contains(texts["out.jsonl"], "HTTP 500") {
		t.Errorf("the records lack the redacted echo or the failed criterion:\n%s", texts["out.jsonl"])
	}
}
