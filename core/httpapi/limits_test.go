package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"

	"github.com/rcsd-dev/rcsd/core/api"
	"github.com/rcsd-dev/rcsd/core/httpapi"
	"github.com/rcsd-dev/rcsd/core/lm"
	"github.com/rcsd-dev/rcsd/core/lm/demo"
)

// hookScorer is the demo model behind a hook: its first Score call tells
// started and waits until the request's context ends; every call is
// counted.
type hookScorer struct {
	lm.Scorer
	calls   atomic.Int32
	started chan struct{}
	ended   chan error
}

func (h *hookScorer) Score(ctx context.Context, c, cont []int, k int) ([]lm.Position, error) {
	if h.calls.Add(1) == 1 {
		close(h.started)
		select {
		case <-ctx.Done():
			h.ended <- ctx.Err()
			return nil, ctx.Err()
		case <-time.After(time.Minute): // a safety net, not a measure
			h.ended <- nil
		}
	}
	return h.Scorer.Score(ctx, c, cont, k)
}

// When the client goes away, the request's context ends and the work
// stops: the scorer sees the cancellation and is not called again for
// the item's other responses (each was scored to its end before).
func TestClientGoneStopsTheWork(t *testing.T) {
	m, err := demo.Load()
	if err != nil {
		t.Fatal(err)
	}
	hs := &hookScorer{Scorer: lm.Demo(m), started: make(chan struct{}), ended: make(chan error, 1)}
	logged := make(chan string, 1)
	srv := httptest.NewServer(httpapi.New(httpapi.Options{Host: api.Host{Scorer: hs}, Log: func(l string) { logged <- l }}))
	defer srv.Close()
	line, err := os.ReadFile("../../examples/math.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	item, _, _ := strings.Cut(string(line), "\n")
	cfg, _ := json.Marshal("schema_version: 1\npreset: rcsd\nprompt:\n  chat: plain\n")
	ib, _ := json.Marshal(item)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/api/v1/playground", strings.NewReader(`{"config": `+string(cfg)+`, "item": `+string(ib)+`}`))
	req.Header.Set("Content-Type", "application/json")
	go func() {
		<-hs.started
		cancel() // the client leaves while the first response is scored
	}()
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the request finished: %d", resp.StatusCode)
	}
	if err := <-hs.ended; err != context.Canceled {
		t.Errorf("the scorer's context ended with %v, want context.Canceled", err)
	}
	l := <-logged // the handler returned
	if n := hs.calls.Load(); n != 1 {
		t.Errorf("the scorer was called %d times; want 1 (the work goes on after the client left)", n)
	}
	if !strings.Contains(l, `"/api/v1/playground" 503`) {
		t.Errorf("log line %q", l)
	}
}

// Requests beyond MaxInFlight wait for a slot; one that finds none within
// the compute limit gets 503 server-busy, and the server goes on.
func TestBusy(t *testing.T) {
	release := make(chan struct{})
	hs := &blockScorer{release: release, started: make(chan struct{}, 8)}
	srv := httptest.NewServer(httpapi.New(httpapi.Options{MaxInFlight: 1,
		Host: api.Host{Scorer: hs, Limits: api.Limits{ComputeTimeout: 50 * time.Millisecond}}}))
	defer srv.Close()
	body := `{"config": "schema_version: 1\npreset: rcsd\nprompt:\n  chat: plain\n", "item": "{\"prompt\": \"Q?\", \"response\": \"A.\", \"rubric\": [{\"criterion\": \"Says A.\", \"points\": 1}]}"}`
	first := make(chan reply, 1)
	go func() {
		first <- do(t, "POST", srv.URL+"/api/v1/playground", "application/json", strings.NewReader(body))
	}()
	<-hs.started
	r := do(t, "POST", srv.URL+"/api/v1/playground", "application/json", strings.NewReader(body))
	if r.status != 503 || !strings.Contains(r.body, `"code":"server-busy"`) {
		t.Errorf("second request: %d %s", r.status, r.body)
	}
	close(release)
	if r := <-first; r.status != 503 || !strings.Contains(r.body, `"code":"compute-timeout"`) {
		t.Errorf("first request: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", srv.URL+"/api/v1/version", "", nil); r.status != 200 {
		t.Errorf("version after: %d", r.status)
	}
}

// blockScorer holds its first call until release and the deadline.
type blockScorer struct {
	release chan struct{}
	started chan struct{}
}

func (b *blockScorer) Tokenize(_ context.Context, text string) ([]int, error) {
	return make([]int, len(text)), nil
}

func (b *blockScorer) Score(ctx context.Context, c, cont []int, k int) ([]lm.Position, error) {
	b.started <- struct{}{}
	<-b.release
	<-ctx.Done() // past the compute limit, whatever the timers' lag
	return nil, ctx.Err()
}
