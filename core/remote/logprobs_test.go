package remote_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rcsd-dev/rcsd/core/lm"
	"github.com/rcsd-dev/rcsd/core/lm/demo"
	"github.com/rcsd-dev/rcsd/core/remote"
	"github.com/rcsd-dev/rcsd/core/remote/lmserver"
)

// The log-prob clients are tested against lmserver, a real local HTTP
// server that serves the embedded demo model in vLLM's and SGLang's wire
// formats. Every expected number comes from the demo model itself
// (lm.Demo(m).Score on the same ids) and must come back bit for bit: the
// server writes shortest round-trip decimals and the clients parse them
// exactly.

func demoModel(t testing.TB) *demo.Model {
	t.Helper()
	m, err := demo.Load()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func startLM(t testing.TB, opts lmserver.Options) *lmserver.Server {
	t.Helper()
	if opts.APIKey == "" {
		opts.APIKey = secret
	}
	s, err := lmserver.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// setPolicy gives c the test retry policy: the server's key, three quick
// retries, a seed, and a per-attempt timeout that only detects a hung
// test server (generous, so a loaded machine never trips it).
func setPolicy(c *remote.Client, base string) {
	c.BaseURL = base
	c.Model = "demo"
	c.APIKey = secret
	c.MaxRetries = 3
	c.BaseBackoff = time.Millisecond
	c.MaxBackoff = 5 * time.Millisecond
	c.Timeout = time.Minute
	c.Seed = 1
}

func newVLLM(base string) *remote.VLLM {
	v := &remote.VLLM{}
	setPolicy(&v.Client, base)
	return v
}

func newSGLang(base string) *remote.SGLang {
	s := &remote.SGLang{}
	setPolicy(&s.Client, base)
	return s
}

// scoreCase is a context and a continuation, both text, and a top-k.
type scoreCase struct {
	name          string
	context, cont string
	k             int
}

var scoreCases = []scoreCase{
	{"sky k5", "Why is the sky blue?", " Rayleigh scattering of sunlight by the air.", 5},
	{"k0", "The patient reports chest pain.", " Call emergency services now.", 0},
	{"k1", "Question: what is 2 + 2?\nAnswer:", " 4", 1},
	{"k20", "Summarize the rubric criteria.", " The answer must mention dosage and timing.", 20},
	{"chat", lmserver.RenderChat([]lm.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Is ibuprofen safe?"}}, true), "Usually, with food.", 3},
	{"non-ascii", "Café ☕ naïve", " façade — ünïcödé 東京", 4},
	{"one token context", "Hello", " world, hello world.", 2},
}

// samePositions reports the first difference between got and want: ids
// and log-probs must match bit for bit; tokens are compared when withText
// is set and the demo token is valid UTF-8 (JSON carries text, not bytes),
// and must be empty otherwise.
func samePositions(got, want []lm.Position, withText bool) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d positions, want %d", len(got), len(want))
	}
	tokenOK := func(g, w string) bool {
		if !withText {
			return g == ""
		}
		return g == w || !utf8.ValidString(w)
	}
	for i, w := range want {
		g := got[i]
		if g.TokenID != w.TokenID || math.Float64bits(g.LogProb) != math.Float64bits(w.LogProb) || !tokenOK(g.Token, w.Token) {
			return fmt.Errorf("position %d = {%d %q %v}, want {%d %q %v}", i, g.TokenID, g.Token, g.LogProb, w.TokenID, w.Token, w.LogProb)
		}
		if len(g.Top) != len(w.Top) {
			return fmt.Errorf("position %d: %d alternatives, want %d", i, len(g.Top), len(w.Top))
		}
		for j, wa := range w.Top {
			ga := g.Top[j]
			if ga.TokenID != wa.TokenID || math.Float64bits(ga.LogProb) != math.Float64bits(wa.LogProb) || !tokenOK(ga.Token, wa.Token) {
				return fmt.Errorf("position %d alternative %d = {%d %q %v}, want {%d %q %v}", i, j, ga.TokenID, ga.Token, ga.LogProb, wa.TokenID, wa.Token, wa.LogProb)
			}
		}
	}
	return nil
}

func demoScore(t testing.TB, m *demo.Model, ctxIDs, cont []int, k int) []lm.Position {
	t.Helper()
	want, err := lm.Demo(m).Score(context.Background(), ctxIDs, cont, k)
	if err != nil {
		t.Fatal(err)
	}
	return want
}

func TestVLLMScoreMatchesDemo(t *testing.T) {
	m := demoModel(t)
	s := startLM(t, lmserver.Options{Model: m})
	v := newVLLM(s.URL + "/v1")
	for _, tc := range scoreCases {
		t.Run(tc.name, func(t *testing.T) {
			ctxIDs, cont := m.Encode(tc.context), m.Encode(tc.cont)
			got, err := v.Score(context.Background(), ctxIDs, cont, tc.k)
			if err != nil {
				t.Fatal(err)
			}
			if err := samePositions(got, demoScore(t, m, ctxIDs, cont, tc.k), true); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSGLangScoreMatchesDemo(t *testing.T) {
	m := demoModel(t)
	for _, legacy := range []bool{false, true} {
		for _, text := range []bool{false, true} {
			s := startLM(t, lmserver.Options{Model: m, SGLangLegacy: legacy})
			c := newSGLang(s.URL)
			c.Text = text
			for _, tc := range scoreCases {
				t.Run(fmt.Sprintf("legacy=%v/text=%v/%s", legacy, text, tc.name), func(t *testing.T) {
					ctxIDs, cont := m.Encode(tc.context), m.Encode(tc.cont)
					got, err := c.Score(context.Background(), ctxIDs, cont, tc.k)
					if err != nil {
						t.Fatal(err)
					}
					if err := samePositions(got, demoScore(t, m, ctxIDs, cont, tc.k), text); err != nil {
						t.Fatal(err)
					}
				})
			}
		}
	}
}

// TestEmptyContinuation: no positions and no request.
func TestEmptyContinuation(t *testing.T) {
	s := startLM(t, lmserver.Options{})
	for name, sc := range map[string]lm.Scorer{"vLLM": newVLLM(s.URL), "SGLang": newSGLang(s.URL)} {
		got, err := sc.Score(context.Background(), []int{1, 2}, nil, 5)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("%s: Score(empty) = %v, %v; want an empty slice", name, got, err)
		}
	}
	if n := s.Requests(); n != 0 {
		t.Errorf("requests = %d, want 0", n)
	}
}

func TestTokenizeAgreesWithDemo(t *testing.T) {
	m := demoModel(t)
	s := startLM(t, lmserver.Options{Model: m})
	ctx := context.Background()
	texts := []string{"", "Why is the sky blue?", "Café ☕ naïve façade — 東京\n\n  spaced", "<|user|>\nHi\n<|assistant|>\n"}
	for name, sc := range map[string]lm.Scorer{"vLLM": newVLLM(s.URL), "SGLang": newSGLang(s.URL)} {
		for _, text := range texts {
			got, err := sc.Tokenize(ctx, text)
			if err != nil {
				t.Fatalf("%s Tokenize(%q): %v", name, text, err)
			}
			if want := m.Encode(text); !slices.Equal(got, want) {
				t.Errorf("%s Tokenize(%q) = %v, want %v", name, text, got, want)
			}
		}
	}
	msgs := []lm.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Is ibuprofen safe?"}}
	for _, gen := range []bool{true, false} {
		got, err := newVLLM(s.URL).TokenizeChat(ctx, msgs, gen)
		if err != nil {
			t.Fatal(err)
		}
		if want := m.Encode(lmserver.RenderChat(msgs, gen)); !slices.Equal(got, want) {
			t.Errorf("TokenizeChat(gen=%v) = %v, want %v", gen, got, want)
		}
	}
}

// TestBaseURLForms: the server root, with or without a slash or /v1.
func TestBaseURLForms(t *testing.T) {
	s := startLM(t, lmserver.Options{})
	for _, base := range []string{s.URL, s.URL + "/", s.URL + "/v1", s.URL + "/v1/"} {
		if _, err := newVLLM(base).Score(context.Background(), []int{72}, []int{105}, 1); err != nil {
			t.Errorf("vLLM %q: %v", base, err)
		}
		if _, err := newSGLang(base).Tokenize(context.Background(), "Hi"); err != nil {
			t.Errorf("SGLang %q: %v", base, err)
		}
	}
	_, err := newVLLM("ftp://user:"+secret+"@h/v1").Tokenize(context.Background(), "Hi")
	if want := `remote: base URL "ftp://h/v1": scheme must be http or https`; err == nil || err.Error() != want {
		t.Errorf("ftp base: error = %v, want %q", err, want)
	}
}

// TestWireGolden pins the exact JSON bodies the clients send, as
// docs/method.md §6 documents them (and vLLM's add_special_tokens false on
// a rendered prompt; SGLang's logprob_start_len one before the
// continuation, because its entry there has no log-prob).
func TestWireGolden(t *testing.T) {
	s := startLM(t, lmserver.Options{Record: true})
	ctx := context.Background()
	v := newVLLM(s.URL)
	anon := newVLLM(s.URL)
	anon.Model = ""
	sg := newSGLang(s.URL)
	sgText := newSGLang(s.URL)
	sgText.Text = true
	tests := []struct {
		name       string
		call       func() error
		path, body string
	}{
		{
			name: "vLLM tokenize prompt",
			call: func() error { _, err := v.Tokenize(ctx, "Hi there"); return err },
			path: "/tokenize",
			body: `{"model":"demo","prompt":"Hi there","add_special_tokens":false}`,
		},
		{
			name: "vLLM tokenize messages",
			call: func() error {
				_, err := v.TokenizeChat(ctx, []lm.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi"}}, true)
				return err
			},
			path: "/tokenize",
			body: `{"model":"demo","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"add_generation_prompt":true}`,
		},
		{
			name: "vLLM score",
			call: func() error { _, err := v.Score(ctx, []int{72, 105, 32}, []int{116, 104}, 5); return err },
			path: "/v1/completions",
			body: `{"model":"demo","prompt":[72,105,32,116,104],"max_tokens":1,"prompt_logprobs":5,"temperature":0}`,
		},
		{
			name: "vLLM score without a model name, k 0",
			call: func() error { _, err := anon.Score(ctx, []int{72}, []int{105}, 0); return err },
			path: "/v1/completions",
			body: `{"prompt":[72,105],"max_tokens":1,"prompt_logprobs":0,"temperature":0}`,
		},
		{
			name: "SGLang score",
			call: func() error { _, err := sg.Score(ctx, []int{72, 105, 32}, []int{116, 104}, 3); return err },
			path: "/generate",
			body: `{"input_ids":[72,105,32,116,104],"return_logprob":true,"logprob_start_len":2,"top_logprobs_num":3,"sampling_params":{"max_new_tokens":0}}`,
		},
		{
			name: "SGLang score with text",
			call: func() error { _, err := sgText.Score(ctx, []int{72}, []int{105}, 0); return err },
			path: "/generate",
			body: `{"input_ids":[72,105],"return_logprob":true,"logprob_start_len":0,"top_logprobs_num":0,"return_text_in_logprobs":true,"sampling_params":{"max_new_tokens":0}}`,
		},
		{
			name: "SGLang tokenize",
			call: func() error { _, err := sg.Tokenize(ctx, "Hi there"); return err },
			path: "/tokenize",
			body: `{"model":"demo","prompt":"Hi there","add_special_tokens":false}`,
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err != nil {
				t.Fatal(err)
			}
			rec := s.Recorded()
			if len(rec) != i+1 {
				t.Fatalf("%d requests recorded, want %d", len(rec), i+1)
			}
			if got := rec[i]; got.Path != tc.path || got.Body != tc.body {
				t.Fatalf("request = %s %s\nwant      %s %s", got.Path, got.Body, tc.path, tc.body)
			}
		})
	}
}

// TestReplyGolden parses literal replies in the documented shapes from a
// canned server: vLLM's map per prompt token (entry 0 null; the prompt
// token with its vocabulary rank, then the top K with ranks 1…K; a tie
// can give the prompt token a rank ≤ K without it being among the K), and
// SGLang's [logprob, id, text] lists in the current form (null first
// entry) and the older one (none when logprob_start_len > 0).
func TestReplyGolden(t *testing.T) {
	tests := []struct {
		name    string
		sglang  bool
		ctx     []int
		cont    []int
		k       int
		reply   string
		want    []lm.Position
		wantErr string
	}{
		{
			name: "vLLM prompt token outside the top 2, tied at rank 2",
			ctx:  []int{7}, cont: []int{9, 4}, k: 2,
			reply: `{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":"x","logprobs":null,"finish_reason":"length","stop_reason":null,"prompt_logprobs":[null,
				{"9":{"logprob":-1.5,"rank":2,"decoded_token":" nine"},"3":{"logprob":-0.5,"rank":1,"decoded_token":" three"},"5":{"logprob":-1.5,"rank":2,"decoded_token":" five"}},
				{"4":{"logprob":-0.25,"rank":1,"decoded_token":" four"},"8":{"logprob":-2,"rank":2,"decoded_token":" eight"}}]}],"usage":{"prompt_tokens":3,"total_tokens":4,"completion_tokens":1}}`,
			want: []lm.Position{
				{TokenID: 9, Token: " nine", LogProb: -1.5, Top: []lm.Alt{{TokenID: 3, Token: " three", LogProb: -0.5}, {TokenID: 5, Token: " five", LogProb: -1.5}}},
				{TokenID: 4, Token: " four", LogProb: -0.25, Top: []lm.Alt{{TokenID: 4, Token: " four", LogProb: -0.25}, {TokenID: 8, Token: " eight", LogProb: -2}}},
			},
		},
		{
			name: "vLLM k 0 and vLLM's -9999 for -Inf",
			ctx:  []int{1, 2}, cont: []int{3}, k: 0,
			reply: `{"choices":[{"prompt_logprobs":[null,{"2":{"logprob":-1,"rank":1,"decoded_token":"b"}},{"3":{"logprob":-9999.0,"rank":50000,"decoded_token":"c"}}]}]}`,
			want:  []lm.Position{{TokenID: 3, Token: "c", LogProb: -9999}},
		},
		{
			name: "vLLM no prompt_logprobs",
			ctx:  []int{1}, cont: []int{3}, k: 0,
			reply:   `{"choices":[{"text":"x"}]}`,
			wantErr: "remote: vLLM reply has no prompt_logprobs (is this a vLLM server? prompt_logprobs is a vLLM extension)",
		},
		{
			name: "vLLM too many alternatives",
			ctx:  []int{1}, cont: []int{3}, k: 1,
			reply:   `{"choices":[{"prompt_logprobs":[null,{"3":{"logprob":-3,"rank":3},"1":{"logprob":-1,"rank":1},"2":{"logprob":-2,"rank":2}}]}]}`,
			wantErr: "remote: vLLM prompt_logprobs: continuation token 0 (id 3): 3 alternatives for top-k 1",
		},
		{
			name: "vLLM key not an id",
			ctx:  []int{1}, cont: []int{3}, k: 1,
			reply:   `{"choices":[{"prompt_logprobs":[null,{"3":{"logprob":-3,"rank":3},"x":{"logprob":-1,"rank":1}}]}]}`,
			wantErr: `remote: vLLM prompt_logprobs: continuation token 0 (id 3): alternative key "x" is not a token id`,
		},
		{
			name:   "SGLang current form",
			sglang: true, ctx: []int{5, 6}, cont: []int{7, 8}, k: 2,
			reply: `{"text":"","output_ids":[],"meta_info":{"id":"r","finish_reason":{"type":"length","length":0},"prompt_tokens":4,"completion_tokens":0,"cached_tokens":0,
				"input_token_logprobs":[[null,6,null],[-0.75,7,null],[-1.25,8,null]],"output_token_logprobs":[],
				"input_top_logprobs":[null,[[-0.75,7,null],[-1.0,2,null]],[[-0.5,3,null],[-1.25,8,null]]],"output_top_logprobs":[]}}`,
			want: []lm.Position{
				{TokenID: 7, LogProb: -0.75, Top: []lm.Alt{{TokenID: 7, LogProb: -0.75}, {TokenID: 2, LogProb: -1}}},
				{TokenID: 8, LogProb: -1.25, Top: []lm.Alt{{TokenID: 3, LogProb: -0.5}, {TokenID: 8, LogProb: -1.25}}},
			},
		},
		{
			name:   "SGLang older form, with text",
			sglang: true, ctx: []int{5, 6}, cont: []int{7, 8}, k: 1,
			reply: `{"meta_info":{"input_token_logprobs":[[-0.75,7,"seven"],[-1.25,8,"eight"]],"input_top_logprobs":[[[-0.75,7,"seven"]],[[-0.5,3,"three"]]]}}`,
			want: []lm.Position{
				{TokenID: 7, Token: "seven", LogProb: -0.75, Top: []lm.Alt{{TokenID: 7, Token: "seven", LogProb: -0.75}}},
				{TokenID: 8, Token: "eight", LogProb: -1.25, Top: []lm.Alt{{TokenID: 3, Token: "three", LogProb: -0.5}}},
			},
		},
		{
			name:   "SGLang misaligned",
			sglang: true, ctx: []int{5, 6}, cont: []int{7, 8}, k: 0,
			reply:   `{"meta_info":{"input_token_logprobs":[[null,5,null],[-0.75,7,null],[-1.25,8,null]]}}`,
			wantErr: "remote: SGLang input_token_logprobs entry 0 has id 5, want the last context token 6",
		},
		{
			name:   "SGLang null log-prob",
			sglang: true, ctx: []int{5, 6}, cont: []int{7, 8}, k: 0,
			reply:   `{"meta_info":{"input_token_logprobs":[[null,6,null],[-0.75,7,null],[null,8,null]]}}`,
			wantErr: "remote: SGLang input_token_logprobs: continuation token 1 (id 8): null log-prob",
		},
		{
			name:   "SGLang no meta_info",
			sglang: true, ctx: []int{5, 6}, cont: []int{7, 8}, k: 0,
			reply:   `{"text":""}`,
			wantErr: "remote: SGLang /generate reply has no meta_info (is this an SGLang server?)",
		},
		{
			name:   "SGLang top list missing",
			sglang: true, ctx: []int{5, 6}, cont: []int{7, 8}, k: 2,
			reply:   `{"meta_info":{"input_token_logprobs":[[null,6,null],[-0.75,7,null],[-1.25,8,null]]}}`,
			wantErr: "remote: SGLang input_top_logprobs has 0 entries, input_token_logprobs 3",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tc.reply))
			}))
			defer srv.Close()
			var sc lm.Scorer = newVLLM(srv.URL)
			if tc.sglang {
				sc = newSGLang(srv.URL)
			}
			got, err := sc.Score(context.Background(), tc.ctx, tc.cont, tc.k)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := samePositions(got, tc.want, true); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestScoreErrors: the whole error text for each failure, from the real
// server (its validation and injected faults) or the client's own checks.
func TestScoreErrors(t *testing.T) {
	m := demoModel(t)
	V := m.VocabSize()
	ctxIDs, cont := m.Encode("The patient reports chest pain."), m.Encode(" Call now.")
	n := len(cont)
	last := cont[n-1]
	// The missing-token fault drops the prompt token's own entry; the
	// entry then holds the K others, or K−1 when it was among the top K.
	want := demoScore(t, m, ctxIDs, cont, 5)
	left := 5
	if slices.ContainsFunc(want[n-1].Top, func(a lm.Alt) bool { return a.TokenID == last }) {
		left = 4
	}
	tests := []struct {
		name     string
		sglang   bool
		opts     lmserver.Options
		setup    func(c *remote.Client)
		maxReply int64 // VLLM.MaxReplyBytes
		ctx      []int
		cont     []int
		k        int
		err      string
		status   int // the *StatusError code errors.As must find, 0 for none
		requests int64
	}{
		{
			name: "vLLM fewer entries", k: 5, opts: lmserver.Options{Schedule: []lmserver.Fault{lmserver.FaultFewer}},
			err:      fmt.Sprintf("remote: vLLM prompt_logprobs has %d entries for a prompt of %d tokens", len(ctxIDs)+n-1, len(ctxIDs)+n),
			requests: 1,
		},
		{
			name: "vLLM missing prompt token", k: 5, opts: lmserver.Options{Schedule: []lmserver.Fault{lmserver.FaultMissing}},
			err:      fmt.Sprintf("remote: vLLM prompt_logprobs: continuation token %d (id %d): the entry has no log-prob for the token itself (%d alternatives)", n-1, last, left),
			requests: 1,
		},
		{
			name: "vLLM top-k above max_logprobs", k: 25,
			err:    "remote: vLLM POST /v1/completions: HTTP 400 Bad Request: Requested prompt logprobs of 25, which is greater than max allowed: 20 (hint: start vLLM with --max-logprobs 25 or more, or ask for fewer alternatives)",
			status: 400, requests: 1,
		},
		{
			name: "vLLM id out of vocabulary", cont: []int{V + 5},
			err:    fmt.Sprintf("remote: vLLM POST /v1/completions: HTTP 400 Bad Request: Token id %d is out of vocabulary (size %d)", V+5, V),
			status: 400, requests: 1,
		},
		{
			name: "vLLM context too long", opts: lmserver.Options{MaxModelLen: 8},
			err:    fmt.Sprintf("remote: vLLM POST /v1/completions: HTTP 400 Bad Request: This model's maximum context length is 8 tokens. However, you requested %d tokens (%d in the messages, 1 in the completion). Please reduce the length of the messages or completion. (hint: the context plus the continuation is longer than the server's --max-model-len)", len(ctxIDs)+n+1, len(ctxIDs)+n),
			status: 400, requests: 1,
		},
		{
			name: "vLLM unknown model", setup: func(c *remote.Client) { c.Model = "gpt-x" },
			err:    "remote: vLLM POST /v1/completions: HTTP 404 Not Found: The model `gpt-x` does not exist. (hint: check BaseURL (the server root or its /v1) and Model (GET /v1/models lists the served names))",
			status: 404, requests: 1,
		},
		{
			name: "vLLM wrong key is redacted", setup: func(c *remote.Client) { c.APIKey = "sk-wrong-KEY-42" },
			err:    `remote: vLLM POST /v1/completions: HTTP 401 Unauthorized: Unauthorized (Authorization: "[redacted]") (hint: check the API key the server was started with (--api-key))`,
			status: 401, requests: 0,
		},
		{
			name: "vLLM malformed every time", opts: lmserver.Options{Schedule: []lmserver.Fault{lmserver.FaultMalformed, lmserver.FaultMalformed, lmserver.FaultMalformed, lmserver.FaultMalformed}},
			err:      "remote: vLLM POST /v1/completions: giving up after 4 attempts: remote: vLLM POST /v1/completions: malformed reply: unexpected end of JSON input",
			requests: 4,
		},
		{
			name: "vLLM 503 every time", opts: lmserver.Options{Schedule: []lmserver.Fault{lmserver.Fault503, lmserver.Fault503, lmserver.Fault503, lmserver.Fault503}},
			err:    "remote: vLLM POST /v1/completions: giving up after 4 attempts: remote: vLLM POST /v1/completions: HTTP 503 Service Unavailable: server trouble",
			status: 503, requests: 4,
		},
		{
			name: "vLLM reply too large", maxReply: 100, k: 5,
			err:      "remote: vLLM POST /v1/completions: reply exceeds 100 bytes (raise MaxReplyBytes, or score fewer tokens or alternatives per request)",
			requests: 1,
		},
		{
			name: "vLLM empty context", ctx: []int{},
			err: "remote: vLLM score: empty context: a server gives no log-prob for the first prompt token, so the context must hold at least one token (the chat template, or BOS)",
		},
		{
			name: "vLLM negative top-k", k: -1,
			err: "remote: vLLM score: top-k -1 is negative",
		},
		{
			name: "vLLM negative id", cont: []int{3, -4},
			err: "remote: vLLM score: continuation token 1: id -4 is negative",
		},
		{
			name: "SGLang fewer entries", sglang: true, k: 5, opts: lmserver.Options{Schedule: []lmserver.Fault{lmserver.FaultFewer}},
			err:      fmt.Sprintf("remote: SGLang input_token_logprobs has %d entries for %d continuation tokens after logprob_start_len %d (want %d)", n, n, len(ctxIDs)-1, n+1),
			requests: 1,
		},
		{
			name: "SGLang wrong token scored", sglang: true, k: 5, opts: lmserver.Options{Schedule: []lmserver.Fault{lmserver.FaultMissing}},
			err:      fmt.Sprintf("remote: SGLang input_token_logprobs: continuation token %d: the server scored id %d, want %d", n-1, (last+1)%V, last),
			requests: 1,
		},
		{
			name: "SGLang id out of vocabulary", sglang: true, cont: []int{V},
			err:    fmt.Sprintf("remote: SGLang POST /generate: HTTP 400 Bad Request: Token id %d is out of vocabulary (size %d)", V, V),
			status: 400, requests: 1,
		},
		{
			name: "SGLang empty context", sglang: true, ctx: []int{},
			err: "remote: SGLang score: empty context: a server gives no log-prob for the first prompt token, so the context must hold at least one token (the chat template, or BOS)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Model = m
			s := startLM(t, tc.opts)
			var sc lm.Scorer
			var c *remote.Client
			if tc.sglang {
				g := newSGLang(s.URL)
				sc, c = g, &g.Client
			} else {
				v := newVLLM(s.URL)
				v.MaxReplyBytes = tc.maxReply
				sc, c = v, &v.Client
			}
			if tc.setup != nil {
				tc.setup(c)
			}
			ci, co := ctxIDs, cont
			if tc.ctx != nil {
				ci = tc.ctx
			}
			if tc.cont != nil {
				co = tc.cont
			}
			_, err := sc.Score(context.Background(), ci, co, tc.k)
			if err == nil {
				t.Fatal("Score succeeded")
			}
			if err.Error() != tc.err {
				t.Fatalf("error = %q\nwant    %q", err, tc.err)
			}
			if strings.Contains(err.Error(), c.APIKey) {
				t.Errorf("error leaks the key: %q", err)
			}
			var se *remote.StatusError
			if got := errors.As(err, &se); got != (tc.status != 0) || got && se.StatusCode != tc.status {
				t.Errorf("errors.As StatusError = %v (%v), want status %d", got, se, tc.status)
			}
			if tc.status != 0 {
				var re *remote.ReplyError
				if !errors.As(err, &re) || re.Status.StatusCode != tc.status {
					t.Errorf("errors.As ReplyError = %v", re)
				}
			}
			if got := s.Requests(); got != tc.requests {
				t.Errorf("requests = %d, want %d", got, tc.requests)
			}
		})
	}
}

func TestSGLangTokenizeMissingEndpoint(t *testing.T) {
	s := startLM(t, lmserver.Options{})
	_, err := newSGLang(s.URL+"/old").Tokenize(context.Background(), "Hi")
	const want = "remote: SGLang POST /tokenize: HTTP 404 Not Found: Not Found (hint: older SGLang releases have no /tokenize: tokenize with the model's own tokenizer and pass the ids to Score)"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant    %q", err, want)
	}
}

// TestRetriesThroughEachFault injects one fault before a good answer on
// each endpoint and checks the clients retry through it with exactly two
// requests and still get the demo model's numbers.
func TestRetriesThroughEachFault(t *testing.T) {
	m := demoModel(t)
	ctxIDs, cont := m.Encode("Why is the sky blue?"), m.Encode(" Rayleigh scattering.")
	want := demoScore(t, m, ctxIDs, cont, 3)
	faults := []lmserver.Fault{lmserver.Fault429, lmserver.Fault500, lmserver.Fault503, lmserver.FaultDrop, lmserver.FaultMalformed}
	for _, f := range faults {
		for _, backend := range []string{"vLLM", "SGLang"} {
			t.Run(backend+"/"+string(f), func(t *testing.T) {
				// One fault on Tokenize, one on Score.
				s := startLM(t, lmserver.Options{Model: m, Schedule: []lmserver.Fault{f, lmserver.FaultNone, f}, RetryAfter: "0"})
				var logs []string
				var mu sync.Mutex
				logf := func(l string) { mu.Lock(); logs = append(logs, l); mu.Unlock() }
				var sc lm.Scorer
				if backend == "vLLM" {
					v := newVLLM(s.URL)
					v.Log = logf
					sc = v
				} else {
					g := newSGLang(s.URL)
					g.Log = logf
					sc = g
				}
				ids, err := sc.Tokenize(context.Background(), "Why is the sky blue?")
				if err != nil || !slices.Equal(ids, ctxIDs) {
					t.Fatalf("Tokenize = %v, %v", ids, err)
				}
				got, err := sc.Score(context.Background(), ctxIDs, cont, 3)
				if err != nil {
					t.Fatal(err)
				}
				if err := samePositions(got, want, backend == "vLLM"); err != nil {
					t.Fatal(err)
				}
				if s.Requests() != 4 || s.Count(f) != 2 || s.Count(lmserver.FaultNone) != 2 {
					t.Errorf("requests = %d, %s = %d, ok = %d; want 4, 2, 2", s.Requests(), f, s.Count(f), s.Count(lmserver.FaultNone))
				}
				if len(logs) != 2 || !strings.Contains(logs[0], " POST /tokenize: attempt 1/4 failed: ") || !strings.Contains(logs[1], "attempt 1/4 failed: ") {
					t.Errorf("logs = %q", logs)
				}
				for _, l := range logs {
					if strings.Contains(l, secret) {
						t.Errorf("log line leaks the key: %q", l)
					}
				}
			})
		}
	}
}

func TestNoRetriesWhenDisabled(t *testing.T) {
	s := startLM(t, lmserver.Options{Schedule: []lmserver.Fault{lmserver.Fault503}})
	v := newVLLM(s.URL)
	v.MaxRetries = 0
	_, err := v.Score(context.Background(), []int{72}, []int{105}, 1)
	const want = "remote: vLLM POST /v1/completions: giving up after 1 attempts: remote: vLLM POST /v1/completions: HTTP 503 Service Unavailable: server trouble"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
	if s.Requests() != 1 {
		t.Fatalf("requests = %d, want 1", s.Requests())
	}
}

func TestScoreHonoursContext(t *testing.T) {
	s := startLM(t, lmserver.Options{Schedule: []lmserver.Fault{lmserver.Fault503, lmserver.Fault503}})
	v := newVLLM(s.URL)
	v.BaseBackoff, v.MaxBackoff = time.Hour, time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := v.Score(ctx, []int{72}, []int{105}, 1)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want one wrapping context.DeadlineExceeded", err)
	}
	c2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := newSGLang(s.URL).Score(c2, []int{72}, []int{105}, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: error = %v", err)
	}
}

// TestConcurrentScoring runs both clients from many goroutines through a
// shared Limiter (run with -race).
func TestConcurrentScoring(t *testing.T) {
	m := demoModel(t)
	s := startLM(t, lmserver.Options{Model: m})
	lim := remote.NewLimiter(4)
	v, g := newVLLM(s.URL), newSGLang(s.URL)
	v.Limiter, g.Limiter = lim, lim
	type job struct {
		ctx, cont []int
		want      []lm.Position
	}
	var jobs []job
	for _, tc := range scoreCases {
		ctxIDs, cont := m.Encode(tc.context), m.Encode(tc.cont)
		jobs = append(jobs, job{ctxIDs, cont, demoScore(t, m, ctxIDs, cont, 4)})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, j := range jobs {
				var sc lm.Scorer = v
				if (w+i)%2 == 1 {
					sc = g
				}
				got, err := sc.Score(context.Background(), j.ctx, j.cont, 4)
				if err == nil {
					err = samePositions(got, j.want, sc == lm.Scorer(v))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if lim.InFlight() != 0 {
		t.Errorf("limiter holds %d slots after the run", lim.InFlight())
	}
}

func ExampleVLLM_Score() {
	s, err := lmserver.Start(lmserver.Options{})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	v := &remote.VLLM{}
	v.BaseURL, v.Model, v.MaxRetries = s.URL+"/v1", "demo", remote.DefaultMaxRetries
	ctx := context.Background()
	prompt, _ := v.Tokenize(ctx, "What should I do for a mild headache?")
	answer, _ := v.Tokenize(ctx, " Drink water and rest.")
	ps, err := v.Score(ctx, prompt, answer, 2)
	if err != nil {
		panic(err)
	}
	for _, p := range ps {
		fmt.Printf("%-8q %7.3f   top: %q %.3f, %q %.3f\n", p.Token, p.LogProb, p.Top[0].Token, p.Top[0].LogProb, p.Top[1].Token, p.Top[1].LogProb)
	}
	// Output:
	// " Dr"    -10.505   top: "\"" -1.329, " If" -2.140
	// "in"      -6.141   top: "." -1.938, "e" -2.075
	// "k"       -6.295   top: "g" -0.941, "e" -2.813
	// " water"  -9.401   top: "g" -1.987, "s" -2.213
	// " and"    -3.120   top: "," -2.229, " usage" -2.491
	// " rest"   -8.932   top: " oxygen" -2.018, " " -3.922
	// "."       -3.962   top: "," -1.712, " your" -2.467
}

// BenchmarkVLLMScoreClient measures the client alone (request, transport,
// JSON decoding, extraction) on canned replies recorded from lmserver, in
// size tiers of prompt tokens with 20 alternatives per position; it
// reports prompt tokens per second.
func BenchmarkVLLMScoreClient(b *testing.B) {
	m := demoModel(b)
	s := startLM(b, lmserver.Options{Model: m})
	text := strings.Repeat("The patient reports mild chest pain after exercise and should rest and drink water. ", 300)
	all := m.Encode(text)
	for _, tier := range []struct {
		name string
		n    int
	}{{"small", 64}, {"medium", 512}, {"large", 4096}} {
		b.Run(tier.name, func(b *testing.B) {
			ids := all[:tier.n]
			ctxIDs, cont := ids[:tier.n/2], ids[tier.n/2:]
			// Record one real reply, then serve it from a canned server.
			var reply []byte
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(reply)
			}))
			defer srv.Close()
			reply = cannedReply(b, s.URL, ctxIDs, cont)
			v := newVLLM(srv.URL)
			b.SetBytes(int64(len(reply)))
			b.ResetTimer()
			for b.Loop() {
				if _, err := v.Score(context.Background(), ctxIDs, cont, 20); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(tier.n)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

// cannedReply returns lmserver's /v1/completions body for the ids.
func cannedReply(b *testing.B, base string, ctxIDs, cont []int) []byte {
	b.Helper()
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, base+r.URL.Path, r.Body)
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), 502)
			return
		}
		defer resp.Body.Close()
		got, _ = io.ReadAll(resp.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(got)
	}))
	defer srv.Close()
	if _, err := newVLLM(srv.URL).Score(context.Background(), ctxIDs, cont, 20); err != nil {
		b.Fatal(err)
	}
	return got
}
