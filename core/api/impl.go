package api

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"

	"github.com/rcsd-dev/rcsd/core/config"
	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/eval"
	"github.com/rcsd-dev/rcsd/core/rubric"
	"github.com/rcsd-dev/rcsd/core/score"
	"github.com/rcsd-dev/rcsd/core/source"
)

// Evaluator evaluates JSONL records one at a time; it is safe for
// concurrent use.
type Evaluator struct {
	ev  *eval.Evaluator
	cfg EvalConfig
}

// ParseGRPO maps a convention name to its recipe; see config.ParseGRPO.
func ParseGRPO(name string) (score.Convention, error) { return config.ParseGRPO(name) }

// NewEvaluator checks cfg and builds an Evaluator.
func NewEvaluator(cfg EvalConfig) (*Evaluator, error) {
	rule := score.RuleHealthBench
	if cfg.Scoring != "" {
		r, err := score.ParseRule(cfg.Scoring)
		if err != nil {
			return nil, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "score: "))
		}
		rule = r
	}
	conv, err := ParseGRPO(cfg.GRPO)
	if err != nil {
		return nil, err
	}
	ev, err := eval.New(eval.Options{Judge: cfg.Judge, Scoring: rule, LLM: cfg.LLM, GRPO: conv, EngineVersion: EngineVersion})
	if err != nil {
		return nil, err
	}
	return &Evaluator{ev: ev, cfg: cfg}, nil
}

// Line parses one JSONL record (1-based lineNo within file) and, when it
// is usable, judges and scores it.
func (e *Evaluator) Line(ctx context.Context, line []byte, lineNo int, file string) LineResult {
	it, diags := eval.ParseItem(line, lineNo, eval.ParseOptions{File: file, Rubric: e.cfg.Rubric})
	res := LineResult{Diagnostics: diags}
	if it == nil {
		return res
	}
	res.Item = it
	res.Results = e.ev.Evaluate(ctx, it)
	return res
}

// RecordID reads only the id of a record ("id", else "prompt_id", else
// "line-N" as ParseItem names it), for resuming without a full parse.
func RecordID(line []byte, lineNo int) (string, bool) {
	var r struct {
		ID       json.RawMessage `json:"id"`
		PromptID json.RawMessage `json:"prompt_id"`
	}
	if json.Unmarshal(line, &r) != nil {
		return "", false
	}
	raw := r.ID
	if raw == nil {
		raw = r.PromptID
	}
	if raw == nil {
		return "line-" + strconv.Itoa(lineNo), true
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil || s == "" {
			return "", false
		}
		return s, true
	}
	return string(raw), len(raw) > 0
}

// NamedStats is one aggregated metric.
type NamedStats struct {
	Name string
	score.Stats
}

// AggregateStats computes the run's aggregate from a summary: for every
// metric name (overall_score, then tags, in order of first appearance)
// the clipped mean, bootstrap std and n_samples. The bootstrap draws from
// one NumPy-compatible generator seeded with seed, in simple-evals' order
// (each name in turn, "score" included though it is not reported), so an
// uninterrupted run's values equal np.random.seed(seed) followed by
// simple-evals' _aggregate_get_clipped_mean. resamples 0 means 1000; a
// negative value skips the bootstrap (std reported as 0).
func AggregateStats(sum *eval.Summary, seed uint32, resamples int) []NamedStats {
	names, values := sum.Named()
	opts := score.AggregateOptions{Rand: score.NewRandomState(seed), Resamples: max(resamples, 0)}
	if resamples < 0 {
		opts.Resamples = 1
	}
	out := make([]NamedStats, 0, len(names))
	for _, name := range names {
		st := score.Aggregate(values[name], opts)
		if resamples < 0 {
			st.BootstrapStd = 0
		}
		if name == "score" { // simple-evals pops it out of the metrics; it duplicates overall_score
			continue
		}
		out = append(out, NamedStats{Name: name, Stats: st})
	}
	return out
}

// Aggregate is AggregateStats in HealthBench's flat layout: "name",
// "name:bootstrap_std", "name:n_samples", keys sorted as HealthBench's
// published files are (json.dumps(sort_keys=True)).
func Aggregate(sum *eval.Summary, seed uint32, resamples int) Metrics {
	return MetricsOf(AggregateStats(sum, seed, resamples))
}

// MetricsOf lays out stats in HealthBench's flat layout, as Aggregate
// does, for hosts that computed the stats once and show them twice.
func MetricsOf(stats []NamedStats) Metrics {
	out := make(Metrics, 0, 3*len(stats))
	for _, st := range stats {
		out = append(out,
			score.Metric{Key: st.Name, Value: st.Mean},
			score.Metric{Key: st.Name + ":bootstrap_std", Value: st.BootstrapStd},
			score.Metric{Key: st.Name + ":n_samples", Value: float64(st.N)})
	}
	sortMetrics(out)
	return out
}

// sortMetrics orders the aggregate by key, as HealthBench's published
// files are (json.dumps(sort_keys=True)).
func sortMetrics(m Metrics) {
	sort.SliceStable(m, func(i, j int) bool { return m[i].Key < m[j].Key })
}

// Validate checks one input: a rubric file or a JSONL items file.
func Validate(req ValidateRequest) ValidateResponse {
	kind := req.Kind
	if kind == "" {
		kind = detectKind(req.File, req.Content)
	}
	resp := ValidateResponse{Kind: kind}
	switch kind {
	case "rubric":
		r, diags := rubric.Load(req.File, []byte(req.Content))
		resp.Rubric, resp.Diagnostics = r, diags
		if r != nil {
			resp.Format = string(r.Format)
		}
	case "items":
		var shared *rubric.Rubric
		if req.Rubric != "" {
			r, diags := rubric.Load(req.RubricFile, []byte(req.Rubric))
			resp.Diagnostics = append(resp.Diagnostics, diags...)
			if diags.HasErrors() {
				break
			}
			shared = r
		}
		dl, n := validateItems(req.File, req.Content, shared)
		resp.Diagnostics, resp.Records = append(resp.Diagnostics, dl...), n
	case "config":
		_, resp.Diagnostics = config.Parse(req.File, []byte(req.Content))
	default:
		resp.Diagnostics = diag.List{{Severity: diag.Error, Code: "unknown-kind", File: req.File,
			Message: fmt.Sprintf("unknown input kind %q (want rubric, items or config)", kind)}}
	}
	if resp.Diagnostics == nil {
		resp.Diagnostics = diag.List{}
	}
	resp.Errors = resp.Diagnostics.Count(diag.Error)
	resp.Warnings = resp.Diagnostics.Count(diag.Warning)
	return resp
}

// detectKind tells an items file (JSONL records with responses or a
// prompt) from a rubric file and a config file. Names decide first
// (.jsonl is items; .json, .yaml and .yml a rubric unless the content is
// a config), then the content.
func detectKind(file, content string) string {
	if strings.HasSuffix(file, ".jsonl") || strings.HasSuffix(file, ".ndjson") {
		return "items"
	}
	if configKeys().MatchString(content) && !criteriaKey().MatchString(content) {
		return "config"
	}
	if strings.HasSuffix(file, ".yaml") || strings.HasSuffix(file, ".yml") || strings.HasSuffix(file, ".json") {
		return "rubric"
	}
	first := strings.TrimSpace(content)
	if i := strings.IndexByte(first, '\n'); i >= 0 {
		first = strings.TrimSpace(first[:i])
	}
	if strings.HasPrefix(first, "{") && json.Valid([]byte(first)) {
		var m map[string]json.RawMessage
		if json.Unmarshal([]byte(first), &m) == nil {
			for _, k := range []string{"response", "responses", "prompt", "prompt_id"} {
				if _, ok := m[k]; ok {
					return "items"
				}
			}
		}
	}
	return "rubric"
}

// configKeys matches a top-level key only config files have; criteriaKey
// a key only rubrics have.
var (
	configKeys = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?m)^(?:(?:judge|scoring|concurrency|preset|prompt|loss|trace|rubrics|teacher|sampling):|\{?\s*"(?:judge|scoring|concurrency|preset|prompt|loss|trace|rubrics|teacher|sampling)"\s*:)`)
	})
	criteriaKey = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?m)^\s*(?:criteria:|"criteria"\s*:|\{?\s*"criteria"\s*:)|"(?:criterion|rubrics|description)"\s*:`)
	})
)

// validateItems parses every record of a JSONL file and lints each inline
// rubric (a shared rubric pointer is linted once).
func validateItems(file, content string, shared *rubric.Rubric) (diag.List, int) {
	var out diag.List
	seen := map[string]int{}
	records := 0
	eachLine(content, func(line string, lineNo int) {
		records++
		it, diags := eval.ParseItem([]byte(line), lineNo, eval.ParseOptions{File: file, Rubric: shared})
		out = append(out, diags...)
		if it == nil {
			return
		}
		if prev, dup := seen[it.ID]; dup {
			out = append(out, diag.Diagnostic{Severity: diag.Error, Code: "duplicate-id", File: file, Line: lineNo, Path: "$.id",
				Message: fmt.Sprintf("the id %q is already used on line %d", it.ID, prev)})
		} else {
			seen[it.ID] = lineNo
		}
		if it.Rubric == shared {
			return // linted once, with its own file positions
		}
		for _, d := range rubric.Lint(it.Rubric).PrefixPath(it.RubricPath) {
			d.File, d.Line = file, lineNo
			_, d.Column = source.Locate([]byte(line), d.Path)
			d.Record = it.ID
			out = append(out, d)
		}
	})
	return out, records
}

// loadShared reads a shared rubric given as text in a request.
func loadShared(text string) (*rubric.Rubric, diag.List) {
	return rubric.Load("rubric", []byte(text))
}

// Evaluate evaluates the records of req.Items and summarises them.
func Evaluate(ctx context.Context, req EvaluateRequest) EvaluateResponse {
	resp := EvaluateResponse{Results: []eval.Result{}, Diagnostics: diag.List{}, EngineVersion: EngineVersion}
	cfg := req.Config
	if req.Rubric != "" {
		r, diags := loadShared(req.Rubric)
		resp.Diagnostics = append(resp.Diagnostics, diags...)
		if diags.HasErrors() {
			return resp
		}
		cfg.Rubric = r
	}
	ev, err := NewEvaluator(cfg)
	if err != nil {
		resp.Diagnostics = append(resp.Diagnostics, diag.Diagnostic{Severity: diag.Error, Code: "bad-config", Path: "$.config", Message: err.Error()})
		return resp
	}
	sum := eval.NewSummary()
	eachLine(req.Items, func(line string, lineNo int) {
		if ctx.Err() != nil {
			return // Call answers 503: the caller left or the deadline passed
		}
		lr := ev.Line(ctx, []byte(line), lineNo, "items")
		resp.Diagnostics = append(resp.Diagnostics, lr.Diagnostics...)
		if lr.Item != nil {
			resp.Results = append(resp.Results, lr.Results...)
			sum.Add(lr.Item, lr.Results)
		}
	})
	if len(sum.Scores()) > 0 {
		resp.Summary = Aggregate(sum, req.Seed, 0)
	}
	return resp
}
