// Package prompt renders the two contexts of rubric-conditioned
// self-distillation from an item (core/eval.Item) and its rubric: the
// student's, which is the item's conversation as it is, and the
// teacher's, which is the same conversation with a privileged block added
// to the question. It also checks a pair of contexts for the pitfalls
// users report (Diff) and a response for phrases that leak the privileged
// context (Leakage).
//
// # Where the block goes
//
// The privileged block goes into the last user turn (the question), after
// it and separated by a blank line: the turn becomes
// "{prompt}\n\n{privileged_context}", TRL SDFT's default
// teacher_prompt_template (DefaultTemplate). Options.Custom takes any other
// template in the same Python str.format syntax. Every other turn, the
// system prompt, the chat template and the thinking flag are the student's,
// so the two contexts differ only in the block; Rendered.Inserted records
// where, and Diff checks it. (The released RCSD code instead writes
// "Question: …" and a \boxed{} instruction around the block; items here
// carry their own wording, and a custom template can put labels such as
// "Question: " around the question and the block.)
//
// # Teacher variants
//
// Each variant's block is an embedded text/template file under
// templates/teacher/, golden-tested for every chat template:
//
//   - rcsd: "Reference Answer:" and the reference answer, then
//     "Rubric (JSON array):" and the whole rubric on one line as
//     [{"title": …, "description": …, "weight": …}] exactly as Python's
//     json.dumps(…, ensure_ascii=False) writes it, then a guidance sentence.
//     With Options.ReasonFirst (the released code's optional flow) the
//     guidance sentence becomes an instruction to analyse the rubric and
//     the reference answer without answering yet; the teacher generates
//     that analysis from Rendered.Text, and Rendered.WithAnalysis appends
//     it and a transition sentence ("Now, … answer the question …") after
//     the generation prompt, where the student's tokens are then scored.
//   - rgsd: the rubric as numbered lines "i. (weight w) criterion".
//   - opsd: the reference solution.
//   - feedback: the judge's verdicts on a previous attempt as a critique:
//     the criteria it met, those it missed, and the pitfalls (negative
//     criteria) it contained.
//   - single-criterion: one criterion (Options.Criterion) in the rcsd
//     array form, for per-criterion attribution.
//   - none: no block; the teacher's context is the student's.
//
// # Chat templates
//
// Chat templates are data too (templates/chat/*.json), each reproducing a
// model family's Hugging Face chat_template with add_generation_prompt:
// chatml, qwen3 (thinking on: the prompt ends "<|im_start|>assistant\n";
// off: Qwen3's empty "<think>\n\n</think>\n\n" block), llama3 (Llama 3
// Instruct, "<|begin_of_text|>" included: tokenize the text without adding
// special tokens) and plain ("role: content" blocks, for the embedded demo
// model). Rendered.Messages serve servers that apply the template
// themselves (vLLM's /tokenize with messages); the text and the messages
// describe the same context, except that Rendered.Suffix must then be
// appended as plain text.
//
// # Diagnostics
//
// Render reports problems with the options or the item (unknown variant or
// chat template, a custom template without {prompt}, no rubric, no
// reference answer, an unknown criterion id, feedback without verdicts).
// Diff reports, as errors, contexts rendered with different chat templates
// or thinking flags, different system prompts or turns, a teacher missing
// the student's question or truncated from the left, any other difference
// outside the block, and a student context holding the teacher's block;
// and, as warnings, a teacher with no block, a reason-first teacher not
// yet completed, and a context that makes the first tokens' divergence
// spike. CheckLeakage turns Leakage's spans into warnings. The codes are
// the Code constants, all prefixed "context-".
//
// The package renders text and never tokenizes, never calls a model and
// never touches the process (no files, no network, no globals but the
// lazily parsed embedded templates); it runs unchanged under
// GOOS=js GOARCH=wasm.
package prompt
