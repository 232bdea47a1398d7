package main

import (
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rcsd-dev/rcsd/core/remote/remotetest"
)

// unjudgedItems writes n HealthBench-style items of two responses and two
// criteria each (the test grader meets a criterion when the response holds
// its quoted word).
func unjudgedItems(t *testing.T, dir string, n int) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < n; i++ {
		item := map[string]any{
			"prompt_id": fmt.Sprintf("q%02d", i),
			"prompt":    []map[string]string{{"role": "user", "content": "What can I take for a sprained ankle?"}},
			"rubrics": []map[string]any{
				{"criterion": `Suggests "ibuprofen".`, "points": 5, "tags": []string{}},
				{"criterion": `Recommends "aspirin".`, "points": -3, "tags": []string{}},
			},
			"responses": []string{fmt.Sprintf("Take ibuprofen and rest the ankle (%d).", i), fmt.Sprintf("Take aspirin (%d).", i)},
		}
		line, err := json.Marshal(item)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return writeFile(t, dir, "items.jsonl", b.String())
}

type verdictRecord struct {
	ID        string   `json:"id"`
	Index     int      `json:"response_index"`
	Score     *float64 `json:"score"`
	Advantage *float64 `json:"advantage"`
	Unjudged  int      `json:"unjudged"`
	Note      string   `json:"note"`
	Criteria  []struct {
		Met    *bool  `json:"met"`
		Status string `json:"status"`
		Error  string `json:"error"`
	} `json:"criteria"`
}

func readVerdictRecords(t *testing.T, p string) []verdictRecord {
	t.Helper()
	var out []verdictRecord
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, p)), "\n") {
		if line == "" {
			continue
		}
		var r verdictRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

// closedPort returns a loopback URL nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/v1"
}

// With the grader down, no response scores 0: every score is null with
// the reason, every verdict is unjudged with its error, no group has
// advantages, the run says it is incomplete and exits 4 (it exited 0 with
// every score 0).
func TestEvalGraderDownIsIncomplete(t *testing.T) {
	dir := t.TempDir()
	in := unjudgedItems(t, dir, 3)
	out := filepath.Join(dir, "out.jsonl")
	_, stderr, code := rcsd(t, "", "eval", "--judge", "llm", "--judge-url", closedPort(t), "--judge-model", "grader",
		"--judge-retries", "0", "--no-progress", "-o", out, in)
	if code != exitIncomplete {
		t.Fatalf("exit %d, want %d (incomplete); stderr:\n%s", code, exitIncomplete, stderr)
	}
	for _, want := range []string{"unjudged: 12 (in 6 response(s))", "rcsd eval: incomplete: 12 criteria in 6 response(s) could not be judged"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	recs := readVerdictRecords(t, out)
	if len(recs) != 6 {
		t.Fatalf("%d records, want 6", len(recs))
	}
	for _, r := range recs {
		if r.Score != nil || r.Advantage != nil || r.Unjudged != 2 || r.Note != "some criteria could not be judged, so the score is unknown" {
			t.Errorf("%s/%d: score %v advantage %v unjudged %d note %q", r.ID, r.Index, r.Score, r.Advantage, r.Unjudged, r.Note)
		}
		for _, v := range r.Criteria {
			if v.Met != nil || v.Status != "unjudged" || !strings.Contains(v.Error, "grader request failed") {
				t.Errorf("%s/%d: verdict %+v", r.ID, r.Index, v)
			}
		}
	}
	// -q keeps the incomplete line: a script must not miss it.
	_, stderr, code = rcsd(t, "", "eval", "--judge", "llm", "--judge-url", closedPort(t), "--judge-model", "grader",
		"--judge-retries", "0", "--no-progress", "-q", "--overwrite", "-o", out, in)
	if code != exitIncomplete || !strings.Contains(stderr, "rerun with --resume") {
		t.Errorf("-q: exit %d, stderr:\n%s", code, stderr)
	}
}

// A grader that answers 500 to some requests: those criteria are
// unjudged and the run exits 4; --resume against the recovered grader asks
// exactly those criteria again (the others come from the reply cache),
// keeps the other items' records as they were, and ends with the output a
// run without faults gives.
func TestEvalResumeRetriesUnjudged(t *testing.T) {
	dir := t.TempDir()
	in := unjudgedItems(t, dir, 6) // 6 items × 2 responses × 2 criteria = 24 requests
	const failures = 5
	sched := make([]remotetest.Fault, failures)
	for i := range sched {
		sched[i] = remotetest.Fault500
	}
	s := remotetest.NewServer(remotetest.Options{Schedule: sched})
	defer s.Close()
	out := filepath.Join(dir, "out.jsonl")
	args := []string{"eval", "--judge", "llm", "--judge-url", s.URL, "--judge-model", "grader", "--judge-retries", "0", "--no-progress", "-o", out}

	_, stderr, code := rcsd(t, "", append(args, "--overwrite", in)...)
	if code != exitIncomplete {
		t.Fatalf("first run: exit %d, want %d; stderr:\n%s", code, exitIncomplete, stderr)
	}
	if n := s.Requests(); n != 24 {
		t.Fatalf("first run: %d requests, want 24", n)
	}
	first := readVerdictRecords(t, out)
	unjudged, retryItems := 0, map[string]bool{}
	for _, r := range first {
		unjudged += r.Unjudged
		if r.Unjudged > 0 {
			retryItems[r.ID] = true
			if r.Score != nil {
				t.Errorf("%s/%d: score %v with %d unjudged criteria", r.ID, r.Index, *r.Score, r.Unjudged)
			}
		}
	}
	if unjudged != failures {
		t.Fatalf("%d unjudged criteria, want %d (one per 500)", unjudged, failures)
	}
	kept := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, out)), "\n") {
		var r verdictRecord
		json.Unmarshal([]byte(line), &r)
		if !retryItems[r.ID] {
			kept[line] = true
		}
	}

	_, stderr, code = rcsd(t, "", append(args, "--resume", in)...)
	if code != exitOK {
		t.Fatalf("resume: exit %d, want 0; stderr:\n%s", code, stderr)
	}
	if n := s.Requests() - 24; n != failures {
		t.Errorf("resume made %d requests, want exactly the %d unjudged criteria", n, failures)
	}
	if !strings.Contains(stderr, fmt.Sprintf("judging again %d item(s)", len(retryItems))) {
		t.Errorf("stderr does not say what is judged again:\n%s", stderr)
	}
	final := readFile(t, out)
	lines := strings.Split(strings.TrimSpace(final), "\n")
	if len(lines) != 12 {
		t.Fatalf("%d records after resume, want 12:\n%s", len(lines), final)
	}
	for l := range kept {
		if !strings.Contains(final, l+"\n") {
			t.Errorf("a record that was judged is not kept as it was: %s", l)
		}
	}
	for _, r := range readVerdictRecords(t, out) {
		if r.Score == nil || r.Unjudged != 0 || r.Advantage == nil {
			t.Errorf("%s/%d after resume: score %v unjudged %d advantage %v", r.ID, r.Index, r.Score, r.Unjudged, r.Advantage)
		}
	}
	// The same records a run against a grader without faults writes.
	clean := remotetest.NewServer(remotetest.Options{})
	defer clean.Close()
	ref := filepath.Join(dir, "ref.jsonl")
	if _, stderr, code := rcsd(t, "", "eval", "--judge", "llm", "--judge-url", clean.URL, "--judge-model", "grader", "--no-progress", "-q", "-o", ref, in); code != exitOK {
		t.Fatalf("reference run: exit %d\n%s", code, stderr)
	}
	if got, want := sortedLines(final), sortedLines(readFile(t, ref)); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("resumed output differs from a clean run:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Nothing left to retry: a second resume asks nothing and keeps the file.
	_, _, code = rcsd(t, "", append(args, "-q", "--resume", in)...)
	if code != exitOK || s.Requests() != 24+failures || readFile(t, out) != final {
		t.Errorf("second resume: exit %d, %d requests", code, s.Requests())
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, ".out.jsonl.resume*")); len(matches) != 0 {
		t.Errorf("temporary files left: %v", matches)
	}
}

// Records written before verdicts had a status (met null and an error)
// are read as unjudged by --resume, except the not-applicable reasons.
func TestEvalResumeLegacyRecords(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "items.jsonl",
		`{"id":"a","rubric":[{"id":"c1","description":"d","weight":1}],"response":"x","labels":[true]}`+"\n"+
			`{"id":"b","rubric":[{"id":"c1","description":"d","weight":1}],"response":"x","labels":[true]}`+"\n")
	out := writeFile(t, dir, "out.jsonl",
		`{"id":"a","response_index":0,"score":0,"scoring":"healthbench","criteria":[{"id":"c1","met":null,"judge":"llm","error":"grader request failed: remote: connection refused"}],"unjudged":1,"engine_version":"rcsd 0.1.0"}`+"\n"+
			`{"id":"b","response_index":0,"score":0,"scoring":"healthbench","criteria":[{"id":"c1","met":null,"judge":"labels","error":"no label for criterion"}],"unjudged":1,"engine_version":"rcsd 0.1.0"}`+"\n")
	_, stderr, code := rcsd(t, "", "eval", "--judge", "labels", "--no-progress", "-o", out, "--resume", in)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	recs := readVerdictRecords(t, out)
	if len(recs) != 2 || recs[0].ID != "b" || recs[1].ID != "a" || recs[1].Score == nil || *recs[1].Score != 1 {
		t.Errorf("records %+v, want b kept and a judged again (score 1)", recs)
	}
}

// A rules-only run on criteria without checks: those are not applicable,
// left out of the score, and the run is complete (exit 0); a response
// with no applicable criterion has a null score with the reason, and
// --resume does not judge any of it again.
func TestEvalRulesNotApplicable(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "items.jsonl",
		`{"id":"m","rubric":{"schema_version":1,"criteria":[`+
			`{"id":"ans","description":"Boxes 12.","weight":4,"checks":[{"kind":"boxed","value":"12"}]},`+
			`{"id":"steps","description":"Shows the steps.","weight":6}]},"responses":["\\boxed{12}","\\boxed{13}"]}`+"\n"+
			`{"id":"p","rubric":{"schema_version":1,"criteria":[{"id":"tone","description":"Is kind.","weight":2}]},"response":"hi"}`+"\n")
	out := filepath.Join(dir, "out.jsonl")
	_, stderr, code := rcsd(t, "", "eval", "--judge", "rules", "--no-progress", "-o", out, in)
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "unjudged: 0 (in 0 response(s))   not applicable: 3") {
		t.Errorf("summary does not count the not-applicable criteria:\n%s", stderr)
	}
	recs := readVerdictRecords(t, out)
	// steps is left out: 4/4 and 0/4 (before, 4/10 and 0).
	if len(recs) != 3 || *recs[0].Score != 1 || *recs[1].Score != 0 || recs[0].Criteria[1].Status != "not_applicable" || recs[0].Criteria[1].Error != "" {
		t.Fatalf("records %+v", recs)
	}
	if recs[2].Score != nil || recs[2].Note != "no criterion applies: the judge has no means to decide any of them" {
		t.Errorf("nothing applies: score %v note %q", recs[2].Score, recs[2].Note)
	}
	before := readFile(t, out)
	_, stderr, code = rcsd(t, "", "eval", "--judge", "rules", "--no-progress", "-o", out, "--resume", in)
	if code != exitOK || readFile(t, out) != before || strings.Contains(stderr, "judging again") {
		t.Errorf("resume: exit %d, output changed %v, stderr:\n%s", code, readFile(t, out) != before, stderr)
	}
}
