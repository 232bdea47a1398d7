// Package trace reads and writes log-prob traces, the record of one
// student completion scored by the student and by the teacher, and
// computes RCSD's self-distillation loss from them with core/distill. It
// also streams dense logits from NumPy .npy files for the exact
// full-vocabulary loss.
//
// # Trace format (schema_version 1)
//
// A trace file is JSON Lines: one object per line, UTF-8. Fields:
//
//	schema_version   integer, optional; 1 (absent means 1; others are refused)
//	id               string (non-empty) or integer; the item's id. Absent: warning, "line-N" is used
//	student          list of positions, required, non-empty: the completion as the student scored it
//	teacher          list of positions, required: the same tokens scored under the teacher's prompt
//	criteria         optional object {"<criterion id>": [positions]}: the teacher conditioned on that
//	                 criterion alone, for per-criterion attribution; same length and tokens as student
//	think_end_token  optional integer: the tokenizer's </think> id, used by mask_thinking
//	mask             optional list of booleans, one per position: false leaves a position out of the
//	                 loss (e.g. tool output inside a completion)
//	meta             optional object, carried through unchanged (model, template hash, sampling)
//
// A position is
//
//	{"token_id": 17, "token": "The", "logprob": -0.12,
//	 "top": [{"token_id": 17, "token": "The", "logprob": -0.12}, {"token_id": 4, "token": "A", "logprob": -2.3}]}
//
// token_id (required) is the sampled token, an integer in [0, 2³¹−1];
// logprob (required) is its natural-log probability under the full
// vocabulary at temperature 1, as vLLM's prompt_logprobs and SGLang's
// input_token_logprobs return it; token (optional) is its text, for
// messages only; top (optional) lists alternatives with the same fields,
// in any order, each token at most once. The top list may or may not hold
// the sampled token; when it does, its log-prob must equal the position's
// within MatchTolerance. Entry t of student, teacher and every criterion
// is the same completion token: the token_id sequences must be equal.
// null is read as absent for the optional fields. Numbers may also be
// written as JSON strings holding a number ("17"), as some producers key
// ids by string; keys match as encoding/json matches them (an exact
// match, else case-insensitively; the last of repeated keys wins).
// Unknown fields are errors (with a did-you-mean hint); free-form data
// goes under meta.
//
// Log-probs must be finite and ≤ 0. JSON has no NaN or infinity, so the
// strings "NaN", "Infinity", "-inf" and the like, bare NaN/Infinity
// (Python's json.dumps), null, and numbers beyond float64 (1e999) are
// reported as trace-non-finite-logprob (or trace-wrong-type for null); a
// value in (0, PositiveSlack = 1e-6] is decimal rounding of a
// probability of 1 and is read as 0; a larger one is an error. The
// probabilities a position lists (top list plus the sampled token) may not
// sum above 1 + CoverageTolerance: such lists were renormalised or taken
// at another temperature. Every problem is a diagnostic with a stable
// code (the Code constants), the file, line, column and JSON path
// ($.teacher[12].top[3].logprob), the trace id, and a hint; up to
// MaxRecordDiagnostics per record.
//
// Encode writes the same format (fields in the order above, criteria
// sorted, shortest round-trip numbers); Parse reads a valid trace back
// unchanged.
//
// # The loss over a trace
//
// Compute runs a distill.Kernel over a trace, position by position. What
// the served lists allow, per support:
//
//   - full: only where both sides' lists cover their distributions
//     (probabilities summing to at least 1 − CoverageTolerance); then the
//     result equals the dense loss on the logits (to 1e-12 in the tests).
//     Otherwise trace-not-covered.
//   - teacher-topk / student-topk: the k most probable tokens of that side's
//     list (k served entries needed unless the list covers its
//     distribution: trace-short-top); the other side must list a log-prob
//     for each (its sampled token's own log-prob counts), otherwise
//     trace-missing-logprob names the position and the token. An opt-in
//     approximation, Options.Missing = "floor", fills a missing log-prob
//     with the smallest one that side lists there (an upper bound on it)
//     and marks the result (Result.Approximation = "floor", counts in
//     Filled). The tail bucket log(1 − Σ top-k p) needs τ = 1.
//   - estimators (sampled-token, k1…k3, tinker, rllm): the sampled token's
//     log-probs, exact at τ = 1 and at covered positions.
//
// Per token: divergence, advantage A_t = log T(y_t) − log S(y_t) (at τ,
// when exact), clip flags, entropies, validity (skip_first, mask_thinking
// with the trace's think_end_token, the trace's mask), and the served
// log-probs. Each trace is reduced alone by the kernel's reduction; Batch
// reduces many traces exactly as distill.Kernel.Loss reduces a batch.
//
// # Dense logits
//
// NPYReader streams a [T, V] float16/float32/float64 little-endian
// C-order .npy file (format 1.0, 2.0, 3.0) one row at a time, converting
// float16 exactly; DenseLoss runs distill.Kernel.Token over a student and
// a teacher file in O(V) memory and returns what distill.Kernel.Loss
// returns for that sequence.
//
// # What it never does
//
// It never runs or calls a model, never re-tokenizes text (tokens are
// ids; texts are for messages), never opens files or the network (callers
// pass bytes and io.Readers), and never guesses a log-prob it was not
// given: the one approximation is opt-in and named in every output that
// used it. It does not compute gradients (core/distill does, from dense
// logits).
package trace
