package api

import (
	"context"

	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/eval"
	"github.com/rcsd-dev/rcsd/core/judge"
	"github.com/rcsd-dev/rcsd/core/prompt"
	"github.com/rcsd-dev/rcsd/core/rubric"
	"github.com/rcsd-dev/rcsd/core/source"
)

// ContextsRequest asks for the student's and the teacher's contexts of
// every item (what `rcsd teacher` prints and the playground shows).
type ContextsRequest struct {
	// Items is JSONL, one item per line, as rcsd eval reads it.
	Items string `json:"items"`
	// Rubric is an optional shared rubric file's text; RubricFile names it.
	Rubric     string         `json:"rubric,omitempty"`
	RubricFile string         `json:"rubric_file,omitempty"`
	Prompt     prompt.Options `json:"prompt"`
	// Judge decides the verdicts the feedback variant shows (auto by
	// default); other variants ignore it.
	Judge judge.Kind `json:"judge,omitempty"`
	// File names Items in diagnostics.
	File string `json:"file,omitempty"`
}

// ContextPair is one response's pair of contexts. Variants other than
// feedback give every response of an item the same pair.
type ContextPair struct {
	ID            string          `json:"id"`
	ResponseIndex int             `json:"response_index"`
	Student       prompt.Rendered `json:"student"`
	Teacher       prompt.Rendered `json:"teacher"`
	Diagnostics   diag.List       `json:"diagnostics,omitempty"`
}

// ContextsResponse holds a pair per (item, response) for feedback, per
// item otherwise, and the diagnostics of records that could not be read.
type ContextsResponse struct {
	Pairs         []ContextPair `json:"pairs"`
	Diagnostics   diag.List     `json:"diagnostics"`
	EngineVersion string        `json:"engine_version"`
}

// Contexts renders both contexts of every item in req.Items and checks
// each pair with prompt.Diff (they may differ only in the privileged
// block). Feedback teachers are rendered per response from that
// response's verdicts.
func Contexts(ctx context.Context, req ContextsRequest) ContextsResponse {
	resp := ContextsResponse{Pairs: []ContextPair{}, Diagnostics: diag.List{}, EngineVersion: EngineVersion}
	file := req.File
	if file == "" {
		file = "items"
	}
	cfg := EvalConfig{Judge: req.Judge}
	if req.Rubric != "" {
		r, dl := rubric.Load(req.RubricFile, []byte(req.Rubric))
		resp.Diagnostics = append(resp.Diagnostics, dl...)
		if dl.HasErrors() {
			return resp
		}
		cfg.Rubric = r
	}
	ev, err := NewEvaluator(cfg)
	if err != nil {
		resp.Diagnostics = append(resp.Diagnostics, diag.Errorf("bad-config", "$.judge", "%v", err))
		return resp
	}
	eachLine(req.Items, func(line string, lineNo int) {
		if ctx.Err() != nil {
			return
		}
		it, dl := eval.ParseItem([]byte(line), lineNo, eval.ParseOptions{File: file, Rubric: cfg.Rubric})
		resp.Diagnostics = append(resp.Diagnostics, dl...)
		if it == nil {
			return
		}
		for _, p := range ev.Contexts(ctx, it, req.Prompt) {
			p.Diagnostics.WithFile(file)
			resp.Pairs = append(resp.Pairs, p)
		}
	})
	return resp
}

// Contexts renders the contexts of one parsed item: one pair for the
// whole item, or one per response for the feedback variant (whose
// teacher shows that response's verdicts).
func (e *Evaluator) Contexts(ctx context.Context, it *eval.Item, o prompt.Options) []ContextPair {
	if o.Variant != prompt.Feedback {
		s, t, dl := prompt.Render(it, nil, o)
		if !dl.HasErrors() {
			dl = append(dl, prompt.Diff(s, t)...)
		}
		return []ContextPair{{ID: it.ID, ResponseIndex: -1, Student: s, Teacher: t, Diagnostics: recordDiags(dl, it)}}
	}
	results := e.ev.Evaluate(ctx, it)
	out := make([]ContextPair, 0, len(results))
	for _, r := range results {
		s, t, dl := prompt.Render(it, r.Criteria, o)
		if !dl.HasErrors() {
			dl = append(dl, prompt.Diff(s, t)...)
		}
		out = append(out, ContextPair{ID: it.ID, ResponseIndex: r.ResponseIndex, Student: s, Teacher: t, Diagnostics: recordDiags(dl, it)})
	}
	return out
}

func recordDiags(dl diag.List, it *eval.Item) diag.List {
	for i := range dl {
		dl[i].Record = it.ID

		if dl[i].Line == 0 {
			dl[i].Line = it.Line
		}
	}
	return dl
}

// eachLine calls f with every non-blank line of a JSONL text and its
// 1-based number (source.EachLine).
func eachLine(content string, f func(line string, lineNo int)) { source.EachLine(content, f) }
