package api

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"sort"
	"strconv"
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
	// Compact gives the loss per token as columns (Loss.Columns: only
	// what the page draws) instead of full per-token results: each
	// Loss.Results entry then has empty token lists, and Loss.TokensID
	// names the token texts and alternatives of the reply.
	Compact bool `json:"compact,omitempty"`
	// NoAlternatives leaves the alternatives out of the token details
	// (texts only); a host with a PlaygroundCache gives them on demand
	// (PlaygroundCache.Alternatives, by Loss.TracesID).
	NoAlternatives bool `json:"no_alternatives,omitempty"`
	// KnownTokens is the TokensID of token details the caller already
	// has (Compact only): when the reply's would be the same, Loss.Tokens
	// is left out (null) and the caller reuses its own.
	KnownTokens string `json:"known_tokens,omitempty"`
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
	Source  string         `json:"source"`
	Results []trace.Result `json:"results"`
	Summary trace.Summary  `json:"summary"`
	// Tokens are each result's token texts and alternatives; null when
	// the request's KnownTokens equals TokensID.
	Tokens [][]TokenDetails `json:"tokens"`
	// TokensID identifies Tokens (Compact requests only): equal ids mean
	// equal token details. Without alternatives (NoAlternatives) it
	// depends on the token texts only, so an edit that re-scores the
	// teacher keeps it.
	TokensID string `json:"tokens_id,omitempty"`
	// TracesID names this reply's traces for PlaygroundCache.Alternatives
	// (Compact requests only).
	TracesID string `json:"traces_id,omitempty"`
	// Columns are the per-token values of each result, in columns
	// (Compact requests only).
	Columns []TokenColumns `json:"columns,omitempty"`
	// Cached reports that the host's trace cache answered, so the model
	// scored nothing for this call (see TraceCache).
	Cached bool `json:"cached,omitempty"`
	// Traces is the scored traces as JSONL when the request asked for
	// them (ReturnTraces).
	Traces string `json:"traces,omitempty"`
}

// TokenColumns are one result's per-token values as columns: what the
// playground draws, the same numbers as the result's tokens (JSON numbers
// in the shortest form that reads back to the same float64).
type TokenColumns struct {
	ID string `json:"id"`
	// Divergence, Advantage (A_t at τ, 0 without HasAdvantage),
	// LogProbStudent and LogProbTeacher as in trace.Token.
	Divergence     []float64 `json:"divergence"`
	Advantage      []float64 `json:"advantage"`
	LogProbStudent []float64 `json:"logprob_student"`
	LogProbTeacher []float64 `json:"logprob_teacher"`
	// Flags has one digit per token: the sum of 1 (valid), 2 (clipped)
	// and 4 (has_advantage).
	Flags string `json:"flags"`
	// Criteria are the per-criterion divergences (attribution).
	Criteria []CriterionColumns `json:"criteria,omitempty"`
}

// CriterionColumns is one criterion's per-token divergence.
type CriterionColumns struct {
	ID         string    `json:"id"`
	Divergence []float64 `json:"divergence"`
}

// Token flags of TokenColumns.Flags.
const (
	FlagValid        = 1
	FlagClipped      = 2
	FlagHasAdvantage = 4
)

func columnsOf(res *trace.Result) TokenColumns {
	n := len(res.Tokens)
	c := TokenColumns{ID: res.ID, Divergence: make([]float64, n), Advantage: make([]float64, n),
		LogProbStudent: make([]float64, n), LogProbTeacher: make([]float64, n)}
	flags := make([]byte, n)
	for i := range res.Tokens {
		t := &res.Tokens[i]
		c.Divergence[i], c.Advantage[i] = t.Divergence, t.Advantage
		c.LogProbStudent[i], c.LogProbTeacher[i] = t.LogProbStudent, t.LogProbTeacher
		f := byte('0')
		if t.Valid {
			f += FlagValid
		}
		if t.Clipped {
			f += FlagClipped
		}
		if t.HasAdvantage {
			f += FlagHasAdvantage
		}
		flags[i] = f
	}
	c.Flags = string(flags)
	for _, cr := range res.Criteria {
		d := make([]float64, len(cr.Tokens))
		for i := range cr.Tokens {
			d[i] = cr.Tokens[i].Divergence
		}
		c.Criteria = append(c.Criteria, CriterionColumns{ID: cr.ID, Divergence: d})
	}
	return c
}

// slim returns res without its per-token lists (Compact replies).
func slim(res trace.Result) trace.Result {
	res.Tokens = []trace.Token{}
	if len(res.Criteria) > 0 {
		cr := make([]trace.CriterionResult, len(res.Criteria))
		for i, c := range res.Criteria {
			c.Tokens = []trace.Token{}
			cr[i] = c
		}
		res.Criteria = cr
	}
	return res
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

func playground(ctx context.Context, req PlaygroundRequest, grader lm.Chatter, scorer lm.Scorer, cache *PlaygroundCache) PlaygroundResponse {
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
	cfg, dl := cache.config(cfgFile, req.Config)
	add(dl)
	rubricFile := req.RubricFile
	if rubricFile == "" {
		rubricFile = "rubric.yaml"
	}
	var shared *rubric.Rubric
	if strings.TrimSpace(req.Rubric) != "" {
		r, dl := cache.rubric(rubricFile, req.Rubric)
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
		add(p.Diagnostics.WithFile("item"))
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
	var entry *traceEntry // the cache's, when the scorer's traces come from it
	var source string     // what the traces depend on, for TokensID
	pl := &PlaygroundLoss{Results: []trace.Result{}, Tokens: [][]TokenDetails{}}
	switch {
	case strings.TrimSpace(req.Traces) != "":
		pl.Source = "traces"
		sum := sha256.Sum256([]byte(req.Traces))
		hash := hex.EncodeToString(sum[:])
		// Pasted traces are parsed once per text: megabytes of JSON take
		// hundreds of milliseconds in WebAssembly, and a loss-setting
		// edit does not change them.
		if e, ok := cache.get("pasted:" + hash); ok {
			entry, traces, pl.Cached = e, e.traces, true
			add(e.diags)
		} else {
			var dl diag.List
			eachLine(req.Traces, func(line string, lineNo int) {
				tr, tdl := trace.Parse([]byte(line), lineNo, "traces")
				dl = append(dl, tdl...)
				if tr != nil && !tdl.HasErrors() {
					traces = append(traces, tr)
				}
			})
			add(dl)
			entry = cache.put("pasted:"+hash, &traceEntry{traces: traces, diags: dl})
		}
		if req.Compact {
			source = "traces:" + hash
		}
	case scorer != nil:
		pl.Source = "scorer"
		lcfg := LogprobsConfig{Prompt: popts, TopK: req.TopK, Attribution: req.Attribution}
		if cache != nil {
			lcfg.sides = cache.sides
		}
		var key string
		if cache != nil || req.Compact {
			key = tracesKey(it, resp.Contexts, lcfg)
			source = "scorer:" + key
		}
		if e, ok := cache.get(key); ok {
			entry, traces, pl.Cached = e, e.traces, true
			add(e.diags)
		} else {
			trs, dl := ev.Traces(ctx, scorer, it, lcfg)
			dl = dl.WithFile("item")
			add(dl)
			traces = trs
			if ctx.Err() == nil {
				entry = cache.put(key, &traceEntry{traces: trs, diags: dl})
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
	if req.NoAlternatives {
		nalt = 0
	}
	batch := trace.NewBatch(cfg.LossOptions().Reduction)
	var done []int // the traces with a result
	for i, tr := range traces {
		if ctx.Err() != nil {
			break // Call answers 503
		}
		file, line := tr.File, tr.Line
		if file == "" { // the scorer's: name the response, as the page does
			file, line = "response "+strconv.Itoa(i+1), 0
		}
		// Each trace's structure is checked once per cache entry; the
		// loss under new settings needs no new check.
		if !cache.checked(entry, i) {
			if err := lc.comp.Check(tr); err != nil {
				add(errDiags(err, "").WithFile(file))
				continue
			}
			cache.markChecked(entry, i, len(traces))
		}
		res, err := lc.comp.ComputeChecked(tr)
		if err != nil {
			add(errDiags(err, "").WithFile(file))
			continue
		}
		add(CheckLoss(tr, &res, file, line))
		batch.Add(&res)
		if req.Compact {
			pl.Columns = append(pl.Columns, columnsOf(&res))
			res = slim(res)
		}
		pl.Results = append(pl.Results, res)
		done = append(done, i)
	}
	pl.Summary = batch.Summary()
	for _, i := range done {
		pl.Tokens = append(pl.Tokens, cache.details(entry, i, traces[i], nalt))
	}
	if req.Compact && source != "" {
		pl.TracesID = tokensID(source, -1, done)
		if nalt == 0 {
			pl.TokensID = textsID(pl.Tokens)
		} else {
			pl.TokensID = tokensID(source, nalt, done)
		}
		if cache != nil {
			kept := make([]*trace.Trace, len(done))
			for j, i := range done {
				kept[j] = traces[i]
			}
			cache.remember(pl.TracesID, kept)
		}
		if req.KnownTokens != "" && req.KnownTokens == pl.TokensID {
			pl.Tokens = nil
		}
	}
	resp.Loss = pl
	lap("loss")
	return resp
}

// textsID names token details that hold texts only, by the texts.
func textsID(tokens [][]TokenDetails) string {
	h := sha256.New()
	var n [8]byte
	for _, toks := range tokens {
		h.Write([]byte{1})
		for _, d := range toks {
			binary.LittleEndian.PutUint64(n[:], uint64(len(d.Text)))
			h.Write(n[:])
			h.Write([]byte(d.Text))
		}
	}
	return "t" + hex.EncodeToString(h.Sum(nil)[:16])
}

// tokensID names the token details of the traces from source (their
// cache key or the pasted text's hash) with n alternatives, for the
// results of the traces done.
func tokensID(source string, n int, done []int) string {
	var b strings.Builder
	b.WriteString(source)
	b.WriteString("|" + strconv.Itoa(n) + "|")
	for _, i := range done {
		b.WriteString(strconv.Itoa(i) + ",")
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:16])
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
			if len(r.Criteria) != len(it.Rubric.Criteria) {
				continue
			}
			met := make([]*bool, len(r.Criteria))
			na := make([]bool, len(r.Criteria))
			for k := range r.Criteria {
				met[k] = r.Criteria[k].Met
				na[k] = r.Criteria[k].State() == judge.StatusNotApplicable
			}
			if d := rule.ScoreVerdicts(it.Rubric.Criteria, met, na); d.OK {
				s := d.Score
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
	texts := displayTexts(tr)
	for i := range tr.Student {
		out[i] = TokenDetails{Text: texts[i], Student: displayAlts(topAlts(tr.Student[i].Top, n))}
		if i < len(tr.Teacher) {
			out[i].Teacher = displayAlts(topAlts(tr.Teacher[i].Top, n))
		}
	}
	return out
}

// topAlts returns the n most probable of alts, most probable first (ties
// in their order). A list already in that order (the scorers') is not
// copied: the result shares it and must not be changed.
func topAlts(alts []lm.Alt, n int) []lm.Alt {
	s := alts
	if !sortedDesc(s) {
		s = append([]lm.Alt(nil), alts...)
		sort.SliceStable(s, func(i, j int) bool { return s[i].LogProb > s[j].LogProb })
	}
	if len(s) > n {
		s = s[:n:n]
	}
	if len(s) == 0 {
		return nil
	}
	return s
}

// sortedDesc reports whether a is in the order a stable sort by
// descending log-prob leaves unchanged (no NaN: those go to the sort).
func sortedDesc(a []lm.Alt) bool {
	for i := range a {
		if a[i].LogProb != a[i].LogProb || i > 0 && a[i].LogProb > a[i-1].LogProb {
			return false
		}
	}
	return true
}

// PlaygroundCache memoizes, across the playground's calls, what an edit
// usually leaves unchanged, so a call gives exactly what it would give
// without the cache, only faster:
//
//   - the Scorer's traces for the last few inputs, keyed by everything
//     they depend on (the item's id and responses, both rendered contexts
//     of each response, the per-criterion contexts' inputs and the
//     top-k): a change of a loss setting, a label or the judge recomputes
//     the loss without the model (the reply says loss.cached);
//   - each scored side (student, teacher, per-criterion teacher) by its
//     token ids, so a rubric edit scores only the teachers again, not the
//     student (sparse scorers: the demo model);
//   - the token details (texts and alternatives) of cached traces;
//   - the parsed rubric and config by their text.
//
// It is safe for concurrent use; the zero value is not usable, use
// NewPlaygroundCache. A nil *PlaygroundCache caches nothing.
type PlaygroundCache struct {
	mu      sync.Mutex
	traces  lru[*traceEntry]
	rubrics lru[parsed[rubric.Rubric]]
	configs lru[parsed[config.Config]]
	replies lru[[]*trace.Trace] // by Loss.TracesID, for Alternatives
	sides   *sideCache
}

// TraceCache is the former name of PlaygroundCache.
//
// Deprecated: use PlaygroundCache.
type TraceCache = PlaygroundCache

// NewTraceCache is NewPlaygroundCache.
//
// Deprecated: use NewPlaygroundCache.
func NewTraceCache(n int) *PlaygroundCache { return NewPlaygroundCache(n) }

// NewPlaygroundCache returns a cache of the traces of at most n inputs
// (n ≥ 1), and of a few parsed rubrics, configs and scored sides.
func NewPlaygroundCache(n int) *PlaygroundCache {
	n = max(n, 1)
	return &PlaygroundCache{traces: newLRU[*traceEntry](n), rubrics: newLRU[parsed[rubric.Rubric]](4),
		configs: newLRU[parsed[config.Config]](4), replies: newLRU[[]*trace.Trace](n), sides: newSideCache(2 * n)}
}

// Alternatives returns the token details, with the n most probable
// alternatives on each side, of tokens [from, to) of result k of the
// reply whose Loss.TracesID is id: what NoAlternatives left out. It
// reports false when the cache no longer holds that reply's traces or
// the range is not in the result.
func (c *PlaygroundCache) Alternatives(id string, k, from, to, n int) ([]TokenDetails, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	trs, ok := c.replies.get(id)
	c.mu.Unlock()
	if !ok || k < 0 || k >= len(trs) || from < 0 || from > to || to > len(trs[k].Student) {
		return nil, false
	}
	if n <= 0 {
		n = 5
	}
	out := make([]TokenDetails, 0, to-from)
	texts := displayTexts(trs[k])
	for i := from; i < to; i++ {
		tr := trs[k]
		d := TokenDetails{Text: texts[i], Student: displayAlts(topAlts(tr.Student[i].Top, n))}
		if i < len(tr.Teacher) {
			d.Teacher = displayAlts(topAlts(tr.Teacher[i].Top, n))
		}
		out = append(out, d)
	}
	return out, true
}

// remember keeps the traces of a compact reply's results for
// Alternatives.
func (c *PlaygroundCache) remember(id string, trs []*trace.Trace) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.replies.put(id, trs)
}

type traceEntry struct {
	traces []*trace.Trace
	diags  diag.List
	// checked[i]: traces[i] passed trace.Computer.Check (guarded by the
	// cache's mutex).
	checked []bool
	// details[n][i] are trace i's token details with n alternatives.
	details map[int][][]TokenDetails
}

type parsed[T any] struct {
	v  *T
	dl diag.List
}

// Len returns the number of cached trace entries.
func (c *PlaygroundCache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.traces.m)
}

// rubric is rubric.Load, memoized by file name and text. The rubric is
// shared between calls and only read; the diagnostics are a copy.
func (c *PlaygroundCache) rubric(file, text string) (*rubric.Rubric, diag.List) {
	if c == nil {
		return rubric.Load(file, []byte(text))
	}
	return memoParse(&c.mu, &c.rubrics, file, text, rubric.Load)
}

// config is config.Parse, memoized as rubric is.
func (c *PlaygroundCache) config(file, text string) (*config.Config, diag.List) {
	if c == nil {
		return config.Parse(file, []byte(text))
	}
	return memoParse(&c.mu, &c.configs, file, text, config.Parse)
}

// memoParse returns load(file, text) from m, loading and keeping it on a
// miss; mu guards m. The value is shared; the diagnostics are a copy.
func memoParse[T any](mu *sync.Mutex, m *lru[parsed[T]], file, text string, load func(string, []byte) (*T, diag.List)) (*T, diag.List) {
	key := file + "\x00" + text
	mu.Lock()
	p, ok := m.get(key)
	mu.Unlock()
	if !ok {
		v, dl := load(file, []byte(text))
		p = parsed[T]{v, dl}
		mu.Lock()
		m.put(key, p)
		mu.Unlock()
	}
	return p.v, slices.Clone(p.dl)
}

// details returns tokenDetails(tr, n), memoized in e (trace i of a
// cached entry) when e is not nil.
func (c *PlaygroundCache) details(e *traceEntry, i int, tr *trace.Trace, n int) []TokenDetails {
	if c == nil || e == nil {
		return tokenDetails(tr, n)
	}
	c.mu.Lock()
	d := e.details[n]
	c.mu.Unlock()
	if i < len(d) && d[i] != nil {
		return d[i]
	}
	td := tokenDetails(tr, n)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.details == nil {
		e.details = map[int][][]TokenDetails{}
	}
	if len(e.details[n]) != len(e.traces) {
		e.details[n] = make([][]TokenDetails, len(e.traces))
	}
	e.details[n][i] = td
	return td
}

// tracesKey is what the Scorer's traces of it depend on.
func tracesKey(it *eval.Item, pairs []ContextPair, cfg LogprobsConfig) string {
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

func (c *PlaygroundCache) get(key string) (*traceEntry, bool) {
	if c == nil || key == "" {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.traces.get(key)
}

// checked reports whether trace i of e passed its structural check.
func (c *PlaygroundCache) checked(e *traceEntry, i int) bool {
	if c == nil || e == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return i < len(e.checked) && e.checked[i]
}

// markChecked records that trace i of e (of n) passed its check.
func (c *PlaygroundCache) markChecked(e *traceEntry, i, n int) {
	if c == nil || e == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(e.checked) < n {
		e.checked = append(e.checked, make([]bool, n-len(e.checked))...)
	}
	e.checked[i] = true
}

// put stores e under key and returns it (nil when c is nil).
func (c *PlaygroundCache) put(key string, e *traceEntry) *traceEntry {
	if c == nil || key == "" {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.traces.put(key, e)
	return e
}

// lru is a small least-recently-used map; its user locks it.
type lru[V any] struct {
	max   int
	order []string // least recently used first
	m     map[string]V
}

func newLRU[V any](n int) lru[V] { return lru[V]{max: max(n, 1), m: map[string]V{}} }

func (l *lru[V]) get(key string) (V, bool) {
	v, ok := l.m[key]
	if ok {
		l.touch(key)
	}
	return v, ok
}

func (l *lru[V]) put(key string, v V) {
	if _, ok := l.m[key]; !ok && len(l.m) >= l.max {
		delete(l.m, l.order[0])
		l.order = l.order[1:]
	}
	l.m[key] = v
	l.touch(key)
}

func (l *lru[V]) touch(key string) {
	l.order = slices.DeleteFunc(l.order, func(k string) bool { return k == key })
	l.order = append(l.order, key)
}
