package lmserver

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/rcsd-dev/rcsd/core/lm"
	"github.com/rcsd-dev/rcsd/core/lm/demo"
)

type tokenizeRequest struct {
	Model                *string       `json:"model"`
	Prompt               *string       `json:"prompt"`
	Messages             []chatMessage `json:"messages"`
	AddGenerationPrompt  *bool         `json:"add_generation_prompt"`
	ContinueFinalMessage bool          `json:"continue_final_message"`
	AddSpecialTokens     *bool         `json:"add_special_tokens"`
	ReturnTokenStrs      bool          `json:"return_token_strs"`
}

// chatMessage accepts string content or a list of text parts.
type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

func (c chatMessage) text() (string, error) {
	var s string
	if json.Unmarshal(c.Content, &s) == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(c.Content, &parts); err != nil {
		return "", fmt.Errorf("message content must be a string or a list of text parts")
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type != "text" {
			return "", fmt.Errorf("content part type %q is not supported", p.Type)
		}
		b.WriteString(p.Text)
	}
	return b.String(), nil
}

type tokenizeReply struct {
	Count       int      `json:"count"`
	MaxModelLen int      `json:"max_model_len"`
	Tokens      []int    `json:"tokens"`
	TokenStrs   []string `json:"token_strs,omitempty"`
}

// tokenize serves vLLM's and SGLang's POST /tokenize.
func (h *Handler) tokenize(body []byte) (any, error) {
	var req tokenizeRequest
	if err := decodeBody(body, &req, func(m string) *apiError { return badRequest("", m) }); err != nil {
		return nil, err
	}
	if err := h.checkModel(req.Model); err != nil {
		return nil, err
	}
	if (req.Prompt == nil) == (req.Messages == nil) {
		return nil, badRequest("", "Exactly one of 'prompt' or 'messages' must be provided.")
	}
	var text string
	if req.Prompt != nil {
		text = *req.Prompt
	} else {
		gen := req.AddGenerationPrompt == nil || *req.AddGenerationPrompt
		if gen && req.ContinueFinalMessage {
			return nil, badRequest("", "Cannot set both `continue_final_message` and `add_generation_prompt` to True.")
		}
		msgs := make([]lm.Message, len(req.Messages))
		for i, m := range req.Messages {
			t, err := m.text()
			if err != nil {
				return nil, badRequest("messages", fmt.Sprintf("message %d: %v", i, err))
			}
			msgs[i] = lm.Message{Role: m.Role, Content: t}
		}
		text = renderChat(msgs, gen, req.ContinueFinalMessage)
	}
	ids := h.m.Encode(text)
	reply := tokenizeReply{Count: len(ids), MaxModelLen: h.opts.MaxModelLen, Tokens: ids}
	if req.ReturnTokenStrs {
		reply.TokenStrs = make([]string, len(ids))
		for i, id := range ids {
			reply.TokenStrs[i] = h.m.Token(id)
		}
	}
	return reply, nil
}

type completionRequest struct {
	Model          *string         `json:"model"`
	Prompt         json.RawMessage `json:"prompt"`
	MaxTokens      *int            `json:"max_tokens"`
	PromptLogprobs *int            `json:"prompt_logprobs"`
	Stream         bool            `json:"stream"`
}

// vllmAlt is one value of a prompt_logprobs entry.
type vllmAlt struct {
	id      int
	logprob float64
	rank    int
	token   string
}

// vllmEntry is one prompt_logprobs entry, kept in insertion order as
// vLLM's Python dict is: the prompt token first, then the top K.
type vllmEntry []vllmAlt

func (e vllmEntry) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, a := range e {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = strconv.AppendInt(b, int64(a.id), 10)
		b = append(b, `":{"logprob":`...)
		lp := a.logprob
		if math.IsInf(lp, -1) {
			lp = -9999 // vLLM's clamp_prompt_logprobs
		}
		b = strconv.AppendFloat(b, lp, 'g', -1, 64)
		b = append(b, `,"rank":`...)
		b = strconv.AppendInt(b, int64(a.rank), 10)
		b = append(b, `,"decoded_token":`...)
		tok, err := json.Marshal(a.token)
		if err != nil {
			return nil, err
		}
		b = append(append(b, tok...), '}')
	}
	return append(b, '}'), nil
}

type completionChoice struct {
	Index          int          `json:"index"`
	Text           string       `json:"text"`
	Logprobs       any          `json:"logprobs"`
	FinishReason   string       `json:"finish_reason"`
	StopReason     any          `json:"stop_reason"`
	PromptLogprobs []*vllmEntry `json:"prompt_logprobs"`
}

type completionReply struct {
	ID      string             `json:"id"`
	Object  string             `json:"object"`
	Created int64              `json:"created"`
	Model   string             `json:"model"`
	Choices []completionChoice `json:"choices"`
	Usage   struct {
		PromptTokens     int `json:"prompt_tokens"`
		TotalTokens      int `json:"total_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
}

func (r *completionReply) dropLast() {
	pl := &r.Choices[0].PromptLogprobs
	if len(*pl) > 0 {
		*pl = (*pl)[:len(*pl)-1]
	}
}

func (r *completionReply) dropPromptToken() {
	pl := r.Choices[0].PromptLogprobs
	if len(pl) > 0 && pl[len(pl)-1] != nil {
		e := *pl[len(pl)-1]
		e = e[1:] // the prompt token is always first
		pl[len(pl)-1] = &e
	}
}

// completions serves vLLM's POST /v1/completions.
func (h *Handler) completions(body []byte) (any, error) {
	var req completionRequest
	if err := decodeBody(body, &req, func(m string) *apiError { return badRequest("", m) }); err != nil {
		return nil, err
	}
	if err := h.checkModel(req.Model); err != nil {
		return nil, err
	}
	prompt, err := h.parsePrompt(req.Prompt, func(m string) *apiError { return badRequest("prompt", m) })
	if err != nil {
		return nil, err
	}
	if len(prompt) == 0 {
		return nil, badRequest("prompt", "Either prompt or prompt_embeds must be provided and non-empty.")
	}
	maxTokens := 16
	if req.MaxTokens != nil {
		maxTokens = *req.MaxTokens
	}
	if maxTokens < 1 {
		return nil, badRequest("max_tokens", fmt.Sprintf("max_tokens must be at least 1, got %d.", maxTokens))
	}
	if n := len(prompt) + maxTokens; n > h.opts.MaxModelLen {
		return nil, badRequest("", fmt.Sprintf("This model's maximum context length is %d tokens. However, you requested %d tokens (%d in the messages, %d in the completion). Please reduce the length of the messages or completion.", h.opts.MaxModelLen, n, len(prompt), maxTokens))
	}
	k := -2 // no prompt log-probs
	if req.PromptLogprobs != nil {
		k = *req.PromptLogprobs
		if req.Stream && (k > 0 || k == -1) {
			return nil, badRequest("prompt_logprobs", "`prompt_logprobs` are not available when `stream=True`.")
		}
		if k < -1 {
			return nil, badRequest("prompt_logprobs", "`prompt_logprobs` must be a positive value or -1.")
		}
		if k == -1 {
			k = h.m.VocabSize()
		}
		if k > h.opts.MaxLogprobs {
			return nil, badRequest("prompt_logprobs", fmt.Sprintf("Requested prompt logprobs of %d, which is greater than max allowed: %d", k, h.opts.MaxLogprobs))
		}
	}
	if req.Stream {
		return nil, badRequest("stream", "lmserver: streaming is not supported")
	}
	reply := &completionReply{ID: "cmpl-lmserver", Object: "text_completion", Model: h.opts.ModelName}
	var entries []*vllmEntry
	if k >= 0 {
		entries = h.promptLogprobs(prompt, k)
	}
	gen := h.greedy(prompt, maxTokens, 0)
	text, _ := h.m.Detokenize(gen.ids)
	reply.Choices = []completionChoice{{Text: text, FinishReason: "length", PromptLogprobs: entries}}
	reply.Usage.PromptTokens = len(prompt)
	reply.Usage.CompletionTokens = len(gen.ids)
	reply.Usage.TotalTokens = len(prompt) + len(gen.ids)
	return reply, nil
}

// promptLogprobs builds vLLM's prompt_logprobs for prompt with top k: entry
// 0 null, entry i the prompt token i (with its vocabulary rank, 1 + the
// number of tokens strictly more probable, as vLLM counts it) followed by
// the top k with ranks 1…k; a prompt token among the top k appears once,
// first, with its top-k rank.
func (h *Handler) promptLogprobs(prompt []int, k int) []*vllmEntry {
	out := make([]*vllmEntry, len(prompt))
	if len(prompt) < 2 {
		return out
	}
	ps, err := h.m.Score(prompt[:1], prompt[1:], k)
	if err != nil {
		panic(err) // ids were checked
	}
	s := h.m.NewState()
	s.Push(prompt[0])
	var probs []float64
	for t, p := range ps {
		e := vllmEntry{{id: p.TokenID, logprob: p.LogProb, token: p.Token}}
		for j, a := range p.Top {
			if a.TokenID == p.TokenID {
				e[0].rank = j + 1
				continue
			}
			e = append(e, vllmAlt{id: a.TokenID, logprob: a.LogProb, rank: j + 1, token: a.Token})
		}
		if e[0].rank == 0 {
			probs = s.Probs(probs)
			e[0].rank = rank(probs, p.TokenID)
		}
		out[t+1] = &e
		s.Push(p.TokenID)
	}
	return out
}

// rank is 1 + the number of tokens strictly more probable than id.
func rank(probs []float64, id int) int {
	r := 1
	for _, p := range probs {
		if p > probs[id] {
			r++
		}
	}
	return r
}

// generation is a greedy continuation with its per-token scores.
type generation struct {
	ids []int
	pos []demo.Position
}

// greedy generates up to n tokens after prompt, each the most probable
// (lowest id among ties), with the top k at each step.
func (h *Handler) greedy(prompt []int, n, k int) generation {
	var g generation
	if n <= 0 {
		return g
	}
	s := h.m.NewState()
	for _, id := range prompt {
		s.Push(id)
	}
	var probs []float64
	for range n {
		probs = s.Probs(probs)
		best := 0
		for w, p := range probs {
			if p > probs[best] {
				best = w
			}
		}
		pos := demo.Position{TokenID: best, Token: h.m.Token(best), LogProb: math.Log(probs[best])}
		for _, w := range topIDs(probs, k) {
			pos.Top = append(pos.Top, demo.Alt{TokenID: w, Token: h.m.Token(w), LogProb: math.Log(probs[w])})
		}
		g.ids = append(g.ids, best)
		g.pos = append(g.pos, pos)
		s.Push(best)
	}
	return g
}

// topIDs returns the k most probable ids, by probability descending then
// id ascending (the demo model's order).
func topIDs(probs []float64, k int) []int {
	k = min(k, len(probs))
	if k <= 0 {
		return nil
	}
	top := make([]int, 0, k)
	for w, p := range probs {
		if len(top) == k && !(p > probs[top[k-1]]) {
			continue
		}
		i := len(top)
		for i > 0 && p > probs[top[i-1]] {
			i--
		}
		if len(top) < k {
			top = append(top, 0)
		}
		copy(top[i+1:], top[i:len(top)-1])
		top[i] = w
	}
	return top
}
