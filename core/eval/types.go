package eval

import (
	"github.com/rcsd-dev/rcsd/core/judge"
	"github.com/rcsd-dev/rcsd/core/rubric"
	"github.com/rcsd-dev/rcsd/core/score"
)

// Message is one chat turn of a prompt.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Item is one input record: a prompt, its rubric and the responses to
// judge. HealthBench rows are items as they are (prompt_id, prompt as
// messages, rubrics).
type Item struct {
	ID string
	// Line is the 1-based line of the record in its JSONL file (0 when the
	// item did not come from a file).
	Line int
	// Prompt holds the conversation; a plain-text prompt is one user
	// message.
	Prompt          []Message
	ReferenceAnswer string
	Rubric          *rubric.Rubric
	// RubricPath is where the rubric sits in the record ("$.rubric" or
	// "$.rubrics"), "" for a shared rubric, so lints point into the record.
	RubricPath string
	Responses  []string
	// Labels has one entry per response (or is nil): each is aligned with
	// Rubric.Criteria, nil entries are unlabelled.
	Labels      [][]*bool
	ExampleTags []string
}

// Result is the outcome for one (item, response) pair: one JSONL record
// of `rcsd eval`'s output.
type Result struct {
	ID            string `json:"id"`
	ResponseIndex int    `json:"response_index"`
	// Score is nil when a criterion could not be judged (Note says so,
	// Unjudged counts them) or the scoring rule is undefined for this
	// rubric (e.g. HealthBench with no positive points).
	Score   *float64 `json:"score"`
	Scoring string   `json:"scoring"`
	// TagScores are HealthBench-style sub-scores (criterion tags, and
	// example tags which copy the overall score).
	TagScores map[string]float64 `json:"tag_scores,omitempty"`
	Criteria  []judge.Verdict    `json:"criteria"`
	// Advantage is the GRPO advantage of this response within its item's
	// group (only when the item has several responses, all with a score).
	Advantage *float64 `json:"advantage,omitempty"`
	// Unjudged counts criteria the judge failed to decide (status
	// unjudged); when it is not 0 there is no score.
	Unjudged int `json:"unjudged,omitempty"`
	// NotApplicable counts criteria the judge had no means to decide
	// (status not_applicable); the score leaves them out.
	NotApplicable int `json:"not_applicable,omitempty"`
	// Note says why Score is nil.
	Note string `json:"note,omitempty"`
	// Metrics are the example's named values in the order simple-evals
	// records them (overall_score, example tags, rubric tags), which the
	// summary's bootstrap follows to stay NumPy-identical. Not serialised:
	// TagScores carries the same values.
	Metrics       []score.Metric `json:"-"`
	EngineVersion string         `json:"engine_version"`
}
