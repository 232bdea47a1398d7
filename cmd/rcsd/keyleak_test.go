package main

import (
	"io"
	"net/http"
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
func keyFragment(s string) string { return redact.Leak(leakKey, s) }

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
	in := ankleItems(t, dir)
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

// post sends a POST with a Content-Type and an Origin ("" for none).
func post(t *testing.T, url, contentType, origin, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

const serveItem = `{"config": {"judge": "llm"}, "items": "{\"id\": \"q1\", \"prompt\": \"Pain?\", \"response\": \"Take ibuprofen.\", \"rubric\": [{\"criterion\": \"Suggests \\\"ibuprofen\\\".\", \"points\": 5}, {\"criterion\": \"Recommends \\\"aspirin\\\".\", \"points\": -3}]}"}`

// TestServeKeyBehindTheServer: `rcsd serve` with a grader key refuses a
// simple text/plain POST from another web page with 403 (the grader is
// never asked), answers an --allow-origin page with CORS headers and its
// own page without, and no reply or log line holds any 8-byte piece of
// the key, though the grader echoes it in verdicts and in an error body
// cut across byte 200.
func TestServeKeyBehindTheServer(t *testing.T) {
	g := remotetest.NewServer(remotetest.Options{APIKey: leakKey, EchoKey: true,
		// serve's client tries each criterion 3 times; of the two asked at
		// once, one meets 3 of these 5 faults and is reported failed.
		Schedule: []remotetest.Fault{remotetest.FaultEchoError, remotetest.FaultEchoError, remotetest.FaultEchoError, remotetest.FaultEchoError, remotetest.FaultEchoError}})
	defer g.Close()
	s := startServe(t, []string{"RCSD_JUDGE_URL=" + g.URL, "RCSD_JUDGE_MODEL=grader-1", "RCSD_JUDGE_API_KEY=" + leakKey},
		"--allow-origin", "https://ok.example")
	api := s.url + "api/v1/evaluate"

	code, h, body := post(t, api, "text/plain", "https://evil.example", serveItem)
	if code != 403 || !strings.Contains(body, `"code":"origin-not-allowed"`) || h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("evil origin: %d %v %s", code, h, body)
	}
	if n := g.Requests(); n != 0 {
		t.Fatalf("a refused request reached the grader (%d requests)", n)
	}
	var bodies []string
	code, h, body = post(t, api, "text/plain", "https://ok.example", serveItem)
	if code != 200 || h.Get("Access-Control-Allow-Origin") != "https://ok.example" {
		t.Errorf("allowed origin: %d %v %s", code, h, body)
	}
	bodies = append(bodies, body)
	code, h, body = post(t, api, "application/json", strings.TrimSuffix(s.url, "/"), serveItem)
	if code != 200 || h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("same origin: %d %v %s", code, h, body)
	}
	bodies = append(bodies, body)
	s.stop(t, os.Interrupt)
	all := strings.Join(bodies, "\n")
	if !strings.Contains(all, "HTTP 500") || !strings.Contains(all, "[redacted]") {
		t.Errorf("want a failed criterion and a redacted echo in:\n%s", all)
	}
	for _, out := range []string{all, s.stderr.String()} {
		if f := keyFragment(out); f != "" {
			t.Errorf("%q of the key leaked: %s", f, out)
		}
	}
}

// TestServeKeylessStaysOpen: without a key any page may call, as before.
func TestServeKeylessStaysOpen(t *testing.T) {
	g := remotetest.NewServer(remotetest.Options{})
	defer g.Close()
	s := startServe(t, []string{"RCSD_JUDGE_URL=" + g.URL, "RCSD_JUDGE_MODEL=grader-1", "RCSD_JUDGE_API_KEY="}, "-q")
	code, h, body := post(t, s.url+"api/v1/evaluate", "text/plain", "https://evil.example", serveItem)
	if code != 200 || h.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(body, `"met":true`) {
		t.Errorf("keyless: %d %v %s", code, h, body)
	}
}
