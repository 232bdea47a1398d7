// Package remotetest runs a real local OpenAI-compatible chat-completions
// server for tests and benchmarks of the remote client and the LLM judge.
//
// The server listens on 127.0.0.1, grades rubric prompts deterministically
// (by default a criterion is met when the response contains the first
// double-quoted word of the criterion), and injects faults by schedule or
// by seeded probability: delays, 429 with Retry-After, 500/502/503,
// dropped connections, and invalid replies. It counts requests per kind.
// It never reads the environment or touches files.
package remotetest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"
)

// Fault is what the server does with one request.
type Fault string

const (
	FaultNone       Fault = "ok"          // grade and answer normally
	FaultDelay      Fault = "delay"       // wait Options.Delay, then answer normally
	Fault429        Fault = "429"         // 429 Too Many Requests, with Retry-After when Options.RetryAfter is set
	Fault500        Fault = "500"         // 500 Internal Server Error
	Fault502        Fault = "502"         // 502 Bad Gateway
	Fault503        Fault = "503"         // 503 Service Unavailable
	FaultDrop       Fault = "drop"        // hijack the connection and close it without a reply
	FaultProse      Fault = "prose"       // 200 whose content is prose with no JSON
	FaultStringBool Fault = "string-bool" // 200 whose JSON has "criteria_met": "yes"
	FaultTruncated  Fault = "truncated"   // 200 whose content is JSON cut short
	FaultBadBody    Fault = "bad-body"    // 200 whose HTTP body is not a chat completion
	FaultEchoError  Fault = "echo-error"  // 500 whose body echoes the key across byte 200 and the Authorization header after it
)

// Faults lists every fault kind except FaultNone, in the order
// probabilities are drawn.
var Faults = []Fault{FaultDelay, Fault429, Fault500, Fault502, Fault503, FaultDrop, FaultProse, FaultStringBool, FaultTruncated, FaultBadBody, FaultEchoError}

// valid reports whether f is a known fault.
func (f Fault) valid() bool {
	switch f {
	case FaultNone, FaultDelay, Fault429, Fault500, Fault502, Fault503, FaultDrop, FaultProse, FaultStringBool, FaultTruncated, FaultBadBody, FaultEchoError:
		return true
	}
	return false
}

// Rule decides one criterion for a response. The explanation goes into
// the grader's reply.
type Rule func(response, criterion string) (met bool, explanation string)

// Options configures a Server. The zero value answers every request
// correctly with KeywordRule.
type Options struct {
	// Seed seeds the fault draws.
	Seed int64
	// Schedule gives the fault for request i (in arrival order); requests
	// past its end draw from Probabilities.
	Schedule []Fault
	// Probabilities maps a fault to its chance per request; the rest of
	// the mass is FaultNone.
	Probabilities map[Fault]float64
	// Delay is how long FaultDelay waits (default 2s).
	Delay time.Duration
	// RetryAfter is the Retry-After header sent with 429 ("" for none).
	RetryAfter string
	// APIKey, when set, is required as "Authorization: Bearer <key>";
	// other requests get 401 with a body that echoes the header they sent
	// (so tests can check the client redacts it).
	APIKey string
	// Rule grades criteria; nil means KeywordRule.
	Rule Rule
	// EchoKey makes a careless grader, for tests that the key never
	// leaves: every explanation it writes repeats the Authorization
	// header it received, the bare key and the key in two halves
	// (EchoText). FaultEchoError works without it.
	EchoKey bool
	// Fast answers every request with one precomputed reply whose content
	// is FastContent, without reading the request or injecting faults:
	// the minimal server for client-overhead benchmarks.
	Fast        bool
	FastContent string
}

// Server is a running fake grader.
type Server struct {
	// URL is the base URL (http://127.0.0.1:port/v1).
	URL string

	opts     Options
	srv      *http.Server
	ln       net.Listener
	fastBody []byte

	next   atomic.Int64
	mu     sync.Mutex
	rng    *rand.Rand
	counts map[Fault]*atomic.Int64
	wg     sync.WaitGroup
}

// NewServer starts a server on 127.0.0.1 on a free port. It panics if it
// cannot listen or an option is invalid (a test setup error).
func NewServer(opts Options) *Server {
	for _, f := range opts.Schedule {
		if !f.valid() {
			panic(fmt.Sprintf("remotetest: unknown fault %q in Schedule", f))
		}
	}
	for f, p := range opts.Probabilities {
		if !f.valid() || p < 0 || p > 1 {
			panic(fmt.Sprintf("remotetest: bad probability %v for fault %q", p, f))
		}
	}
	if opts.Delay <= 0 {
		opts.Delay = 2 * time.Second
	}
	if opts.Rule == nil {
		opts.Rule = KeywordRule
	}
	if opts.FastContent == "" {
		opts.FastContent = `{"explanation": "fast path", "criteria_met": true}`
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("remotetest: listen: " + err.Error())
	}
	s := &Server{
		URL:    "http://" + ln.Addr().String() + "/v1",
		opts:   opts,
		ln:     ln,
		rng:    rand.New(rand.NewSource(opts.Seed)),
		counts: make(map[Fault]*atomic.Int64),
	}
	s.counts[FaultNone] = new(atomic.Int64)
	for _, f := range Faults {
		s.counts[f] = new(atomic.Int64)
	}
	s.fastBody = completion(opts.FastContent)
	var h http.Handler = http.HandlerFunc(s.handle)
	if opts.Fast {
		h = http.HandlerFunc(s.handleFast)
	}
	s.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.srv.Serve(ln)
	}()
	return s
}

// Close stops the server and closes every connection.
func (s *Server) Close() {
	_ = s.srv.Close()
	s.wg.Wait()
}

// Requests is the number of requests received.
func (s *Server) Requests() int64 { return s.next.Load() }

// Count is the number of requests answered with fault f (FaultNone for
// normal answers).
func (s *Server) Count(f Fault) int64 {
	if c, ok := s.counts[f]; ok {
		return c.Load()
	}
	return 0
}

// Counts returns the non-zero per-fault counts.
func (s *Server) Counts() map[Fault]int64 {
	m := make(map[Fault]int64)
	for f, c := range s.counts {
		if n := c.Load(); n > 0 {
			m[f] = n
		}
	}
	return m
}

var jsonCT = []string{"application/json"}

func (s *Server) handleFast(w http.ResponseWriter, r *http.Request) {
	s.next.Add(1)
	s.counts[FaultNone].Add(1)
	w.Header()["Content-Type"] = jsonCT
	_, _ = w.Write(s.fastBody)
}

func (s *Server) pick(i int64) Fault {
	if i < int64(len(s.opts.Schedule)) {
		return s.opts.Schedule[i]
	}
	if len(s.opts.Probabilities) == 0 {
		return FaultNone
	}
	s.mu.Lock()
	u := s.rng.Float64()
	s.mu.Unlock()
	acc := 0.0
	for _, f := range Faults {
		acc += s.opts.Probabilities[f]
		if u < acc {
			return f
		}
	}
	return FaultNone
}

type wireRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	i := s.next.Add(1) - 1
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") {
		http.Error(w, `{"error":{"message":"not found"}}`, http.StatusNotFound)
		return
	}
	if s.opts.APIKey != "" && r.Header.Get("Authorization") != "Bearer "+s.opts.APIKey {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error":{"message":"invalid key in header %q"}}`, r.Header.Get("Authorization"))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var req wireRequest
	if err := json.Unmarshal(body, &req); err != nil || len(req.Messages) == 0 {
		http.Error(w, `{"error":{"message":"bad request body"}}`, http.StatusBadRequest)
		return
	}
	f := s.pick(i)
	s.counts[f].Add(1)
	switch f {
	case FaultDelay:
		t := time.NewTimer(s.opts.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	case Fault429:
		if s.opts.RetryAfter != "" {
			w.Header().Set("Retry-After", s.opts.RetryAfter)
		}
		http.Error(w, `{"error":{"message":"rate limited"}}`, http.StatusTooManyRequests)
		return
	case Fault500, Fault502, Fault503:
		code := map[Fault]int{Fault500: 500, Fault502: 502, Fault503: 503}[f]
		http.Error(w, `{"error":{"message":"server trouble"}}`, code)
		return
	case FaultDrop:
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("remotetest: response writer cannot hijack")
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			conn.Close()
		}
		return
	case FaultBadBody:
		w.Header()["Content-Type"] = jsonCT
		_, _ = w.Write([]byte(`{"object": "chat.completion", "choices": [`))
		return
	case FaultEchoError:
		w.Header()["Content-Type"] = jsonCT
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write(EchoErrorBody(r.Header.Get("Authorization")))
		return
	}
	rule := s.opts.Rule
	if s.opts.EchoKey {
		echo := EchoText(r.Header.Get("Authorization"))
		rule = func(response, criterion string) (bool, string) {
			met, expl := s.opts.Rule(response, criterion)
			return met, expl + " " + echo
		}
	}
	content := s.grade(req.Messages[len(req.Messages)-1].Content, rule)
	switch f {
	case FaultProse:
		content = "I think the response is fine overall and meets what was asked."
	case FaultStringBool:
		content = strings.ReplaceAll(strings.ReplaceAll(content, `"criteria_met": true`, `"criteria_met": "yes"`), `"criteria_met": false`, `"criteria_met": "no"`)
	case FaultTruncated:
		content = content[:len(content)/2]
	}
	w.Header()["Content-Type"] = jsonCT
	_, _ = w.Write(completion(content))
}

// completion wraps content in a chat-completion body.
func completion(content string) []byte {
	type msg struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	type choice struct {
		Index        int    `json:"index"`
		Message      msg    `json:"message"`
		FinishReason string `json:"finish_reason"`
	}
	b, err := json.Marshal(struct {
		ID      string   `json:"id"`
		Object  string   `json:"object"`
		Model   string   `json:"model"`
		Choices []choice `json:"choices"`
	}{"chatcmpl-test", "chat.completion", "remotetest", []choice{{0, msg{"assistant", content}, "stop"}}})
	if err != nil {
		panic(err)
	}
	return b
}

// Item is one rubric item parsed from a grader prompt.
type Item struct {
	ID        string // empty in per-criterion prompts
	Criterion string // without the "[points] " prefix
}

// Prompt is what the server understood of a grader prompt.
type Prompt struct {
	PerResponse bool
	Response    string // the last "assistant: " turn of the conversation
	Items       []Item
}

// ParsePrompt reads a grader prompt rendered from the judge's templates:
// "# Conversation" … "# Rubric item" (one "[points] criterion") or
// "# Rubric items" (lines "id: [points] criterion") … "# Instructions".
func ParsePrompt(p string) (Prompt, error) {
	const conv, one, many, instr = "# Conversation\n", "\n\n# Rubric item\n", "\n\n# Rubric items\n", "\n\n# Instructions\n"
	ci := strings.Index(p, conv)
	if ci < 0 {
		return Prompt{}, errors.New("no # Conversation section")
	}
	rest := p[ci+len(conv):]
	var out Prompt
	head := one
	ri := strings.Index(rest, many)
	if ri >= 0 {
		out.PerResponse, head = true, many
	} else if ri = strings.Index(rest, one); ri < 0 {
		return Prompt{}, errors.New("no # Rubric item section")
	}
	convo := rest[:ri]
	ai := strings.LastIndex(convo, "assistant: ")
	if ai < 0 {
		return Prompt{}, errors.New("no assistant turn")
	}
	out.Response = convo[ai+len("assistant: "):]
	items := rest[ri+len(head):]
	ii := strings.Index(items, instr)
	if ii < 0 {
		return Prompt{}, errors.New("no # Instructions section")
	}
	items = items[:ii]
	if !out.PerResponse {
		out.Items = []Item{{Criterion: stripPoints(items)}}
		return out, nil
	}
	sc := bufio.NewScanner(strings.NewReader(items))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		id, crit, ok := strings.Cut(line, ": ")
		if !ok || !strings.HasPrefix(crit, "[") {
			continue
		}
		out.Items = append(out.Items, Item{ID: id, Criterion: stripPoints(crit)})
	}
	if len(out.Items) == 0 {
		return Prompt{}, errors.New("no rubric item lines")
	}
	return out, nil
}

func stripPoints(s string) string {
	if strings.HasPrefix(s, "[") {
		if j := strings.Index(s, "] "); j > 0 {
			return s[j+2:]
		}
	}
	return s
}

// KeywordRule meets a criterion when the response contains, ignoring
// case, the first double-quoted word or phrase of the criterion; a
// criterion with none is not met. The explanation quotes the phrase.
func KeywordRule(response, criterion string) (bool, string) {
	a := strings.IndexByte(criterion, '"')
	b := -1
	if a >= 0 {
		b = strings.IndexByte(criterion[a+1:], '"')
	}
	if a < 0 || b <= 0 {
		return false, "The criterion names no quoted key word."
	}
	kw := criterion[a+1 : a+1+b]
	lr := strings.ToLower(response)
	if k := strings.Index(lr, strings.ToLower(kw)); k >= 0 {
		return true, fmt.Sprintf("The response says %q, so the criterion is met.", response[k:k+len(kw)])
	}
	return false, fmt.Sprintf("The response never mentions the key word %s.", kw)
}

// EchoText is what an EchoKey grader adds to each explanation for the
// Authorization header auth: the header, the bare key, and the key cut
// in two halves with a space between.
func EchoText(auth string) string {
	key := strings.TrimPrefix(auth, "Bearer ")
	h := len(key) / 2
	return fmt.Sprintf("(You sent Authorization: %s; key %s; halves %s %s.)", auth, key, key[:h], key[h:])
}

// EchoErrorBody is FaultEchoError's body for the Authorization header
// auth: JSON whose bare key starts 8 bytes before byte 200 (where
// clients cut an error body), then the header itself.
func EchoErrorBody(auth string) []byte {
	key := strings.TrimPrefix(auth, "Bearer ")
	head := `{"error":{"message":"upstream refused the request `
	pad := strings.Repeat(".", max(0, 200-8-len(head)-len("key ")))
	return []byte(head + pad + "key " + key + " (header Authorization: " + auth + `)"}}`)
}

func (s *Server) grade(prompt string, rule Rule) string {
	p, err := ParsePrompt(prompt)
	if err != nil {
		return "I could not read the prompt: " + err.Error()
	}
	if !p.PerResponse {
		met, expl := rule(p.Response, p.Items[0].Criterion)
		b, _ := json.MarshalIndent(struct {
			Explanation string `json:"explanation"`
			CriteriaMet bool   `json:"criteria_met"`
		}{expl, met}, "", "  ")
		return "```json\n" + string(b) + "\n```"
	}
	type verdict struct {
		ID          string `json:"id"`
		CriteriaMet bool   `json:"criteria_met"`
		Explanation string `json:"explanation"`
	}
	vs := make([]verdict, len(p.Items))
	for i, it := range p.Items {
		met, expl := rule(p.Response, it.Criterion)
		vs[i] = verdict{it.ID, met, expl}
	}
	b, _ := json.MarshalIndent(struct {
		Verdicts []verdict `json:"verdicts"`
	}{vs}, "", "  ")
	return "Here is my grading.\n```json\n" + string(b) + "\n```"
}

// Post is a grader.Post over net/http's default client, for tests that
// run the browser's and the Worker's grader client natively against a
// Server.
func Post(ctx context.Context, url string, header map[string]string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}
