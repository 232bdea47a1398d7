package bridge

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rcsd-dev/rcsd/core/api"
)

type envelopeReply struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
}

func decodeEnvelope(t *testing.T, s string) envelopeReply {
	t.Helper()
	var e envelopeReply
	if err := json.Unmarshal([]byte(s), &e); err != nil {
		t.Fatalf("envelope is not JSON: %v\n%s", err, s)
	}
	return e
}

func TestVersionAndEnvelope(t *testing.T) {
	b := New()
	var v VersionInfo
	if err := json.Unmarshal([]byte(b.Version()), &v); err != nil {
		t.Fatal(err)
	}
	if v.Protocol != Protocol || v.EngineVersion != api.EngineVersion || v.Model || v.Grader || len(v.Methods) == 0 {
		t.Errorf("version %+v", v)
	}
	e := decodeEnvelope(t, b.Call(context.Background(), "validate", []byte(`{"content": 3}`)))
	if e.Status != 400 || !strings.Contains(string(e.Body), `"path":"$.content"`) {
		t.Errorf("bad request: %d %s", e.Status, e.Body)
	}
	e = decodeEnvelope(t, b.Call(context.Background(), "nope", []byte(`{}`)))
	if e.Status != 404 {
		t.Errorf("unknown method: %d %s", e.Status, e.Body)
	}
	if err := b.SetModel([]byte("not a model")); err == nil {
		t.Error("SetModel accepted garbage")
	}
}

// The site's Worker checks the bridge's protocol against its own
// constant; the two must agree.
func TestWorkerProtocolMatches(t *testing.T) {
	src, err := os.ReadFile("../../site/worker.js")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`const BRIDGE_PROTOCOL = (\d+);`).FindSubmatch(src)
	if m == nil {
		t.Fatal("site/worker.js has no BRIDGE_PROTOCOL constant")
	}
	if n, _ := strconv.Atoi(string(m[1])); n != Protocol {
		t.Errorf("site/worker.js speaks protocol %d, the bridge %d", n, Protocol)
	}
}

func TestModelGivesLoss(t *testing.T) {
	data, err := os.ReadFile("../../core/lm/demo/model.bin.gz")
	if err != nil {
		t.Fatal(err)
	}
	b := New()
	if err := b.SetModel(data); err != nil {
		t.Fatal(err)
	}
	req, _ := json.Marshal(api.PlaygroundRequest{
		Config: "schema_version: 1\npreset: rcsd\nprompt:\n  chat: plain\n",
		Rubric: `[{"title": "Paris", "description": "Essential Criteria: Names Paris.", "weight": 5}]`,
		Item:   `{"prompt": "Capital of France?", "responses": ["The capital is Paris.", "Lyon."]}`,
	})
	e := decodeEnvelope(t, b.Call(context.Background(), api.MethodPlayground, req))
	var body struct {
		Loss *struct {
			Source  string            `json:"source"`
			Results []json.RawMessage `json:"results"`
		} `json:"loss"`
	}
	if err := json.Unmarshal(e.Body, &body); err != nil || e.Status != 200 {
		t.Fatalf("%d %v %s", e.Status, err, e.Body)
	}
	if body.Loss == nil || body.Loss.Source != "scorer" || len(body.Loss.Results) != 2 {
		t.Errorf("loss %+v", body.Loss)
	}
	// The compact form without alternatives, and the alternatives of a
	// token on demand: those of the full reply.
	full := decodeEnvelope(t, b.Call(context.Background(), api.MethodPlayground, req))
	var fb struct {
		Loss api.PlaygroundLoss `json:"loss"`
	}
	if err := json.Unmarshal(full.Body, &fb); err != nil {
		t.Fatal(err)
	}
	var pr api.PlaygroundRequest
	_ = json.Unmarshal(req, &pr)
	pr.Compact, pr.NoAlternatives = true, true
	creq, _ := json.Marshal(pr)
	var cb struct {
		Loss api.PlaygroundLoss `json:"loss"`
	}
	if err := json.Unmarshal(decodeEnvelope(t, b.Call(context.Background(), api.MethodPlayground, creq)).Body, &cb); err != nil || cb.Loss.TracesID == "" {
		t.Fatalf("compact: %v %+v", err, cb.Loss)
	}
	dreq, _ := json.Marshal(DetailsRequest{TracesID: cb.Loss.TracesID, Result: 1, From: 0, To: 2})
	var got struct {
		Tokens []api.TokenDetails `json:"tokens"`
	}
	if err := json.Unmarshal([]byte(b.Details(dreq)), &got); err != nil || len(got.Tokens) != 2 {
		t.Fatalf("details: %v %+v", err, got)
	}
	if got.Tokens[1].Text != fb.Loss.Tokens[1][1].Text || len(got.Tokens[1].Teacher) != len(fb.Loss.Tokens[1][1].Teacher) ||
		got.Tokens[1].Teacher[0] != fb.Loss.Tokens[1][1].Teacher[0] {
		t.Errorf("details %+v, reply %+v", got.Tokens[1], fb.Loss.Tokens[1][1])
	}
	if d := b.Details([]byte(`{"traces_id": "gone", "to": 1}`)); d != `{"tokens":null}` {
		t.Errorf("details of an unknown reply: %s", d)
	}
}

// With a grader set, the llm judge runs through the bridge; cleared, it
// is reported unavailable.
func TestSetGrader(t *testing.T) {
	b := New()
	post := func(context.Context, string, map[string]string, []byte) (int, []byte, error) {
		return 200, []byte(`{"choices":[{"message":{"content":"{\"explanation\": \"names it\", \"criteria_met\": true}"}}]}`), nil
	}
	req, _ := json.Marshal(api.PlaygroundRequest{
		Config: "schema_version: 1\njudge:\n  kind: llm\n  url: https://api.example/v1\n  model: g\n",
		Rubric: `[{"title": "Paris", "description": "Essential Criteria: Names Paris.", "weight": 5}]`,
		Item:   `{"prompt": "Capital of France?", "response": "Paris."}`,
	})
	body := string(decodeEnvelope(t, b.Call(context.Background(), api.MethodPlayground, req)).Body)
	if !strings.Contains(body, api.CodeLLMUnavailable) {
		t.Errorf("without a grader: %s", body)
	}
	if err := b.SetGrader([]byte(`{"url": "https://api.example/v1", "model": "g", "key": "k"}`), post); err != nil {
		t.Fatal(err)
	}
	body = string(decodeEnvelope(t, b.Call(context.Background(), api.MethodPlayground, req)).Body)
	if !strings.Contains(body, `"met":true,"status":"met","judge":"llm"`) {
		t.Errorf("with a grader: %s", body)
	}
	if err := b.SetGrader([]byte(`{"url": "", "model": ""}`), post); err != nil {
		t.Fatal(err)
	}
	if err := b.SetGrader([]byte(`{"url": "x", "kye": "k"}`), post); err == nil {
		t.Error("unknown field accepted")
	}
	var v VersionInfo
	_ = json.Unmarshal([]byte(b.Version()), &v)
	if v.Grader {
		t.Error("grader not cleared")
	}
}
