package trace

import (
	"github.com/rcsd-dev/rcsd/core/lm"
)

// SchemaVersion is the trace format version this package reads and writes.
const SchemaVersion = 1

// Tolerances of the format. All three are absolute, in nats or in
// probability, and deliberately tight: served log-probs are float32 values
// printed in decimal, whose rounding is far below 1e-6.
const (
	// PositiveSlack is how far above 0 a log-prob may be and still be read:
	// a value in (0, PositiveSlack] is decimal rounding of a probability of
	// 1 and is read as 0; anything larger is an error (a log-prob is ≤ 0).
	PositiveSlack = 1e-6
	// MatchTolerance bounds |a − b| / max(1, |a|) between a position's own
	// log-prob a and the log-prob b its top list gives the same token.
	MatchTolerance = 1e-6
	// CoverageTolerance is the slack of the probability sums: a side's
	// listed tokens (top list and sampled token) cover its distribution when
	// their probabilities sum to at least 1 − CoverageTolerance, and the sum
	// may not exceed 1 + CoverageTolerance.
	CoverageTolerance = 1e-6
)

// MaxTokenID is the largest token id a trace may hold (ids are int32 in
// core/distill's served-log-prob path).
const MaxTokenID = 1<<31 - 1

// MaxRecordDiagnostics caps the diagnostics of one record: a broken
// 4096-token trace would otherwise report thousands of copies of one
// problem. The rest are counted in one trace-more-errors note.
const MaxRecordDiagnostics = 20

// Trace is one completion scored by the student and the teacher: the
// student's sampled token ids with both sides' log-probs (full vocabulary,
// temperature 1) and top alternatives at every completion position.
// Student[t] and Teacher[t] describe the same token: Student[t].TokenID ==
// Teacher[t].TokenID for every t.
type Trace struct {
	ID      string
	Student []lm.Position
	Teacher []lm.Position
	// Criteria holds, per criterion id, the teacher's positions when it
	// is conditioned on that criterion alone (same tokens as Student), for
	// per-criterion attribution. Nil when absent.
	Criteria map[string][]lm.Position
	// ThinkEndToken is the tokenizer's `</think>` id, when the producer
	// knows it. With mask_thinking it replaces the loss options'
	// think_end_token when that is 0 (unset); two different non-zero ids
	// are an error (trace-think-token-conflict).
	ThinkEndToken *int
	// Mask, when not nil, says which positions belong to the loss (false:
	// e.g. tool output inside a multi-turn completion). Same length as
	// Student.
	Mask []bool
	// Meta is free-form JSON (an object) carried through unchanged:
	// model names, template hashes, sampling settings.
	Meta []byte

	// File and Line locate the record for diagnostics; Parse sets them.
	File string
	Line int
}

// Diagnostic codes. Parse reports the format codes (plus the warnings);
// Compute reports the support codes; both report the record id in
// Diagnostic.Record and the JSON path of the problem.
const (
	// Reading.
	CodeInvalidUTF8  = "trace-invalid-utf8"  // the line is not UTF-8
	CodeNotObject    = "trace-not-object"    // the line is not a JSON object
	CodeBadJSON      = "trace-bad-json"      // JSON syntax error or trailing data
	CodeUnknownField = "trace-unknown-field" // a key the format does not have
	CodeWrongType    = "trace-wrong-type"    // a value of the wrong JSON type
	CodeMissingField = "trace-missing-field" // student, teacher, token_id or logprob absent
	CodeMissingID    = "trace-missing-id"    // warning: no id; "line-N" is used
	CodeBadID        = "trace-bad-id"        // id empty, or neither a string nor an integer
	CodeVersion      = "trace-unsupported-version"

	// The numbers.
	CodeEmpty           = "trace-empty"              // a side (or criterion) with no positions
	CodeLengthMismatch  = "trace-length-mismatch"    // teacher or criterion length ≠ student length
	CodeTokenMismatch   = "trace-token-mismatch"     // teacher or criterion token ids ≠ student's
	CodeBadTokenID      = "trace-bad-token-id"       // negative, above MaxTokenID, or not an integer
	CodeNonFinite       = "trace-non-finite-logprob" // NaN, ±Infinity, 1e999
	CodePositive        = "trace-positive-logprob"   // a log-prob above PositiveSlack
	CodeDuplicateTop    = "trace-duplicate-top-id"   // a token id twice in one top list
	CodeSampledMismatch = "trace-sampled-mismatch"   // top list disagrees with the position's logprob
	CodeMassAboveOne    = "trace-mass-above-one"     // listed probabilities sum above 1
	CodeMaskLength      = "trace-mask-length"        // mask length ≠ student length
	CodeBadCriterion    = "trace-bad-criterion"      // empty criterion id
	CodeThinkEndAbsent  = "trace-think-end-absent"   // warning: think_end_token never occurs
	CodeMoreErrors      = "trace-more-errors"        // info: diagnostics past MaxRecordDiagnostics

	// Computing the loss.
	CodeNotCovered      = "trace-not-covered"          // full support (or τ ≠ 1 estimator) without full coverage
	CodeMissingLogProb  = "trace-missing-logprob"      // the support needs a log-prob a side does not list
	CodeShortTop        = "trace-short-top"            // a top-k support with fewer than k listed tokens
	CodeThinkConflict   = "trace-think-token-conflict" // trace and options name different </think> ids
	CodeNumeric         = "trace-numeric"              // core/distill refused the numbers (infinite divergence)
	CodeTailTemperature = "trace-tail-temperature"     // a tail bucket at τ ≠ 1
	CodeUnknownMissing  = "trace-unknown-missing"      // Options.Missing is not error or floor
)
