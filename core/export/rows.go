package export

import (
	"slices"
	"strconv"
	"strings"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"

	"github.com/rcsd-dev/rcsd/core/config"
	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/eval"
	"github.com/rcsd-dev/rcsd/core/prompt"
	"github.com/rcsd-dev/rcsd/core/rubric"
	"github.com/rcsd-dev/rcsd/core/source"
)

// Row is one training example: the student's conversation and the
// teacher's privileged block, with the fields it came from.
type Row struct {
	ID string `json:"id"`
	// Prompt is the student's conversation (the trainer applies the
	// model's chat template).
	Prompt []eval.Message `json:"prompt"`
	// Privileged is the variant's block, the text TRL's
	// teacher_prompt_template puts at {privileged_context}.
	Privileged string `json:"privileged_context"`
	// Reference is the reference answer the teacher sees ("" when it
	// sees none).
	Reference string `json:"reference_answer,omitempty"`
	// Rubric is the rubric as the RCSD / RaR JSON array
	// [{"title", "description", "weight"}] ("" when the teacher sees no
	// rubric).
	Rubric string `json:"rubric,omitempty"`
}

// Codes of item records that cannot be exported.
const (
	CodeRubricField = "export-rubric-field"
)

// convertItems reads every record of req.Items and renders the teacher's
// privileged block. A record with errors is reported (file:line, JSON
// path) and skipped.
func convertItems(req Request, s settings) ([]Row, diag.List, int) {
	dl := diag.List{}
	if strings.TrimSpace(req.Items) == "" {
		return nil, dl, 0
	}
	file := req.ItemsFile
	if file == "" {
		file = "items"
	}
	src := req.Config.RubricSourceOf()
	shared := req.Rubric
	if src.From == config.FromItem {
		shared = nil
	}
	see := func(f string) bool { return slices.Contains(s.teacher.Privileged, f) }
	opts := s.prompt
	if opts.Chat == "" {
		opts.Chat = prompt.Plain // the block does not depend on the chat template
	}
	opts.ReasonFirst = false // the analysis pass cannot be exported (a warning says so)
	var rows []Row
	records := 0
	eachLine(req.Items, func(line []byte, lineNo int) {
		records++
		add := func(l diag.List) {
			for i := range l {
				if l[i].File == "" {
					l[i].File = file
				}
				if l[i].Line == 0 {
					l[i].Line = lineNo
				}
			}
			dl = append(dl, l...)
		}
		recShared := shared
		if src.From == config.FromItem && src.Field != "" && src.Field != "rubric" && src.Field != "rubrics" {
			r, rdl := fieldRubric(line, src.Field)
			add(rdl)
			if rdl.HasErrors() {
				return
			}
			recShared = r
		}
		if s.prompt.Variant == prompt.Feedback {
			add(diag.List{withHint(diag.Errorf(CodeNoRows, "$", "the feedback teacher shows verdicts on a previous attempt, which a dataset does not hold"),
				"TRL's SDPO trainer and verl's SDPO build feedback during the run; export the settings without --data, or use the rcsd variant")})
			return
		}
		it, idl := eval.ParseItem(line, lineNo, eval.ParseOptions{File: file, Rubric: recShared, ResponsesOptional: true})
		add(idl)
		if it == nil {
			return
		}
		if !see(config.FieldReference) {
			it.ReferenceAnswer = ""
		}
		_, teacher, rdl := prompt.Render(it, nil, opts)
		kept := rdl[:0]
		for _, d := range rdl {
			if d.Code == prompt.CodeNoReference && d.Severity != diag.Error && !see(config.FieldReference) {
				continue // the config keeps the reference from the teacher on purpose
			}
			d.Record = it.ID
			kept = append(kept, d)
		}
		rdl = kept
		add(rdl)
		if rdl.HasErrors() {
			return
		}
		row := Row{ID: it.ID, Prompt: it.Prompt, Privileged: teacher.Privileged, Reference: it.ReferenceAnswer}
		if see(config.FieldRubric) && it.Rubric != nil {
			row.Rubric = rubricArray(it.Rubric)
		}
		rows = append(rows, row)
	})
	return rows, dl, records
}

// fieldRubric imports the rubric held in a record's own field.
func fieldRubric(line []byte, field string) (*rubric.Rubric, diag.List) {
	var m map[string]json.RawMessage
	if json.Unmarshal(line, &m) != nil {
		return nil, nil // ParseItem reports the syntax error
	}
	path := source.Key("$", field)
	raw, ok := m[field]
	if !ok {
		d := diag.Errorf(CodeRubricField, "$", "the record has no %q field (the config's rubrics.field)", field)
		d.Column = 1
		return nil, diag.List{d}
	}
	r, dl := rubric.FromJSON(raw)
	if r != nil && !dl.HasErrors() {
		dl = append(dl, rubric.Validate(r)...)
	}
	dl = dl.PrefixPath(path)
	for i := range dl {
		_, dl[i].Column = source.Locate(line, dl[i].Path)
		dl[i].Line = 0
	}
	if dl.HasErrors() {
		return nil, dl
	}
	return r, dl
}

// rubricArray writes the criteria as the RCSD / RaR array.
func rubricArray(r *rubric.Rubric) string {
	type crit struct {
		Title       string  `json:"title"`
		Description string  `json:"description"`
		Weight      float64 `json:"weight"`
	}
	out := make([]crit, len(r.Criteria))
	for i, c := range r.Criteria {
		t := c.Title
		if t == "" {
			t = "Criterion " + strconv.Itoa(i+1)
		}
		out[i] = crit{Title: t, Description: c.Description, Weight: c.Weight}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return ""
	}
	return string(b)
}

// eachLine calls f with every non-blank line of a JSONL text, as bytes,
// and its 1-based number (source.EachLine).
func eachLine(content string, f func(line []byte, lineNo int)) {
	source.EachLine(content, func(line string, lineNo int) { f([]byte(line), lineNo) })
}

func withHint(d diag.Diagnostic, h string) diag.Diagnostic {
	d.Hint = h
	return d
}
