package prompt

import (
	"github.com/rcsd-dev/rcsd/core/eval"
)

// Variant names a teacher context: which privileged block the teacher
// sees on top of the student's context.
type Variant string

const (
	// RCSD is the method's teacher: the reference answer and the whole
	// rubric as one JSON array of {"title", "description", "weight"}
	// (the RCSD / RaR array form). With Options.ReasonFirst the block
	// asks for an analysis of the rubric first (see Rendered.NeedsAnalysis).
	RCSD Variant = "rcsd"
	// RGSD shows the rubric as numbered lines "i. (weight w) criterion"
	// and no reference answer (Scale AI's rubric-guided self-distillation).
	RGSD Variant = "rgsd"
	// OPSD shows the reference solution only (siyan-zhao/OPSD).
	OPSD Variant = "opsd"
	// Feedback shows the judge's per-criterion verdicts on a previous
	// attempt as a critique: what it met, missed, and which pitfalls it
	// contained (the SDPO / TRL SDFT "feedback" privileged context).
	Feedback Variant = "feedback"
	// SingleCriterion shows one criterion (Options.Criterion) in the RCSD
	// array form, for per-criterion attribution.
	SingleCriterion Variant = "single-criterion"
	// None gives the teacher the student's own context: a check that the
	// loss is zero when nothing is privileged.
	None Variant = "none"
)

// Variants lists every variant, in documentation order.
func Variants() []Variant {
	return []Variant{RCSD, RGSD, OPSD, Feedback, SingleCriterion, None}
}

// ChatTemplate names a chat format. Each is a data file under
// templates/chat/ that reproduces a model family's chat_template with
// add_generation_prompt=True.
type ChatTemplate string

const (
	// ChatML is the generic ChatML template: "<|im_start|>{role}\n{content}<|im_end|>\n"
	// per turn and "<|im_start|>assistant\n" to generate. No thinking switch.
	ChatML ChatTemplate = "chatml"
	// Qwen3 is ChatML as Qwen3's tokenizer_config.json renders it: past
	// assistant turns lose their <think> block, and with thinking off the
	// generation prompt ends with the empty block "<think>\n\n</think>\n\n"
	// (enable_thinking=False). With thinking on it ends at
	// "<|im_start|>assistant\n" and the model opens <think> itself.
	Qwen3 ChatTemplate = "qwen3"
	// Llama3 is Meta Llama 3 Instruct's template: "<|begin_of_text|>", then
	// "<|start_header_id|>{role}<|end_header_id|>\n\n{content|trim}<|eot_id|>"
	// per turn, then the assistant header. No default system message (3.1
	// and later add one; use their own template through ApplyChat's
	// messages instead). No thinking switch.
	Llama3 ChatTemplate = "llama3"
	// Plain renders "role: content" blocks separated by a blank line and
	// ends with "assistant: ", the form eval.RenderPrompt and the judges
	// use; it is the format of the embedded demo model.
	Plain ChatTemplate = "plain"
)

// ChatTemplates lists every chat template, in documentation order.
func ChatTemplates() []ChatTemplate { return []ChatTemplate{ChatML, Qwen3, Llama3, Plain} }

// DefaultTemplate is the composition used when Options.Custom is empty:
// the privileged block goes after the question, separated by a blank
// line — TRL SDFT's default teacher_prompt_template.
const DefaultTemplate = "{prompt}\n\n{privileged_context}"

// Options says how to render the two contexts. It holds configuration
// only (it is the same for every item), so it can live in a config file.
type Options struct {
	// Variant is the teacher's privileged context; "" means RCSD.
	Variant Variant `json:"variant,omitempty"`
	// Chat is the chat template both contexts are rendered with. Required:
	// rendering with another model's template is the pitfall this package
	// exists to prevent, so there is no default.
	Chat ChatTemplate `json:"chat"`
	// Thinking is Qwen3's enable_thinking for both contexts. False renders
	// the empty think block; templates without a thinking switch ignore it.
	Thinking bool `json:"thinking,omitempty"`
	// ReasonFirst adds the released RCSD code's optional analysis pass
	// (RCSD only): the block ends with an instruction to analyse the
	// rubric and reference answer before answering, the teacher generates
	// that analysis from Rendered.Text, and Rendered.WithAnalysis appends
	// it and a transition sentence to make the context the student's
	// tokens are scored under.
	ReasonFirst bool `json:"reason_first,omitempty"`
	// Criterion is the id of the one criterion SingleCriterion shows.
	Criterion string `json:"criterion,omitempty"`
	// Custom replaces DefaultTemplate. It is a Python str.format string as
	// TRL's teacher_prompt_template is: {prompt} (the student's last user
	// turn) and {privileged_context} (the block) are required, "{{" and
	// "}}" are literal braces, and no other field is allowed.
	Custom string `json:"custom_template,omitempty"`
}

// Message is one chat turn.
type Message = eval.Message

// Span is a byte range [Start, End) of a string.
type Span struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Text  string `json:"text,omitempty"`
}

// Rendered is one context, ready for a model: the messages (for servers
// that apply the chat template themselves, e.g. vLLM's /tokenize with
// messages and add_generation_prompt) and the same conversation rendered
// as text with the generation prompt (for servers that take text or ids).
type Rendered struct {
	// ID is the item's id, carried into Diff's diagnostics.
	ID       string       `json:"id,omitempty"`
	Variant  Variant      `json:"variant"`
	Chat     ChatTemplate `json:"chat"`
	Thinking bool         `json:"thinking"`
	Messages []Message    `json:"messages"`
	// Text is the chat template applied to Messages with the generation
	// prompt, then Suffix. It holds the special tokens as text ("<|im_start|>",
	// "<|begin_of_text|>"): tokenize it without adding special tokens.
	Text string `json:"text"`
	// Turn is the index in Messages of the user turn that holds the
	// question and, in the teacher's context, the privileged block: the
	// last user turn. It is the same for student and teacher.
	Turn int `json:"turn"`
	// Privileged is the block that replaced {privileged_context}; empty
	// for the student and for None.
	Privileged string `json:"privileged,omitempty"`
	// Inserted are the spans of Text that the student's context does not
	// have, in order: the template's text around the question, the block,
	// and Suffix. Removing them from the teacher's Text gives the
	// student's Text exactly (or up to whitespace a trimming chat template
	// removes); Diff checks this.
	Inserted []Span `json:"inserted,omitempty"`
	// Suffix is text after the generation prompt that belongs to the
	// context: for a reason-first teacher, the analysis and the transition.
	// A server that applies the chat template to Messages must get it
	// appended as plain text (tokenized without special tokens), as the
	// released RCSD code appends its transition tokens.
	Suffix string `json:"suffix,omitempty"`
	// NeedsAnalysis is true for a reason-first teacher before WithAnalysis:
	// Text is then the prompt of the analysis pass, not yet the context to
	// score under.
	NeedsAnalysis bool `json:"needs_analysis,omitempty"`
	// Transition is the text WithAnalysis appends after the analysis.
	Transition string `json:"transition,omitempty"`
}

// WithAnalysis completes a reason-first teacher: it appends the teacher's
// analysis (generated from r.Text) and r.Transition to the context and
// marks both as inserted. It returns r unchanged when r does not need an
// analysis.
func (r Rendered) WithAnalysis(analysis string) Rendered {
	if !r.NeedsAnalysis {
		return r
	}
	suffix := analysis + r.Transition
	start := len(r.Text)
	r.Text += suffix
	r.Suffix += suffix
	if suffix != "" {
		r.Inserted = append(append([]Span(nil), r.Inserted...), Span{Start: start, End: len(r.Text)})
	}
	r.NeedsAnalysis = false
	return r
}
