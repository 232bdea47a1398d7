package api

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/distill"
	"github.com/rcsd-dev/rcsd/core/prompt"
	"github.com/rcsd-dev/rcsd/core/trace"
)

// LossConfig configures the conditioned loss: the math (core/distill) and
// the policy for log-probs a trace does not hold.
type LossConfig struct {
	Loss  distill.Options `json:"loss"`
	Trace trace.Options   `json:"trace"`
}

// Diagnostic codes of the loss's own checks (docs/diagnostics.md, ## Loss).
const (
	// CodeFirstTokenSpike warns that the first valid position's divergence
	// dwarfs the rest: typically the teacher expects a different opening
	// (a <think> the student's template left out, or the other way round).
	CodeFirstTokenSpike = "loss-first-token-spike"
	// CodeLeakage warns that the completion refers to privileged context
	// ("according to the rubric"), which a student never sees.
	CodeLeakage = "loss-leakage"
	// CodeHeavyClipping warns that most valid positions were clipped, so
	// most of the signal is cut (the clip is too tight for these traces).
	CodeHeavyClipping = "loss-heavy-clipping"
)

// Thresholds of the checks.
const (
	// SpikeRatio: the first valid token's divergence is at least this
	// many times the median of the others (and at least SpikeMin).
	SpikeRatio = 10.0
	SpikeMin   = 0.5
	// HeavyClipFraction of clipped valid positions triggers a warning.
	HeavyClipFraction = 0.5
)

// LossComputer computes trace losses line by line and accumulates the
// batch; it is not safe for concurrent use (hosts make one per worker
// and merge with Batch.Add on one goroutine).
type LossComputer struct {
	cfg  LossConfig
	comp *trace.Computer
}

// NewLossComputer checks cfg and builds a LossComputer. The error lists
// every problem of the options.
func NewLossComputer(cfg LossConfig) (*LossComputer, diag.List) {
	dl := cfg.Loss.Validate().PrefixPath("$.loss")
	dl = append(dl, cfg.Trace.Validate().PrefixPath("$.trace")...)
	if dl.HasErrors() {
		return nil, dl
	}
	k, err := distill.NewKernel(cfg.Loss)
	if err != nil {
		return nil, append(dl, errDiags(err, "$.loss")...)
	}
	c, err := trace.NewComputer(k, cfg.Trace)
	if err != nil {
		return nil, append(dl, errDiags(err, "$.loss")...)
	}
	return &LossComputer{cfg: cfg, comp: c}, dl
}

// errDiags turns an error into diagnostics: its own list when it wraps
// one, else one error at path.
func errDiags(err error, path string) diag.List {
	var de *diag.Err
	if errors.As(err, &de) {
		if path == "" {
			return de.List
		}
		return de.List.PrefixPath(path)
	}
	return diag.List{diag.Errorf("loss-error", path, "%v", err)}
}

// LossLine is the outcome of one trace record.
type LossLine struct {
	// Result is nil when the record could not be read or computed.
	Result      *trace.Result `json:"result,omitempty"`
	Diagnostics diag.List     `json:"diagnostics,omitempty"`
	// Text holds the completion's token texts (as the trace wrote them),
	// for hosts that show tokens.
	Text []string `json:"-"`
}

// Line parses one JSONL trace record (1-based lineNo within file),
// computes its loss and checks the result (first-token spike, leakage,
// heavy clipping).
func (l *LossComputer) Line(line []byte, lineNo int, file string) LossLine {
	tr, dl := trace.Parse(line, lineNo, file)
	out := LossLine{Diagnostics: dl}
	if tr == nil || dl.HasErrors() {
		return out
	}
	res, err := l.comp.Compute(tr)
	if err != nil {
		out.Diagnostics = append(out.Diagnostics, errDiags(err, "")...)
		return out
	}
	out.Result = &res
	out.Text = make([]string, len(tr.Student))
	for i, p := range tr.Student {
		out.Text[i] = p.Token
	}
	out.Diagnostics = append(out.Diagnostics, CheckLoss(tr, &res, file, lineNo)...)
	return out
}

// CheckLoss reports what a practitioner should look at in one trace's
// result: a first-token divergence spike, privileged context leaking into
// the completion, and heavy clipping.
func CheckLoss(tr *trace.Trace, res *trace.Result, file string, lineNo int) diag.List {
	var dl diag.List
	add := func(d diag.Diagnostic) {
		d.File, d.Line, d.Record = file, lineNo, tr.ID
		dl = append(dl, d)
	}
	first, rest := -1, make([]float64, 0, len(res.Tokens))
	clipped, valid := 0, 0
	for i, t := range res.Tokens {
		if !t.Valid {
			continue
		}
		valid++
		if t.Clipped {
			clipped++
		}
		if first < 0 {
			first = i
		} else {
			rest = append(rest, t.Divergence)
		}
	}
	if first >= 0 && len(rest) >= 4 {
		med := median(rest)
		d := res.Tokens[first].Divergence
		if d >= SpikeMin && d >= SpikeRatio*med {
			add(diag.Diagnostic{Severity: diag.Warning, Code: CodeFirstTokenSpike, Path: fmt.Sprintf("$.teacher[%d]", first),
				Message: fmt.Sprintf("the first valid token %q has divergence %.3g, %.0f× the median %.3g of the others", tokenText(tr, first), d, d/math.Max(med, 1e-12), med),
				Hint:    "the teacher expects another opening: check that both contexts use the same chat template and thinking flag (rcsd teacher), or skip the first tokens (--skip-first)"})
		}
	}
	if valid > 0 && float64(clipped) >= HeavyClipFraction*float64(valid) && valid >= 4 {
		add(diag.Diagnostic{Severity: diag.Warning, Code: CodeHeavyClipping, Path: "$",
			Message: fmt.Sprintf("%d of %d valid tokens were clipped", clipped, valid),
			Hint:    "the clip cuts most of the signal; RCSD's per-entry clip is 0.05 at τ 1.2 over the teacher's top 20"})
	}
	text := completionText(tr)
	for _, s := range prompt.Leakage(text) {
		add(diag.Diagnostic{Severity: diag.Warning, Code: CodeLeakage, Path: "$.student",
			Message: fmt.Sprintf("the completion refers to privileged context: %q", s.Text),
			Hint:    "a student never sees the rubric or the reference; after training this phrase means the teacher's context leaked into the policy"})
	}
	return dl
}

func tokenText(tr *trace.Trace, i int) string {
	if tr.Student[i].Token != "" {
		return tr.Student[i].Token
	}
	return fmt.Sprintf("#%d", tr.Student[i].TokenID)
}

// completionText joins the completion's token texts (when the producer
// wrote them).
func completionText(tr *trace.Trace) string {
	var b strings.Builder
	for _, p := range tr.Student {
		b.WriteString(p.Token)
	}
	return b.String()
}

func median(x []float64) float64 {
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// LossRequest computes the loss of traces given inline (the playground
// and the Worker's /api/v1/loss).
type LossRequest struct {
	Config LossConfig `json:"config"`
	// Traces is JSONL: one trace per line.
	Traces string `json:"traces"`
	// File names Traces in diagnostics.
	File string `json:"file,omitempty"`
}

// LossResponse holds one result per readable trace, the batch summary and
// every diagnostic.
type LossResponse struct {
	Results       []trace.Result `json:"results"`
	Summary       trace.Summary  `json:"summary"`
	Diagnostics   diag.List      `json:"diagnostics"`
	EngineVersion string         `json:"engine_version"`
}

// Loss computes the loss of every trace in req.Traces and reduces the
// batch with the configured reduction.
func Loss(ctx context.Context, req LossRequest) LossResponse {
	resp := LossResponse{Results: []trace.Result{}, Diagnostics: diag.List{}, EngineVersion: EngineVersion}
	lc, dl := NewLossComputer(req.Config)
	resp.Diagnostics = append(resp.Diagnostics, dl...)
	if lc == nil {
		return resp
	}
	file := req.File
	if file == "" {
		file = "traces"
	}
	batch := trace.NewBatch(req.Config.Loss.Reduction)
	eachLine(req.Traces, func(line string, lineNo int) {
		if ctx.Err() != nil {
			return
		}
		ll := lc.Line([]byte(line), lineNo, file)
		resp.Diagnostics = append(resp.Diagnostics, ll.Diagnostics...)
		if ll.Result != nil {
			batch.Add(ll.Result)
			resp.Results = append(resp.Results, *ll.Result)
		}
	})
	resp.Summary = batch.Summary()
	return resp
}
