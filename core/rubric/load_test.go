package rubric_test

import (
	"github.com/rcsd-dev/rcsd/internal/shareddata"

	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"

	"github.com/rcsd-dev/rcsd/core/rubric"
)

// TestLoadGolden loads the input of every golden file under testdata/load
// and compares the rubric it yields (format and criteria as JSON) and every
// diagnostic, one per line in the file:line:col form, with
// testdata/load/<name>.golden. Inputs that are public data are not
// committed: sharedInputs builds them from ../shared/data.
// UPDATE_GOLDEN=1 rewrites the golden files; read the diff before
// committing it, since the golden files are the reviewed expectations.
func TestLoadGolden(t *testing.T) {
	goldens, err := filepath.Glob("testdata/load/*.golden")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, golden := range goldens {
		f := strings.TrimSuffix(golden, ".golden")
		n++
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data := loadInput(t, f)
			got := render(name, data)
			if os.Getenv("UPDATE_GOLDEN") != "" {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
			}
			if got != string(want) {
				t.Errorf("Load(%s) changed; got:\n%s\nwant:\n%s", name, got, want)
			}
		})
	}
	if n < 15 {
		t.Fatalf("found only %d inputs under testdata/load", n)
	}
}

// sharedInputs are the golden cases whose input is public data, built
// from ../shared/data when the tests run (never committed).
var sharedInputs = map[string]func(testing.TB) []byte{
	// Row 1 of the HealthBench rows, verbatim.
	"healthbench-row.json": func(t testing.TB) []byte {
		return append(shareddata.HealthBenchRow(t, 0), '\n')
	},
}

// loadInput reads the input of a golden case: the committed file, or for
// public data the bytes sharedInputs builds.
func loadInput(t testing.TB, f string) []byte {
	t.Helper()
	if build, ok := sharedInputs[filepath.Base(f)]; ok {
		return build(t)
	}
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func render(name string, data []byte) string {
	r, dl := rubric.Load(name, data)
	var b bytes.Buffer
	for _, d := range dl {
		b.WriteString(d.String())
		if d.Criterion != "" {
			fmt.Fprintf(&b, " [criterion %s]", d.Criterion)
		}
		b.WriteByte('\n')
	}
	if r == nil {
		b.WriteString("rubric: nil\n")
		return b.String()
	}
	fmt.Fprintf(&b, "format: %s\n", r.Format)
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		panic(err)
	}
	b.Write(js)
	b.WriteByte('\n')
	return b.String()
}
