package prompt

// Diagnostic codes. Render reports the first group, Diff the second,
// CheckLeakage the last. Every code is stable; each comment gives the
// severity and the cause, and the message says what to do.
const (
	// Render.
	CodeUnknownVariant         = "context-unknown-variant"          // error: Options.Variant is not a Variant
	CodeUnknownChat            = "context-unknown-chat-template"    // error: Options.Chat is empty or unknown
	CodeBadTemplate            = "context-bad-template"             // error: Options.Custom does not parse or lacks {privileged_context}
	CodeTemplateDropsQuestion  = "context-template-drops-question"  // error: Options.Custom has no {prompt}
	CodeNoPrompt               = "context-no-prompt"                // error: the item is nil or has no user turn
	CodeUnsupportedRole        = "context-unsupported-role"         // error: a role the chat template does not render
	CodeNoRubric               = "context-no-rubric"                // error: the variant needs a rubric with criteria
	CodeNoReference            = "context-no-reference"             // error for opsd, warning for rcsd: no reference answer
	CodeUnknownCriterion       = "context-unknown-criterion"        // error: Options.Criterion is empty or not in the rubric
	CodeNoVerdicts             = "context-no-verdicts"              // error: feedback without any judged verdict
	CodeUnjudged               = "context-unjudged"                 // warning: feedback leaves out unjudged or unknown criteria
	CodeOptionIgnored          = "context-option-ignored"           // warning: an option the variant does not use
	CodeReasonFirstUnsupported = "context-reason-first-unsupported" // error: reason_first with a variant that has no analysis pass
	CodeInternal               = "context-internal"                 // error: an embedded template failed (a bug)

	// Diff.
	CodeChatMismatch         = "context-chat-mismatch"          // error: different chat templates
	CodeThinkingMismatch     = "context-thinking-mismatch"      // error (warning when the template ignores it): different thinking flags
	CodeSystemPromptMismatch = "context-system-prompt-mismatch" // error: different system messages
	CodeTurnMismatch         = "context-turn-mismatch"          // error: different turns outside the privileged turn
	CodeQuestionDropped      = "context-question-dropped"       // error: the teacher lacks the student's question, or part of it
	CodeTruncatedLeft        = "context-truncated-left"         // error: the teacher lost the start of its context
	CodeContextMismatch      = "context-mismatch"               // error: any other difference outside the privileged block
	CodeWhitespaceMismatch   = "context-whitespace-mismatch"    // warning: the contexts differ only in whitespace outside the block
	CodeBadSpans             = "context-bad-spans"              // error: Rendered.Inserted is out of order or out of range
	CodeNoPrivileged         = "context-no-privileged"          // warning: a teacher with no privileged block
	CodePrivilegedInStudent  = "context-privileged-in-student"  // error: the student's context holds the teacher's block
	CodeAnalysisPending      = "context-analysis-pending"       // warning: a reason-first teacher without its analysis
	CodeFirstTokenSpike      = "context-first-token-spike"      // warning: a context where the teacher will not expect the student's first tokens

	// CheckLeakage.
	CodeLeakage = "context-leakage" // warning: the response refers to the privileged context
)
