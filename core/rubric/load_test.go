package rubric_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"

	"github.com/rcsd-dev/rcsd/core/rubric"
)

// TestLoadGolden loads every file under testdata/load and compares the
// rubric it yields (format and criteria as JSON) and every diagnostic,
// one per line in the file:line:col form, with testdata/load/<name>.golden.
// UPDATE_GOLDEN=1 rewrites the golden files; read the diff before
// committing it, since the golden files are the reviewed expectations.
func TestLoadGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/load/*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".golden") {
			continue
		}
		n++
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got := render(name, data)
			golden := f + ".golden"
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
