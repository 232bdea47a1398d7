package judge

import (
	"context"

	"github.com/rcsd-dev/rcsd/core/rubric"
)

// Kind names a judge.
type Kind string

const (
	KindAuto    Kind = "auto"    // labels where given, rules where a criterion has checks, else llm when configured, else lexical
	KindLabels  Kind = "labels"  // verdicts supplied with the item
	KindRules   Kind = "rules"   // deterministic checks attached to criteria
	KindLexical Kind = "lexical" // offline key-term heuristic
	KindLLM     Kind = "llm"     // an OpenAI-compatible chat-completions grader
)

// Evidence is the span of the response that supports a verdict. Start and
// End are byte offsets into the response (End exclusive).
type Evidence struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Text  string `json:"text"`
}

// Verdict is one judge's decision on one criterion for one response.
type Verdict struct {
	// ID is the criterion id.
	ID string `json:"id"`
	// Met is nil when the criterion was not decided: Status then says
	// whether judging failed (unjudged, Error says why) or the judge has
	// no means to decide it (not_applicable, Explanation says why).
	Met *bool `json:"met"`
	// Status is met, not_met, unjudged or not_applicable (Settle fills it
	// in from Met; judges set not_applicable themselves).
	Status Status `json:"status"`
	Judge  Kind   `json:"judge"`
	// Confidence in [0,1], set by judges that estimate one (lexical).
	Confidence  *float64  `json:"confidence,omitempty"`
	Evidence    *Evidence `json:"evidence,omitempty"`
	Explanation string    `json:"explanation,omitempty"`
	// Heuristic marks verdicts from the lexical judge, which guesses from
	// shared words and can be wrong in ways a grader would not.
	Heuristic bool   `json:"heuristic,omitempty"`
	Error     string `json:"error,omitempty"`
}

// Input is everything a judge may look at for one response.
type Input struct {
	// Prompt is the conversation rendered as text ("user: …" lines for
	// chat messages), for judges that show it to a grader.
	Prompt          string
	ReferenceAnswer string
	Response        string
	Rubric          *rubric.Rubric
	// Labels, when not nil, has one entry per criterion in rubric order; a
	// nil entry is an unlabelled criterion.
	Labels []*bool
}

// Judge decides every criterion of in.Rubric for in.Response. It returns
// one verdict per criterion, in rubric order, and never fails as a whole:
// a criterion it fails to decide gets Met == nil and an Error (unjudged);
// one it has no means to decide gets Met == nil and Status
// StatusNotApplicable.
type Judge interface {
	Judge(ctx context.Context, in *Input) []Verdict
}

// Bool returns a pointer to b, for building verdicts and labels.
func Bool(b bool) *bool { return &b }
