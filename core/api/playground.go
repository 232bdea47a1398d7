package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"

	"github.com/rcsd-dev/rcsd/core/config"
	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/eval"
	"github.com/rcsd-dev/rcsd/core/judge"
	"github.com/rcsd-dev/rcsd/core/lm"
	"github.com/rcsd-dev/rcsd/core/rubric"
	"github.com/rcsd-dev/rcsd/core/score"
	"github.com/rcsd-dev/rcsd/core/trace"
)

// PlaygroundRequest is everything the playground shows, computed in one
// call: the rubric's diagnostics, the per-criterion verdicts and scores,
// the GRPO advantages across the responses, both contexts, and the
// conditioned loss token by token.
type PlaygroundRequest struct {
	// Config is an rcsd config (YAML or JSON): judge, scoring, preset,
	// prompt, loss and trace sections, exactly what `rcsd eval --config`
	// and `rcsd loss --config` read. ConfigFile names it in diagnostics.
	Config     string `json:"config"`
	ConfigFile string `json:"config_file,omitempty"`
	// Rubric is the rubric file's text (YAML or JSON, any importable
	// format); RubricFile names it ("rubric.yaml").
	Rubric     string `json:"rubric"`
	RubricFile string `json:"rubric_file,omitempty"`
	// Item is one record as `rcsd eval` reads it (prompt, reference_answer,
	// responses, labels); without a rubric of its own it takes Rubric.
	Item string `json:"item"`
	// Traces, when set, is JSONL in the `rcsd loss` trace format: the loss
	// is computed from them instead of from the host's scorer.
	Traces string `json:"traces,omitempty"`
	// Attribution also scores the teacher conditioned on each criterion
	// alone (host scorer only), for the per-criterion view.
	Attribution bool `json:"attribution,omitempty"`
	// TopK is the number of alternatives per position the host scorer
	// returns (0: 20, RCSD's teacher top-k).
	TopK int `json:"top_k,omitempty"`
	// Alternatives is how many top alternatives per side and position the
	// response carries for hover details (0: 5).
	Alternatives int `json:"alternatives,omitempty"`
	// SkipLoss leaves the loss out (Loss is nil): the page's fast first
	// pass after an edit that needs the model to score again, so the
	// verdicts and scores show before the slower log-probs.
	SkipLoss bool `json:"skip_loss,omitempty"`
	// ReturnTraces puts the scored traces in the response (Loss.Traces,
	// JSONL in the `rcsd loss` trace format) for the page to download.
	ReturnTraces bool `json:"return_traces,omitempty"`
}

// PlaygroundResponse is what the page renders.
type PlaygroundResponse struct {
	// Diagnostics of every input, each with its file ("rubric.yaml",
	// "item", "config.yaml", "traces"), line, column and JSON path.
	Diagnostics diag.List      `json:"diagnostics"`
	Rubric      *rubric.Rubric `json:"rubric,omitempty"`
	// Results hold one entry per response: verdicts with evidence, the
	// score under the configured rule, the GRPO advantage.
	Results []eval.Result `json:"results"`
	// Scores are every response's score under every scoring rule, for the
	// rule comparison table (rule → one score per response, null when
	// undefined).
	Scores   []RuleScores  `json:"scores"`
	Summary  Metrics       `json:"summary"`
	Contexts []ContextPair `json:"contexts"`
	// Loss is the conditioned loss, one trace per response (or per pasted
	// trace), with each token's text and top alternatives.
	Loss *PlaygroundLoss `json:"loss,omitempty"`
	// Timings in milliseconds per stage, measured inside the core.
	Timings       map[string]float64 `json:"timings"`
	EngineVersion string             `json:"engine_version"`
}

// RuleScores is one scoring rule's score of each response.
type RuleScores struct {
	Rule   string     `json:"rule"`
	Scores []*float64 `json:"scores"`
}

// PlaygroundLoss is the loss of the playground's traces.
type PlaygroundLoss struct {
	// Source is "scorer" (the host's model, e.g. the embedded demo model)
	// or "traces" (pasted).
	Source  string           `json:"source"`
	Results []trace.Result   `json:"results"`
	Summary trace.Summary    `json:"summary"`
	Tokens  [][]TokenDetails `json:"tokens"`
	// Cached reports that the host's trace cache answered, so the model
	// scored nothing for this call (see TraceCache).
	Cached bool `json:"cached,omitempty"`
	// Traces is the scored traces as JSONL when the request asked for
	// them (ReturnTraces).
	Traces string `json:"traces,omitempty"`
}

// TokenDetails is what hovering a token shows: its text and both sides'
// most probable alternatives.
type TokenDetails struct {
	Text    string   `json:"text"`
	Student []lm.Alt `json:"student,omitempty"`
	Teacher []lm.Alt `json:"teacher,omitempty"`
}

// PlaygroundRules lists the scoring rules compared side by side.
var PlaygroundRules = []string{"healthbench", "rar", "rar-category", "research", "weighted"}

// Playground computes everything the playground shows for one item. It
// reports every problem as a diagnostic and computes what it still can:
// a rubric with errors stops judging, not the display of its diagnostics.
func Playground(ctx context.Context, req PlaygroundRequest, grader lm.Chatter, scorer lm.Scorer) PlaygroundResponse {
	return playground(ctx, req, grader, scorer, nil)
}

func playground(ctx context.Context, req PlaygroundRequest, grader lm.Chatter, scorer lm.Scorer, cache *TraceCache) PlaygroundResponse {
	resp := PlaygroundResponse{Diagnostics: diag.List{}, Results: []eval.Result{}, Scores: []RuleScores{},
		Contexts: []ContextPair{}, Timings: map[string]float64{}, EngineVersion: EngineVersion}
	clock := time.Now()
	lap := func(name string) {
		now := time.Now()
		resp.Timings[name] = float64(now.Sub(clock).Microseconds()) / 1000
		clock = now
	}
	add := func(dl diag.List) { resp.Diagnostics = append(resp.Diagnostics, dl...) }

	cfgFile := req.ConfigFile
	if cfgFile == "" {
		cfgFile = "config.yaml"
	}
	cfg, dl := config.Parse(cfgFile, []byte(req.Config))
	add(dl)
	rubricFile := req.RubricFile
	if rubricFile == "" {
		rubricFile = "rubric.yaml"
	}
	var shared *rubric.Rubric
	if strings.TrimSpace(req.Rubric) != "" {
		r, dl := rubric.Load(rubricFile, []byte(req.Rubric))
		add(dl)
		if r != nil && !dl.HasErrors() {
			shared, resp.Rubric = r, r
		}
	}
	lap("parse")
	if cfg == nil {
		return resp
	}

	// Judge and score.
	ecfg := EvalConfig{Judge: cfg.Judge.Kind, Scoring: string(cfg.Scoring.Rule), GRPO: cfg.Scoring.GRPO, Rubric: shared}
	if ecfg.Judge == judge.KindLLM {
		if grader == nil {
			add(diag.List{diag.Errorf(CodeLLMUnavailable, "$.judge.kind", "the llm judge needs a grader URL and key (none is set here)")}.WithFile(cfgFile))
			return resp
		}
		mode := judge.LLMMode(cfg.Judge.Mode)
		if mode == "" {
			mode = judge.PerCriterion
		}
		j, err := judge.NewLLM(grader, mode)
		if err != nil {
			add(diag.List{diag.Errorf(CodeLLMUnavailable, "$.judge", "%v", err)}.WithFile(cfgFile))
			return resp
		}
		ecfg.LLM = j
	}
	ev, err := NewEvaluator(ecfg)
	if err != nil {
		add(diag.List{diag.Errorf("bad-config", "$.scoring", "%v", err)}.WithFile(cfgFile))
		return resp
	}
	item := strings.TrimSpace(req.Item)
	if item == "" {
		add(diag.List{diag.Errorf(CodeBadRequest, "$.item", "no item: give a prompt and at least one response")})
		return resp
	}
	it, dl := eval.ParseItem([]byte(item), 1, eval.ParseOptions{File: "item", Rubric: shared})
	add(dl)
	if it == nil {
		return resp
	}
	if it.Rubric != shared {
		resp.Rubric = it.Rubric
	}
	resp.Results = ev.ev.Evaluate(ctx, it)
	sum := eval.NewSummary()
	sum.Add(it, resp.Results)
	if len(sum.Scores()) > 0 {
		resp.Summary = Aggregate(sum, 0, -1)
	}
	resp.Scores = ruleScores(it, resp.Results)
	lap("judge")

	// Contexts.
	popts := cfg.PromptOptions()
	resp.Contexts = ev.Contexts(ctx, it, popts)
	for _, p := range resp.Contexts {
		add(p.Diagnostics)
	}
	lap("contexts")

	// The conditioned loss.
	if req.SkipLoss {
		return resp
	}
	lc, ldl := NewLossComputer(LossConfig{Loss: cfg.LossOptions(), Trace: cfg.Trace})
	add(ldl.WithFile(cfgFile))
	if lc == nil {
		return resp
	}
	var traces []*trace.Trace
	pl := &PlaygroundLoss{Results: []trace.Result{}, Tokens: [][]TokenDetails{}}
	switch {
	case strings.TrimSpace(req.Traces) != "":
		pl.Source = "traces"
		eachLine(req.Traces, func(line string, lineNo int) {
			tr, dl := trace.Parse([]byte(line), lineNo, "traces")
			add(dl)
			if tr != nil && !dl.HasErrors() {
				traces = append(traces, tr)
			}
		})
	case scorer != nil:
		pl.Source = "scorer"
		lcfg := LogprobsConfig{Prompt: popts, TopK: req.TopK, Attribution: req.Attribution}
		key := cache.key(it, resp.Contexts, lcfg)
		if e, ok := cache.get(key); ok {
			traces, pl.Cached = e.traces, true
			add(e.diags)
		} else {
			trs, dl := ev.Traces(ctx, scorer, it, lcfg)
			add(dl)
			traces = trs
			if ctx.Err() == nil {
				cache.put(key, traceEntry{traces: trs, diags: dl})
			}
		}
		if req.ReturnTraces {
			var sb strings.Builder
			for _, tr := range traces {
				sb.Write(trace.Encode(tr))
				sb.WriteByte('\n')
			}
			pl.Traces = sb.String()
		}
	default:
		return resp
	}
	lap("logprobs")
	nalt := req.Alternatives
	if nalt <= 0 {
		nalt = 5
	}
	batch := trace.NewBatch(cfg.LossOptions().Reduction)
	for _, tr := range traces {
		res, err := lc.comp.Compute(tr)
		if err != nil {
			add(errDiags(err, "").WithFile(tr.File))
			continue
		}
		add(CheckLoss(tr, &res, tr.File, tr.Line))
		batch.Add(&res)
		pl.Results = append(pl.Results, res)
		pl.Tokens = append(pl.Tokens, tokenDetails(tr, nalt))
	}
	pl.Summary = batch.Summary()
	resp.Loss = pl
	lap("loss")
	return resp
}

// ruleScores scores every response under each of PlaygroundRules from
// the verdicts already found (judging once).
func ruleScores(it *eval.Item, results []eval.Result) []RuleScores {
	out := make([]RuleScores, 0, len(PlaygroundRules))
	for _, name := range PlaygroundRules {
		rs := RuleScores{Rule: name, Scores: make([]*float64, len(results))}
		rule, err := score.ParseRule(name)
		if err != nil || it.Rubric == nil {
			continue
		}
		for i, r := range results {
			met := make([]*bool, len(r.Criteria))
			for k, v := range r.Criteria {
				met[k] = v.Met
			}
			if s, ok := rule.Score(it.Rubric.Criteria, met); ok {
				rs.Scores[i] = &s
			}
		}
		out = append(out, rs)
	}
	return out
}

// tokenDetails lists each completion token's text and the n most probable
// alternatives on each side.
func tokenDetails(tr *trace.Trace, n int) []TokenDetails {
	out := make([]TokenDetails, len(tr.Student))
	for i := range tr.Student {
		out[i] = TokenDetails{Text: tokenText(tr, i), Student: topAlts(tr.Student[i].Top, n)}
		if i < len(tr.Teacher) {
			out[i].Teacher = topAlts(tr.Teacher[i].Top, n)
		}
	}
	return out
}

func topAlts(alts []lm.Alt, n int) []lm.Alt {
	s := append([]lm.Alt(nil), alts...)
	sort.SliceStable(s, func(i, j int) bool { return s[i].LogProb > s[j].LogProb })
	if len(s) > n {
		s = s[:n]
	}
	return s
}

// TraceCache keeps the traces a Scorer produced for the last few
// playground inputs, keyed by everything the traces depend on: the item's
// id and responses, both rendered contexts of each response, the
// per-criterion contexts' inputs and the top-k. A hit is exactly what
// scoring again would give, so an edit that changes only a loss setting,
// a label or the judge recomputes the loss without the model. It is safe
// for concurrent use; the zero value is not usable, use NewTraceCache.
// A nil *TraceCache caches nothing.
type TraceCache struct {
	mu      sync.Mutex
	max     int
	order   []string // least recently used first
	entries map[string]traceEntry
}

type traceEntry struct {
	traces []*trace.Trace
	diags  diag.List
}

// NewTraceCache returns a cache of at most n entries (n ≥ 1).
func NewTraceCache(n int) *TraceCache {
	return &TraceCache{max: max(n, 1), entries: map[string]traceEntry{}}
}

// Len returns the number of cached entries.
func (c *TraceCache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

func (c *TraceCache) key(it *eval.Item, pairs []ContextPair, cfg LogprobsConfig) string {
	if c == nil {
		return ""
	}
	type side struct {
		Student, Teacher   string
		Variant, Chat      string
		Thinking           bool
		StudentN, TeacherN int
	}
	k := struct {
		ID          string
		Responses   []string
		Sides       []side
		Prompt      any
		TopK        int
		Attribution bool
		Criteria    any
	}{ID: it.ID, Responses: it.Responses, Prompt: cfg.Prompt, TopK: cfg.TopK, Attribution: cfg.Attribution}
	for _, p := range pairs {
		k.Sides = append(k.Sides, side{Student: p.Student.Text, Teacher: p.Teacher.Text, Variant: string(p.Teacher.Variant),
			Chat: string(p.Teacher.Chat), Thinking: p.Teacher.Thinking, StudentN: len(p.Student.Messages), TeacherN: len(p.Teacher.Messages)})
	}
	if cfg.Attribution && it.Rubric != nil {
		k.Criteria = it.Rubric.Criteria
		k.Prompt = []any{cfg.Prompt, it.Prompt}
	}
	b, err := json.Marshal(k)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func (c *TraceCache) get(key string) (traceEntry, bool) {
	if c == nil || key == "" {
		return traceEntry{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if ok {
		c.touch(key)
	}
	return e, ok
}

func (c *TraceCache) put(key string, e traceEntry) {
	if c == nil || key == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; !ok && len(c.entries) >= c.max {
		delete(c.entries, c.order[0])
		c.order = c.order[1:]
	}
	c.entries[key] = e
	c.touch(key)
}

func (c *TraceCache) touch(key string) {
	c.order = slices.DeleteFunc(c.order, func(k string) bool { return k == key })
	c.order = append(c.order, key)
}
