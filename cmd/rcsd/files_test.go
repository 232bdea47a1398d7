package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	json "github.com/goccy/go-json"

	"github.com/rcsd-dev/rcsd/core/eval"
)

// Tests of docs/cli.md#files: no file is ever lost or silently mixed.

// TestOutputIsAnInput: an output that is an input under another name
// (./x, a symlink, a hard link) is refused before anything is written,
// and the input is left as it was.
func TestOutputIsAnInput(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	items := joinLines(genItems(6))
	writeFile(t, dir, "items.jsonl", items)
	if err := os.Symlink("items.jsonl", "link.jsonl"); err != nil {
		t.Fatal(err)
	}
	if err := os.Link("items.jsonl", "hard.jsonl"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		if _, errOut, code := rcsd(t, "", "eval", "-q", "--judge", "labels", "--shard", fmt.Sprintf("%d/2", i), "-o", fmt.Sprintf("p%d.jsonl", i), "items.jsonl"); code != 0 {
			t.Fatalf("shard %d: exit %d\n%s", i, code, errOut)
		}
	}
	if err := os.Symlink("p1.jsonl", "p1-link.jsonl"); err != nil {
		t.Fatal(err)
	}
	p1, p2 := readFile(t, "p1.jsonl"), readFile(t, "p2.jsonl")
	const destroy = " (the same file); writing it would destroy what is read\n"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"merge -o ./p1.jsonl p1.jsonl", []string{"merge", "-o", "./p1.jsonl", "p1.jsonl", "p2.jsonl"},
			"rcsd merge: -o ./p1.jsonl is the shard p1.jsonl" + destroy},
		{"merge -o through a symlink", []string{"merge", "-o", "p1-link.jsonl", "p1.jsonl", "p2.jsonl"},
			"rcsd merge: -o p1-link.jsonl is the shard p1.jsonl" + destroy},
		{"merge --summary a shard", []string{"merge", "-o", "all.jsonl", "--summary", "p2.jsonl", "p1.jsonl", "p2.jsonl"},
			"rcsd merge: --summary p2.jsonl is the shard p2.jsonl" + destroy},
		{"eval --overwrite -o the input", []string{"eval", "--judge", "labels", "--overwrite", "-o", "items.jsonl", "items.jsonl"},
			"rcsd eval: -o items.jsonl is the input items.jsonl" + destroy},
		{"eval --resume -o the input", []string{"eval", "--judge", "labels", "--resume", "-o", "items.jsonl", "items.jsonl"},
			"rcsd eval: -o items.jsonl is the input items.jsonl" + destroy},
		{"eval -o a symlink to the input", []string{"eval", "--judge", "labels", "--overwrite", "-o", "link.jsonl", "items.jsonl"},
			"rcsd eval: -o link.jsonl is the input items.jsonl" + destroy},
		{"eval -o a hard link to the input", []string{"eval", "--judge", "labels", "--overwrite", "-o", "hard.jsonl", "./items.jsonl"},
			"rcsd eval: -o hard.jsonl is the input ./items.jsonl" + destroy},
		{"eval --summary the input", []string{"eval", "--judge", "labels", "--summary", "hard.jsonl", "items.jsonl"},
			"rcsd eval: --summary hard.jsonl is the input items.jsonl" + destroy},
		{"eval --report the input", []string{"eval", "--judge", "labels", "-o", "out.jsonl", "--report", "link.jsonl", "items.jsonl"},
			"rcsd eval: --report link.jsonl is the input items.jsonl" + destroy},
		{"eval -o and --summary one file", []string{"eval", "--judge", "labels", "-o", "out.jsonl", "--summary", "./out.jsonl", "items.jsonl"},
			"rcsd eval: --summary ./out.jsonl and -o out.jsonl are the same file; give each output its own\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := rcsd(t, "", tt.args...)
			if code != exitUsage || errOut != tt.want {
				t.Errorf("exit %d, stderr %q; want 2, %q", code, errOut, tt.want)
			}
			if readFile(t, "items.jsonl") != items || readFile(t, "p1.jsonl") != p1 || readFile(t, "p2.jsonl") != p2 {
				t.Fatalf("an input was changed")
			}
			if _, err := os.Stat("out.jsonl"); err == nil {
				t.Errorf("out.jsonl was written")
			}
		})
	}
}

// runChild runs the real binary in dir with stdin from a file (or none)
// and returns its standard output and error and its exit code.
func runChild(t *testing.T, dir, stdinFile string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "RCSD_TEST_MAIN=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdinFile != "" {
		f, err := os.Open(stdinFile)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd.Stdin = f
	}
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errb.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), 0
}

// TestStdinIsTheOutput: `rcsd eval --overwrite -o items.jsonl - <
// items.jsonl` would truncate what it reads.
func TestStdinIsTheOutput(t *testing.T) {
	dir := t.TempDir()
	items := joinLines(genItems(4))
	in := writeFile(t, dir, "items.jsonl", items)
	_, errOut, code := runChild(t, dir, in, "eval", "--judge", "labels", "--overwrite", "-o", "items.jsonl", "-")
	if want := "rcsd eval: -o items.jsonl is standard input -" + " (the same file); writing it would destroy what is read\n"; code != exitUsage || errOut != want {
		t.Errorf("exit %d, stderr %q; want 2, %q", code, errOut, want)
	}
	if readFile(t, in) != items {
		t.Errorf("the input was changed")
	}
}

// TestOutputsCheckedBeforeWork: an output that cannot be written is
// found before any record is judged: -o is not even created.
func TestOutputsCheckedBeforeWork(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "items.jsonl", joinLines(genItems(4)))
	plain := writeFile(t, dir, "plain.txt", "x")
	out := filepath.Join(dir, "out.jsonl")
	missing := filepath.Join(dir, "no-such-folder")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"--summary in a missing folder", []string{"--summary", filepath.Join(missing, "s.json")},
			"rcsd eval: --summary " + filepath.Join(missing, "s.json") + ": the folder " + missing + " does not exist\n"},
		{"--report under a file", []string{"--report", filepath.Join(plain, "r.html")},
			"rcsd eval: --report " + filepath.Join(plain, "r.html") + ": " + plain + " is not a folder\n"},
		{"--summary a folder", []string{"--summary", dir},
			"rcsd eval: --summary " + dir + ": is a folder; give a file name\n"},
		{"--cpuprofile in a missing folder", []string{"--cpuprofile", filepath.Join(missing, "cpu.out")},
			"rcsd eval: --cpuprofile " + filepath.Join(missing, "cpu.out") + ": the folder " + missing + " does not exist\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"eval", "-q", "--judge", "labels", "-o", out}, tt.args...)
			_, errOut, code := rcsd(t, "", append(args, in)...)
			if code != exitFailure || errOut != tt.want {
				t.Errorf("exit %d, stderr %q; want 3, %q", code, errOut, tt.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("-o was written before the bad output was found")
			}
		})
	}
	_, errOut, code := rcsd(t, "", "eval", "-q", "--judge", "labels", "-o", filepath.Join(missing, "o.jsonl"), in)
	if want := "rcsd eval: -o " + filepath.Join(missing, "o.jsonl") + ": the folder " + missing + " does not exist\n"; code != exitFailure || errOut != want {
		t.Errorf("-o in a missing folder: exit %d, stderr %q; want 3, %q", code, errOut, want)
	}
	_, errOut, code = rcsd(t, "", "merge", "-q", "--summary", filepath.Join(missing, "s.json"), in)
	if want := "rcsd merge: --summary " + filepath.Join(missing, "s.json") + ": the folder " + missing + " does not exist\n"; code != exitFailure || errOut != want {
		t.Errorf("merge --summary in a missing folder: exit %d, stderr %q; want 3, %q", code, errOut, want)
	}
}

// TestOutputDevices: -o /dev/null and -o /dev/stdout are written as they
// are: not truncated, locked or given a run record.
func TestOutputDevices(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "items.jsonl", joinLines(genItems(5)))
	file := filepath.Join(dir, "file.jsonl")
	if _, errOut, code := rcsd(t, "", "eval", "-q", "--judge", "labels", "-o", file, in); code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	want := readFile(t, file)

	if _, errOut, code := rcsd(t, "", "eval", "-q", "--judge", "labels", "-o", os.DevNull, in); code != 0 || errOut != "" {
		t.Errorf("-o /dev/null: exit %d, stderr %q", code, errOut)
	}
	for _, p := range []string{os.DevNull + ".lock", os.DevNull + ".run.json", os.DevNull + ".cache"} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s was created", p)
		}
	}
	_, errOut, code := rcsd(t, "", "eval", "-q", "--judge", "labels", "--resume", "-o", os.DevNull, in)
	if want := "rcsd eval: --resume needs -o to be a regular file; /dev/null is not\n"; code != exitUsage || errOut != want {
		t.Errorf("--resume -o /dev/null: exit %d, stderr %q; want 2, %q", code, errOut, want)
	}
	// A child, so /dev/stdout is a pipe the test reads.
	out, errOut, code := runChild(t, dir, "", "eval", "-q", "--judge", "labels", "-o", "/dev/stdout", in)
	if code != 0 || errOut != "" || out != want {
		t.Errorf("-o /dev/stdout: exit %d, stderr %q, output equal to -o FILE's: %v", code, errOut, out == want)
	}
	// merge -o /dev/stdout, and merge --unchecked of outputs without run
	// records.
	out, errOut, code = runChild(t, dir, "", "merge", "-q", "-o", "/dev/stdout", file)
	if code != 0 || errOut != "" || out != want {
		t.Errorf("merge -o /dev/stdout: exit %d, stderr %q, output equal: %v", code, errOut, out == want)
	}
}

// TestOutputLock: a second run on an -o that a running one writes fails
// at once and names the process that holds it; a killed holder's lock is
// gone for the next run.
func TestOutputLock(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	items := genItems(40)
	dir := t.TempDir()
	in := writeFile(t, dir, "items.jsonl", joinLines(items))
	out := filepath.Join(dir, "out.jsonl")

	// The first run reads a pipe the test keeps open: it holds -o until
	// the test closes it.
	first := startChild(t, "eval", "-q", "--no-progress", "--judge", "labels", "-o", out, "-")
	if _, err := first.stdin.Write([]byte(joinLines(items[:20]))); err != nil {
		t.Fatal(err)
	}
	waitForLock(t, out)
	var holder lockHolder
	if err := json.Unmarshal([]byte(readFile(t, out+".lock")), &holder); err != nil {
		t.Fatal(err)
	}
	if holder.PID != first.cmd.Process.Pid || holder.Command != "rcsd eval" {
		t.Errorf("lock file names %+v, want pid %d", holder, first.cmd.Process.Pid)
	}
	// A symlink to -o is the same output, with the same lock.
	link := filepath.Join(dir, "link.jsonl")
	if err := os.Symlink(out, link); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runChild(t, dir, "", "eval", "-q", "--judge", "labels", "--overwrite", "-o", link, in)
	if want := fmt.Sprintf("rcsd eval: %s is being written by rcsd eval (pid %d on %s, since %s), which holds %s.lock; wait for it to end or stop it\n",
		link, holder.PID, holder.Host, holder.Started, realPath(out)); code != exitFailure || errOut != want {
		t.Errorf("eval -o a symlink to a locked output: exit %d, stderr %q; want 3, %q", code, errOut, want)
	}
	for _, args := range [][]string{
		{"eval", "-q", "--judge", "labels", "--overwrite", "-o", out, in},
		{"eval", "-q", "--judge", "labels", "--resume", "-o", out, in},
		{"merge", "-q", "--unchecked", "-o", out, in},
	} {
		_, errOut, code := runChild(t, dir, "", args...)
		want := fmt.Sprintf("rcsd %s: %s is being written by rcsd eval (pid %d on %s, since %s), which holds %s.lock; wait for it to end or stop it\n",
			args[0], out, holder.PID, holder.Host, holder.Started, realPath(out))
		if code != exitFailure || errOut != want {
			t.Errorf("%s while another run writes -o: exit %d, stderr %q; want 3, %q", args[0], code, errOut, want)
		}
	}
	if _, err := first.stdin.Write([]byte(joinLines(items[20:]))); err != nil {
		t.Fatal(err)
	}
	first.stdin.Close()
	if code, _ := first.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("the first run: exit %d\n%s", code, first.stderr.String())
	}
	keys, torn := recordKeys(t, readFile(t, out))
	var wantKeys []string
	for i := range items {
		for r := 0; r < 1+i%3; r++ {
			wantKeys = append(wantKeys, fmt.Sprintf("item-%05d/%d", i, r))
		}
	}
	if torn != "" {
		t.Errorf("torn last line %q", torn)
	}
	checkOnce(t, keys, wantKeys)
	if _, err := os.Stat(out + ".lock"); err == nil {
		t.Errorf("the lock file outlived its run")
	}

	// A holder killed with SIGKILL cannot clean up; the kernel drops its
	// flock, so the next run goes on.
	killed := startChild(t, "eval", "-q", "--no-progress", "--judge", "labels", "--overwrite", "-o", out, "-")
	killed.stdin.Write([]byte(joinLines(items[:3])))
	waitForLock(t, out)
	killed.cmd.Process.Signal(syscall.SIGKILL)
	killed.wait(t, 10*time.Second)
	if _, err := os.Stat(out + ".lock"); err != nil {
		t.Fatalf("SIGKILL should leave the lock file behind: %v", err)
	}
	if _, errOut, code := runChild(t, dir, "", "eval", "-q", "--judge", "labels", "--resume", "-o", out, in); code != 0 {
		t.Errorf("after a killed holder: exit %d\n%s", code, errOut)
	}
	keys, _ = recordKeys(t, readFile(t, out))
	checkOnce(t, keys, wantKeys)
}

// waitForLock waits until out's lock file names its holder.
func waitForLock(t *testing.T, out string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if b, _ := os.ReadFile(out + ".lock"); bytes.IndexByte(b, '\n') >= 0 {
			return
		}
	}
	t.Fatalf("no lock file %s.lock after 20s", out)
}

// TestMergeRefusesForeignShards: shards that are not exactly one
// finished run are refused, every problem named, and an earlier merged
// output is left as it was.
func TestMergeRefusesForeignShards(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	items := genItems(30)
	writeFile(t, dir, "items.jsonl", joinLines(items))
	writeFile(t, dir, "other.jsonl", joinLines(items[:29]))
	// A record that fails in shard 2/3 stops a --strict run there.
	bad := append(append(append([]string(nil), items[:4]...), `{"id": "broken"`), items[4:]...)
	writeFile(t, dir, "bad.jsonl", joinLines(bad))
	shard := func(name, in, i string, extra ...string) {
		args := append([]string{"eval", "-q", "--judge", "labels", "--shard", i, "-o", name}, extra...)
		rcsd(t, "", append(args, in)...)
	}
	shard("a1.jsonl", "items.jsonl", "1/3")
	shard("a2.jsonl", "items.jsonl", "2/3")
	shard("a3.jsonl", "items.jsonl", "3/3")
	shard("rar2.jsonl", "items.jsonl", "2/3", "--scoring", "rar")
	shard("other2.jsonl", "other.jsonl", "2/3")
	shard("half1.jsonl", "items.jsonl", "1/2")
	shard("strict2.jsonl", "bad.jsonl", "2/3", "--strict")

	if _, errOut, code := rcsd(t, "", "merge", "-q", "-o", "all.jsonl", "a1.jsonl", "a2.jsonl", "a3.jsonl"); code != 0 {
		t.Fatalf("whole merge: exit %d\n%s", code, errOut)
	}
	all := readFile(t, "all.jsonl")
	in, _ := digestFile("items.jsonl")

	const nothing = "rcsd merge: nothing merged; all.jsonl is unchanged\n"
	tests := []struct {
		name   string
		shards []string
		want   string
	}{
		{"a shard missing", []string{"a1.jsonl", "a3.jsonl"},
			"error missing-shard: shard 2 of 3 is missing: the shards given (a1.jsonl, a3.jsonl) are not the whole run (run rcsd eval --shard i/3 with the same flags and input for each one missing)\n"},
		{"a shard twice", []string{"a1.jsonl", "a2.jsonl", "a3.jsonl", "./a2.jsonl"},
			"./a2.jsonl: error duplicate-shard: is shard 2/3, like a2.jsonl (give each shard once)\n"},
		{"a shard scored with another rule", []string{"a1.jsonl", "rar2.jsonl", "a3.jsonl"},
			"rar2.jsonl: error foreign-shard: made with other settings than a1.jsonl: scoring rar, not healthbench (merge only the shards of one run)\n" +
				"error missing-shard: shard 2 of 3 is missing: the shards given (a1.jsonl, a3.jsonl) are not the whole run (run rcsd eval --shard i/3 with the same flags and input for each one missing)\n"},
		{"a shard of another input", []string{"a1.jsonl", "other2.jsonl", "a3.jsonl"},
			fmt.Sprintf("other2.jsonl: error foreign-shard: made from another input than a1.jsonl (input sha256 %.12s, not %.12s) (merge only the shards of one run)\n", digestBytes([]byte(joinLines(items[:29]))), in) +
				"error missing-shard: shard 2 of 3 is missing: the shards given (a1.jsonl, a3.jsonl) are not the whole run (run rcsd eval --shard i/3 with the same flags and input for each one missing)\n"},
		{"shards split two ways", []string{"half1.jsonl", "a2.jsonl"},
			"a2.jsonl: error foreign-shard: is shard 2/3, but half1.jsonl is shard 1/2: the input was split another way (merge only the shards of one run)\n" +
				"error missing-shard: shard 2 of 2 is missing: the shards given (half1.jsonl) are not the whole run (run rcsd eval --shard i/2 with the same flags and input for each one missing)\n"},
		{"a shard whose run stopped", []string{"a1.jsonl", "strict2.jsonl", "a3.jsonl"},
			"strict2.jsonl: error unfinished-shard: its run (shard 2/3) has not read its whole input: it was interrupted, failed or is still running (finish it with rcsd eval --resume and the same flags)\n" +
				fmt.Sprintf("strict2.jsonl: error foreign-shard: made from another input than a1.jsonl (input sha256 %.12s, not %.12s) (merge only the shards of one run)\n", digestBytes([]byte(joinLines(bad))), in) +
				"error missing-shard: shard 2 of 3 is missing: the shards given (a1.jsonl, a3.jsonl) are not the whole run (run rcsd eval --shard i/3 with the same flags and input for each one missing)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := rcsd(t, "", append([]string{"merge", "-q", "-o", "all.jsonl"}, tt.shards...)...)
			if code != exitBadInput || errOut != tt.want+nothing {
				t.Errorf("exit %d, stderr:\n%s\nwant 1 and:\n%s", code, errOut, tt.want+nothing)
			}
			if readFile(t, "all.jsonl") != all {
				t.Errorf("the earlier merged output was changed")
			}
		})
	}

	// The merged output has its own run record: the whole run, 1 of 1.
	rec, err := readRunRecord("all.jsonl")
	if err != nil || rec == nil {
		t.Fatalf("the merged output has no run record: %v", err)
	}
	a1, _ := readRunRecord("a1.jsonl")
	if want := (eval.RunID{Config: a1.Run.Config, Input: a1.Run.Input, Shard: 1, Of: 1}); rec.Run != want || !rec.Complete ||
		rec.Records != int64(strings.Count(all, "\n")) || rec.OutputSHA256 != digestBytes([]byte(all)) {
		t.Errorf("merged run record %+v", rec)
	}
	if a1.Run.Input != in {
		t.Errorf("shard input fingerprint %s, want the input's sha256 %s", a1.Run.Input, in)
	}
}

// TestResumeRefusesAnotherRun: --resume into an output that another run
// (other settings, shard or input) wrote is refused, not mixed.
func TestResumeRefusesAnotherRun(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	items := genItems(12)
	writeFile(t, dir, "items.jsonl", joinLines(items))
	writeFile(t, dir, "other.jsonl", joinLines(items[1:]))
	if _, errOut, code := rcsd(t, "", "eval", "-q", "--judge", "labels", "-o", "out.jsonl", "items.jsonl"); code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	out := readFile(t, "out.jsonl")
	in, _ := digestFile("items.jsonl")
	other, _ := digestFile("other.jsonl")
	const tail = "; resume it with that run's flags and input, or start again with --overwrite\n"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"another scoring rule", []string{"--scoring", "rar", "items.jsonl"},
			"rcsd eval: --resume: out.jsonl was written by another run (scoring healthbench, not rar)" + tail},
		{"another shard", []string{"--shard", "1/2", "items.jsonl"},
			"rcsd eval: --resume: out.jsonl was written by another run (shard 1/1, not shard 1/2)" + tail},
		{"another input", []string{"other.jsonl"},
			fmt.Sprintf("rcsd eval: --resume: out.jsonl was written by another run (input sha256 %.12s, not %.12s)", in, other) + tail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := rcsd(t, "", append([]string{"eval", "-q", "--judge", "labels", "--resume", "-o", "out.jsonl"}, tt.args...)...)
			if code != exitUsage || errOut != tt.want {
				t.Errorf("exit %d, stderr %q; want 2, %q", code, errOut, tt.want)
			}
			if readFile(t, "out.jsonl") != out {
				t.Errorf("the output was changed")
			}
		})
	}
	// The same run resumes, and its record stays complete.
	if _, errOut, code := rcsd(t, "", "eval", "-q", "--judge", "labels", "--resume", "-o", "out.jsonl", "items.jsonl"); code != 0 {
		t.Errorf("same run: exit %d\n%s", code, errOut)
	}
	rec, err := readRunRecord("out.jsonl")
	if err != nil || rec == nil || !rec.Complete || rec.Records != int64(strings.Count(out, "\n")) || rec.Run.Input != in {
		t.Errorf("run record after resume: %+v, %v", rec, err)
	}
}
