package config

import (
	"fmt"
	"math"
	"slices"
	"strings"

	json "github.com/rcsd-dev/rcsd/core/internal/jsonx"

	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/prompt"
	"github.com/rcsd-dev/rcsd/core/rubric"
)

// The sections of a config that describe a training run: where the
// rubrics come from, the teacher's weights and privileged fields, and how
// the student samples. `rcsd export` maps them to TRL, verl and
// tinker-cookbook; `rcsd loss` and `rcsd eval` ignore them.

// RubricFrom names where each item's rubric comes from.
type RubricFrom string

const (
	// FromItem reads each record's own rubric: its "rubric" (any importable
	// format) or HealthBench "rubrics" field, or the field RubricSource.Field
	// names.
	FromItem RubricFrom = "item"
	// FromFile uses one rubric file for every record (RubricSource.File,
	// relative to the config file's folder).
	FromFile RubricFrom = "file"
	// FromInline uses the rubric written in the config itself
	// (RubricSource.Inline, any importable format).
	FromInline RubricFrom = "inline"
)

// RubricSource says where rubrics come from. At most one of Field, File
// and Inline is set; From may be left out when one of them says it.
type RubricSource struct {
	From RubricFrom `json:"from,omitempty"`
	// Field is the record field holding the rubric (From item); empty
	// means "rubric" or HealthBench's "rubrics".
	Field string `json:"field,omitempty"`
	// File is a rubric file for every record (From file).
	File string `json:"file,omitempty"`
	// Inline is a rubric written in the config (From inline), in any
	// format rubric.Parse imports (the rcsd object with schema_version
	// and criteria, an RCSD / RaR array, HealthBench rubrics).
	Inline any `json:"inline,omitempty"`
}

// TeacherMode names which weights the teacher runs with.
type TeacherMode string

const (
	// Frozen is the initial model, never updated (RCSD's released runs:
	// LoRA adapters switched off for the teacher pass).
	Frozen TeacherMode = "frozen"
	// EMA is an exponential moving average of the student's weights:
	// θ_T ← d·θ_T + (1 − d)·θ_S after every optimizer step, d = EMADecay.
	EMA TeacherMode = "ema"
	// Live is the current student itself (zero lag).
	Live TeacherMode = "live"
)

// Privileged fields the teacher may see.
const (
	FieldRubric    = "rubric"
	FieldReference = "reference_answer"
)

// Teacher configures the teacher's weights and what it sees beyond the
// student's context (the template is prompt.variant and
// prompt.custom_template; the reason-first pass is prompt.reason_first).
type Teacher struct {
	Mode TeacherMode `json:"mode,omitempty"` // frozen (default) | ema | live
	// EMADecay is d in θ_T ← d·θ_T + (1 − d)·θ_S, in (0, 1); ema only.
	// Frameworks that take an update rate get 1 − d.
	EMADecay float64 `json:"ema_decay,omitempty"`
	// Privileged lists the item fields the teacher sees: "rubric",
	// "reference_answer". Empty means the variant's own fields (rcsd:
	// both; rgsd, single-criterion, feedback: the rubric; opsd: the
	// reference answer; none: nothing).
	Privileged []string `json:"privileged,omitempty"`
}

// Sampling configures the student's rollouts. A zero value means "not
// set": the framework's default applies (or the preset's value).
type Sampling struct {
	// Temperature of sampling; > 0. TRL, verl and RCSD's code also divide
	// the loss logits by it, so it should equal loss.temperature.
	Temperature float64 `json:"temperature,omitempty"`
	TopP        float64 `json:"top_p,omitempty"` // in (0, 1]
	TopK        int     `json:"top_k,omitempty"` // ≥ 1; absent is off
	// MaxNewTokens bounds each completion.
	MaxNewTokens int `json:"max_new_tokens,omitempty"`
	// RolloutsPerPrompt is the number of completions sampled per prompt
	// and step (RCSD: 1).
	RolloutsPerPrompt int `json:"rollouts_per_prompt,omitempty"`
	// ImportanceClip caps the ratio π_θ(y)/π_old(y) that reweights a
	// rollout reused after the policy moved (SDPO / TRL
	// distillation_is_clip, 2.0); absent is off. It is a property of
	// rollout reuse, not of rcsd's loss, which `rcsd loss` computes on
	// the traces it is given.
	ImportanceClip float64 `json:"importance_clip,omitempty"`
}

// TeacherModes lists the accepted teacher modes.
var TeacherModes = []string{string(Frozen), string(EMA), string(Live)}

// RubricSourceOf resolves where rubrics come from: the rubrics section,
// else the top-level rubric file, else each record's own rubric.
func (c *Config) RubricSourceOf() RubricSource {
	s := c.Rubrics
	switch {
	case s.From != "":
	case s.File != "":
		s.From = FromFile
	case s.Inline != nil:
		s.From = FromInline
	case c.Rubric != "":
		s = RubricSource{From: FromFile, File: c.Rubric}
	default:
		s.From = FromItem
	}
	return s
}

// InlineRubric imports the rubric written in rubrics.inline (nil when
// there is none). Diagnostic paths are paths of the config
// ($.rubrics.inline…), without positions.
func (c *Config) InlineRubric() (*rubric.Rubric, diag.List) {
	if c.Rubrics.Inline == nil {
		return nil, nil
	}
	js, err := json.Marshal(c.Rubrics.Inline)
	if err != nil {
		return nil, diag.List{diag.Errorf(CodeBadValue, "$.rubrics.inline", "%v", err)}
	}
	r, dl := rubric.Parse(js)
	if r != nil && !dl.HasErrors() {
		dl = append(dl, rubric.Validate(r)...)
	}
	for i := range dl {
		dl[i].Line, dl[i].Column = 0, 0
	}
	dl = dl.PrefixPath("$.rubrics.inline")
	if dl.HasErrors() {
		return nil, dl
	}
	return r, dl
}

// TeacherOptions is the teacher section, or the preset's when the file
// has none, with the mode defaulting to frozen and the privileged fields
// to the variant's own.
func (c *Config) TeacherOptions() Teacher {
	t := c.Teacher
	if isZeroTeacher(t) {
		if p, ok := LookupPreset(c.Preset); ok {
			t = p.Teacher
		}
	}
	if t.Mode == "" {
		t.Mode = Frozen
	}
	if len(t.Privileged) == 0 {
		t.Privileged = DefaultPrivileged(c.PromptOptions().Variant)
	}
	return t
}

// SamplingOptions is the sampling section, or the preset's when the file
// has none.
func (c *Config) SamplingOptions() Sampling {
	if c.Sampling == (Sampling{}) {
		if p, ok := LookupPreset(c.Preset); ok {
			return p.Sampling
		}
	}
	return c.Sampling
}

// DefaultPrivileged lists the fields a variant's template shows.
func DefaultPrivileged(v prompt.Variant) []string {
	switch v {
	case "", prompt.RCSD:
		return []string{FieldRubric, FieldReference}
	case prompt.OPSD:
		return []string{FieldReference}
	case prompt.None:
		return nil
	}
	return []string{FieldRubric}
}

func isZeroTeacher(t Teacher) bool {
	return t.Mode == "" && t.EMADecay == 0 && len(t.Privileged) == 0
}

// validateTrain reports the problems of the rubric source, teacher and
// sampling sections, and their contradictions with the prompt and loss
// sections.
func (c *Config) validateTrain() diag.List {
	var dl diag.List
	bad := func(code, path, hint, format string, args ...any) {
		d := diag.Errorf(code, path, format, args...)
		d.Hint = hint
		dl = append(dl, d)
	}

	// Rubric source.
	s := c.Rubrics
	set := map[RubricFrom]string{}
	if s.Field != "" {
		set[FromItem] = "$.rubrics.field"
	}
	if s.File != "" {
		set[FromFile] = "$.rubrics.file"
	}
	if s.Inline != nil {
		set[FromInline] = "$.rubrics.inline"
	}
	switch s.From {
	case "", FromItem, FromFile, FromInline:
	default:
		bad(CodeBadValue, "$.rubrics.from", hint(string(s.From), []string{"item", "file", "inline"}), "unknown rubric source %q", s.From)
	}
	for _, from := range []RubricFrom{FromItem, FromFile, FromInline} {
		p, ok := set[from]
		if !ok {
			continue
		}
		if s.From != "" && s.From != from {
			bad(CodeContradiction, p, fmt.Sprintf("remove it, or set from: %s", from), "%s applies to rubrics from %q, but from is %q", p[len("$.rubrics."):], from, s.From)
		} else if s.From == "" && len(set) > 1 {
			bad(CodeContradiction, p, "keep one of field, file and inline", "the rubric source is ambiguous: %d of field, file and inline are set", len(set))
		}
	}
	if s.From == FromFile && s.File == "" {
		bad(CodeMissingValue, "$.rubrics", `add "file"`, "rubrics from a file need the file")
	}
	if s.From == FromInline && s.Inline == nil {
		bad(CodeMissingValue, "$.rubrics", `add "inline" (a criteria list)`, "inline rubrics need the rubric")
	}
	if c.Rubric != "" && (s.From != "" || len(set) > 0) {
		bad(CodeContradiction, "$.rubrics", `move the path to rubrics.file`, "the top-level rubric file and the rubrics section both say where rubrics come from")
	}
	if s.Inline != nil {
		_, idl := c.InlineRubric()
		dl = append(dl, idl...)
	}

	// Teacher.
	t := c.Teacher
	switch t.Mode {
	case "", Frozen, EMA, Live:
	default:
		bad(CodeBadValue, "$.teacher.mode", hint(string(t.Mode), TeacherModes), "unknown teacher mode %q", t.Mode)
	}
	switch {
	case badFloat(t.EMADecay) || t.EMADecay < 0 || t.EMADecay >= 1:
		bad(CodeBadValue, "$.teacher.ema_decay", "e.g. 0.999", "ema_decay %v is outside (0, 1)", t.EMADecay)
	case t.EMADecay != 0 && t.Mode != EMA:
		mode := t.Mode
		if mode == "" {
			mode = Frozen
		}
		bad(CodeContradiction, "$.teacher.ema_decay", "set mode: ema, or remove ema_decay", "ema_decay applies only to mode ema, but the teacher is %s", mode)
	case t.Mode == EMA && t.EMADecay == 0:
		bad(CodeMissingValue, "$.teacher", "add ema_decay, e.g. 0.999 (OPSD)", "an ema teacher needs ema_decay")
	}
	variant := c.PromptOptions().Variant
	if variant == "" {
		variant = prompt.RCSD
	}
	seen := map[string]bool{}
	for i, f := range t.Privileged {
		p := fmt.Sprintf("$.teacher.privileged[%d]", i)
		switch f {
		case FieldRubric, FieldReference:
		default:
			bad(CodeBadValue, p, hint(f, []string{FieldRubric, FieldReference}), "unknown privileged field %q", f)
			continue
		}
		if seen[f] {
			bad(CodeBadValue, p, "", "privileged field %q is listed twice", f)
			continue
		}
		seen[f] = true
		if !slices.Contains(DefaultPrivileged(variant), f) {
			bad(CodeContradiction, p, "use a variant that shows it (rcsd shows both)", "the %s teacher does not show the %s", variant, strings.ReplaceAll(f, "_", " "))
		}
	}
	if len(t.Privileged) > 0 {
		switch variant {
		case prompt.RCSD, prompt.RGSD, prompt.SingleCriterion, prompt.Feedback:
			if !seen[FieldRubric] {
				bad(CodeContradiction, "$.teacher.privileged", `add "rubric"`, "the %s teacher needs the rubric", variant)
			}
		case prompt.OPSD:
			if !seen[FieldReference] {
				bad(CodeContradiction, "$.teacher.privileged", `add "reference_answer"`, "the opsd teacher needs the reference answer")
			}
		}
	}
	if c.Prompt.ReasonFirst && variant != prompt.RCSD {
		bad(CodeContradiction, "$.prompt.reason_first", "only the rcsd teacher has a reason-first pass", "reason_first with the %s teacher", variant)
	}

	// Sampling.
	sm := c.Sampling
	if badFloat(sm.Temperature) || sm.Temperature < 0 {
		bad(CodeBadValue, "$.sampling.temperature", "", "temperature %v must be a positive finite number", sm.Temperature)
	}
	if badFloat(sm.TopP) || sm.TopP < 0 || sm.TopP > 1 {
		bad(CodeBadValue, "$.sampling.top_p", "", "top_p %v is outside (0, 1]", sm.TopP)
	}
	if sm.TopK < 0 {
		bad(CodeBadValue, "$.sampling.top_k", "leave it out to sample from the whole vocabulary", "top_k %d is negative", sm.TopK)
	}
	if sm.MaxNewTokens < 0 {
		bad(CodeBadValue, "$.sampling.max_new_tokens", "", "max_new_tokens %d is negative", sm.MaxNewTokens)
	}
	if sm.RolloutsPerPrompt < 0 {
		bad(CodeBadValue, "$.sampling.rollouts_per_prompt", "", "rollouts_per_prompt %d is negative", sm.RolloutsPerPrompt)
	}
	if badFloat(sm.ImportanceClip) || sm.ImportanceClip < 0 {
		bad(CodeBadValue, "$.sampling.importance_clip", "leave it out for no cap", "importance_clip %v must be ≥ 0 and finite", sm.ImportanceClip)
	}
	if st, lt := c.Sampling.Temperature, c.LossOptions().Temperature; st > 0 && !badFloat(st) {
		if lt == 0 {
			lt = 1
		}
		if st != lt && !badFloat(lt) {
			d := diag.Warnf(CodeTemperatureMismatch, "$.sampling.temperature",
				"the sampling temperature %v differs from the loss temperature τ %v", st, lt)
			d.Hint = "TRL, verl and RCSD's code divide the loss logits by the sampling temperature: one knob there"
			dl = append(dl, d)
		}
	}
	return dl
}

func badFloat(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }
