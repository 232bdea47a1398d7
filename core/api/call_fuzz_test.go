package api_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/rcsd-dev/rcsd/core/api"
)

// FuzzCall: whatever the body, every method answers with a JSON reply and
// a status among 200 (the request was read; problems are diagnostics),
// 400 (the body is not the method's request) and 404 (no such method),
// and never a 500, which would mean a panic inside the core.
func FuzzCall(f *testing.F) {
	seeds := []struct{ method, body string }{
		{"validate", `{"file": "r.yaml", "content": "schema_version: 1\ncriteria:\n  - id: a\n    description: x\n    weight: 1\n"}`},
		{"validate", `{"kind": "items", "content": "{\"prompt\": \"q\", \"response\": \"a\", \"rubric\": [{\"criterion\": \"c\", \"points\": 1}]}"}`},
		{"evaluate", `{"items": "{\"prompt\": \"q\", \"responses\": [\"a\", \"b\"], \"rubric\": [{\"criterion\": \"c\", \"points\": 1}]}", "config": {"grpo": "trl"}}`},
		{"loss", `{"traces": "{\"id\": \"t\", \"student\": [], \"teacher\": []}", "config": {"loss": {"divergence": "forward"}}}`},
		{"contexts", `{"items": "{\"prompt\": \"q\", \"response\": \"a\", \"rubric\": [{\"criterion\": \"c\", \"points\": 1}]}", "prompt": {"chat": "plain"}}`},
		{"playground", `{"config": "schema_version: 1\npreset: rcsd\n", "rubric": "- criterion: c\n  points: 1\n", "item": "{\"prompt\": \"q\", \"response\": \"a\"}"}`},
		{"export", `{"target": "trl-sdft", "config": "schema_version: 1\npreset: rcsd\n"}`},
		{"version", ``},
		{"nope", `{}`},
	}
	for _, s := range seeds {
		f.Add(s.method, s.body)
	}
	f.Fuzz(func(t *testing.T, method, body string) {
		r := api.Call(context.Background(), api.Host{}, method, []byte(body))
		switch r.Status {
		case 200, 400, 404:
		default:
			t.Fatalf("%s %q: status %d: %s", method, body, r.Status, r.Body)
		}
		if !json.Valid(r.Body) {
			t.Fatalf("%s %q: the reply is not JSON: %q", method, body, r.Body)
		}
	})
}

// FuzzPlayground: any config, rubric, item and traces text give a reply
// (diagnostics for what is wrong), never a panic.
func FuzzPlayground(f *testing.F) {
	f.Add("schema_version: 1\npreset: rcsd\nprompt: {chat: plain}\n", "- criterion: Names Paris.\n  points: 5\n",
		`{"prompt": "Capital of France?", "responses": ["Paris.", "Lyon."]}`, "")
	f.Add("schema_version: 1\njudge: {kind: rules}\nloss: {divergence: jsd, beta: 0.5}\n", `[{"title": "a", "description": "b", "weight": 1}]`,
		`{"prompt": "q", "response": "a", "labels": [true]}`, `{"id": "t", "student": [{"token_id": 1, "logprob": -1}], "teacher": [{"token_id": 1, "logprob": -2}]}`)
	f.Fuzz(func(t *testing.T, cfg, rubric, item, traces string) {
		resp := api.Playground(context.Background(), api.PlaygroundRequest{Config: cfg, Rubric: rubric, Item: item, Traces: traces}, nil, nil)
		if _, err := json.Marshal(resp); err != nil {
			t.Fatalf("the reply does not encode: %v", err)
		}
	})
}
