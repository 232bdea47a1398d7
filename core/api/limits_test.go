package api_test

import (
	"context"
	"strings"
	"testing"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"

	"github.com/rcsd-dev/rcsd/core/api"
)

// playgroundBody is a playground request scoring item with the demo
// model under the rcsd preset, with extra fields.
func playgroundBody(t *testing.T, item map[string]any, extra string) []byte {
	t.Helper()
	ib, err := json.Marshal(item)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal("schema_version: 1\npreset: rcsd\nprompt:\n  chat: plain\n")
	ibs, _ := json.Marshal(string(ib))
	return []byte(`{"config": ` + string(cfg) + `, "item": ` + string(ibs) + extra + `}`)
}

func mathItem(t *testing.T) map[string]any {
	t.Helper()
	var item map[string]any
	if err := json.Unmarshal([]byte(firstLine(t, "../../examples/math.jsonl")), &item); err != nil {
		t.Fatal(err)
	}
	delete(item, "labels")
	return item
}

// Every size-like input of the playground past its bound is refused with
// a 400 naming the path and the bound, before any of it is allocated
// (top_k 1e9 was a fatal out-of-memory of the whole server); a top-k past
// the demo model's vocabulary is clamped to it.
func TestPlaygroundLimits(t *testing.T) {
	h := api.Host{Scorer: demoScorer(t)}
	many := mathItem(t)
	resp := make([]any, api.MaxScoredResponses+1)
	for i := range resp {
		resp[i] = "Short."
	}
	many["responses"] = resp
	long := mathItem(t)
	long["responses"] = []any{strings.Repeat("The sum is found by inclusion and exclusion. ", 7000)}
	wide := mathItem(t)
	wide["responses"] = []any{strings.Repeat("The sum is found by inclusion and exclusion. ", 60)}
	cases := []struct {
		name   string
		body   []byte
		status int
		want   string
	}{
		{"top_k 1e9", playgroundBody(t, mathItem(t), `, "top_k": 1000000000`), 400,
			`"code":"over-limit","message":"top-k 1000000000 is not in [0, 4096] (alternatives per position and context; the most any backend lists)","path":"$.top_k"`},
		{"top_k negative", playgroundBody(t, mathItem(t), `, "top_k": -1`), 400, `"message":"top-k -1 is not in [0, 4096]","path":"$.top_k"`},
		{"alternatives 1e9", playgroundBody(t, mathItem(t), `, "alternatives": 1000000000`), 400, `"path":"$.alternatives"`},
		{"65 responses", playgroundBody(t, many, ``), 400, `"message":"65 responses; at most 64 of one item are scored","file":"item","line":1,"path":"$.responses"`},
		{"tokens with attribution", playgroundBody(t, long, `, "attribution": true`), 400, `× 7 contexts); at most 262,144 per item: send fewer or shorter responses, or turn attribution off (each of the 5 criteria is one more context)`},
		{"alternatives budget", playgroundBody(t, wide, `, "top_k": 4096`), 400, `alternatives (`},
		{"top_k clamped to the vocabulary", playgroundBody(t, mathItem(t), `, "top_k": 4096, "compact": true, "skip_loss": false`), 200, `"top_k\":3392`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.status == 200 {
				// Clamped: the traces say the k used; one short response.
				it := mathItem(t)
				it["responses"] = []any{"The answer is 2418."}
				c.body = playgroundBody(t, it, `, "top_k": 4096, "return_traces": true`)
			}
			r := api.Call(context.Background(), h, api.MethodPlayground, c.body)
			if r.Status != c.status || !strings.Contains(string(r.Body), c.want) {
				t.Errorf("%d %.600s\nwant %d containing %s", r.Status, r.Body, c.status, c.want)
			}
		})
	}
}

// A request still computing at the compute deadline gets 503
// compute-timeout, never a result cut short; a cancelled one 503
// cancelled.
func TestCallStopsAtTheDeadline(t *testing.T) {
	body := playgroundBody(t, mathItem(t), ``)
	r := api.Call(context.Background(), api.Host{Scorer: demoScorer(t), Limits: api.Limits{ComputeTimeout: 1}}, api.MethodPlayground, body)
	if r.Status != 503 || !strings.Contains(string(r.Body), `"code":"compute-timeout","message":"the request was still computing after 1ns, this host's compute limit per request;`) {
		t.Errorf("deadline: %d %s", r.Status, r.Body)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r = api.Call(ctx, api.Host{Scorer: demoScorer(t)}, api.MethodPlayground, body)
	if r.Status != 503 || !strings.Contains(string(r.Body), `"code":"cancelled"`) {
		t.Errorf("cancelled: %d %s", r.Status, r.Body)
	}
}
