package api

import (
	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/eval"
	"github.com/rcsd-dev/rcsd/core/judge"
	"github.com/rcsd-dev/rcsd/core/rubric"
	"github.com/rcsd-dev/rcsd/core/score"
)

// EngineVersion is stamped on every output record and checked by hosts
// that talk to a .wasm build.
const EngineVersion = "rcsd 0.1.0"

// ValidateRequest asks for the diagnostics of one input.
type ValidateRequest struct {
	// File names the input in diagnostics.
	File string `json:"file"`
	// Content is the whole input: a rubric file (YAML or JSON, any
	// importable format) or an items file (JSONL).
	Content string `json:"content"`
	// Kind is "rubric", "items", "config" or "" to detect it.
	Kind string `json:"kind,omitempty"`
	// Rubric is a shared rubric file's text for items without their own
	// (what `rcsd eval --rubric` would pass); RubricFile names it.
	Rubric     string `json:"rubric,omitempty"`
	RubricFile string `json:"rubric_file,omitempty"`
}

// ValidateResponse reports what was found.
type ValidateResponse struct {
	Kind string `json:"kind"`
	// Format is the detected rubric format (rubric inputs only).
	Format      string         `json:"format,omitempty"`
	Rubric      *rubric.Rubric `json:"rubric,omitempty"`
	Records     int            `json:"records,omitempty"`
	Diagnostics diag.List      `json:"diagnostics"`
	Errors      int            `json:"errors"`
	Warnings    int            `json:"warnings"`
}

// EvalConfig configures an Evaluator.
type EvalConfig struct {
	Judge   judge.Kind `json:"judge,omitempty"`   // auto | labels | rules | lexical | llm
	Scoring string     `json:"scoring,omitempty"` // healthbench | rar | rar-category | research | weighted
	GRPO    string     `json:"grpo,omitempty"`    // trl | verl
	// Rubric, when set, is the shared rubric for records without one.
	Rubric *rubric.Rubric `json:"-"`
	// LLM is the grader for the llm judge (nil when none is configured).
	LLM judge.Judge `json:"-"`
}

// LineResult is the outcome of one JSONL record.
type LineResult struct {
	// Item is nil when the record could not be evaluated.
	Item        *eval.Item    `json:"-"`
	Results     []eval.Result `json:"results"`
	Diagnostics diag.List     `json:"diagnostics,omitempty"`
}

// EvaluateRequest evaluates records given inline (the playground and the
// Worker's /api/v1/evaluate).
type EvaluateRequest struct {
	Config EvalConfig `json:"config"`
	// Items is JSONL: one record per line.
	Items string `json:"items"`
	// Rubric is an optional shared rubric file's text.
	Rubric string `json:"rubric,omitempty"`
	// Seed is the bootstrap seed of the summary.
	Seed uint32 `json:"seed,omitempty"`
}

// EvaluateResponse holds every result, the diagnostics and the summary.
type EvaluateResponse struct {
	Results     []eval.Result `json:"results"`
	Diagnostics diag.List     `json:"diagnostics"`
	// Summary is the aggregate in HealthBench's layout.
	Summary       Metrics `json:"summary"`
	EngineVersion string  `json:"engine_version"`
}

// Metrics is the aggregate in HealthBench's layout ("overall_score",
// "overall_score:bootstrap_std", "overall_score:n_samples", and the same
// per tag), a JSON object with keys in order.
type Metrics = score.Metrics
