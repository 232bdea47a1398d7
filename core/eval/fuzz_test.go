package eval

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/rubric"
)

// parseItemCodes is the allow-list of diagnostic codes ParseItem may
// report: its own and those of the rubric importer and validator.
var parseItemCodes = map[string]bool{
	"invalid-utf8": true, "not-object": true, "bad-json": true, "missing-id": true, "bad-id": true,
	"wrong-type": true, "missing-field": true, "ambiguous-rubric": true, "missing-rubric": true,
	"ambiguous-response": true, "empty-responses": true, "missing-response": true, "label-count": true,
	"unknown-criterion":   true,
	rubric.CodeEmptyInput: true, rubric.CodeJSONSyntax: true, rubric.CodeTrailingData: true, rubric.CodeNumberRange: true,
	rubric.CodeNonFiniteNumber: true, rubric.CodeUnknownField: true, rubric.CodeMissingVersion: true, rubric.CodeBadVersion: true,
	rubric.CodeUnknownFormat: true, rubric.CodeAmbiguousFormat: true, rubric.CodeMixedFormats: true, rubric.CodeDefaultWeight: true,
	rubric.CodeEmptyRubric: true, rubric.CodeEmptyDescription: true, rubric.CodeEmptyID: true, rubric.CodeDuplicateID: true,
	rubric.CodeNonFiniteWeight: true, rubric.CodeUnknownCategory: true, rubric.CodeUnknownPolarity: true,
	rubric.CodeUnknownCheckKind: true, rubric.CodeCheckMissingField: true, rubric.CodeCheckIgnoredField: true,
	rubric.CodeCheckBadRegex: true, rubric.CodeCheckBadTolerance: true, rubric.CodeCheckBadRange: true, rubric.CodeCheckUnknownUnit: true,
}

// FuzzParseItem: ParseItem never panics and is deterministic; it returns
// an item exactly when there is no error; every diagnostic has an allowed
// code, a message, the file and line it was given, a column within the
// line (one past the end at most) and a JSON path or none; an item is
// complete (id, rubric with criteria, at least one response, labels
// aligned with responses and criteria).
func FuzzParseItem(f *testing.F) {
	const rub = `"rubric":[{"description":"x","weight":1},{"description":"y","weight":2}]`
	for _, s := range []string{
		`{"id":"q1","prompt":"What is 2+2?","reference_answer":"4",` + rub + `,"response":"It is 4."}`,
		`{"id":"q",` + rub + `,"responses":["4","5","6"],"labels":[[true,false],{"c1":false},null]}`,
		`{"prompt":"p","response":"r"}`,
		`not json`, `[1,2]`, ``, "{\"id\":\"a\xffb\"}", `{"id":"a",}`, `{"id":"a","response":"r`,
		`{"id":1.5,` + rub + `,"response":"r"}`, `{"id":"",` + rub + `,"response":"r"}`,
		`{"id":"a","prompt":[{"role":"user"},{"content":"x"},3,{"role":1,"content":"y"}],` + rub + `,"response":"r"}`,
		`{"id":"a","rubirc":[],"respones":"r"}`, `{"id":"a","rubric":null,"response":"r"}`,
		`{"id":"a","rubric":[{"id":"k","description":"x","weight":1,"checks":[{"kind":"regex","pattern":"("}]}],"response":"r"}`,
		`{"id":"a",` + rub + `,"response":"r","labels":{"cx":true,"c1":true,"c3":false}}`,
		`{"id":"a",` + rub + `,"responses":["r","s"],"labels":[[true,false],[true]]}`,
		`{"id":"a","rubric":{"schema_version":1,"criteria":[{"id":"x","description":"x","weight":1e999}]},"response":"r"}`,
		`{"id":"a","rubrics":[{"criterion":"c","points":5,"tags":["t"]}],"example_tags":["e"],"response":"r"}`,
	} {
		f.Add(s, false)
	}
	f.Add(string(readRow19(f)), true)
	shared := &rubric.Rubric{SchemaVersion: 1, Criteria: []rubric.Criterion{{ID: "s", Description: "S.", Weight: 1}}}
	f.Fuzz(func(t *testing.T, line string, useShared bool) {
		opts := ParseOptions{File: "fuzz.jsonl"}
		if useShared {
			opts.Rubric = shared
		}
		it, dl := ParseItem([]byte(line), 42, opts)
		it2, dl2 := ParseItem([]byte(line), 42, opts)
		if diff := cmp.Diff(dl, dl2); diff != "" || (it == nil) != (it2 == nil) {
			t.Fatalf("ParseItem(%q) is not deterministic:\n%s", line, diff)
		}
		if (it == nil) != dl.HasErrors() {
			t.Fatalf("ParseItem(%q): item %v with diagnostics %v", line, it != nil, dl)
		}
		for _, d := range dl {
			if !parseItemCodes[d.Code] || d.Message == "" || d.File != "fuzz.jsonl" || d.Line != 42 ||
				d.Severity != diag.Error && d.Severity != diag.Warning {
				t.Fatalf("ParseItem(%q): bad diagnostic %#v", line, d)
			}
			if d.Column < 1 || d.Column > len(line)+1 {
				t.Fatalf("ParseItem(%q): column %d outside a %d-byte line: %#v", line, d.Column, len(line), d)
			}
			if d.Path != "" && !strings.HasPrefix(d.Path, "$") {
				t.Fatalf("ParseItem(%q): path %q", line, d.Path)
			}
		}
		if it == nil {
			return
		}
		if it.ID == "" || it.Line != 42 || it.Rubric == nil || len(it.Rubric.Criteria) == 0 || len(it.Responses) == 0 {
			t.Fatalf("ParseItem(%q): incomplete item %+v", line, it)
		}
		if it.Labels != nil {
			if len(it.Labels) != len(it.Responses) {
				t.Fatalf("ParseItem(%q): %d label sets for %d responses", line, len(it.Labels), len(it.Responses))
			}
			for _, l := range it.Labels {
				if len(l) != len(it.Rubric.Criteria) {
					t.Fatalf("ParseItem(%q): %d labels for %d criteria", line, len(l), len(it.Rubric.Criteria))
				}
			}
		}
	})
}
