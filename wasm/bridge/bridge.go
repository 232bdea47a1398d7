// Package bridge is everything the WebAssembly playground's main does
// besides converting values to and from JavaScript: the reply envelope,
// the version handshake, the demo model hand-over and the browser's llm
// grader (an OpenAI-compatible chat client over an injected POST, which
// the js/wasm main implements with fetch). It is untagged, so it is
// tested natively; wasm/main_js.go holds no logic.
package bridge

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"sync"

	"encoding/json"

	"github.com/rcsd-dev/rcsd/core/api"
	"github.com/rcsd-dev/rcsd/core/grader"
	"github.com/rcsd-dev/rcsd/core/lm"
	"github.com/rcsd-dev/rcsd/core/lm/demo"
)

// Protocol is the version of the bridge's JavaScript surface (the
// namespace's functions and the envelope). The Web Worker checks it
// against its own constant (site/worker.js, BRIDGE_PROTOCOL) before any
// call, so a stale .wasm beside newer page scripts is reported instead of
// misread. Bump both together.
const Protocol = 2

// Bridge holds the host the playground lends the core: the demo model
// (once its bytes arrive), the llm grader (once the user types a URL and
// key) and the playground cache. Safe for concurrent use.
type Bridge struct {
	mu   sync.Mutex
	host api.Host
}

// New returns a bridge with no model and no grader.
func New() *Bridge {
	return &Bridge{host: api.Host{Cache: api.NewPlaygroundCache(8)}}
}

// VersionInfo is the handshake's answer.
type VersionInfo struct {
	Protocol      int      `json:"protocol"`
	EngineVersion string   `json:"engine_version"`
	Methods       []string `json:"methods"`
	Model         bool     `json:"model"`
	Grader        bool     `json:"grader"`
}

// Version returns the handshake's JSON.
func (b *Bridge) Version() string {
	h := b.snapshot()
	out, _ := json.Marshal(VersionInfo{Protocol: Protocol, EngineVersion: api.EngineVersion, Methods: api.Methods(),
		Model: h.Scorer != nil, Grader: h.Grader != nil})
	return string(out)
}

func (b *Bridge) snapshot() api.Host {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.host
}

// Call runs one method of the core's JSON front door and returns the
// envelope {"status": N, "body": <the method's JSON reply>}. It never
// panics (api.Call recovers, and so does this).
func (b *Bridge) Call(ctx context.Context, method string, body []byte) (out string) {
	defer func() {
		if p := recover(); p != nil {
			out = envelope(500, []byte(`{"diagnostics":[{"severity":"error","code":"internal-error","message":"internal error in the bridge"}],"errors":1}`))
		}
	}()
	r := api.Call(ctx, b.snapshot(), method, body)
	return envelope(r.Status, r.Body)
}

func envelope(status int, body []byte) string {
	return `{"status":` + strconv.Itoa(status) + `,"body":` + string(body) + `}`
}

// DetailsRequest asks for the alternatives a compact playground reply
// left out (no_alternatives): tokens [from, to) of result Result of the
// reply whose loss.traces_id is TracesID.
type DetailsRequest struct {
	TracesID     string `json:"traces_id"`
	Result       int    `json:"result"`
	From         int    `json:"from"`
	To           int    `json:"to"`
	Alternatives int    `json:"alternatives,omitempty"`
}

// Details answers a DetailsRequest from the playground cache:
// {"tokens": [...]} (api.TokenDetails), or {"tokens": null} when the
// cache no longer holds that reply (the page then asks the playground
// again) or the request is malformed.
func (b *Bridge) Details(body []byte) string {
	var r DetailsRequest
	if err := json.Unmarshal(body, &r); err != nil {
		return `{"tokens":null}`
	}
	d, ok := b.snapshot().Cache.Alternatives(r.TracesID, r.Result, r.From, r.To, r.Alternatives)
	if !ok {
		return `{"tokens":null}`
	}
	out, err := json.Marshal(struct {
		Tokens []api.TokenDetails `json:"tokens"`
	}{d})
	if err != nil {
		return `{"tokens":null}`
	}
	return string(out)
}

// SetModel decodes the demo model's bytes (model.bin.gz, fetched by the
// Worker) and makes it the scorer of every later call.
func (b *Bridge) SetModel(data []byte) error {
	if err := demo.SetData(data); err != nil {
		return err
	}
	m, err := demo.Load()
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.host.Scorer = lm.Demo(m)
	return nil
}

// GraderConfig is what the page sends to set the llm grader. The key
// lives only in this process's memory (the Worker's): nothing writes it
// anywhere.
type GraderConfig struct {
	URL   string `json:"url"`
	Model string `json:"model"`
	Key   string `json:"key,omitempty"`
}

// SetGrader sets (or, with an empty URL, clears) the llm judge's grader.
func (b *Bridge) SetGrader(cfgJSON []byte, post grader.Post) error {
	var c GraderConfig
	dec := json.NewDecoder(bytes.NewReader(cfgJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return fmt.Errorf("grader settings: %v", err)
	}
	var g lm.Chatter
	if c.URL != "" {
		ch, err := grader.NewChatter(c.URL, c.Model, c.Key, post)
		if err != nil {
			return err
		}
		g = ch
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.host.Grader = g
	return nil
}
