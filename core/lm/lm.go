// Package lm is the log-prob interface between rcsd and language models:
// a Scorer turns a context and a continuation's token ids into per-token
// log-probabilities with the top alternatives, which is all RCSD needs
// from a model (the student's and the teacher's next-token distributions
// at each position of the student's own tokens, teacher-forced).
//
// Backends: the embedded demo model (Demo, offline), vLLM and SGLang
// servers (core/remote, the one package that does network I/O), and
// precomputed traces (core/trace). The package never samples text and
// never re-tokenizes a continuation: scorers score the ids they are given.
package lm

import (
	"context"
	"net/url"
	"strings"
)

// Chatter answers a conversation with the assistant's reply: an
// OpenAI-compatible chat-completions endpoint (core/remote.Client in
// native hosts; the browser's fetch in the playground).
type Chatter interface {
	Chat(ctx context.Context, messages []Message) (string, error)
	// ModelName names the model answering, for cache keys.
	ModelName() string
}

// Alt is one alternative token at a position with its natural-log
// probability under the full vocabulary at temperature 1.
type Alt struct {
	TokenID int     `json:"token_id"`
	Token   string  `json:"token,omitempty"`
	LogProb float64 `json:"logprob"`
}

// Position is one continuation token: its id, its log-probability given
// the context and the continuation before it, and the alternatives the
// backend returned (most probable first when the backend sorts them; the
// sampled token may be among them).
type Position struct {
	TokenID int     `json:"token_id"`
	Token   string  `json:"token,omitempty"`
	LogProb float64 `json:"logprob"`
	Top     []Alt   `json:"top,omitempty"`
}

// Message is one chat turn.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Scorer scores token ids under a context. Implementations are safe for
// concurrent use.
type Scorer interface {
	// Tokenize returns the ids of text as the model's tokenizer gives them,
	// adding no special tokens: text is already a rendered prompt.
	Tokenize(ctx context.Context, text string) ([]int, error)
	// Score returns one Position per id of continuation, scored after
	// context (token ids) with teacher forcing, each with up to topK
	// alternatives.
	Score(ctx context.Context, context, continuation []int, topK int) ([]Position, error)
}

// ChatTokenizer is implemented by scorers that apply the model's own chat
// template server-side (vLLM's /tokenize with messages), the safest way
// to get exactly the prompt the model was trained on.
type ChatTokenizer interface {
	TokenizeChat(ctx context.Context, messages []Message, addGenerationPrompt bool) ([]int, error)
}

// DenseScorer is implemented by scorers that can give the whole
// next-token distribution at every position (the embedded demo model),
// which makes every support exact: no log-prob is ever missing.
type DenseScorer interface {
	Scorer
	// VocabSize is the length of the vectors Dense passes.
	VocabSize() int
	// Dense calls f with the natural-log probabilities of the whole
	// vocabulary at each position of continuation after context,
	// teacher-forced. The slice is reused between calls; f must not keep
	// it. An error from f stops the scan and is returned.
	Dense(ctx context.Context, context, continuation []int, f func(t int, logprobs []float64) error) error
}

// Vocabulary is implemented by scorers that can name any token id (the
// demo model): its exact text, possibly a lone byte of a character.
type Vocabulary interface {
	TokenText(id int) string
}

// SparseScorer is implemented by scorers that know the whole next-token
// distribution and can give any token's log-probability at any position
// without computing the rest (the embedded demo model): every top-k
// support is then exact at the cost of the ids asked, not the vocabulary.
type SparseScorer interface {
	Scorer
	// LogProbsAt returns out[t][j] = log P(ids[t][j]) at position t of
	// continuation after context, teacher-forced; ids has one list per
	// position.
	LogProbsAt(ctx context.Context, context, continuation []int, ids [][]int) ([][]float64, error)
}

// ChatEndpoint is the chat-completions URL of an OpenAI-compatible base
// URL u (already checked to be http(s) with a host): a URL with no path
// gets /v1/chat/completions, one ending in /chat/completions is used as
// it is, any other path gets /chat/completions appended. The CLI's grader
// (core/remote) and the browser's (wasm/bridge) both derive it here.
func ChatEndpoint(u url.URL) string {
	p := strings.TrimRight(u.Path, "/")
	switch {
	case strings.HasSuffix(p, "/chat/completions"):
	case p == "":
		p = "/v1/chat/completions"
	default:
		p += "/chat/completions"
	}
	u.Path, u.RawPath = p, ""
	return u.String()
}
