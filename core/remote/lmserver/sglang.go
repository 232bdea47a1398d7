package lmserver

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/rcsd-dev/rcsd/core/lm/demo"
)

type generateRequest struct {
	Text                 json.RawMessage `json:"text"`
	InputIDs             json.RawMessage `json:"input_ids"`
	ReturnLogprob        bool            `json:"return_logprob"`
	LogprobStartLen      *int            `json:"logprob_start_len"`
	TopLogprobsNum       int             `json:"top_logprobs_num"`
	ReturnTextInLogprobs bool            `json:"return_text_in_logprobs"`
	SamplingParams       struct {
		MaxNewTokens *int `json:"max_new_tokens"`
	} `json:"sampling_params"`
	Stream bool `json:"stream"`
}

// triple is SGLang's [logprob, token_id, text]; logprob and text may be
// nil (null).
type triple [3]any

type generateMeta struct {
	ID                  string         `json:"id"`
	FinishReason        map[string]any `json:"finish_reason"`
	PromptTokens        int            `json:"prompt_tokens"`
	CompletionTokens    int            `json:"completion_tokens"`
	CachedTokens        int            `json:"cached_tokens"`
	InputTokenLogprobs  *[]triple      `json:"input_token_logprobs,omitempty"`
	OutputTokenLogprobs *[]triple      `json:"output_token_logprobs,omitempty"`
	InputTopLogprobs    *[][]triple    `json:"input_top_logprobs,omitempty"`
	OutputTopLogprobs   *[][]triple    `json:"output_top_logprobs,omitempty"`
}

type generateReply struct {
	Text      string       `json:"text"`
	OutputIDs []int        `json:"output_ids"`
	MetaInfo  generateMeta `json:"meta_info"`

	vocab int
}

func (r *generateReply) dropLast() {
	if tl := r.MetaInfo.InputTokenLogprobs; tl != nil && len(*tl) > 0 {
		*tl = (*tl)[:len(*tl)-1]
	}
	if tp := r.MetaInfo.InputTopLogprobs; tp != nil && len(*tp) > 0 {
		*tp = (*tp)[:len(*tp)-1]
	}
}

func (r *generateReply) dropPromptToken() {
	if tl := r.MetaInfo.InputTokenLogprobs; tl != nil && len(*tl) > 0 {
		last := &(*tl)[len(*tl)-1]
		last[1] = (last[1].(int) + 1) % r.vocab
	}
}

// generate serves SGLang's native POST /generate.
func (h *Handler) generate(body []byte) (any, error) {
	var req generateRequest
	if err := decodeBody(body, &req, sglangError); err != nil {
		return nil, err
	}
	hasText := len(req.Text) > 0 && string(req.Text) != "null"
	hasIDs := len(req.InputIDs) > 0 && string(req.InputIDs) != "null"
	if hasText == hasIDs {
		return nil, sglangError("Either text or input_ids should be provided.")
	}
	if req.Stream {
		return nil, sglangError("lmserver: streaming is not supported")
	}
	var ids []int
	if hasText {
		var s string
		if err := json.Unmarshal(req.Text, &s); err != nil {
			return nil, sglangError("lmserver: text must be a string (batches are not supported)")
		}
		ids = h.m.Encode(s)
	} else if err := json.Unmarshal(req.InputIDs, &ids); err != nil {
		return nil, sglangError("lmserver: input_ids must be a list of token ids (batches are not supported)")
	}
	if err := h.checkIDs(ids, sglangError); err != nil {
		return nil, err
	}
	n := len(ids)
	if n == 0 {
		return nil, sglangError("The input is empty.")
	}
	maxNew := 128 // SGLang's default
	if p := req.SamplingParams.MaxNewTokens; p != nil {
		maxNew = *p
	}
	if maxNew < 0 {
		return nil, sglangError(fmt.Sprintf("max_new_tokens must be at least 0, got %d.", maxNew))
	}
	if n+maxNew > h.opts.MaxModelLen {
		return nil, sglangError(fmt.Sprintf("Requested token count exceeds the model's maximum context length of %d tokens. You requested a total of %d tokens: %d tokens from the input messages and %d tokens for the completion.", h.opts.MaxModelLen, n+maxNew, n, maxNew))
	}
	start := n - 1
	if p := req.LogprobStartLen; p != nil && *p != -1 {
		start = *p
	}
	if start < 0 || start >= n {
		return nil, sglangError(fmt.Sprintf("logprob_start_len (%d) is superior or equal to the input length (%d).", start, n))
	}
	k := req.TopLogprobsNum
	if k < 0 {
		return nil, sglangError(fmt.Sprintf("top_logprobs_num must be at least 0, got %d.", k))
	}
	text := func(id int) any {
		if req.ReturnTextInLogprobs {
			return h.m.Token(id)
		}
		return nil
	}
	lp := func(x float64) any {
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil // how orjson writes them
		}
		return x
	}
	gen := h.greedy(ids, maxNew, k)
	out, _ := h.m.Detokenize(gen.ids)
	reply := &generateReply{Text: out, OutputIDs: gen.ids, vocab: h.m.VocabSize()}
	if reply.OutputIDs == nil {
		reply.OutputIDs = []int{}
	}
	reply.MetaInfo = generateMeta{
		ID:               "lmserver",
		FinishReason:     map[string]any{"type": "length", "length": maxNew},
		PromptTokens:     n,
		CompletionTokens: len(gen.ids),
	}
	if !req.ReturnLogprob {
		return reply, nil
	}
	ps, err := h.m.Score(ids[:start+1], ids[start+1:], k)
	if err != nil {
		panic(err) // ids were checked
	}
	tok := make([]triple, 0, len(ps)+1)
	top := make([][]triple, 0, len(ps)+1)
	if !h.opts.SGLangLegacy || start == 0 {
		tok = append(tok, triple{nil, ids[start], text(ids[start])})
		top = append(top, nil)
	}
	alts := func(p []demo.Alt) []triple {
		out := make([]triple, len(p))
		for i, a := range p {
			out[i] = triple{lp(a.LogProb), a.TokenID, text(a.TokenID)}
		}
		return out
	}
	for _, p := range ps {
		tok = append(tok, triple{lp(p.LogProb), p.TokenID, text(p.TokenID)})
		top = append(top, alts(p.Top))
	}
	otok := make([]triple, len(gen.pos))
	otop := make([][]triple, len(gen.pos))
	for i, p := range gen.pos {
		otok[i] = triple{lp(p.LogProb), p.TokenID, text(p.TokenID)}
		otop[i] = alts(p.Top)
	}
	reply.MetaInfo.InputTokenLogprobs = &tok
	reply.MetaInfo.OutputTokenLogprobs = &otok
	if k > 0 {
		reply.MetaInfo.InputTopLogprobs = &top
		reply.MetaInfo.OutputTopLogprobs = &otop
	}
	return reply, nil
}
