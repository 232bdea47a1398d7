package rubric_test

import (
	"github.com/rcsd-dev/rcsd/internal/shareddata"

	"bufio"
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/rubric"
)

// TestHealthBenchRows imports the 30 real HealthBench rows in shared/data.
// The counts come from the data's README (352 criteria, 102 with
// negative points), which were counted with Python from the same file.
func TestHealthBenchRows(t *testing.T) {
	f, err := os.Open(shareddata.Path(t, shareddata.HealthBenchRows))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<22)
	rows, crit, neg := 0, 0, 0
	for sc.Scan() {
		rows++
		r, dl := rubric.FromJSON(sc.Bytes())
		if dl.HasErrors() || r == nil {
			t.Fatalf("row %d: %v", rows, dl)
		}
		if r.Format != rubric.FormatHealthBench {
			t.Errorf("row %d: format %s, want healthbench", rows, r.Format)
		}
		if errs := rubric.Validate(r); len(errs) != 0 {
			t.Errorf("row %d: Validate: %v", rows, errs)
		}
		for _, c := range r.Criteria {
			crit++
			if c.Weight < 0 {
				neg++
				if c.Polarity != rubric.Negative {
					t.Errorf("row %d %s: negative points but polarity %q", rows, c.ID, c.Polarity)
				}
			}
			if c.Category != "" {
				t.Errorf("row %d %s: HealthBench criteria get no category, got %q", rows, c.ID, c.Category)
			}
		}
	}
	if rows != 30 || crit != 352 || neg != 102 {
		t.Errorf("read %d rows, %d criteria, %d negative; want 30, 352, 102", rows, crit, neg)
	}
}

// TestYAMLEqualsJSON: the same rubric written as YAML and as JSON loads
// to the same value.
func TestYAMLEqualsJSON(t *testing.T) {
	y := `schema_version: 1
id: capital
criteria:
  - id: paris
    description: Names Paris as the capital of France.
    weight: 5
    category: essential
    tags: [geo]
    checks:
      - {kind: contains, terms: [Paris]}
  - id: lyon
    description: Claims Lyon is the capital.
    weight: -1
    category: pitfall
  - id: seat
    description: Mentions that the government sits in Paris.
    weight: 3
`
	j := `{"schema_version": 1, "id": "capital", "criteria": [
  {"id": "paris", "description": "Names Paris as the capital of France.", "weight": 5, "category": "essential", "tags": ["geo"], "checks": [{"kind": "contains", "terms": ["Paris"]}]},
  {"id": "lyon", "description": "Claims Lyon is the capital.", "weight": -1, "category": "pitfall"},
  {"id": "seat", "description": "Mentions that the government sits in Paris.", "weight": 3}]}`
	ry, dly := rubric.Load("r.yaml", []byte(y))
	rj, dlj := rubric.Load("r.json", []byte(j))
	if len(dly) != 0 || len(dlj) != 0 {
		t.Fatalf("diagnostics: yaml %v, json %v", dly, dlj)
	}
	if d := cmp.Diff(rj, ry, cmpopts.IgnoreUnexported(rubric.Rubric{})); d != "" {
		t.Errorf("YAML and JSON differ (-json +yaml):\n%s", d)
	}
	if got := ry.Criteria[1].Polarity; got != rubric.Negative {
		t.Errorf("polarity of a negative weight = %q, want negative", got)
	}
}

// TestBuiltInCode: a rubric built in code (no source) is validated with
// the paths of the rcsd file format.
func TestBuiltInCode(t *testing.T) {
	r := &rubric.Rubric{Criteria: []rubric.Criterion{
		{ID: "a", Description: "Names Paris.", Weight: 5},
		{ID: "a", Description: " ", Weight: 1, Checks: []rubric.Check{{Kind: rubric.CheckRegex, Pattern: "("}}},
	}}
	got := rubric.Validate(r)
	want := diag.List{
		{Severity: diag.Error, Code: rubric.CodeDuplicateID, Path: "$.criteria[1].id", Criterion: "a",
			Message: `the id "a" is already used by criterion 1`, Hint: "give every criterion its own id"},
		{Severity: diag.Error, Code: rubric.CodeEmptyDescription, Path: "$.criteria[1].description", Criterion: "a",
			Message: `criterion "a" has an empty description`},
		{Severity: diag.Error, Code: rubric.CodeCheckBadRegex, Path: "$.criteria[1].checks[0].pattern", Criterion: "a",
			Message: "the pattern does not compile: missing closing ): `(`", Hint: "the syntax is Go's RE2: no backreferences or lookaround"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Validate (-want +got):\n%s", d)
	}
	if dl := rubric.Validate(&rubric.Rubric{}); len(dl) != 1 || dl[0].Code != rubric.CodeEmptyRubric {
		t.Errorf("Validate(empty) = %v, want one %s", dl, rubric.CodeEmptyRubric)
	}
}

// TestLintCodes: each lint fires on its trigger and stays quiet on the
// same rubric without it.
func TestLintCodes(t *testing.T) {
	base := func() []rubric.Criterion {
		return []rubric.Criterion{
			{ID: "loc", Description: "States that the light reactions take place in the thylakoid membranes.", Weight: 8},
			{ID: "prod", Description: "Names ATP and NADPH as products that power the Calvin cycle.", Weight: 5},
			{ID: "o2", Description: "Claims that the released oxygen comes from carbon dioxide.", Weight: -1, Category: rubric.CategoryPitfall},
		}
	}
	tests := []struct {
		name   string
		modify func([]rubric.Criterion) []rubric.Criterion
		code   string // "" for no warning
	}{
		{"clean", func(c []rubric.Criterion) []rubric.Criterion { return c }, ""},
		{"too few", func(c []rubric.Criterion) []rubric.Criterion { return c[1:3:3] }, rubric.CodeCriteriaCount},
		{"too many", func(c []rubric.Criterion) []rubric.Criterion {
			for i := 0; len(c) < 26; i++ {
				c = append(c, rubric.Criterion{ID: "x" + strings.Repeat("i", i), Description: "Mentions isotope " + strings.Repeat("heavy ", i) + "labelling number " + strings.Repeat("x", i+1), Weight: 1})
			}
			return c
		}, rubric.CodeCriteriaCount},
		{"no negative", func(c []rubric.Criterion) []rubric.Criterion { c[2].Weight = 0; c[2].Category = ""; return c }, rubric.CodeNoNegative},
		{"no positive", func(c []rubric.Criterion) []rubric.Criterion { c[0].Weight, c[1].Weight = 0, 0; return c }, rubric.CodeNoPositiveWeight},
		{"weight range", func(c []rubric.Criterion) []rubric.Criterion { c[0].Weight = 11; return c }, rubric.CodeWeightRange},
		{"generic", func(c []rubric.Criterion) []rubric.Criterion {
			c[1].Description = "The response is accurate and helpful."
			return c
		}, rubric.CodeGenericCriterion},
		{"duplicate", func(c []rubric.Criterion) []rubric.Criterion {
			c[1].Description = " states that the light reactions take place in the THYLAKOID membranes"
			return c
		}, rubric.CodeDuplicateCrit},
		{"near duplicate", func(c []rubric.Criterion) []rubric.Criterion {
			c[1].Description = "States that the light reactions take place within the thylakoid membranes."
			return c
		}, rubric.CodeNearDuplicate},
		{"pitfall avoids with negative weight", func(c []rubric.Criterion) []rubric.Criterion {
			c[2].Description = "Avoids claiming that the oxygen comes from carbon dioxide."
			return c
		}, rubric.CodePitfallPolarity},
		{"pitfall 'does not' names the bad behaviour", func(c []rubric.Criterion) []rubric.Criterion {
			c[2].Description = "Does not subtract the multiples of 15 and answers 2733."
			return c
		}, ""},
		{"pitfall behaviour with positive weight", func(c []rubric.Criterion) []rubric.Criterion {
			c = append(c, rubric.Criterion{ID: "neg", Description: "Confuses photosystem I with II.", Weight: -1})
			c[2].Weight = 2
			return c
		}, rubric.CodePitfallPolarity},
		{"polarity mismatch", func(c []rubric.Criterion) []rubric.Criterion { c[1].Polarity = rubric.Negative; return c }, rubric.CodePolarityMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &rubric.Rubric{Criteria: tt.modify(base())}
			if errs := rubric.Validate(r); errs.HasErrors() {
				t.Fatalf("test rubric invalid: %v", errs)
			}
			var codes []string
			for _, d := range rubric.Lint(r) {
				if d.Severity != diag.Warning {
					t.Errorf("lint %s has severity %s, want warning", d.Code, d.Severity)
				}
				codes = append(codes, d.Code)
			}
			var want []string
			if tt.code != "" {
				want = []string{tt.code}
			}
			if d := cmp.Diff(want, codes, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("lint codes (-want +got):\n%s", d)
			}
		})
	}
}

// FuzzLoad: Load never panics, every diagnostic has a code, a severity
// and a position inside the input, and a rubric comes back exactly when
// there is no error.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"own-ok.yaml", "rar-ok.json", "healthbench-row.json", "validate-errors.yaml", "lint.yaml", "own-typo.yaml", "flow.yaml"} {
		f.Add(loadInput(f, "testdata/load/"+name))
	}
	f.Add([]byte(`[{"criteria": "a", "score": 1e400}]`))
	f.Add([]byte("criteria:\n  - &a {id: x}\n  - *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, dl := rubric.Load("f", data)
		if (r != nil) == dl.HasErrors() {
			t.Fatalf("rubric %v with errors=%v: %v", r != nil, dl.HasErrors(), dl)
		}
		lines := 1 + bytes.Count(data, []byte{'\n'})
		for _, d := range dl {
			if d.Code == "" || d.Message == "" || d.File != "f" {
				t.Fatalf("incomplete diagnostic %+v", d)
			}
			switch d.Severity {
			case diag.Error, diag.Warning, diag.Info:
			default:
				t.Fatalf("bad severity in %+v", d)
			}
			if d.Line > lines {
				t.Fatalf("line %d past the end (%d lines): %+v", d.Line, lines, d)
			}
		}
	})
}
