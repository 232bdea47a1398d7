// Package shareddata finds the public data sets that live beside the
// repository (../shared/data, or $RCSD_SHARED_DATA) and builds, at test
// time, the fixtures the tests derive from them. Public data is never
// committed to the project: only what the project itself made (labels,
// expected values, goldens) is, and this package joins the two.
//
// A test that needs shared data fails under CI (CI=true), where the data
// is always laid beside the clone, and elsewhere skips saying loudly what
// is missing and why.
package shareddata

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// HealthBenchRows is the file of the first 30 HealthBench rows
// (openai/simple-evals data, MIT; see shared/data/README.md).
const HealthBenchRows = "healthbench_oss_eval_first30.jsonl"

// Dir returns the shared data directory: $RCSD_SHARED_DATA when set, else
// the folder shared/data beside the module root (found by walking up from
// the working directory to go.mod).
func Dir() (string, error) {
	if d := os.Getenv("RCSD_SHARED_DATA"); d != "" {
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(d), "shared", "data"), nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", wd)
		}
	}
}

// Path returns the path of the shared data file name, or ends the test:
// under CI (CI=true) with a failure, elsewhere with a loud skip.
func Path(t testing.TB, name string) string {
	t.Helper()
	dir, err := Dir()
	if err == nil {
		p := filepath.Join(dir, name)
		if _, err = os.Stat(p); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("SKIPPED: shared data %s is not here (%v); it is public data kept beside the repository in ../shared/data (or set RCSD_SHARED_DATA), never committed", name, err)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Lines returns the lines of a shared JSONL file, each without its newline.
func Lines(t testing.TB, name string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<26)
	for sc.Scan() {
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// HealthBenchRow returns row i (0-based) of the HealthBench rows verbatim.
func HealthBenchRow(t testing.TB, i int) []byte {
	t.Helper()
	rows := Lines(t, HealthBenchRows)
	if i < 0 || i >= len(rows) {
		t.Fatalf("HealthBench row %d: the file has %d rows", i, len(rows))
	}
	return rows[i]
}

// placeholder is the response of a row without a physician completion.
const placeholder = "(response text not part of this fixture; labels are given)"

// BuildHealthBenchItems writes the HealthBench conformance items: each
// shared row with a "response" (its physician ideal completion, else a
// placeholder) and the project's "labels" from labelsFile appended, the
// same bytes testdata/healthbench/make_fixture.py writes.
func BuildHealthBenchItems(rowsFile, labelsFile string) ([]byte, error) {
	rows, err := os.ReadFile(rowsFile)
	if err != nil {
		return nil, err
	}
	lb, err := os.ReadFile(labelsFile)
	if err != nil {
		return nil, err
	}
	var labels struct {
		Rows []struct {
			PromptID string `json:"prompt_id"`
			Labels   []bool `json:"labels"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(lb, &labels); err != nil {
		return nil, fmt.Errorf("%s: %w", labelsFile, err)
	}
	lines := bytes.Split(bytes.TrimRight(rows, "\n"), []byte("\n"))
	if len(lines) != len(labels.Rows) {
		return nil, fmt.Errorf("%s has %d rows, %s labels %d", rowsFile, len(lines), labelsFile, len(labels.Rows))
	}
	var out bytes.Buffer
	for i, line := range lines {
		var row struct {
			PromptID string `json:"prompt_id"`
			Ideal    *struct {
				Completion string `json:"ideal_completion"`
			} `json:"ideal_completions_data"`
			Rubrics []json.RawMessage `json:"rubrics"`
		}
		if err := json.Unmarshal(line, &row); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", rowsFile, i+1, err)
		}
		want := labels.Rows[i]
		if row.PromptID != want.PromptID || len(row.Rubrics) != len(want.Labels) {
			return nil, fmt.Errorf("%s:%d: row %s with %d criteria does not match the labels of %s (%d)", rowsFile, i+1, row.PromptID, len(row.Rubrics), want.PromptID, len(want.Labels))
		}
		resp := placeholder
		if row.Ideal != nil {
			resp = row.Ideal.Completion
		}
		trimmed := bytes.TrimRight(line, " ")
		if !bytes.HasSuffix(trimmed, []byte("}")) {
			return nil, errors.New("row does not end in }")
		}
		out.Write(trimmed[:len(trimmed)-1])
		out.WriteString(`, "response": `)
		out.WriteString(pyString(resp))
		out.WriteString(`, "labels": [`)
		for j, l := range want.Labels {
			if j > 0 {
				out.WriteString(", ")
			}
			fmt.Fprint(&out, l)
		}
		out.WriteString("]}\n")
	}
	return out.Bytes(), nil
}

// pyString quotes s as Python's json.dumps(s, ensure_ascii=False) does.
func pyString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// HealthBenchFixture builds the conformance fixture in a temporary
// directory and returns that directory: items.jsonl (built from the shared
// rows and root/testdata/healthbench/labels.json) and a copy of
// expected.json. root is the path of the repository from the test's
// package directory (e.g. "../..").
func HealthBenchFixture(t testing.TB, root string) string {
	t.Helper()
	rows := Path(t, HealthBenchRows)
	src := filepath.Join(root, "testdata", "healthbench")
	items, err := BuildHealthBenchItems(rows, filepath.Join(src, "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	expected, err := os.ReadFile(filepath.Join(src, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"items.jsonl": items, "expected.json": expected} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
