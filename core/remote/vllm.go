package remote

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"
	"github.com/rcsd-dev/rcsd/core/redact"

	"github.com/rcsd-dev/rcsd/core/lm"
)

// This file holds the vLLM scorer and the HTTP machinery it shares with
// the SGLang scorer (sglang.go): a JSON POST with Client's retry, backoff,
// limiter, timeout and key-redaction policy, and the server-root rule.

// DefaultMaxLogprobReply bounds a log-prob reply body when a scorer's
// MaxReplyBytes is zero. Prompt log-probs grow with the whole prompt times
// the top-K (vLLM returns an entry for every prompt token, context
// included): 32k tokens with 20 alternatives each is about 50 MB of JSON.
const DefaultMaxLogprobReply = 256 << 20

const (
	// errorBodyBytes bounds how much of an error reply is read to find
	// the server's message.
	errorBodyBytes = 16 << 10
	// messageBytes bounds the server message kept in a ReplyError.
	messageBytes = 1000
)

// VLLM scores token ids on a vLLM server through its OpenAI-compatible
// HTTP API. It implements lm.Scorer and lm.ChatTokenizer; the embedded
// Client carries the base URL, model, API key and the retry policy (and
// still offers Chat against the same server).
//
// URLs: the server root is BaseURL without a trailing slash or "/v1", so
// "http://host:8000", "http://host:8000/" and "http://host:8000/v1" all
// reach http://host:8000/tokenize and http://host:8000/v1/completions. A
// proxy prefix is kept: "https://gw.example.com/vllm/v1" reaches
// https://gw.example.com/vllm/v1/completions.
//
// Scoring sends the context and the continuation as one token-id prompt
// to POST /v1/completions with "prompt_logprobs": topK and reads the last
// len(continuation) entries of choices[0].prompt_logprobs. The log-probs
// are at temperature 1 over the full vocabulary: the v1 engine computes
// prompt log-probs from the raw logits, and the older engine, which scaled
// them by the request's temperature, treats "temperature": 0 as 1 (it
// also makes the one generated token greedy). vLLM skips its prefix cache
// for requests with prompt_logprobs, and refuses a topK above its
// --max-logprobs (20 by default) with HTTP 400; Score surfaces the
// server's message with a hint. vLLM writes a −Inf log-prob as −9999;
// Score passes it through.
//
// A VLLM is safe for concurrent use once its fields are set; do not change
// them afterwards.
type VLLM struct {
	Client
	// MaxReplyBytes bounds a reply body; zero means DefaultMaxLogprobReply.
	// A larger reply fails without retries.
	MaxReplyBytes int64

	rootOnce sync.Once
	root     string
	rootErr  error
}

var (
	_ lm.Scorer        = (*VLLM)(nil)
	_ lm.ChatTokenizer = (*VLLM)(nil)
)

// tokenizeRequest is the body of POST /tokenize with a rendered prompt, on
// vLLM and SGLang alike. add_special_tokens is false because lm.Scorer's
// Tokenize takes text that is already a rendered prompt; both servers
// default it to true, which would add a BOS.
type tokenizeRequest struct {
	Model            string `json:"model,omitempty"`
	Prompt           string `json:"prompt"`
	AddSpecialTokens bool   `json:"add_special_tokens"`
}

// tokenizeChatRequest is the body of vLLM's POST /tokenize with chat
// messages; the server applies the model's chat template, with
// add_special_tokens false by default (the template adds them).
type tokenizeChatRequest struct {
	Model               string       `json:"model,omitempty"`
	Messages            []lm.Message `json:"messages"`
	AddGenerationPrompt bool         `json:"add_generation_prompt"`
}

// tokenizeReply is {"count", "max_model_len", "tokens"}.
type tokenizeReply struct {
	Tokens *[]int `json:"tokens"`
}

// vllmCompletionRequest is the body of POST /v1/completions used to score.
type vllmCompletionRequest struct {
	Model          string  `json:"model,omitempty"`
	Prompt         []int   `json:"prompt"`
	MaxTokens      int     `json:"max_tokens"`
	PromptLogprobs int     `json:"prompt_logprobs"`
	Temperature    float64 `json:"temperature"`
}

// vllmLogprob is one value of a prompt_logprobs entry.
type vllmLogprob struct {
	Logprob      *float64 `json:"logprob"`
	Rank         *int     `json:"rank"`
	DecodedToken *string  `json:"decoded_token"`
}

type vllmCompletionReply struct {
	Choices []struct {
		PromptLogprobs []map[string]vllmLogprob `json:"prompt_logprobs"`
	} `json:"choices"`
}

// Tokenize returns the ids of text from POST /tokenize with "prompt" and
// "add_special_tokens": false.
func (v *VLLM) Tokenize(ctx context.Context, text string) ([]int, error) {
	ep, err := v.route("/tokenize", tokenizeHint("vLLM"))
	if err != nil {
		return nil, err
	}
	return v.Client.tokenize(ctx, ep, tokenizeRequest{Model: v.Model, Prompt: text})
}

// TokenizeChat returns the ids of messages rendered by the model's own
// chat template, from POST /tokenize with "messages" and
// "add_generation_prompt".
func (v *VLLM) TokenizeChat(ctx context.Context, messages []lm.Message, addGenerationPrompt bool) ([]int, error) {
	if len(messages) == 0 {
		return nil, errors.New("remote: vLLM tokenize: no messages")
	}
	ep, err := v.route("/tokenize", tokenizeHint("vLLM"))
	if err != nil {
		return nil, err
	}
	return v.Client.tokenize(ctx, ep, tokenizeChatRequest{Model: v.Model, Messages: messages, AddGenerationPrompt: addGenerationPrompt})
}

// Score returns one position per id of continuation, scored after context
// with teacher forcing, each with the topK most probable tokens (fewer
// when the vocabulary is smaller), most probable first. context must hold
// at least one token: a server gives no log-prob for the first prompt
// token. An empty continuation returns no positions without a request.
func (v *VLLM) Score(ctx context.Context, context, continuation []int, topK int) ([]lm.Position, error) {
	if err := checkScoreArgs("vLLM", context, continuation, topK); err != nil {
		return nil, err
	}
	if len(continuation) == 0 {
		return []lm.Position{}, nil
	}
	ep, err := v.route("/v1/completions", func(status int, msg string) string {
		return completionsHint(status, msg, topK)
	})
	if err != nil {
		return nil, err
	}
	prompt := make([]int, 0, len(context)+len(continuation))
	prompt = append(append(prompt, context...), continuation...)
	req := vllmCompletionRequest{Model: v.Model, Prompt: prompt, MaxTokens: 1, PromptLogprobs: topK}
	var reply vllmCompletionReply
	err = v.postJSON(ctx, ep, req, func(b []byte) error {
		reply = vllmCompletionReply{}
		return json.Unmarshal(b, &reply)
	})
	if err != nil {
		return nil, err
	}
	if len(reply.Choices) == 0 {
		return nil, errors.New("remote: vLLM /v1/completions reply has no choices")
	}
	return vllmPositions(reply.Choices[0].PromptLogprobs, len(prompt), continuation, topK)
}

// vllmPositions reads the continuation's positions from prompt_logprobs,
// which holds one entry per prompt token (entry 0 null): a map from token
// id to {logprob, rank, decoded_token} with the prompt token and the topK
// most probable tokens, rank 1 being the most probable. The prompt token
// is left out of Top when the map has topK+1 entries (it is not among the
// top K); with topK or fewer it is one of them.
func vllmPositions(entries []map[string]vllmLogprob, promptLen int, cont []int, topK int) ([]lm.Position, error) {
	if entries == nil {
		return nil, errors.New("remote: vLLM reply has no prompt_logprobs (is this a vLLM server? prompt_logprobs is a vLLM extension)")
	}
	if len(entries) != promptLen {
		return nil, fmt.Errorf("remote: vLLM prompt_logprobs has %d entries for a prompt of %d tokens", len(entries), promptLen)
	}
	entries = entries[promptLen-len(cont):]
	out := make([]lm.Position, len(cont))
	alts := make([]lm.Alt, 0, len(cont)*topK)
	scratch := make([]rankedAlt, 0, topK+1)
	for t, id := range cont {
		fail := func(format string, a ...any) error {
			return fmt.Errorf("remote: vLLM prompt_logprobs: continuation token %d (id %d): "+format, append([]any{t, id}, a...)...)
		}
		m := entries[t]
		if m == nil {
			return nil, fail("null entry")
		}
		key := strconv.Itoa(id)
		own, ok := m[key]
		if !ok {
			return nil, fail("the entry has no log-prob for the token itself (%d alternatives)", len(m))
		}
		if own.Logprob == nil {
			return nil, fail("null log-prob")
		}
		if len(m) > topK+1 {
			return nil, fail("%d alternatives for top-k %d", len(m), topK)
		}
		pos := lm.Position{TokenID: id, Token: deref(own.DecodedToken), LogProb: *own.Logprob}
		scratch = scratch[:0]
		for k, lp := range m {
			if k == key && len(m) == topK+1 {
				continue
			}
			aid, err := strconv.Atoi(k)
			if err != nil || aid < 0 {
				return nil, fail("alternative key %q is not a token id", k)
			}
			if lp.Logprob == nil {
				return nil, fail("alternative %d has a null log-prob", aid)
			}
			r := math.MaxInt // a missing rank sorts last
			if lp.Rank != nil {
				r = *lp.Rank
			}
			scratch = append(scratch, rankedAlt{lm.Alt{TokenID: aid, Token: deref(lp.DecodedToken), LogProb: *lp.Logprob}, r})
		}
		slices.SortFunc(scratch, compareRanked)
		start := len(alts)
		for _, ra := range scratch {
			alts = append(alts, ra.alt)
		}
		pos.Top = alts[start:len(alts):len(alts)]
		out[t] = pos
	}
	return out, nil
}

// rankedAlt is an alternative with its vLLM rank.
type rankedAlt struct {
	alt  lm.Alt
	rank int
}

// compareRanked orders by rank, then log-prob descending, then id: the
// server's own order, made deterministic.
func compareRanked(a, b rankedAlt) int {
	switch {
	case a.rank != b.rank:
		return cmp.Compare(a.rank, b.rank)
	case a.alt.LogProb > b.alt.LogProb:
		return -1
	case a.alt.LogProb < b.alt.LogProb:
		return 1
	}
	return cmp.Compare(a.alt.TokenID, b.alt.TokenID)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// checkScoreArgs validates Score's arguments the same way for every server.
func checkScoreArgs(backend string, context, continuation []int, topK int) error {
	if topK < 0 {
		return fmt.Errorf("remote: %s score: top-k %d is negative", backend, topK)
	}
	if len(context) == 0 && len(continuation) > 0 {
		return fmt.Errorf("remote: %s score: empty context: a server gives no log-prob for the first prompt token, so the context must hold at least one token (the chat template, or BOS)", backend)
	}
	for i, id := range context {
		if id < 0 {
			return fmt.Errorf("remote: %s score: context token %d: id %d is negative", backend, i, id)
		}
	}
	for i, id := range continuation {
		if id < 0 {
			return fmt.Errorf("remote: %s score: continuation token %d: id %d is negative", backend, i, id)
		}
	}
	return nil
}

// completionsHint suggests a fix for vLLM's common /v1/completions errors.
func completionsHint(status int, msg string, topK int) string {
	switch {
	case status == http.StatusBadRequest && (strings.Contains(msg, "max allowed") || strings.Contains(msg, "max_logprobs")):
		return fmt.Sprintf("start vLLM with --max-logprobs %d or more, or ask for fewer alternatives", topK)
	case status == http.StatusBadRequest && (strings.Contains(msg, "maximum context length") || strings.Contains(msg, "max_model_len")):
		return "the context plus the continuation is longer than the server's --max-model-len"
	case status == http.StatusNotFound:
		return "check BaseURL (the server root or its /v1) and Model (GET /v1/models lists the served names)"
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return "check the API key the server was started with (--api-key)"
	}
	return ""
}

// tokenizeHint suggests a fix for /tokenize errors.
func tokenizeHint(backend string) func(int, string) string {
	return func(status int, msg string) string {
		switch {
		case status == http.StatusNotFound && backend == "SGLang":
			return "older SGLang releases have no /tokenize: tokenize with the model's own tokenizer and pass the ids to Score"
		case status == http.StatusNotFound:
			return "check BaseURL (the server root or its /v1) and Model (GET /v1/models lists the served names)"
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			return "check the API key the server was started with (--api-key)"
		}
		return ""
	}
}

// route returns the call of path under the server root (computed once).
func (v *VLLM) route(path string, hint func(int, string) string) (route, error) {
	v.rootOnce.Do(func() { v.root, v.rootErr = serverRoot(v.BaseURL) })
	if v.rootErr != nil {
		return route{}, v.wrap(v.rootErr)
	}
	return route{name: "vLLM POST " + path, url: v.root + path, limit: v.MaxReplyBytes, hint: hint}, nil
}

// serverRoot returns base without a trailing slash or "/v1" after checking
// it the way Endpoint does.
func serverRoot(base string) (string, error) {
	if _, err := Endpoint(base); err != nil {
		return "", err
	}
	u, _ := url.Parse(strings.TrimSpace(base))
	p := strings.TrimRight(u.Path, "/")
	p = strings.TrimSuffix(p, "/v1")
	u.Path, u.RawPath = p, ""
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

// tokenize posts a /tokenize request and returns its "tokens".
func (c *Client) tokenize(ctx context.Context, ep route, req any) ([]int, error) {
	var reply tokenizeReply
	err := c.postJSON(ctx, ep, req, func(b []byte) error {
		reply = tokenizeReply{}
		return json.Unmarshal(b, &reply)
	})
	if err != nil {
		return nil, err
	}
	if reply.Tokens == nil {
		return nil, fmt.Errorf("remote: %s reply has no tokens", ep.name)
	}
	return *reply.Tokens, nil
}

// ReplyError is a non-2xx reply from a vLLM or SGLang endpoint, with the
// server's own error message and, for common misconfigurations, a hint.
// It unwraps to the *StatusError.
type ReplyError struct {
	// Endpoint names the call, e.g. "vLLM POST /v1/completions".
	Endpoint string
	// Message is the message of the server's JSON error body ("" when it
	// has none), at most 1000 bytes, with any echo of the API key redacted.
	Message string
	// Hint suggests a fix, or is empty.
	Hint   string
	Status *StatusError
}

func (e *ReplyError) Error() string {
	s := fmt.Sprintf("remote: %s: HTTP %d %s", e.Endpoint, e.Status.StatusCode, http.StatusText(e.Status.StatusCode))
	switch {
	case e.Message != "":
		s += ": " + e.Message
	case e.Status.Snippet != "":
		s += ": " + e.Status.Snippet
	}
	if e.Hint != "" {
		s += " (hint: " + e.Hint + ")"
	}
	return s
}

func (e *ReplyError) Unwrap() error { return e.Status }

// route is one JSON POST endpoint of a log-prob server.
type route struct {
	name  string // "vLLM POST /v1/completions", for errors and log lines
	url   string
	limit int64                    // reply bound; 0 means DefaultMaxLogprobReply
	hint  func(int, string) string // hint for a final non-2xx reply, or nil
}

// permanentError is an attempt failure that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// postJSON sends req as JSON to ep and hands a 2xx body to decode. Like
// Chat it retries timeouts, connection errors, 408, 429, 5xx and bodies
// decode rejects (a reply cut short) up to MaxRetries times with the same
// backoff and limiter; other statuses fail at once with a *ReplyError.
// When ctx ends it stops and returns an error wrapping ctx.Err().
func (c *Client) postJSON(ctx context.Context, ep route, req any, decode func([]byte) error) error {
	c.once.Do(c.init)
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("remote: %s: encoding request: %v", ep.name, err)
	}
	return c.retry(ctx, ep.name, func() error {
		return c.attemptJSON(ctx, ep, body, decode)
	}, func(err error) (error, bool) {
		var re *ReplyError
		if errors.As(err, &re) && !re.Status.Retryable() {
			if ep.hint != nil {
				re.Hint = ep.hint(re.Status.StatusCode, re.Message)
			}
			return err, true
		}
		var pe *permanentError
		if errors.As(err, &pe) {
			return pe.err, true
		}
		return nil, false
	})
}

// attemptJSON makes one request to ep and decodes its reply.
func (c *Client) attemptJSON(ctx context.Context, ep route, body []byte, decode func([]byte) error) error {
	return c.send(ctx, ep.url, body, func(resp *http.Response) error { return c.readJSON(resp, ep, decode) })
}

// readJSON reads a log-prob endpoint's reply into decode, or a
// *ReplyError for a non-2xx status.
func (c *Client) readJSON(resp *http.Response, ep route, decode func([]byte) error) error {
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Redact first, then cut: a key that straddles the cut is
		// recognised whole.
		buf, _ := io.ReadAll(io.LimitReader(resp.Body, errorBodyBytes))
		red := c.redact(strings.ToValidUTF8(string(buf), ""))
		snip, _ := redact.Truncate(red, snippetBytes)
		return &ReplyError{
			Endpoint: ep.name,
			Message:  c.redact(serverMessage([]byte(red))),
			Status: &StatusError{
				StatusCode: resp.StatusCode,
				Snippet:    strings.TrimSpace(snip),
				RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
			},
		}
	}
	limit := ep.limit
	if limit <= 0 {
		limit = DefaultMaxLogprobReply
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fmt.Errorf("remote: %s: reading reply: %w", ep.name, err)
	}
	if int64(len(data)) > limit {
		return &permanentError{fmt.Errorf("remote: %s: reply exceeds %d bytes (raise MaxReplyBytes, or score fewer tokens or alternatives per request)", ep.name, limit)}
	}
	if err := decode(data); err != nil {
		return fmt.Errorf("remote: %s: malformed reply: %v", ep.name, err)
	}
	return nil
}

// serverMessage returns the message of a JSON error body in the shapes
// vLLM, SGLang and FastAPI use: {"error": {"message": …}}, {"error": "…"},
// {"message": …} and {"detail": …}; "" when there is none.
func serverMessage(body []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message *string         `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	var msg string
	var obj struct {
		Message string `json:"message"`
	}
	switch {
	case len(v.Error) > 0 && json.Unmarshal(v.Error, &obj) == nil && obj.Message != "":
		msg = obj.Message
	case len(v.Error) > 0 && json.Unmarshal(v.Error, &msg) == nil:
	case v.Message != nil:
		msg = *v.Message
	case len(v.Detail) > 0:
		if json.Unmarshal(v.Detail, &msg) != nil {
			msg = string(v.Detail)
		}
	}
	msg = strings.TrimSpace(strings.ToValidUTF8(msg, ""))
	if len(msg) > messageBytes {
		msg = strings.ToValidUTF8(msg[:messageBytes], "") + "…"
	}
	return msg
}
