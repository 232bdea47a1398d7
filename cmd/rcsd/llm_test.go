package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rcsd-dev/rcsd/core/judge"
	"github.com/rcsd-dev/rcsd/core/remote"
	"github.com/rcsd-dev/rcsd/core/remote/remotetest"
	"github.com/rcsd-dev/rcsd/core/rubric"
)

// llmTestInput is graded by the test server's KeywordRule: c1 and c3 are
// met, c2 is not.
func llmTestInput(response string) *judge.Input {
	return &judge.Input{
		Prompt:   "user: What can I take for a sprained ankle?",
		Response: response,
		Rubric: &rubric.Rubric{Criteria: []rubric.Criterion{
			{ID: "c1", Description: `Suggests "ibuprofen".`, Weight: 5},
			{ID: "c2", Description: `Recommends "aspirin".`, Weight: -3},
			{ID: "c3", Description: `Says to "rest" the ankle.`, Weight: 2},
		}},
	}
}

func llmTestSettings(s *remotetest.Server, mode, cache string) llmSettings {
	return llmSettings{url: s.URL, model: "grader", mode: mode, cache: cache, timeout: time.Minute, retries: 3} // the timeout detects a hung server only
}

// llmJudgeOnce runs one judge, as one rcsd eval run would: build, judge the
// inputs, close.
func llmJudgeOnce(t *testing.T, st llmSettings, ins ...*judge.Input) [][]judge.Verdict {
	t.Helper()
	j, closeFn, err := newLLMJudge(st)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]judge.Verdict
	for _, in := range ins {
		out = append(out, j.Judge(context.Background(), in))
	}
	if err := closeFn(); err != nil {
		t.Fatalf("close: %v", err)
	}
	return out
}

func llmMetOf(vs []judge.Verdict) []string {
	s := make([]string, len(vs))
	for i, v := range vs {
		switch {
		case v.Met == nil:
			s[i] = v.ID + ": error: " + v.Error
		case *v.Met:
			s[i] = v.ID + ": met"
		default:
			s[i] = v.ID + ": not met"
		}
	}
	return s
}

// checkLLMCacheFile asserts that the file is a header and whole entries.
func checkLLMCacheFile(t *testing.T, path string) (entries int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, cacheHeaderLine) || !bytes.HasSuffix(data, []byte("\n")) {
		t.Fatalf("cache file is not a header and whole lines:\n%s", data)
	}
	lines := strings.Split(strings.TrimSuffix(string(data[len(cacheHeaderLine):]), "\n"), "\n")
	for i, l := range lines {
		var e cacheEntry
		if err := decodeCacheLine([]byte(l), &e); err != nil || len(e.Key) != 64 || e.Reply == "" {
			t.Errorf("entry line %d %q: %v", i+2, l, err)
		}
	}
	return len(lines)
}

// TestLLMJudgeCacheRerun runs the judge twice on the same cache file: the
// second run, a fresh process as far as the judge can tell, must ask the
// grader nothing and give the same verdicts.
func TestLLMJudgeCacheRerun(t *testing.T) {
	s := remotetest.NewServer(remotetest.Options{})
	defer s.Close()
	cache := filepath.Join(t.TempDir(), "out.jsonl.cache")
	in := llmTestInput("Take ibuprofen and rest the ankle.")
	want := []string{"c1: met", "c2: not met", "c3: met"}

	var first [][]judge.Verdict
	for _, mode := range []string{"per-criterion", "per-response"} {
		vs := llmJudgeOnce(t, llmTestSettings(s, mode, cache), in)[0]
		if d := cmp.Diff(want, llmMetOf(vs)); d != "" {
			t.Fatalf("%s (-want +got)\n%s", mode, d)
		}
		first = append(first, vs)
	}
	if n := s.Requests(); n != 3+1 {
		t.Fatalf("first run: %d requests, want 4", n)
	}
	if n := checkLLMCacheFile(t, cache); n != 4 {
		t.Errorf("%d cache entries, want 4", n)
	}

	for k, mode := range []string{"per-criterion", "per-response"} {
		vs := llmJudgeOnce(t, llmTestSettings(s, mode, cache), in)[0]
		if d := cmp.Diff(first[k], vs); d != "" {
			t.Errorf("%s rerun verdicts (-first +rerun)\n%s", mode, d)
		}
	}
	if n := s.Requests(); n != 4 {
		t.Errorf("rerun made %d requests, want 0", n-4)
	}
}

// TestLLMJudgeTornCache: a run killed mid-write leaves half a line; the
// next run loads the whole lines, cuts the torn one, and appends after it.
func TestLLMJudgeTornCache(t *testing.T) {
	s := remotetest.NewServer(remotetest.Options{})
	defer s.Close()
	cache := filepath.Join(t.TempDir(), "judge.cache")
	st := llmTestSettings(s, "per-criterion", cache)
	llmJudgeOnce(t, st, llmTestInput("Take ibuprofen and rest."))
	f, err := os.OpenFile(cache, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"key":"0123","reply":"{\"criteria_met\": tr`); err != nil {
		t.Fatal(err)
	}
	f.Close()

	n := s.Requests()
	got := llmJudgeOnce(t, st, llmTestInput("Take ibuprofen and rest."), llmTestInput("Take aspirin."))
	if d := cmp.Diff([]string{"c1: not met", "c2: met", "c3: not met"}, llmMetOf(got[1])); d != "" {
		t.Errorf("new input (-want +got)\n%s", d)
	}
	if asked := s.Requests() - n; asked != 3 {
		t.Errorf("after the torn line: %d requests, want 3 (the new input only)", asked)
	}
	if e := checkLLMCacheFile(t, cache); e != 6 {
		t.Errorf("%d cache entries, want 6", e)
	}
	n = s.Requests()
	llmJudgeOnce(t, st, llmTestInput("Take ibuprofen and rest."), llmTestInput("Take aspirin."))
	if s.Requests() != n {
		t.Errorf("third run made %d requests, want 0", s.Requests()-n)
	}
}

func TestReplyCacheFiles(t *testing.T) {
	header := string(cacheHeaderLine)
	entry := `{"key":"k1","reply":"r1"}` + "\n"
	tests := []struct {
		name, content string
		err           string // "" when the file opens
		after         string // the file after opening, when it opens
		entries       map[string]string
	}{
		{"new", "", "", header, map[string]string{}},
		{"entries", header + entry, "", header + entry, map[string]string{"k1": "r1"}},
		{"torn entry", header + entry + `{"key":"k2","re`, "", header + entry, map[string]string{"k1": "r1"}},
		{"torn header", header[:10], "", header, map[string]string{}},
		{"later entry wins", header + entry + `{"key":"k1","reply":"r2"}` + "\n", "", header + entry + `{"key":"k1","reply":"r2"}` + "\n", map[string]string{"k1": "r2"}},
		{"not a cache, no newline", `{"id": 1}`, "not an rcsd judge cache (no header line)", "", nil},
		{"not a cache", "{\"id\": 1}\n{\"id\": 2}\n", "not an rcsd judge cache (line 1 is not its header)", "", nil},
		{"newer version", `{"format":"rcsd-judge-cache","version":2}` + "\n", "cache format version 2; this rcsd reads version 1", "", nil},
		{"bad middle line", header + entry + "oops\n" + entry, "line 3: not a cache entry: invalid character 'o' looking for beginning of value", "", nil},
		{"unknown field", header + `{"key":"k","reply":"r","extra":1}` + "\n", `line 2: not a cache entry: json: unknown field "extra"`, "", nil},
		{"no key", header + `{"reply":"r"}` + "\n", "line 2: not a cache entry: no key", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "c")
			if tt.content != "" {
				if err := os.WriteFile(p, []byte(tt.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			c, err := openReplyCache(p, nil)
			if tt.err != "" {
				want := "judge cache " + p + ": " + tt.err + " (delete the file to start afresh)"
				if err == nil || err.Error() != want {
					t.Errorf("error %v\nwant %s", err, want)
				}
				if data, _ := os.ReadFile(p); string(data) != tt.content {
					t.Errorf("a file that failed to open was changed to %q", data)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.entries, c.entries); d != "" {
				t.Errorf("entries (-want +got)\n%s", d)
			}
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			if data, _ := os.ReadFile(p); string(data) != tt.after {
				t.Errorf("file after opening %q, want %q", data, tt.after)
			}
		})
	}
}

func TestReplyCachePut(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c")
	c, err := openReplyCache(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Put("k", "<b>a\nreply</b>")
	c.Put("k", "<b>a\nreply</b>") // the same again is not written twice
	if r, ok := c.Get("k"); !ok || r != "<b>a\nreply</b>" {
		t.Errorf("Get = %q, %v", r, ok)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c.Put("late", "x") // after Close: memory only, no panic
	if _, ok := c.Get("late"); !ok {
		t.Error("Put after Close lost the entry")
	}
	data, _ := os.ReadFile(p)
	if want := string(cacheHeaderLine) + `{"key":"k","reply":"<b>a\nreply</b>"}` + "\n"; string(data) != want {
		t.Errorf("file %q, want %q", data, want)
	}
}

func TestNewLLMJudgeSettings(t *testing.T) {
	tests := []struct {
		name string
		st   llmSettings
		err  string
	}{
		{"bad mode", llmSettings{url: "http://127.0.0.1:1/v1", model: "m", mode: "batch"}, `--judge-mode: unknown llm judge mode "batch": want per-criterion or per-response`},
		{"no model", llmSettings{url: "http://127.0.0.1:1/v1", mode: "per-criterion"}, "--judge-url needs --judge-model (the grader's model name, as the server knows it)"},
		{"bad url", llmSettings{url: "ftp://example.com/v1", model: "m", mode: "per-response"}, `--judge-url: remote: base URL "ftp://example.com/v1": scheme must be http or https`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := newLLMJudge(tt.st)
			if err == nil || err.Error() != tt.err {
				t.Errorf("error %v\nwant %s", err, tt.err)
			}
		})
	}

	j, closeFn, err := newLLMJudge(llmSettings{url: "http://127.0.0.1:1/v1", model: "m", mode: "per-criterion", key: "sk-k", retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	l := j.(*judge.LLM)
	if c := l.Client.(*remote.Client); c.Limiter.Cap() != defaultLLMConcurrency || c.APIKey != "sk-k" || c.MaxRetries != 0 || l.Cache != nil || l.Reask != llmReask {
		t.Errorf("client %+v, judge %+v", c, l)
	}
}

// TestEvalWithLLMJudge runs `rcsd eval --judge llm` against the test
// server twice; the rerun is answered from FILE.cache.
func TestEvalWithLLMJudge(t *testing.T) {
	s := remotetest.NewServer(remotetest.Options{})
	defer s.Close()
	dir := t.TempDir()
	in := ankleItems(t, dir)
	out := filepath.Join(dir, "out.jsonl")
	args := []string{"eval", "--judge", "llm", "--judge-url", s.URL, "--judge-model", "grader", "--no-progress", "-q", "--overwrite", "-o", out, in}

	_, stderr, code := rcsd(t, "", args...)
	if code != exitOK {
		t.Fatalf("first run: exit %d, stderr:\n%s", code, stderr)
	}
	if n := s.Requests(); n != 4 {
		t.Errorf("first run: %d requests, want 4 (2 responses × 2 criteria)", n)
	}
	first, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(first), `"judge":"llm"`) && !strings.Contains(string(first), `"judge": "llm"`) {
		t.Errorf("no llm verdicts in the output:\n%s", first)
	}
	if _, err := os.Stat(out + ".cache"); err != nil {
		t.Errorf("no default cache next to the output: %v", err)
	}

	_, stderr, code = rcsd(t, "", args...)
	if code != exitOK {
		t.Fatalf("rerun: exit %d, stderr:\n%s", code, stderr)
	}
	if n := s.Requests(); n != 4 {
		t.Errorf("rerun made %d requests, want 0", n-4)
	}
}

// ankleItems writes a one-item HealthBench file (two criteria, one of
// them negative, two responses) for the llm judge's tests.
func ankleItems(t *testing.T, dir string) string {
	t.Helper()
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
	return writeFile(t, dir, "items.jsonl", string(line)+"\n")
}
