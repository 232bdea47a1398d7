package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	json "github.com/goccy/go-json"
	"github.com/google/go-cmp/cmp"
)

// genItems returns n JSONL records (no newlines) with 8 labelled criteria
// each and 1, 2 or 3 responses, so a record group can be cut in its
// middle.
func genItems(n int) []string {
	var crit []string
	for k := 0; k < 8; k++ {
		w := k%5 + 1
		if k == 7 {
			w = -2
		}
		crit = append(crit, fmt.Sprintf(`{"id":"k%d","description":"States fact number %d about the topic","weight":%d,"tags":["axis:a%d"]}`, k, k, w, k%3))
	}
	rubric := `"rubric":[` + strings.Join(crit, ",") + `]`
	labels := func(i, r int) string {
		var l []string
		for k := 0; k < 8; k++ {
			l = append(l, fmt.Sprint((i*7+r*3+k*k)%5 < 2))
		}
		return "[" + strings.Join(l, ",") + "]"
	}
	out := make([]string, n)
	for i := range out {
		nr := 1 + i%3
		var rec string
		if nr == 1 {
			rec = fmt.Sprintf(`{"id":"item-%05d","prompt":"Question %d?",%s,"response":"answer %d","labels":%s}`, i, i, rubric, i, labels(i, 0))
		} else {
			var resp, lab []string
			for r := 0; r < nr; r++ {
				resp = append(resp, fmt.Sprintf(`"answer %d.%d"`, i, r))
				lab = append(lab, labels(i, r))
			}
			rec = fmt.Sprintf(`{"id":"item-%05d","prompt":"Question %d?",%s,"responses":[%s],"labels":[%s]}`, i, i, rubric, strings.Join(resp, ","), strings.Join(lab, ","))
		}
		out[i] = rec
	}
	return out
}

func joinLines(lines []string) string { return strings.Join(lines, "\n") + "\n" }

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// recordKeys returns "id/response_index" of every line of an output, and
// fails on a line that is not a complete record. A final line without a
// newline is returned separately.
func recordKeys(t *testing.T, out string) (keys []string, torn string) {
	t.Helper()
	if i := strings.LastIndexByte(out, '\n'); i+1 < len(out) {
		out, torn = out[:i+1], out[i+1:]
	}
	return completeRecords(t, out), torn
}

// checkOnce fails unless keys holds every key of want exactly once.
func checkOnce(t *testing.T, keys, want []string) {
	t.Helper()
	count := map[string]int{}
	for _, k := range keys {
		count[k]++
	}
	var bad []string
	for _, k := range want {
		if count[k] != 1 {
			bad = append(bad, fmt.Sprintf("%s ×%d", k, count[k]))
		}
		delete(count, k)
	}
	for k, n := range count {
		bad = append(bad, fmt.Sprintf("%s ×%d (unexpected)", k, n))
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		t.Errorf("%d record(s) not present exactly once: %s", len(bad), strings.Join(bad[:min(len(bad), 10)], ", "))
	}
}

// child runs the real binary (this test binary with RCSD_TEST_MAIN=1).
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr bytes.Buffer
	done   chan error
}

func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: exec.Command(exe, args...), done: make(chan error, 1)}
	c.cmd.Env = append(os.Environ(), "RCSD_TEST_MAIN=1")
	c.cmd.Stderr = &c.stderr
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.done <- c.cmd.Wait() }()
	t.Cleanup(func() {
		c.cmd.Process.Kill()
		<-c.done
		c.stdin.Close()
	})
	return c
}

// wait returns the child's exit code (-1 when killed by a signal) or
// fails when it does not end within d (a hang detector, not a budget).
func (c *child) wait(t *testing.T, d time.Duration) (code int, signaled bool) {
	t.Helper()
	select {
	case err := <-c.done:
		c.done <- err // for Cleanup
		var ee *exec.ExitError
		if err == nil {
			return 0, false
		}
		if !errors.As(err, &ee) {
			t.Fatal(err)
		}
		ws := ee.Sys().(syscall.WaitStatus)
		return ws.ExitStatus(), ws.Signaled()
	case <-time.After(d):
		t.Fatalf("the child did not exit within %s; stderr:\n%s", d, c.stderr.String())
	}
	return 0, false
}

// waitForLines waits until p holds at least one complete line.
func waitForLines(t *testing.T, p string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute) // a hang detector
	for time.Now().Before(deadline) {
		if b, _ := os.ReadFile(p); bytes.IndexByte(b, '\n') >= 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no output line in %s after 2 minutes", p)
}

// waitForIdle waits until p has not grown for a second: the child has
// judged what it could and waits for more input. On a loaded machine a
// pause while judging can pass for idle; the subtest then signals a run
// that is still judging, which the same guarantees cover.
func waitForIdle(t *testing.T, p string) {
	t.Helper()
	last, since := int64(-1), time.Now()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() != last {
			last, since = st.Size(), time.Now()
		} else if time.Since(since) > time.Second {
			return
		}
	}
	t.Fatalf("%s kept growing for 2 minutes", p)
}

// TestEvalKillResume starts the real binary on a few thousand items,
// stops it mid-run, resumes, and compares with an uninterrupted run.
//
// The child reads the items from a pipe: the test writes the first 1100
// of 1500 and keeps the pipe open, so the run is always mid-way (judging or
// waiting for input) when the signal comes, and its output has already
// been written in 1 MiB batches.
//
// Guarantees tested (docs/cli.md#resume-shard-and-merge): every complete
// line written is a record, in input order; after SIGINT or SIGTERM the
// run exits 130 and the output ends with a whole record; after SIGKILL a
// torn final line is possible (a write cut by the kernel), and --resume
// cuts it; the resumed output holds every record exactly once and equals
// the uninterrupted run's output.
func TestEvalKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	const n, sent = 1500, 1100
	items := genItems(n)
	dir := t.TempDir()
	in := writeFile(t, dir, "items.jsonl", joinLines(items))
	full := filepath.Join(dir, "full.jsonl")
	if _, errOut, code := rcsd(t, "", "eval", "-q", "--judge", "labels", "-o", full, in); code != 0 {
		t.Fatalf("uninterrupted run: exit %d\n%s", code, errOut)
	}
	want := readFile(t, full)
	wantKeys, _ := recordKeys(t, want)
	if len(wantKeys) != 2*n {
		t.Fatalf("uninterrupted run wrote %d records, want %d", len(wantKeys), 2*n)
	}

	for _, tc := range []struct {
		name string
		sig  syscall.Signal
		// idle: signal once the child has judged what it was sent and
		// waits for more input (a slow producer, a terminal), instead of
		// as soon as its first records reach the output.
		idle bool
	}{
		{"SIGKILL while judging", syscall.SIGKILL, false},
		{"SIGINT while judging", syscall.SIGINT, false},
		{"SIGTERM while judging", syscall.SIGTERM, false},
		{"SIGINT while waiting for input", syscall.SIGINT, true},
	} {
		sig := tc.sig
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.jsonl")
			c := startChild(t, "eval", "-q", "--no-progress", "--judge", "labels", "-o", out, "-")
			go func() {
				io.WriteString(c.stdin, joinLines(items[:sent]))
			}()
			waitForLines(t, out)
			if tc.idle {
				waitForIdle(t, out)
			}
			if err := c.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			code, signaled := c.wait(t, time.Minute)
			got := readFile(t, out)
			keys, torn := recordKeys(t, got)
			switch sig {
			case syscall.SIGKILL:
				if !signaled {
					t.Errorf("the child was not killed (exit %d)", code)
				}
				if torn != "" {
					t.Logf("SIGKILL left a torn final line of %d bytes (allowed; --resume cuts it)", len(torn))
				}
			default:
				if code != exitInterrupted {
					t.Errorf("exit %d, want %d; stderr:\n%s", code, exitInterrupted, c.stderr.String())
				}
				if want := "rcsd eval: interrupted; every record written is complete; rerun with --resume to continue\n"; c.stderr.String() != want {
					t.Errorf("stderr %q, want %q", c.stderr.String(), want)
				}
				if torn != "" {
					t.Errorf("%s left a partial last line: %q", sig, torn)
				}
			}
			// What was written is a prefix of the uninterrupted output:
			// whole records, in input order, from the items sent only.
			if complete := got[:len(got)-len(torn)]; !strings.HasPrefix(want, complete) {
				t.Errorf("the %d complete lines written are not a prefix of the uninterrupted output", len(keys))
			}
			if len(keys) == 0 || len(keys) >= len(wantKeys) {
				t.Fatalf("%d records written before the signal; want some, not all", len(keys))
			}

			_, errOut, code := rcsd(t, "", "eval", "--no-progress", "--judge", "labels", "-o", out, "--resume", in)
			if code != 0 {
				t.Fatalf("--resume: exit %d\n%s", code, errOut)
			}
			if torn != "" && !strings.Contains(errOut, "rcsd eval: --resume: cut a partial record at the end of "+out) {
				t.Errorf("--resume did not report the torn line:\n%s", errOut)
			}
			if !strings.Contains(errOut, fmt.Sprintf("\n%d item(s), %d response(s) scored", n, 2*n)) || !strings.Contains(errOut, "\nresumed: ") {
				t.Errorf("--resume summary does not count every item and the resumed ones:\n%s", errOut)
			}
			final := readFile(t, out)
			finalKeys, finalTorn := recordKeys(t, final)
			if finalTorn != "" {
				t.Errorf("the resumed output ends with a partial line %q", finalTorn)
			}
			checkOnce(t, finalKeys, wantKeys)
			if final != want {
				t.Errorf("the resumed output differs from the uninterrupted run's (%d vs %d bytes)", len(final), len(want))
			}
		})
	}
}

// TestEvalResumeCutsTornTail cuts an output at chosen bytes, as a crash
// mid-write would, and checks that --resume restores the whole output:
// the partial line is cut, and so are the records of the item before it,
// which the cut write may have left without all its responses.
func TestEvalResumeCutsTornTail(t *testing.T) {
	items := genItems(30)
	dir := t.TempDir()
	in := writeFile(t, dir, "items.jsonl", joinLines(items))
	full := filepath.Join(dir, "full.jsonl")
	if _, errOut, code := rcsd(t, "", "eval", "-q", "--judge", "labels", "-o", full, in); code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	want := readFile(t, full)
	lines := strings.SplitAfter(want, "\n")
	// Records: item-00000 (1 response) lines 1; item-00001 (2) lines 2-3;
	// item-00002 (3) lines 4-6; item-00003 (1) line 7; ...
	offset := func(line int) int { return len(strings.Join(lines[:line-1], "")) }
	tests := []struct {
		name string
		cut  int
		msgs []string // the --resume messages on standard error
	}{
		{"empty output", 0, nil},
		{"inside the first record", 10, []string{"cut a partial record at the end of OUT (line 1)"}},
		{"after a whole item", offset(4), nil},
		{"inside an item's second record", offset(5) + 40, []string{
			"cut a partial record at the end of OUT (line 5)",
			`cut the 1 record(s) of "item-00002" before it, which may be incomplete`}},
		{"inside an item's last record", offset(6) + 1, []string{
			"cut a partial record at the end of OUT (line 6)",
			`cut the 2 record(s) of "item-00002" before it, which may be incomplete`}},
		{"inside the first record of an item", offset(7) + 100, []string{
			"cut a partial record at the end of OUT (line 7)",
			`cut the 3 record(s) of "item-00002" before it, which may be incomplete`}},
		{"one byte short of the newline", offset(8) - 1, []string{
			"cut a partial record at the end of OUT (line 7)",
			`cut the 3 record(s) of "item-00002" before it, which may be incomplete`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := writeFile(t, t.TempDir(), "out.jsonl", want[:tt.cut])
			_, errOut, code := rcsd(t, "", "eval", "-q", "--judge", "labels", "-o", out, "--resume", in)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, errOut)
			}
			var wantErr string
			for _, m := range tt.msgs {
				wantErr += "rcsd eval: --resume: " + strings.ReplaceAll(m, "OUT", out) + "\n"
			}
			if errOut != wantErr {
				t.Errorf("stderr:\n%s\nwant:\n%s", errOut, wantErr)
			}
			if got := readFile(t, out); got != want {
				keys, _ := recordKeys(t, got)
				wantKeys, _ := recordKeys(t, want)
				checkOnce(t, keys, wantKeys)
				t.Errorf("the resumed output differs from the uninterrupted run's")
			}
		})
	}
}

func TestEvalResumeRefusesForeignOutput(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "items.jsonl", joinLines(genItems(3)))
	const foreign = "{\"id\":\"item-00000\",\"response_index\":0,\"score\":1}\n{\"not\":\"a record\"}\n"
	out := writeFile(t, dir, "out.jsonl", foreign)
	_, errOut, code := rcsd(t, "", "eval", "-q", "--judge", "labels", "-o", out, "--resume", in)
	if want := "rcsd eval: --resume: " + out + ":2 is not an rcsd eval record; refusing to resume into it\n"; code != exitFailure || errOut != want {
		t.Errorf("exit %d, stderr %q; want 3, %q", code, errOut, want)
	}
	if got := readFile(t, out); got != foreign {
		t.Errorf("the output was changed: %q", got)
	}

	// Without --resume or --overwrite a non-empty output is a usage error.
	_, errOut, code = rcsd(t, "", "eval", "-q", "--judge", "labels", "-o", out, in)
	if want := "rcsd eval: " + out + " already holds results; use --resume to continue that run or --overwrite to replace it\n"; code != exitUsage || errOut != want {
		t.Errorf("exit %d, stderr %q; want 2, %q", code, errOut, want)
	}
	if got := readFile(t, out); got != foreign {
		t.Errorf("the output was changed: %q", got)
	}
	_, errOut, code = rcsd(t, "", "eval", "--resume", in)
	if want := "rcsd eval: --resume needs -o FILE (the output to continue)\n"; code != exitUsage || errOut != want {
		t.Errorf("exit %d, stderr %q; want 2, %q", code, errOut, want)
	}
}

// TestEvalResumeKeepsDuplicateCheck: an input with a repeated id gives
// the same diagnostic, output and exit code whether or not the run was
// resumed after the first occurrence was written.
func TestEvalResumeKeepsDuplicateCheck(t *testing.T) {
	items := genItems(3)
	lines := []string{items[0], items[1], items[0], items[2]}
	dir := t.TempDir()
	in := writeFile(t, dir, "items.jsonl", joinLines(lines))
	full := filepath.Join(dir, "full.jsonl")
	wantDiag := in + `:3: error duplicate-id: $.id: the id "item-00000" was already used by an earlier record; this record is skipped (ids must be unique so results can be joined and resumed)` + "\n"
	_, errOut, code := rcsd(t, "", "eval", "-q", "--judge", "labels", "-o", full, in)
	if code != exitBadInput || errOut != wantDiag {
		t.Fatalf("uninterrupted: exit %d, stderr %q; want 1, %q", code, errOut, wantDiag)
	}
	want := readFile(t, full)
	first := want[:strings.IndexByte(want, '\n')+1] // item-00000's only record

	out := writeFile(t, dir, "out.jsonl", first)
	_, errOut, code = rcsd(t, "", "eval", "--no-progress", "--judge", "labels", "-o", out, "--resume", in)
	if code != exitBadInput || !strings.HasPrefix(errOut, wantDiag) || !strings.Contains(errOut, "\nresumed: 1 record(s)") {
		t.Errorf("resumed: exit %d, stderr:\n%s\nwant 1, %q first and 1 record resumed", code, errOut, wantDiag)
	}
	if got := readFile(t, out); got != want {
		t.Errorf("resumed output:\n%s\nwant:\n%s", got, want)
	}
}

// metricsMap reads a --summary file.
func metricsMap(t *testing.T, p string) map[string]float64 {
	t.Helper()
	var m map[string]float64
	if err := json.Unmarshal([]byte(readFile(t, p)), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func sortedLines(s string) []string {
	l := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	sort.Strings(l)
	return l
}

// TestShardMerge: three shards merged equal the unsharded run, in shard
// order; identical duplicates are dropped, conflicting ones and a torn
// shard are reported, and a torn shard finished with --resume merges
// cleanly.
func TestShardMerge(t *testing.T) {
	items := genItems(301)
	// A blank line counts for line numbers and shards.
	lines := append(append(append([]string(nil), items[:100]...), ""), items[100:]...)
	dir := t.TempDir()
	in := writeFile(t, dir, "items.jsonl", joinLines(lines))
	all := filepath.Join(dir, "all.jsonl")
	allSum := filepath.Join(dir, "all.json")
	if _, errOut, code := rcsd(t, "", "eval", "-q", "--judge", "labels", "-o", all, "--summary", allSum, in); code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	want := readFile(t, all)

	var parts []string
	var concat string
	for i := 1; i <= 3; i++ {
		p := filepath.Join(dir, fmt.Sprintf("part%d.jsonl", i))
		if _, errOut, code := rcsd(t, "", "eval", "-q", "--judge", "labels", "--shard", fmt.Sprintf("%d/3", i), "-o", p, in); code != 0 {
			t.Fatalf("shard %d: exit %d\n%s", i, code, errOut)
		}
		got := readFile(t, p)
		keys, _ := recordKeys(t, got)
		var wantKeys []string
		for l, rec := range lines {
			if rec == "" || l%3 != i-1 {
				continue
			}
			id := fmt.Sprintf("item-%05d", l)
			if l > 100 {
				id = fmt.Sprintf("item-%05d", l-1)
			}
			for r := 0; r < 1+(l-btoi(l > 100))%3; r++ {
				wantKeys = append(wantKeys, fmt.Sprintf("%s/%d", id, r))
			}
		}
		if d := cmp.Diff(wantKeys, keys); d != "" {
			t.Errorf("shard %d holds the wrong records (-want +got):\n%s", i, d)
		}
		parts = append(parts, p)
		concat += got
	}

	merged := filepath.Join(dir, "merged.jsonl")
	mergedSum := filepath.Join(dir, "merged.json")
	_, errOut, code := rcsd(t, "", append([]string{"merge", "-q", "-o", merged, "--summary", mergedSum}, parts...)...)
	if code != 0 || errOut != "" {
		t.Fatalf("merge: exit %d, stderr %q", code, errOut)
	}
	got := readFile(t, merged)
	if got != concat {
		t.Errorf("the merged file is not the shards in the order given")
	}
	if d := cmp.Diff(sortedLines(want), sortedLines(got)); d != "" {
		t.Errorf("merged records differ from the unsharded run (-want +got):\n%s", d)
	}
	// The aggregate: same keys, means and counts; the bootstrap std comes
	// from other draws (records in another order), as documented.
	ws, gs := metricsMap(t, allSum), metricsMap(t, mergedSum)
	if len(ws) != len(gs) || len(ws) < 12 {
		t.Errorf("summary keys: %d merged, %d unsharded", len(gs), len(ws))
	}
	for k, w := range ws {
		g, ok := gs[k]
		switch {
		case !ok:
			t.Errorf("merged summary lacks %q", k)
		case strings.HasSuffix(k, ":bootstrap_std"):
		case abs(g-w) > 1e-12:
			t.Errorf("%s = %v merged, %v unsharded", k, g, w)
		}
	}

	// A shard given twice is refused (it is one part of the run, twice);
	// with --unchecked identical duplicates are dropped.
	_, errOut, code = rcsd(t, "", append([]string{"merge", "-q"}, parts[0], parts[1], parts[2], parts[1])...)
	if want := parts[1] + ": error duplicate-shard: is shard 2/3, like " + parts[1] + " (give each shard once)\nrcsd merge: nothing merged\n"; code != exitBadInput || errOut != want {
		t.Errorf("merge with a repeated shard: exit %d, stderr %q; want 1, %q", code, errOut, want)
	}
	out, errOut, code := rcsd(t, "", append([]string{"merge", "-q", "--unchecked"}, parts[0], parts[1], parts[2], parts[1])...)
	if code != 0 || errOut != "" || out != concat {
		t.Errorf("--unchecked merge with a repeated shard: exit %d, stderr %q", code, errOut)
	}

	// A record that differs between two files is a conflict, and nothing
	// is written.
	p2 := readFile(t, parts[1])
	firstLine := p2[:strings.IndexByte(p2, '\n')]
	var rec map[string]any
	json.Unmarshal([]byte(firstLine), &rec)
	altered, _ := json.Marshal(map[string]any{"id": rec["id"], "response_index": rec["response_index"], "score": 0.123, "scoring": "healthbench", "criteria": []any{}})
	conflict := writeFile(t, dir, "conflict.jsonl", string(altered)+"\n")
	out, errOut, code = rcsd(t, "", "merge", "-q", "--unchecked", parts[1], conflict)
	wantErr := fmt.Sprintf("%s:1: error conflicting-record: %q response 0 differs from an earlier shard's record\nrcsd merge: nothing merged\n", conflict, rec["id"])
	if code != exitBadInput || errOut != wantErr || out != "" {
		t.Errorf("conflict: exit %d, stderr %q; want 1, %q and nothing on standard output", code, errOut, wantErr)
	}
	// Without run records, merge asks for --unchecked.
	_, errOut, code = rcsd(t, "", "merge", "-q", parts[1], conflict)
	if want := conflict + ": error no-run-record: there is no run record " + conflict + ".run.json saying which run wrote it (an older rcsd's output, or a file made by hand) (merge with --unchecked to join files without checking that they form one run)\nrcsd merge: nothing merged\n"; code != exitBadInput || errOut != want {
		t.Errorf("no run record: exit %d, stderr %q; want 1, %q", code, errOut, want)
	}

	// A shard cut by a crash after its run: refused, merged whole ...
	p3 := readFile(t, parts[2])
	n3 := strings.Count(p3, "\n")
	cut := p3[:len(p3)-30]
	if err := os.WriteFile(parts[2], []byte(cut), 0o644); err != nil {
		t.Fatal(err)
	}
	before := readFile(t, merged)
	_, errOut, code = rcsd(t, "", append([]string{"merge", "-q", "-o", merged}, parts...)...)
	wantErr = fmt.Sprintf("%s:%d: error bad-record: not an rcsd eval record (a shard cut by a crash? finish it with rcsd eval --resume)\n"+
		"%s: error changed-shard: it holds %d line(s) (sha256 %.12s) but its run wrote %d (sha256 %.12s): it was cut, edited or appended to since (finish or redo it with rcsd eval --resume)\n"+
		"rcsd merge: nothing merged; %s is unchanged\n", parts[2], n3, parts[2], n3-1, digestBytes([]byte(cut)), n3, digestBytes([]byte(p3)), merged)
	if code != exitBadInput || errOut != wantErr {
		t.Errorf("torn shard: exit %d, stderr %q; want 1, %q", code, errOut, wantErr)
	}
	if got := readFile(t, merged); got != before {
		t.Errorf("torn shard: the earlier merged output was replaced")
	}
	// ... until it is finished with --resume, as the message says.
	if _, errOut, code := rcsd(t, "", "eval", "-q", "--judge", "labels", "--shard", "3/3", "-o", parts[2], "--resume", in); code != 0 {
		t.Fatalf("resuming shard 3: exit %d\n%s", code, errOut)
	}
	out, errOut, code = rcsd(t, "", append([]string{"merge", "-q"}, parts...)...)
	if code != 0 || errOut != "" || out != concat {
		t.Errorf("after --resume: exit %d, stderr %q, output equal: %v", code, errOut, out == concat)
	}

	_, errOut, code = rcsd(t, "", "merge", "-o", parts[0], parts[0], parts[1])
	if want := "rcsd merge: -o " + parts[0] + " is the shard " + parts[0] + " (the same file); writing it would destroy what is read\n"; code != exitUsage || errOut != want {
		t.Errorf("-o is an input: exit %d, stderr %q", code, errOut)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
