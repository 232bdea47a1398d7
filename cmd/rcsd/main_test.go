package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", os.Getenv("UPDATE_GOLDEN") == "1", "rewrite golden files")

// TestMain lets tests run the real binary in a child process (for kill
// tests): with RCSD_TEST_MAIN=1 the test binary is rcsd itself. The CLI
// transcripts (TestScript) run it as the command `rcsd`.
func TestMain(m *testing.M) {
	if os.Getenv("RCSD_TEST_MAIN") == "1" {
		os.Exit(main1())
	}
	testscript.Main(m, map[string]func(){"rcsd": func() { os.Exit(main1()) }})
}

func main1() int { return run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr) }

// rcsd runs the CLI in-process.
func rcsd(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (UPDATE_GOLDEN=1 rewrites it)\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

func TestHelpTeaches(t *testing.T) {
	out, _, code := rcsd(t, "", "help")
	if code != 0 || !strings.Contains(out, "eval") || !strings.Contains(out, "validate") || !strings.Contains(out, "merge") {
		t.Errorf("rcsd help: code %d, output:\n%s", code, out)
	}
	out, _, code = rcsd(t, "", "help", "eval")
	for _, want := range []string{"Usage: rcsd eval", "--judge", "--resume", "Exit codes", "RCSD_JUDGE_API_KEY", "Examples:"} {
		if !strings.Contains(out, want) {
			t.Errorf("rcsd help eval lacks %q", want)
		}
	}
	if code != 0 {
		t.Errorf("rcsd help eval: code %d", code)
	}
	_, errOut, code := rcsd(t, "", "evl")
	if code != exitUsage || !strings.Contains(errOut, `did you mean "eval"?`) {
		t.Errorf("rcsd evl: code %d, stderr %q", code, errOut)
	}
	_, errOut, code = rcsd(t, "", "eval", "--judge", "oracle", "x.jsonl")
	if code != exitUsage || !strings.Contains(errOut, "oracle") {
		t.Errorf("bad --judge: code %d, stderr %q", code, errOut)
	}
	_, errOut, code = rcsd(t, "", "eval", "--shard", "0/2", "x.jsonl")
	if code != exitUsage || !strings.Contains(errOut, "1 <= i <= n") {
		t.Errorf("bad --shard: code %d, stderr %q", code, errOut)
	}
}
