package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/distill"
	"github.com/rcsd-dev/rcsd/core/judge"
	"github.com/rcsd-dev/rcsd/core/prompt"
	"github.com/rcsd-dev/rcsd/core/score"
	"github.com/rcsd-dev/rcsd/core/trace"
)

// SchemaVersion is the version of the config file format. Files carry it
// as "schema_version"; newer versions are rejected, older ones migrate in
// migrate.
const SchemaVersion = 1

// Config is an rcsd config file: what `rcsd eval` (and later `rcsd loss`
// and `rcsd export`) read with --config. Every field is optional except
// schema_version; a command-line flag given explicitly overrides the
// config's value.
type Config struct {
	SchemaVersion int `json:"schema_version"`
	// Rubric is a shared rubric file for items without an inline rubric,
	// relative to the config file's folder.
	Rubric  string  `json:"rubric,omitempty"`
	Judge   Judge   `json:"judge,omitzero"`
	Scoring Scoring `json:"scoring,omitzero"`
	// Concurrency is the number of records (and, for an llm judge,
	// requests) in flight; 0 picks a default.
	Concurrency int `json:"concurrency,omitempty"`
	// Preset names a published setting (rcsd, opsd, rgsd, sdpo): it is
	// the loss when the file has no loss section, and the teacher variant
	// when prompt.variant is not given (see LossOptions, PromptOptions).
	Preset string `json:"preset,omitempty"`
	// Prompt renders the student's and the teacher's contexts.
	Prompt prompt.Options `json:"prompt,omitzero"`
	// Loss is the conditioned loss (docs/loss.md).
	Loss distill.Options `json:"loss,omitzero"`
	// Trace is how traces are read (the policy for missing log-probs).
	Trace trace.Options `json:"trace,omitzero"`
	// Rubrics says where each item's rubric comes from (a field of the
	// records, a file, or inline here); it replaces the top-level rubric.
	Rubrics RubricSource `json:"rubrics,omitzero"`
	// Teacher is the teacher's weights (frozen, ema, live) and the item
	// fields it sees.
	Teacher Teacher `json:"teacher,omitzero"`
	// Sampling is how the student samples its rollouts.
	Sampling Sampling `json:"sampling,omitzero"`
}

// Judge configures per-criterion judging.
type Judge struct {
	Kind judge.Kind `json:"kind,omitempty"` // auto | labels | rules | lexical | llm
	// URL and Model name an OpenAI-compatible grader. The API key is never
	// in a config file: rcsd reads it from RCSD_JUDGE_API_KEY.
	URL     string   `json:"url,omitempty"`
	Model   string   `json:"model,omitempty"`
	Mode    string   `json:"mode,omitempty"`    // per-criterion | per-response
	Timeout Duration `json:"timeout,omitempty"` // per attempt, e.g. "60s"
	Retries *int     `json:"retries,omitempty"`
	Cache   string   `json:"cache,omitempty"` // reply cache file, relative to the config file's folder
}

// Scoring configures scores, their aggregate and GRPO advantages.
type Scoring struct {
	Rule score.Rule `json:"rule,omitempty"` // healthbench | rar | rar-category | research | weighted
	GRPO string     `json:"grpo,omitempty"` // trl | trl-batch | trl-none | verl | verl-nostd
	// Seed seeds the bootstrap (NumPy-compatible: np.random.seed(seed)).
	Seed *uint32 `json:"seed,omitempty"`
	// Bootstrap is the number of resamples for the std of the mean.
	Bootstrap *int `json:"bootstrap,omitempty"`
}

// Duration is a time.Duration written as a Go duration string ("90s",
// "2m").
type Duration time.Duration

// MarshalText writes d as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Judge modes of the llm judge.
const (
	ModePerCriterion = "per-criterion"
	ModePerResponse  = "per-response"
)

// GRPOConventions lists the accepted names of Scoring.GRPO.
var GRPOConventions = []string{"trl", "trl-batch", "trl-none", "verl", "verl-nostd"}

// ParseGRPO maps a convention name to its recipe: "trl" (TRL's default,
// scale by the group's std, ε 1e-4), "trl-batch", "trl-none" (Dr. GRPO),
// "verl" (ε 1e-6) or "verl-nostd". The empty name is "trl".
func ParseGRPO(name string) (score.Convention, error) {
	switch name {
	case "", "trl":
		return score.TRL(score.ScaleGroup), nil
	case "trl-batch":
		return score.TRL(score.ScaleBatch), nil
	case "trl-none":
		return score.TRL(score.ScaleNone), nil
	case "verl":
		return score.Verl(true), nil
	case "verl-nostd":
		return score.Verl(false), nil
	}
	msg := fmt.Sprintf("unknown GRPO convention %q (want %s)", name, strings.Join(GRPOConventions, ", "))
	if h := diag.DidYouMean(name, GRPOConventions); h != "" {
		msg += "; " + h
	}
	return score.Convention{}, fmt.Errorf("%s", msg)
}

// validate reports the semantic problems of c (types were checked while
// decoding).
func (c *Config) validate() diag.List {
	var dl diag.List
	bad := func(code, path, hint, format string, args ...any) {
		d := diag.Errorf(code, path, format, args...)
		d.Hint = hint
		dl = append(dl, d)
	}
	switch c.Judge.Kind {
	case "", judge.KindAuto, judge.KindLabels, judge.KindRules, judge.KindLexical, judge.KindLLM:
	default:
		kinds := []string{"auto", "labels", "rules", "lexical", "llm"}
		bad(CodeBadValue, "$.judge.kind", hint(string(c.Judge.Kind), kinds), "unknown judge %q", c.Judge.Kind)
	}
	switch c.Judge.Mode {
	case "", ModePerCriterion, ModePerResponse:
	default:
		bad(CodeBadValue, "$.judge.mode", hint(c.Judge.Mode, []string{ModePerCriterion, ModePerResponse}), "unknown llm judge mode %q", c.Judge.Mode)
	}
	if c.Judge.URL != "" {
		u, err := url.Parse(c.Judge.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(CodeBadValue, "$.judge.url", "e.g. http://127.0.0.1:8000/v1", "the grader URL %q is not an http(s) URL", c.Judge.URL)
		} else if u.User != nil {
			bad(CodeBadValue, "$.judge.url", "set RCSD_JUDGE_API_KEY instead; a config file is shared and committed", "the grader URL carries credentials")
		}
	}
	if c.Judge.Kind == judge.KindLLM && (c.Judge.URL == "" || c.Judge.Model == "") {
		bad(CodeMissingValue, "$.judge", `add "url" and "model"`, "the llm judge needs a grader url and model")
	}
	if c.Judge.Timeout < 0 {
		bad(CodeBadValue, "$.judge.timeout", "", "the timeout %s is negative", time.Duration(c.Judge.Timeout))
	}
	if c.Judge.Retries != nil && *c.Judge.Retries < 0 {
		bad(CodeBadValue, "$.judge.retries", "", "retries %d is negative", *c.Judge.Retries)
	}
	if c.Scoring.Rule != "" && !c.Scoring.Rule.Valid() {
		names := make([]string, len(score.Rules))
		for i, r := range score.Rules {
			names[i] = string(r)
		}
		bad(CodeBadValue, "$.scoring.rule", hint(string(c.Scoring.Rule), names), "unknown scoring rule %q", c.Scoring.Rule)
	}
	if _, err := ParseGRPO(c.Scoring.GRPO); err != nil {
		bad(CodeBadValue, "$.scoring.grpo", hint(c.Scoring.GRPO, GRPOConventions), "unknown GRPO convention %q", c.Scoring.GRPO)
	}
	if c.Scoring.Bootstrap != nil && *c.Scoring.Bootstrap < 0 {
		bad(CodeBadValue, "$.scoring.bootstrap", "", "bootstrap %d is negative", *c.Scoring.Bootstrap)
	}
	if c.Preset != "" {
		if _, ok := LookupPreset(c.Preset); !ok {
			bad(CodeBadValue, "$.preset", hint(c.Preset, PresetNames()), "unknown preset %q", c.Preset)
		}
	}
	if c.Loss != (distill.Options{}) {
		dl = append(dl, c.Loss.Validate().PrefixPath("$.loss")...)
	}
	dl = append(dl, c.Trace.Validate().PrefixPath("$.trace")...)
	if v := c.Prompt.Variant; v != "" && !slices.Contains(prompt.Variants(), v) {
		names := make([]string, 0, 6)
		for _, x := range prompt.Variants() {
			names = append(names, string(x))
		}
		bad(CodeBadValue, "$.prompt.variant", hint(string(v), names), "unknown teacher variant %q", v)
	}
	if ch := c.Prompt.Chat; ch != "" && !slices.Contains(prompt.ChatTemplates(), ch) {
		names := make([]string, 0, 4)
		for _, x := range prompt.ChatTemplates() {
			names = append(names, string(x))
		}
		bad(CodeBadValue, "$.prompt.chat", hint(string(ch), names), "unknown chat template %q", ch)
	}
	if c.Concurrency < 0 {
		bad(CodeBadValue, "$.concurrency", "0 picks a default", "concurrency %d is negative", c.Concurrency)
	}
	dl = append(dl, c.validateTrain()...)
	return dl
}

func hint(v string, valid []string) string {
	if h := diag.DidYouMean(v, valid); h != "" {
		return h
	}
	return "one of: " + strings.Join(valid, ", ")
}

// LossOptions is the loss section, or the preset's loss when the file
// has no loss section.
func (c *Config) LossOptions() distill.Options {
	if c.Loss == (distill.Options{}) {
		if p, ok := LookupPreset(c.Preset); ok {
			return p.Loss
		}
	}
	return c.Loss
}

// PromptOptions is the prompt section with the preset's teacher variant
// when the section names none.
func (c *Config) PromptOptions() prompt.Options {
	o := c.Prompt
	if o.Variant == "" {
		if p, ok := LookupPreset(c.Preset); ok {
			o.Variant = p.Variant
		}
	}
	return o
}
