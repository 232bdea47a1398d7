package prompt

import (
	"math/rand/v2"
	"strings"
	"testing"
	"text/template"
)

// The engine must give text/template's bytes on every teacher template:
// both run on the same files with many data, including empty lists and
// strings, white space next to the trim markers, and the definitions.
func TestEngineMatchesTextTemplate(t *testing.T) {
	words := []string{"", " ", "a", "Paris", "line\nbreak", "  padded  ", "{{.X}}", "ünï", "\t"}
	rng := rand.New(rand.NewPCG(1, 2))
	views := func() []criterionView {
		n := rng.IntN(4)
		out := make([]criterionView, n)
		for i := range out {
			out[i] = criterionView{N: i + 1, Title: words[rng.IntN(len(words))], Description: words[rng.IntN(len(words))],
				Text: words[rng.IntN(len(words))], Weight: []string{"1", "-2", "0.5"}[rng.IntN(3)], Negative: rng.IntN(2) == 0}
		}
		return out
	}
	for _, v := range blockVariants {
		name := "templates/teacher/" + string(v) + ".tmpl"
		src, err := teacherFiles.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		std, err := template.New(string(v)).Option("missingkey=error").Parse(string(src))
		if err != nil {
			t.Fatal(err)
		}
		ours, err := parseTemplate(string(v)+".tmpl", string(src))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 300 {
			d := blockData{Reference: words[rng.IntN(len(words))], Rubric: words[rng.IntN(len(words))], Criteria: views(),
				Met: views(), Missed: views(), Pitfalls: views(), ReasonFirst: rng.IntN(2) == 0}
			for _, def := range []string{"", "analysis", "transition"} {
				if def != "" && std.Lookup(def) == nil {
					if ours.lookup(def) {
						t.Fatalf("%s: defines %q, text/template does not", v, def)
					}
					continue
				}
				var want strings.Builder
				if err := std.ExecuteTemplate(&want, map[string]string{"": string(v)}[def]+def, d); err != nil {
					t.Fatal(err)
				}
				got, err := ours.execute(def, d)
				if err != nil {
					t.Fatal(err)
				}
				if got != want.String() {
					t.Fatalf("%s %q case %d:\ngot  %q\nwant %q", v, def, i, got, want.String())
				}
			}
		}
	}
}

// Syntax outside the subset is refused at parse time, not misrendered.
func TestEngineRefuses(t *testing.T) {
	for _, src := range []string{
		"{{.A | printf}}", "{{if .A}}x", "{{end}}", "{{range .A}}x{{else}}y{{end}}", "{{/* x", "{{.A",
		`{{template "x"}}`, "{{with .A}}x{{end}}", "{{$x := .A}}", `{{define "a"}}{{define "b"}}{{end}}{{end}}`,
	} {
		if _, err := parseTemplate("t", src); err == nil {
			t.Errorf("%q parsed", src)
		}
	}
	tm, err := parseTemplate("t", "{{.Nope}}")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tm.execute("", blockData{}); err == nil || !strings.Contains(err.Error(), "field Nope") {
		t.Errorf("unknown field: %v", err)
	}
}
