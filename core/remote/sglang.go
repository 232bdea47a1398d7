package remote

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"

	"github.com/rcsd-dev/rcsd/core/lm"
)

// SGLang scores token ids on an SGLang server through its native
// POST /generate API. It implements lm.Scorer; the embedded Client
// carries the base URL, model, API key and the retry policy (and still
// offers Chat against the server's OpenAI-compatible API). URLs follow
// the rule documented on VLLM: /generate and /tokenize sit at the server
// root, BaseURL without a trailing "/v1".
//
// Scoring sends the context and the continuation as one "input_ids" list
// with "max_new_tokens": 0 and reads meta_info.input_token_logprobs, a
// list of [logprob, token_id, text] from prompt position
// logprob_start_len on, and meta_info.input_top_logprobs, a list (per
// position) of such triples. The first of those entries has a null
// log-prob: the log-prob of the token at position i is computed at
// position i−1, so the entry at logprob_start_len itself has none. Score
// therefore sends logprob_start_len = len(context)−1 and keeps the last
// len(continuation) entries, which also fits older SGLang releases that
// omit the null entry when logprob_start_len > 0. SGLang computes input
// log-probs from the logits at temperature 1 (the request sets no
// temperature) and has no cap on top_logprobs_num.
//
// Tokenize uses POST /tokenize, which older SGLang releases lack (a 404
// then says so); scoring needs only ids, so the ids can come from the
// model's own tokenizer or from a vLLM server of the same model. SGLang
// does not implement lm.ChatTokenizer here: render the chat template
// elsewhere and Tokenize the result.
//
// /generate serves the model the server was started with; Model is sent
// only to /tokenize. An SGLang is safe for concurrent use once its fields
// are set; do not change them afterwards.
type SGLang struct {
	Client
	// Text asks the server to detokenize the ids of its log-prob lists
	// (return_text_in_logprobs), filling Position.Token and Alt.Token.
	// It costs server time and RCSD needs only ids, so it is off by
	// default.
	Text bool
	// MaxReplyBytes bounds a reply body; zero means DefaultMaxLogprobReply.
	MaxReplyBytes int64

	rootOnce sync.Once
	root     string
	rootErr  error
}

var _ lm.Scorer = (*SGLang)(nil)

// sglangGenerateRequest is the body of POST /generate used to score.
type sglangGenerateRequest struct {
	InputIDs             []int          `json:"input_ids"`
	ReturnLogprob        bool           `json:"return_logprob"`
	LogprobStartLen      int            `json:"logprob_start_len"`
	TopLogprobsNum       int            `json:"top_logprobs_num"`
	ReturnTextInLogprobs bool           `json:"return_text_in_logprobs,omitempty"`
	SamplingParams       sglangSampling `json:"sampling_params"`
}

type sglangSampling struct {
	MaxNewTokens int `json:"max_new_tokens"`
}

type sglangGenerateReply struct {
	MetaInfo *struct {
		InputTokenLogprobs []sglangLogprob   `json:"input_token_logprobs"`
		InputTopLogprobs   [][]sglangLogprob `json:"input_top_logprobs"`
	} `json:"meta_info"`
}

// sglangLogprob is one [logprob, token_id, text] triple; logprob and text
// may be null.
type sglangLogprob struct {
	LogProb *float64
	ID      int
	Text    *string
}

func (p *sglangLogprob) UnmarshalJSON(b []byte) error {
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil {
		return err
	}
	if len(parts) != 2 && len(parts) != 3 {
		return fmt.Errorf("log-prob entry %s is not [logprob, token_id, text]", b)
	}
	*p = sglangLogprob{}
	if err := json.Unmarshal(parts[0], &p.LogProb); err != nil {
		return fmt.Errorf("log-prob entry %s: %v", b, err)
	}
	if err := json.Unmarshal(parts[1], &p.ID); err != nil {
		return fmt.Errorf("log-prob entry %s: %v", b, err)
	}
	if len(parts) == 3 {
		if err := json.Unmarshal(parts[2], &p.Text); err != nil {
			return fmt.Errorf("log-prob entry %s: %v", b, err)
		}
	}
	return nil
}

// Tokenize returns the ids of text from POST /tokenize with "prompt" and
// "add_special_tokens": false.
func (s *SGLang) Tokenize(ctx context.Context, text string) ([]int, error) {
	ep, err := s.route("/tokenize", tokenizeHint("SGLang"))
	if err != nil {
		return nil, err
	}
	return s.tokenize(ctx, ep, tokenizeRequest{Model: s.Model, Prompt: text})
}

// Score returns one position per id of continuation, scored after context
// with teacher forcing, each with the topK most probable tokens, most
// probable first. context must hold at least one token. An empty
// continuation returns no positions without a request.
func (s *SGLang) Score(ctx context.Context, context, continuation []int, topK int) ([]lm.Position, error) {
	if err := checkScoreArgs("SGLang", context, continuation, topK); err != nil {
		return nil, err
	}
	if len(continuation) == 0 {
		return []lm.Position{}, nil
	}
	ep, err := s.route("/generate", generateHint)
	if err != nil {
		return nil, err
	}
	ids := make([]int, 0, len(context)+len(continuation))
	ids = append(append(ids, context...), continuation...)
	req := sglangGenerateRequest{
		InputIDs:             ids,
		ReturnLogprob:        true,
		LogprobStartLen:      len(context) - 1,
		TopLogprobsNum:       topK,
		ReturnTextInLogprobs: s.Text,
	}
	var reply sglangGenerateReply
	err = s.postJSON(ctx, ep, req, func(b []byte) error {
		reply = sglangGenerateReply{}
		return json.Unmarshal(b, &reply)
	})
	if err != nil {
		return nil, err
	}
	if reply.MetaInfo == nil {
		return nil, errors.New("remote: SGLang /generate reply has no meta_info (is this an SGLang server?)")
	}
	return sglangPositions(reply.MetaInfo.InputTokenLogprobs, reply.MetaInfo.InputTopLogprobs, context, continuation, topK)
}

// sglangPositions aligns the log-prob lists on their last len(cont)
// entries, which must carry the continuation's ids; a list one longer
// must start with the last context token.
func sglangPositions(tok []sglangLogprob, top [][]sglangLogprob, context, cont []int, topK int) ([]lm.Position, error) {
	n := len(cont)
	switch {
	case len(tok) == n+1:
	case len(tok) == n && tok[0].LogProb != nil:
		// An older release: no null entry for logprob_start_len > 0.
	default:
		return nil, fmt.Errorf("remote: SGLang input_token_logprobs has %d entries for %d continuation tokens after logprob_start_len %d (want %d)", len(tok), n, len(context)-1, n+1)
	}
	if len(tok) == n+1 && tok[0].ID != context[len(context)-1] {
		return nil, fmt.Errorf("remote: SGLang input_token_logprobs entry 0 has id %d, want the last context token %d", tok[0].ID, context[len(context)-1])
	}
	if topK > 0 && len(top) != len(tok) {
		return nil, fmt.Errorf("remote: SGLang input_top_logprobs has %d entries, input_token_logprobs %d", len(top), len(tok))
	}
	tok = tok[len(tok)-n:]
	if topK > 0 {
		top = top[len(top)-n:]
	}
	out := make([]lm.Position, n)
	alts := make([]lm.Alt, 0, n*topK)
	for t, id := range cont {
		e := tok[t]
		if e.ID != id {
			return nil, fmt.Errorf("remote: SGLang input_token_logprobs: continuation token %d: the server scored id %d, want %d", t, e.ID, id)
		}
		if e.LogProb == nil {
			return nil, fmt.Errorf("remote: SGLang input_token_logprobs: continuation token %d (id %d): null log-prob", t, id)
		}
		pos := lm.Position{TokenID: id, Token: deref(e.Text), LogProb: *e.LogProb}
		if topK > 0 {
			if top[t] == nil {
				return nil, fmt.Errorf("remote: SGLang input_top_logprobs: continuation token %d (id %d): null entry", t, id)
			}
			if len(top[t]) > topK {
				return nil, fmt.Errorf("remote: SGLang input_top_logprobs: continuation token %d (id %d): %d alternatives for top-k %d", t, id, len(top[t]), topK)
			}
			start := len(alts)
			for _, a := range top[t] {
				if a.LogProb == nil {
					return nil, fmt.Errorf("remote: SGLang input_top_logprobs: continuation token %d (id %d): alternative %d has a null log-prob", t, id, a.ID)
				}
				alts = append(alts, lm.Alt{TokenID: a.ID, Token: deref(a.Text), LogProb: *a.LogProb})
			}
			// The server sends them sorted; a stable sort keeps its order
			// among ties.
			slices.SortStableFunc(alts[start:], func(a, b lm.Alt) int {
				switch {
				case a.LogProb > b.LogProb:
					return -1
				case a.LogProb < b.LogProb:
					return 1
				}
				return 0
			})
			pos.Top = alts[start:len(alts):len(alts)]
		}
		out[t] = pos
	}
	return out, nil
}

// generateHint suggests a fix for SGLang's /generate errors.
func generateHint(status int, msg string) string {
	switch {
	case status == http.StatusNotFound:
		return "is this an SGLang server? /generate is SGLang's native API at the server root"
	case status == http.StatusBadRequest && strings.Contains(msg, "context length"):
		return "the context plus the continuation is longer than the server's --context-length"
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return "check the API key the server was started with (--api-key)"
	}
	return ""
}

// route returns the call of path under the server root (computed once).
func (s *SGLang) route(path string, hint func(int, string) string) (route, error) {
	s.rootOnce.Do(func() { s.root, s.rootErr = serverRoot(s.BaseURL) })
	if s.rootErr != nil {
		return route{}, s.wrap(s.rootErr)
	}
	return route{name: "SGLang POST " + path, url: s.root + path, limit: s.MaxReplyBytes, hint: hint}, nil
}
