package eval

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rcsd-dev/rcsd/core/rubric"
)

// FuzzFastSlowAgree: whenever the one-pass fast path accepts a record,
// the field-by-field slow path reads it to the same item with the same
// diagnostics, so the speed-up can never change a result.
func FuzzFastSlowAgree(f *testing.F) {
	row := append(readRow19(f), '\n')
	for _, s := range []string{
		string(row),
		`{"id": "q1", "prompt": "Why?", "rubric": [{"title": "a", "description": "Names Paris.", "weight": 5}], "responses": ["Paris.", "Lyon."], "labels": [[true], [false]]}`,
		`{"id": 7, "prompt": [{"role": "user", "content": "hi"}], "rubric": [{"description": "x", "weight": 1}], "response": "y", "reference_answer": null}`,
		`{"id": "q", "prompt": "p", "rubric": [{"description": "x", "weight": 1}], "response": "y", "responses": null}`,
		`{"id": "q", "prompt": "p", "rubric": [{"description": "x", "weight": 1}], "response": null, "responses": ["a"]}`,
		`{"id": "q", "prompt": "p", "response": "y"}`,
		`{"prompt_id": "q", "prompt": "p", "rubrics": [{"criterion": "x", "points": 3, "tags": ["axis:a"]}], "responses": ["y"], "labels": {"c1": true}, "example_tags": ["t"]}`,
		`{"id": "", "prompt": "p", "rubric": [{"description": "x", "weight": 1}], "response": "y"}`,
		`{"id": "q", "prompt": "p", "rubric": [{"description": "x", "weight": 1}], "responses": [], "labels": [[true]]}`,
		`{"id": "q", "prompt": "p", "rubric": [{"description": "x", "weight": 1}], "responses": ["a"], "labels": [[true, false]]}`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	shared := &rubric.Rubric{SchemaVersion: 1, Criteria: []rubric.Criterion{{ID: "s", Description: "Shared.", Weight: 2}}}
	f.Fuzz(func(t *testing.T, line []byte, withShared bool) {
		opts := ParseOptions{File: "f"}
		if withShared {
			opts.Rubric = shared
		}
		fp := itemParser{line: line, lineNo: 3, file: "f"}
		fit, ok := fp.fast(line, opts)
		if !ok {
			if len(fp.diags) != 0 {
				t.Fatalf("fast path gave up but left diagnostics %v", fp.diags)
			}
			return
		}
		sp := itemParser{line: line, lineNo: 3, file: "f"}
		sit := sp.slow(line, opts)
		if sp.diags.HasErrors() {
			t.Fatalf("fast path accepted a record the slow path rejects: %v", sp.diags)
		}
		if d := cmp.Diff(sit, fit, cmpopts.EquateEmpty(), cmpopts.IgnoreUnexported(rubric.Rubric{})); d != "" {
			t.Fatalf("items differ (-slow +fast):\n%s", d)
		}
		if d := cmp.Diff(sp.diags, fp.diags, cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("diagnostics differ (-slow +fast):\n%s", d)
		}
	})
}
