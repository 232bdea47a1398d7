package lmserver_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/rcsd-dev/rcsd/core/lm"
	"github.com/rcsd-dev/rcsd/core/lm/demo"
	"github.com/rcsd-dev/rcsd/core/remote/lmserver"
)

func start(t *testing.T, opts lmserver.Options) (*lmserver.Server, *demo.Model) {
	t.Helper()
	m, err := demo.Load()
	if err != nil {
		t.Fatal(err)
	}
	opts.Model = m
	s, err := lmserver.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, m
}

func do(t *testing.T, method, url, body string, header ...string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// orderedEntry reads one prompt_logprobs map keeping its key order.
type orderedEntry struct {
	keys []string
	vals map[string]struct {
		Logprob      float64 `json:"logprob"`
		Rank         int     `json:"rank"`
		DecodedToken string  `json:"decoded_token"`
	}
}

func (e *orderedEntry) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil { // {
		return err
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return err
		}
		e.keys = append(e.keys, k.(string))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
	}
	return json.Unmarshal(b, &e.vals)
}

// TestVLLMPromptLogprobs checks the emulated prompt_logprobs against the
// rules of vLLM's logprobs.py: entry 0 null; then the prompt token first
// with its vocabulary rank (1 + the number of strictly more probable
// tokens), followed by the top K with ranks 1…K; the prompt token appears
// once, with its top-K rank, when it is among them. Numbers are the demo
// model's, bit for bit.
func TestVLLMPromptLogprobs(t *testing.T) {
	s, m := start(t, lmserver.Options{})
	prompt := m.Encode("The patient reports mild chest pain after exercise.")
	const k = 3
	code, body := do(t, "POST", s.URL+"/v1/completions", mustJSON(map[string]any{"model": "demo", "prompt": prompt, "max_tokens": 2, "prompt_logprobs": k, "temperature": 0}))
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	var reply struct {
		Object  string `json:"object"`
		Model   string `json:"model"`
		Choices []struct {
			Text           string          `json:"text"`
			FinishReason   string          `json:"finish_reason"`
			PromptLogprobs []*orderedEntry `json:"prompt_logprobs"`
		} `json:"choices"`
		Usage struct {
			PromptTokens     int `json:"prompt_tokens"`
			TotalTokens      int `json:"total_tokens"`
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(body, &reply); err != nil {
		t.Fatal(err)
	}
	if reply.Object != "text_completion" || reply.Model != "demo" || len(reply.Choices) != 1 || reply.Choices[0].FinishReason != "length" {
		t.Fatalf("reply = %s", body)
	}
	if u := reply.Usage; u.PromptTokens != len(prompt) || u.CompletionTokens != 2 || u.TotalTokens != len(prompt)+2 {
		t.Errorf("usage = %+v", u)
	}
	pl := reply.Choices[0].PromptLogprobs
	if len(pl) != len(prompt) || pl[0] != nil {
		t.Fatalf("%d entries for %d prompt tokens (entry 0 %v)", len(pl), len(prompt), pl[0])
	}
	want, err := m.Score(prompt[:1], prompt[1:], k)
	if err != nil {
		t.Fatal(err)
	}
	sawOutside := false
	for i := 1; i < len(prompt); i++ {
		e, w := pl[i], want[i-1]
		id := fmt.Sprint(prompt[i])
		if e.keys[0] != id {
			t.Fatalf("entry %d: first key %s, want the prompt token %s", i, e.keys[0], id)
		}
		own := e.vals[id]
		if math.Float64bits(own.Logprob) != math.Float64bits(w.LogProb) || own.DecodedToken != strings.ToValidUTF8(w.Token, "\uFFFD") {
			t.Errorf("entry %d: prompt token %+v, want %v %q", i, own, w.LogProb, w.Token)
		}
		inTop := slices.IndexFunc(w.Top, func(a demo.Alt) bool { return a.TokenID == prompt[i] })
		if inTop >= 0 {
			if len(e.keys) != k || own.Rank != inTop+1 {
				t.Errorf("entry %d: %d keys, rank %d; want %d keys, rank %d", i, len(e.keys), own.Rank, k, inTop+1)
			}
		} else {
			sawOutside = true
			lp := m.NextLogProbs(nil, prompt[:i])
			r := 1
			for _, x := range lp {
				if x > lp[prompt[i]] {
					r++
				}
			}
			if len(e.keys) != k+1 || own.Rank != r {
				t.Errorf("entry %d: %d keys, rank %d; want %d keys, rank %d", i, len(e.keys), own.Rank, k+1, r)
			}
		}
		for j, a := range w.Top {
			v, ok := e.vals[fmt.Sprint(a.TokenID)]
			if !ok || v.Rank != j+1 || math.Float64bits(v.Logprob) != math.Float64bits(a.LogProb) {
				t.Errorf("entry %d: top %d %+v = %+v", i, j, a, v)
			}
		}
	}
	if !sawOutside {
		t.Error("no prompt token outside the top k: the test checks too little")
	}
	// Greedy generation: the most probable token, twice.
	lp := m.NextLogProbs(nil, prompt)
	best := 0
	for w, x := range lp {
		if x > lp[best] {
			best = w
		}
	}
	if got := reply.Choices[0].Text; !strings.HasPrefix(got, m.Token(best)) {
		t.Errorf("text = %q, want it to start with %q", got, m.Token(best))
	}
}

// TestSGLangGenerate checks the emulated meta_info lists: from
// logprob_start_len on, a null first log-prob (none in legacy mode), then
// the demo model's numbers.
func TestSGLangGenerate(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		t.Run(fmt.Sprintf("legacy=%v", legacy), func(t *testing.T) {
			s, m := start(t, lmserver.Options{SGLangLegacy: legacy})
			ids := m.Encode("Take ibuprofen with food.")
			const startLen, k = 2, 2
			code, body := do(t, "POST", s.URL+"/generate", mustJSON(map[string]any{
				"input_ids": ids, "return_logprob": true, "logprob_start_len": startLen, "top_logprobs_num": k,
				"return_text_in_logprobs": true, "sampling_params": map[string]any{"max_new_tokens": 1},
			}))
			if code != 200 {
				t.Fatalf("status %d: %s", code, body)
			}
			var reply struct {
				Text      string `json:"text"`
				OutputIDs []int  `json:"output_ids"`
				MetaInfo  struct {
					FinishReason        map[string]any `json:"finish_reason"`
					PromptTokens        int            `json:"prompt_tokens"`
					CompletionTokens    int            `json:"completion_tokens"`
					InputTokenLogprobs  [][3]any       `json:"input_token_logprobs"`
					InputTopLogprobs    [][][3]any     `json:"input_top_logprobs"`
					OutputTokenLogprobs [][3]any       `json:"output_token_logprobs"`
					OutputTopLogprobs   [][][3]any     `json:"output_top_logprobs"`
				} `json:"meta_info"`
			}
			if err := json.Unmarshal(body, &reply); err != nil {
				t.Fatal(err)
			}
			mi := reply.MetaInfo
			if mi.PromptTokens != len(ids) || mi.CompletionTokens != 1 || len(reply.OutputIDs) != 1 || len(mi.OutputTokenLogprobs) != 1 || len(mi.OutputTopLogprobs[0]) != k {
				t.Fatalf("reply = %s", body)
			}
			want, _ := m.Score(ids[:startLen+1], ids[startLen+1:], k)
			tok, top := mi.InputTokenLogprobs, mi.InputTopLogprobs
			if !legacy {
				if len(tok) != len(ids)-startLen || tok[0][0] != nil || tok[0][1] != float64(ids[startLen]) || top[0] != nil {
					t.Fatalf("first entries %v %v; want [null %d %q] and null", tok[0], top[0], ids[startLen], m.Token(ids[startLen]))
				}
				tok, top = tok[1:], top[1:]
			}
			if len(tok) != len(want) || len(top) != len(want) {
				t.Fatalf("%d/%d entries after the first, want %d", len(tok), len(top), len(want))
			}
			for i, w := range want {
				if tok[i] != [3]any{w.LogProb, float64(w.TokenID), w.Token} {
					t.Errorf("entry %d = %v, want %v", i, tok[i], w)
				}
				for j, a := range w.Top {
					if top[i][j] != [3]any{a.LogProb, float64(a.TokenID), a.Token} {
						t.Errorf("entry %d top %d = %v, want %v", i, j, top[i][j], a)
					}
				}
			}
		})
	}
}

// TestErrorReplies pins status and body of each refusal, in the server's
// own error shapes.
func TestErrorReplies(t *testing.T) {
	s, m := start(t, lmserver.Options{APIKey: "k"})
	V := m.VocabSize()
	auth := []string{"Authorization", "Bearer k"}
	tests := []struct {
		name, method, path, body string
		header                   []string
		code                     int
		want                     string
	}{
		{"unknown path", "POST", "/v2/nothing", `{}`, auth, 404, `{"detail":"Not Found"}`},
		{"wrong method", "GET", "/v1/completions", ``, auth, 405, `{"detail":"Method Not Allowed"}`},
		{"no key", "POST", "/v1/completions", `{}`, nil, 401, `{"error":"Unauthorized (Authorization: \"\")"}`},
		{"bad json", "POST", "/v1/completions", `{"prompt":`, auth, 400, `{"error":{"message":"invalid JSON body: unexpected end of JSON input","type":"BadRequestError","param":null,"code":400}}`},
		{"no prompt", "POST", "/v1/completions", `{"max_tokens":1}`, auth, 400, `{"error":{"message":"Either prompt or prompt_embeds must be provided and non-empty.","type":"BadRequestError","param":"prompt","code":400}}`},
		{"unknown model", "POST", "/v1/completions", `{"model":"x","prompt":[1]}`, auth, 404, "{\"error\":{\"message\":\"The model `x` does not exist.\",\"type\":\"NotFoundError\",\"param\":\"model\",\"code\":404}}"},
		{"prompt_logprobs above max", "POST", "/v1/completions", `{"prompt":[1,2],"max_tokens":1,"prompt_logprobs":21}`, auth, 400, `{"error":{"message":"Requested prompt logprobs of 21, which is greater than max allowed: 20","type":"BadRequestError","param":"prompt_logprobs","code":400}}`},
		{"prompt_logprobs -1 is the vocabulary", "POST", "/v1/completions", `{"prompt":[1,2],"max_tokens":1,"prompt_logprobs":-1}`, auth, 400, fmt.Sprintf(`{"error":{"message":"Requested prompt logprobs of %d, which is greater than max allowed: 20","type":"BadRequestError","param":"prompt_logprobs","code":400}}`, V)},
		{"prompt_logprobs -2", "POST", "/v1/completions", `{"prompt":[1,2],"prompt_logprobs":-2}`, auth, 400, "{\"error\":{\"message\":\"`prompt_logprobs` must be a positive value or -1.\",\"type\":\"BadRequestError\",\"param\":\"prompt_logprobs\",\"code\":400}}"},
		{"max_tokens 0", "POST", "/v1/completions", `{"prompt":[1,2],"max_tokens":0}`, auth, 400, `{"error":{"message":"max_tokens must be at least 1, got 0.","type":"BadRequestError","param":"max_tokens","code":400}}`},
		{"id out of vocabulary", "POST", "/v1/completions", fmt.Sprintf(`{"prompt":[1,%d]}`, V), auth, 400, fmt.Sprintf(`{"error":{"message":"Token id %d is out of vocabulary (size %d)","type":"BadRequestError","param":"prompt","code":400}}`, V, V)},
		{"batch prompt", "POST", "/v1/completions", `{"prompt":[[1],[2]]}`, auth, 400, `{"error":{"message":"lmserver: prompt must be a string or a list of token ids (batches are not supported)","type":"BadRequestError","param":"prompt","code":400}}`},
		{"tokenize both", "POST", "/tokenize", `{"prompt":"a","messages":[]}`, auth, 400, `{"error":{"message":"Exactly one of 'prompt' or 'messages' must be provided.","type":"BadRequestError","param":null,"code":400}}`},
		{"tokenize continue and generation", "POST", "/tokenize", `{"messages":[{"role":"user","content":"a"}],"continue_final_message":true}`, auth, 400, "{\"error\":{\"message\":\"Cannot set both `continue_final_message` and `add_generation_prompt` to True.\",\"type\":\"BadRequestError\",\"param\":null,\"code\":400}}"},
		{"generate text and ids", "POST", "/generate", `{"text":"a","input_ids":[1]}`, auth, 400, `{"error":{"message":"Either text or input_ids should be provided."}}`},
		{"generate start past the input", "POST", "/generate", `{"input_ids":[1,2],"return_logprob":true,"logprob_start_len":2}`, auth, 400, `{"error":{"message":"logprob_start_len (2) is superior or equal to the input length (2)."}}`},
		{"generate id out of vocabulary", "POST", "/generate", fmt.Sprintf(`{"input_ids":[%d]}`, V+1), auth, 400, fmt.Sprintf(`{"error":{"message":"Token id %d is out of vocabulary (size %d)"}}`, V+1, V)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := do(t, tc.method, s.URL+tc.path, tc.body, tc.header...)
			if code != tc.code || string(body) != tc.want {
				t.Fatalf("%d %s\nwant %d %s", code, body, tc.code, tc.want)
			}
		})
	}
}

func TestRenderChat(t *testing.T) {
	msgs := []lm.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi"}}
	if got, want := lmserver.RenderChat(msgs, true), "<|system|>\nBe brief.\n<|user|>\nHi\n<|assistant|>\n"; got != want {
		t.Errorf("RenderChat(gen) = %q, want %q", got, want)
	}
	if got, want := lmserver.RenderChat(msgs, false), "<|system|>\nBe brief.\n<|user|>\nHi\n"; got != want {
		t.Errorf("RenderChat = %q, want %q", got, want)
	}
}

// TestTokenizeForms: text parts equal a string; continue_final_message
// leaves the last message open; token strings on request.
func TestTokenizeForms(t *testing.T) {
	s, m := start(t, lmserver.Options{})
	tokens := func(body string) []int {
		t.Helper()
		code, b := do(t, "POST", s.URL+"/v1/tokenize", body)
		if code != 200 {
			t.Fatalf("%d %s", code, b)
		}
		var r struct {
			Count       int      `json:"count"`
			MaxModelLen int      `json:"max_model_len"`
			Tokens      []int    `json:"tokens"`
			TokenStrs   []string `json:"token_strs"`
		}
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		if r.Count != len(r.Tokens) || r.MaxModelLen != lmserver.DefaultMaxModelLen {
			t.Fatalf("reply %s", b)
		}
		if r.TokenStrs != nil && strings.Join(r.TokenStrs, "") != "Hi there" {
			t.Fatalf("token_strs %q", r.TokenStrs)
		}
		return r.Tokens
	}
	str := tokens(`{"messages":[{"role":"user","content":"Hi there"}]}`)
	parts := tokens(`{"messages":[{"role":"user","content":[{"type":"text","text":"Hi "},{"type":"text","text":"there"}]}]}`)
	if want := m.Encode("<|user|>\nHi there\n<|assistant|>\n"); !slices.Equal(str, want) || !slices.Equal(parts, want) {
		t.Errorf("string %v, parts %v, want %v", str, parts, want)
	}
	open := tokens(`{"messages":[{"role":"assistant","content":"Sure"}],"add_generation_prompt":false,"continue_final_message":true}`)
	if want := m.Encode("<|assistant|>\nSure"); !slices.Equal(open, want) {
		t.Errorf("continue_final_message: %v, want %v", open, want)
	}
	if got := tokens(`{"prompt":"Hi there","return_token_strs":true}`); !slices.Equal(got, m.Encode("Hi there")) {
		t.Errorf("prompt: %v", got)
	}
}

func TestModelsAndHealth(t *testing.T) {
	s, _ := start(t, lmserver.Options{ModelName: "tiny"})
	if code, body := do(t, "GET", s.URL+"/health", ""); code != 200 || len(body) != 0 {
		t.Errorf("health: %d %s", code, body)
	}
	code, body := do(t, "GET", s.URL+"/v1/models", "")
	want := fmt.Sprintf(`{"object":"list","data":[{"id":"tiny","object":"model","owned_by":"rcsd","root":"tiny","max_model_len":%d}]}`, lmserver.DefaultMaxModelLen)
	if code != 200 || string(body) != want {
		t.Errorf("models: %d %s\nwant %s", code, body, want)
	}
	if s.Requests() != 0 {
		t.Errorf("GETs counted as requests: %d", s.Requests())
	}
}

func TestUnknownFault(t *testing.T) {
	_, err := lmserver.NewHandler(lmserver.Options{Schedule: []lmserver.Fault{"boom"}})
	if err == nil || err.Error() != `lmserver: unknown fault "boom" in Schedule` {
		t.Fatalf("error = %v", err)
	}
}
