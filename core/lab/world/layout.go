package world

import "github.com/rcsd-dev/rcsd/core/rubric"

// The model's sequences (token ids; see Tokenizer):
//
//	student context   <bos> prompt <answer>
//	teacher context   <bos> prompt <rubric> compact rubric <answer>
//	OPSD teacher      <bos> prompt <rubric> compact rubric <ref> reference <answer>
//	answer            answer <eos>
//
// A training sequence is a context followed by an answer; the loss is on
// the answer's tokens (<eos> included), the context only conditions.
// The two contexts differ only in the privileged block between the
// prompt and <answer>, as core/prompt's student and teacher contexts do.

// StudentContext returns the student's context for prompt.
func StudentContext(tok *Tokenizer, prompt string) []int {
	ids := append(make([]int, 0, 32), BOS)
	ids = tok.AppendEncode(ids, prompt)
	return append(ids, Ans)
}

// TeacherContext returns the teacher's context: prompt and the rubric
// rendered by CompactRubric, and the reference answer when ref is not
// empty (OPSD's privileged context).
func TeacherContext(tok *Tokenizer, prompt string, r *rubric.Rubric, ref string) []int {
	ids := append(make([]int, 0, 160), BOS)
	ids = tok.AppendEncode(ids, prompt)
	ids = append(ids, Rubric)
	ids = tok.AppendEncode(ids, CompactRubric(r))
	if ref != "" {
		ids = append(ids, Ref)
		ids = tok.AppendEncode(ids, ref)
	}
	return append(ids, Ans)
}

// AnswerIDs returns the ids of an answer followed by <eos>.
func AnswerIDs(tok *Tokenizer, answer string) []int {
	return append(tok.Encode(answer), EOS)
}

// Sequence is one training sequence: a context then an answer.
type Sequence struct {
	// IDs is the context followed by the answer and <eos>.
	IDs []int `json:"ids"`
	// Start is the index in IDs of the answer's first token: the model is
	// trained to predict IDs[Start:] (IDs[Start-1] is <answer>).
	Start int `json:"start"`
}

// Join returns the sequence of context ctx and answer ids ans (as
// AnswerIDs gives them).
func Join(ctx, ans []int) Sequence {
	ids := make([]int, 0, len(ctx)+len(ans))
	ids = append(append(ids, ctx...), ans...)
	return Sequence{IDs: ids, Start: len(ctx)}
}

// MaxContext is the context length the lab model is built for: the
// longest OPSD sequence of the default level measured over 10,000 tasks
// is below it (TestSequenceLengths; docs/lab.md has the figures).
const MaxContext = 384
