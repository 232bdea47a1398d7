package shareddata

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fixture joins every row with its labels; a labels file for other
// rows is refused with the row's line, never joined silently.
func TestBuildHealthBenchItems(t *testing.T) {
	rows := Path(t, HealthBenchRows)
	items, err := BuildHealthBenchItems(rows, "../../testdata/healthbench/labels.json")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(items), "\n"); n != 30 {
		t.Fatalf("%d items, want 30", n)
	}
	bad := filepath.Join(t.TempDir(), "labels.json")
	b, err := os.ReadFile("../../testdata/healthbench/labels.json")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(bad, []byte(strings.Replace(string(b), `"labels": [true, `, `"labels": [`, 1)), 0o644)
	if _, err := BuildHealthBenchItems(rows, bad); err == nil || !strings.Contains(err.Error(), ":1: row") {
		t.Fatalf("mismatched labels: err = %v", err)
	}
}

// pyString quotes as Python's json.dumps(s, ensure_ascii=False): values
// written by hand from Python 3.11's output.
func TestPyString(t *testing.T) {
	for in, want := range map[string]string{
		"a\"b\\c\n\t":    `"a\"b\\c\n\t"`,
		"\x01é<>&\u2028": "\"\\u0001é<>&\u2028\"",
	} {
		if got := pyString(in); got != want {
			t.Errorf("pyString(%q) = %s, want %s", in, got, want)
		}
	}
}
