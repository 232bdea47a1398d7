package judge

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rcsd-dev/rcsd/core/lm"
	"github.com/rcsd-dev/rcsd/core/redact"
	"github.com/rcsd-dev/rcsd/core/remote/remotetest"
)

const llmEchoKey = "sk-judge-test-0123456789abcdef"

// keyFragment returns the first piece of llmEchoKey of
// redact.MinFragment bytes found in s, or "".
func keyFragment(s string) string { return redact.Leak(llmEchoKey, s) }

// TestLLMEchoedKeyNotInVerdicts: a grader that repeats the key in every
// explanation, and once in an error body across byte 200, leaves it in
// no verdict, explanation, error or cache entry, in either mode.
func TestLLMEchoedKeyNotInVerdicts(t *testing.T) {
	for _, mode := range []LLMMode{PerCriterion, PerResponse} {
		t.Run(string(mode), func(t *testing.T) {
			s := remotetest.NewServer(remotetest.Options{APIKey: llmEchoKey, EchoKey: true, Schedule: []remotetest.Fault{remotetest.FaultEchoError}})
			defer s.Close()
			c := llmTestClient(s, 0)
			c.APIKey = llmEchoKey
			cache := &MemoryCache{}
			l := &LLM{Client: c, Mode: mode, Cache: cache}
			var all []Verdict
			for range 2 { // the first request meets the echo-error fault
				all = append(all, l.Judge(context.Background(), llmKeywordInput())...)
			}
			b, _ := json.Marshal(all)
			cache.m.Range(func(_, v any) bool { b = append(b, v.(string)...); return true })
			if f := keyFragment(string(b)); f != "" {
				t.Fatalf("%q of the key in %s", f, b)
			}
			if !strings.Contains(string(b), "HTTP 500") || !strings.Contains(string(b), "[redacted]") {
				t.Errorf("want an HTTP 500 error and a redacted echo in %s", b)
			}
		})
	}
}

// keyedChatter is a grader client that knows its key (redact.Source) but
// does not redact what it returns, and a cache written before redaction
// existed: the judge must redact both on its own.
type keyedChatter struct{ reply string }

func (k keyedChatter) ModelName() string { return "m" }
func (k keyedChatter) Chat(context.Context, []lm.Message) (string, error) {
	return k.reply, nil
}
func (k keyedChatter) Redactor() *redact.Redactor { return redact.New(llmEchoKey) }

func TestLLMRedactsAnyClientAndOldCache(t *testing.T) {
	raw := `{"explanation": "you sent ` + llmEchoKey + ` and Bearer tok-xyz", "criteria_met": true}`
	in := llmKeywordInput()
	in.Rubric.Criteria = in.Rubric.Criteria[:1]
	cache := &MemoryCache{}
	l := &LLM{Client: keyedChatter{raw}, Mode: PerCriterion, Cache: cache}
	got := l.Judge(context.Background(), in)
	if want := "you sent [redacted] and Bearer [redacted]"; got[0].Explanation != want {
		t.Errorf("fresh: %q, want %q", got[0].Explanation, want)
	}
	old := &MemoryCache{}
	old.Put(CacheKey("m", PerCriterion, userMessage(renderCriterion(conversation(in), &in.Rubric.Criteria[0]))), raw)
	l = &LLM{Client: keyedChatter{"unused"}, Mode: PerCriterion, Cache: old}
	got = l.Judge(context.Background(), in)
	if keyFragment(got[0].Explanation) != "" || got[0].Met == nil {
		t.Errorf("from an old cache: %+v", got[0])
	}
}
