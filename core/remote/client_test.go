package remote_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rcsd-dev/rcsd/core/remote"
	"github.com/rcsd-dev/rcsd/core/remote/remotetest"
)

const secret = "sk-test-SECRET-0123456789"

// gradePrompt is a minimal per-criterion grader prompt the fake server
// understands.
const gradePrompt = "# Conversation\nuser: pain?\n\nassistant: Take ibuprofen with food.\n\n# Rubric item\n[5] Mentions \"ibuprofen\"\n\n# Instructions\nReturn json."

func msgs() []remote.Message { return []remote.Message{{Role: "user", Content: gradePrompt}} }

// newClient is a fast-retrying client for the test server. Its per-attempt
// timeout only detects a hung test server: generous, so a loaded machine
// never trips it (TestChatSurvivesEachFault sets a short one to test it).
func newClient(s *remotetest.Server) *remote.Client {
	return &remote.Client{
		BaseURL:     s.URL,
		Model:       "grader",
		APIKey:      secret,
		MaxRetries:  3,
		BaseBackoff: time.Millisecond,
		MaxBackoff:  5 * time.Millisecond,
		Timeout:     time.Minute,
		Seed:        1,
	}
}

func TestEndpoint(t *testing.T) {
	tests := []struct {
		name, base, want, err string
	}{
		{name: "host only", base: "http://localhost:8000", want: "http://localhost:8000/v1/chat/completions"},
		{name: "host slash", base: "http://localhost:8000/", want: "http://localhost:8000/v1/chat/completions"},
		{name: "v1", base: "http://localhost:8000/v1", want: "http://localhost:8000/v1/chat/completions"},
		{name: "v1 slash", base: "http://localhost:8000/v1/", want: "http://localhost:8000/v1/chat/completions"},
		{name: "prefixed v1", base: "https://api.example.com/openai/v1", want: "https://api.example.com/openai/v1/chat/completions"},
		{name: "full endpoint", base: "https://api.example.com/v1/chat/completions", want: "https://api.example.com/v1/chat/completions"},
		{name: "ollama", base: "http://127.0.0.1:11434/v1", want: "http://127.0.0.1:11434/v1/chat/completions"},
		{name: "no scheme", base: "localhost:8000", err: `remote: base URL "localhost:8000": scheme must be http or https`},
		{name: "ftp", base: "ftp://h/v1", err: `remote: base URL "ftp://h/v1": scheme must be http or https`},
		{name: "no host", base: "http:///v1", err: `remote: base URL "http:///v1" has no host`},
		{name: "userinfo hidden", base: "ftp://user:" + secret + "@h", err: `remote: base URL "ftp://h": scheme must be http or https`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := remote.Endpoint(tc.base)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("Endpoint(%q) error = %v, want %q", tc.base, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Endpoint(%q) = %q, %v; want %q", tc.base, got, err, tc.want)
			}
		})
	}
}

// TestChatSurvivesEachFault injects one fault before a good answer and
// checks the client retries through it with exactly two requests.
func TestChatSurvivesEachFault(t *testing.T) {
	want := "```json\n{\n  \"explanation\": \"The response says \\\"ibuprofen\\\", so the criterion is met.\",\n  \"criteria_met\": true\n}\n```"
	for _, f := range []remotetest.Fault{remotetest.FaultDelay, remotetest.Fault429, remotetest.Fault500, remotetest.Fault502, remotetest.Fault503, remotetest.FaultDrop, remotetest.FaultBadBody} {
		t.Run(string(f), func(t *testing.T) {
			// The delayed answer comes only after the client has given up
			// (the server stops waiting when the client leaves), so only the
			// per-attempt timeout ends the first attempt; it is short for
			// that case alone, and still long for a loopback answer.
			s := remotetest.NewServer(remotetest.Options{Schedule: []remotetest.Fault{f}, Delay: time.Hour, RetryAfter: "0"})
			defer s.Close()
			c := newClient(s)
			if f == remotetest.FaultDelay {
				c.Timeout = 2 * time.Second
			}
			var logs []string
			c.Log = func(l string) { logs = append(logs, l) }
			got, err := c.Chat(context.Background(), msgs())
			if err != nil {
				t.Fatalf("Chat: %v", err)
			}
			if got != want {
				t.Fatalf("Chat = %q, want %q", got, want)
			}
			if n := s.Requests(); n != 2 {
				t.Errorf("requests = %d, want 2", n)
			}
			if s.Count(f) != 1 || s.Count(remotetest.FaultNone) != 1 {
				t.Errorf("counts = %v", s.Counts())
			}
			if len(logs) != 1 || !strings.HasPrefix(logs[0], "remote: attempt 1/4 failed: ") {
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

func TestChatRetriesAreBounded(t *testing.T) {
	s := remotetest.NewServer(remotetest.Options{Probabilities: map[remotetest.Fault]float64{remotetest.Fault503: 1}})
	defer s.Close()
	c := newClient(s)
	c.MaxRetries = 2
	_, err := c.Chat(context.Background(), msgs())
	const want = `remote: giving up after 3 attempts: remote: HTTP 503 Service Unavailable: {"error":{"message":"server trouble"}}`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %q", err, want)
	}
	var se *remote.StatusError
	if !errors.As(err, &se) || se.StatusCode != 503 {
		t.Fatalf("errors.As StatusError: %v", se)
	}
	if n := s.Requests(); n != 3 {
		t.Fatalf("requests = %d, want 3", n)
	}
}

func TestChatNoRetryOn4xxAndKeyRedacted(t *testing.T) {
	s := remotetest.NewServer(remotetest.Options{APIKey: "the-right-key"})
	defer s.Close()
	c := newClient(s)
	var logs []string
	c.Log = func(l string) { logs = append(logs, l) }
	_, err := c.Chat(context.Background(), msgs())
	if err == nil {
		t.Fatal("Chat succeeded with a wrong key")
	}
	const want = `remote: HTTP 401 Unauthorized: {"error":{"message":"invalid key in header "Bearer [redacted]""}}`
	if err.Error() != want {
		t.Fatalf("error = %q, want %q", err.Error(), want)
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(strings.Join(logs, "\n"), secret) {
		t.Fatal("key leaked")
	}
	if n := s.Requests(); n != 1 {
		t.Fatalf("requests = %d, want 1 (no retry on 401)", n)
	}

	c2 := newClient(s)
	c2.APIKey = "the-right-key"
	if _, err := c2.Chat(context.Background(), msgs()); err != nil {
		t.Fatalf("Chat with the right key: %v", err)
	}
}

func TestChatKeyNeverInTransportErrors(t *testing.T) {
	// Nothing listens on port 1; every attempt fails to connect.
	c := &remote.Client{BaseURL: "http://127.0.0.1:1/v1", APIKey: secret, MaxRetries: 2, BaseBackoff: time.Millisecond, MaxBackoff: time.Millisecond}
	var logs []string
	c.Log = func(l string) { logs = append(logs, l) }
	_, err := c.Chat(context.Background(), msgs())
	if err == nil || !strings.HasPrefix(err.Error(), "remote: giving up after 3 attempts: Post \"http://127.0.0.1:1/v1/chat/completions\"") {
		t.Fatalf("error = %v", err)
	}
	if len(logs) != 2 {
		t.Fatalf("logs = %q, want 2 lines", logs)
	}
	if strings.Contains(err.Error()+strings.Join(logs, ""), secret) {
		t.Fatal("key leaked")
	}
}

// TestChatContextCancelStops: the server would answer only after an hour
// and the client has no per-attempt timeout, so only the context can end
// the call. The minute's wait detects a client that ignores it (it would
// block for the hour), with no claim on how fast it stops.
func TestChatContextCancelStops(t *testing.T) {
	s := remotetest.NewServer(remotetest.Options{Probabilities: map[remotetest.Fault]float64{remotetest.FaultDelay: 1}, Delay: time.Hour})
	defer s.Close()
	c := newClient(s)
	c.Timeout = 0
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.Chat(ctx, msgs())
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		t.Fatal("Chat still waits for the server a minute after its context ended")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want DeadlineExceeded", err)
	}
	if n := s.Requests(); n != 1 {
		t.Fatalf("requests = %d, want 1", n)
	}
}

func TestLimiterBoundsInFlight(t *testing.T) {
	var cur, peak atomic.Int64
	rule := func(resp, crit string) (bool, string) {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		cur.Add(-1)
		return true, "ok"
	}
	s := remotetest.NewServer(remotetest.Options{Rule: rule})
	defer s.Close()
	c := newClient(s)
	c.Limiter = remote.NewLimiter(3)
	var wg sync.WaitGroup
	for range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Chat(context.Background(), msgs()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p != 3 {
		t.Fatalf("peak in flight = %d, want 3", p)
	}
	if c.Limiter.InFlight() != 0 {
		t.Fatal("limiter slots leaked")
	}
}

func TestRetryAfterHonouredAndCapped(t *testing.T) {
	s := remotetest.NewServer(remotetest.Options{Schedule: []remotetest.Fault{remotetest.Fault429, remotetest.Fault429}, RetryAfter: "1"})
	defer s.Close()
	c := newClient(s)
	c.BaseBackoff = time.Millisecond
	c.MaxBackoff = 60 * time.Millisecond // caps the 1s Retry-After
	var logs []string
	c.Log = func(l string) { logs = append(logs, l) }
	if _, err := c.Chat(context.Background(), msgs()); err != nil {
		t.Fatal(err)
	}
	// The waits the client chose (it logs each before it waits): the
	// server's 1 s, capped; not how long the run took.
	if len(logs) != 2 || !strings.HasSuffix(logs[0], "retrying in 60ms") || !strings.HasSuffix(logs[1], "retrying in 60ms") {
		t.Fatalf("logs = %q, want two waits of 60ms", logs)
	}
	if n := s.Requests(); n != 3 {
		t.Fatalf("requests = %d, want 3", n)
	}
}

func TestChatMalformedReplyFields(t *testing.T) {
	// A 200 body with no choices and one with null content are retried
	// and finally reported.
	s := remotetest.NewServer(remotetest.Options{Probabilities: map[remotetest.Fault]float64{remotetest.FaultBadBody: 1}})
	defer s.Close()
	c := newClient(s)
	c.MaxRetries = 1
	_, err := c.Chat(context.Background(), msgs())
	if err == nil || !strings.HasPrefix(err.Error(), "remote: giving up after 2 attempts: remote: malformed chat-completion reply: ") {
		t.Fatalf("error = %v", err)
	}
}

func TestNewLimiterPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("NewLimiter(0) did not panic")
		}
	}()
	remote.NewLimiter(0)
}
