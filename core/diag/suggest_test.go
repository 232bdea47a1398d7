package diag

import "testing"

func TestSuggest(t *testing.T) {
	cands := []string{"weight", "description", "title", "category", "polarity", "tags", "checks", "id"}
	tests := []struct{ word, want string }{
		{"wieght", "weight"},          // transposition: 1 edit
		{"weigth", "weight"},          // transposition at the end
		{"Descripton", "description"}, // deletion, case-insensitive
		{"catgory", "category"},
		{"tag", "tags"},
		{"xyz", ""},        // nothing close
		{"polarities", ""}, // 3 edits on a 10-byte word is allowed... but "polarity"→"polarities" is 3: allowed
	}
	tests[len(tests)-1].want = "polarity"
	for _, tt := range tests {
		if got := Suggest(tt.word, cands); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

func TestDiagnosticString(t *testing.T) {
	tests := []struct {
		name string
		d    Diagnostic
		want string
	}{
		{"full", Diagnostic{Severity: Error, Code: "unknown-field", File: "r.yaml", Line: 3, Column: 5, Path: "$.criteria[0].wieght", Message: `unknown field "wieght"`, Hint: `did you mean "weight"?`},
			`r.yaml:3:5: error unknown-field: $.criteria[0].wieght: unknown field "wieght" (did you mean "weight"?)`},
		{"no location", Diagnostic{Severity: Warning, Code: "few-criteria", Message: "2 criteria"}, "warning few-criteria: 2 criteria"},
		{"file only", Diagnostic{Severity: Error, Code: "c", File: "f", Message: "m"}, "f: error c: m"},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestPrefixPath(t *testing.T) {
	l := List{{Path: "$"}, {Path: "$[2].weight"}, {Path: ""}, {Path: "$.x"}}
	l.PrefixPath("$.rubric")
	want := []string{"$.rubric", "$.rubric[2].weight", "$.rubric", "$.rubric.x"}
	for i, d := range l {
		if d.Path != want[i] {
			t.Errorf("%d: %q, want %q", i, d.Path, want[i])
		}
	}
}
