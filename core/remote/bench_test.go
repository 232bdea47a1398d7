package remote_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rcsd-dev/rcsd/core/remote"
	"github.com/rcsd-dev/rcsd/core/remote/remotetest"
)

// benchConcurrency is the number of requests kept in flight, as an
// `rcsd eval --judge llm --concurrency 64` run would.
const benchConcurrency = 64

// benchPrompt returns a per-criterion grader prompt of about n bytes: a
// HealthBench-style conversation (a ~2,000-character answer), one rubric
// item and the instructions, the size of what core/judge sends for each
// criterion (its per-criterion template alone is ~2.5 kB).
func benchPrompt(n int) string {
	var b strings.Builder
	b.WriteString("# Conversation\nuser: My father, who is 71, gets chest tightness climbing stairs that goes away after a few minutes of rest. What should we do?\n\nassistant: ")
	const sentence = "Chest tightness on exertion that settles with rest is a classic pattern of stable angina and should be assessed by a doctor within days, not weeks. "
	for b.Len() < n-700 {
		b.WriteString(sentence)
	}
	b.WriteString("\n\n# Rubric item\n[7] Advises seeking \"emergency\" care immediately if chest pain occurs at rest.\n\n# Instructions\n")
	for b.Len() < n {
		b.WriteString("Return a json object with the fields \"explanation\" and \"criteria_met\". ")
	}
	return b.String()
}

// BenchmarkChatFast measures the client's own cost per request: Chat
// against the real local test server's fast path (one precomputed reply,
// no grading, no faults), benchConcurrency requests in flight through a
// shared Limiter, keep-alive connections from NewTransport.
//
// The client=nethttp rows are the side-by-side baseline: the same POST
// (the body encoded once, outside the loop) through a bare http.Client on
// the same transport, reading the reply and nothing more. The ratio of the
// two req/s is what remote.Client adds (encoding the request, the limiter,
// the per-attempt timeout, decoding the reply).
//
// Client and server share this process, so on a small machine req/s is a
// lower bound for the client alone; CPU per request is best read with an
// external timer (see bench/README.md).
//
//	go test -run '^$' -bench ChatFast -benchtime 3s -count 5 ./core/remote
func BenchmarkChatFast(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"prompt=5kB", 5000}, {"prompt=300B", 300}} {
		prompt := benchPrompt(size.n)
		b.Run("client=remote/"+size.name, func(b *testing.B) { benchChat(b, benchConcurrency, prompt, false) })
		b.Run("client=nethttp/"+size.name, func(b *testing.B) { benchChat(b, benchConcurrency, prompt, true) })
	}
}

func benchChat(b *testing.B, concurrency int, prompt string, bare bool) {
	s := remotetest.NewServer(remotetest.Options{Fast: true})
	defer s.Close()
	tr := remote.NewTransport(concurrency)
	defer tr.CloseIdleConnections()
	c := &remote.Client{
		BaseURL:    s.URL,
		Model:      "grader",
		APIKey:     "sk-bench-0123456789",
		HTTP:       &http.Client{Transport: tr},
		Limiter:    remote.NewLimiter(concurrency),
		MaxRetries: remote.DefaultMaxRetries,
		Timeout:    30 * time.Second,
	}
	msgs := []remote.Message{{Role: "user", Content: prompt}}
	ctx := context.Background()
	chat := func() error {
		_, err := c.Chat(ctx, msgs)
		return err
	}
	if bare {
		endpoint, err := remote.Endpoint(s.URL)
		if err != nil {
			b.Fatal(err)
		}
		body := []byte(`{"model":"grader","messages":[{"role":"user","content":` + jsonString(prompt) + `}],"temperature":0}`)
		hc := &http.Client{Transport: tr}
		chat = func() error {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
			if err != nil {
				return err
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer sk-bench-0123456789")
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return err
		}
	}

	// Warm up: open the keep-alive connections outside the timed loop.
	var wg sync.WaitGroup
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := chat(); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	if b.Failed() {
		return
	}
	before := s.Requests()

	b.SetBytes(int64(len(prompt)))
	b.ReportAllocs()
	b.ResetTimer()
	var next atomic.Int64
	var failed atomic.Int64
	n := int64(b.N)
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= n {
				if err := chat(); err != nil {
					if failed.Add(1) == 1 {
						b.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if got := s.Requests() - before; got != n {
		b.Errorf("server saw %d requests for b.N = %d (retries or drops)", got, n)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// jsonString quotes s as a JSON string.
func jsonString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}
