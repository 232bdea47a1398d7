package export

import (
	"fmt"
	"strings"

	"github.com/rcsd-dev/rcsd/core/config"
	"github.com/rcsd-dev/rcsd/core/diag"
	"github.com/rcsd-dev/rcsd/core/distill"
	"github.com/rcsd-dev/rcsd/core/prompt"
	"github.com/rcsd-dev/rcsd/core/rubric"
)

// Target names a training framework (and recipe) to export to.
type Target string

const (
	// TRLSDFT is TRL's experimental self-distillation trainer
	// (trl.experimental.sdft: SDFTConfig, SDFTTrainer): rows {prompt,
	// privileged_context}, the teacher prompt composed with
	// teacher_prompt_template.
	TRLSDFT Target = "trl-sdft"
	// TRLGKD is TRL's GKDTrainer (trl.experimental.gkd): on-policy
	// distillation with the generalised JSD; its teacher sees the
	// student's input.
	TRLGKD Target = "trl-gkd"
	// Verl is verl with lasgroup/SDPO's self-distillation loss
	// (policy_loss.loss_mode sdpo): a Parquet dataset and a Hydra config.
	Verl Target = "verl"
	// Tinker is tinker-cookbook's distillation recipes (SDFT; on-policy
	// distillation for the tinker estimator).
	Tinker Target = "tinker"
)

// Targets lists every target, in documentation order.
func Targets() []Target { return []Target{TRLSDFT, TRLGKD, Verl, Tinker} }

// ParseTarget checks a target name.
func ParseTarget(s string) (Target, error) {
	names := make([]string, 0, 4)
	for _, t := range Targets() {
		if string(t) == s {
			return t, nil
		}
		names = append(names, string(t))
	}
	msg := fmt.Sprintf("unknown export target %q (want %s)", s, strings.Join(names, ", "))
	if h := diag.DidYouMean(s, names); h != "" {
		msg += "; " + h
	}
	return "", fmt.Errorf("%s", msg)
}

// Status says how a knob reached the target.
type Status string

const (
	// Mapped: the target key means the same as the knob.
	Mapped Status = "mapped"
	// Converted: the value was converted to the target's convention
	// (an EMA decay to an update rate, β to α, a reduction name) and
	// means the same.
	Converted Status = "converted"
	// Fixed: a target setting rcsd's method implies (on-policy sampling,
	// the loss mode) rather than one knob of the config.
	Fixed Status = "fixed"
	// Approximated: the closest target setting was written but it does not
	// mean the same; a warning says how it differs.
	Approximated Status = "approximated"
	// Unmappable: the target cannot express the knob; nothing was
	// written for it; a warning says so.
	Unmappable Status = "unmappable"
	// Inexpressible: the target cannot run the loss at all; an error,
	// and nothing is exported.
	Inexpressible Status = "inexpressible"
)

// Mapping is the fate of one knob (or one fixed setting) in one target.
type Mapping struct {
	// Knob is the config path of the knob ("loss.divergence"), or a name
	// in parentheses for a fixed setting ("(method)").
	Knob string `json:"knob"`
	// Value is the knob's resolved value as text.
	Value string `json:"value"`
	// Key is the target's key path ("distillation_alpha",
	// "actor_rollout_ref.actor.self_distillation.alpha"); empty when
	// nothing was written.
	Key string `json:"key,omitempty"`
	// Target is the value written under Key.
	Target any    `json:"target,omitempty"`
	Status Status `json:"status"`
	// Note says what the target's key means, how the value was
	// converted, or why the knob cannot be expressed.
	Note string `json:"note,omitempty"`
	// Source names where the target defines the key (repository and path,
	// or a documentation URL).
	Source string `json:"source,omitempty"`
}

// File is one exported file.
type File struct {
	Name    string `json:"name"`
	Content []byte `json:"content"`
}

// Request is what to export.
type Request struct {
	Target Target
	// Config is a parsed, valid config (config.Parse).
	Config *config.Config
	// ConfigFile names the config in NOTES.md.
	ConfigFile string
	// Items is JSONL, one record per line as `rcsd eval` reads them
	// (responses are optional here); empty exports the settings only.
	Items string
	// ItemsFile names Items in diagnostics.
	ItemsFile string
	// Rubric is the shared rubric for records without their own (the
	// config's rubrics.file or rubrics.inline, loaded by the host).
	Rubric *rubric.Rubric
	// EngineVersion is stamped in NOTES.md.
	EngineVersion string
}

// Result is an export: the files, the mapping of every knob, the
// diagnostics and the dataset's counts.
type Result struct {
	Target   Target    `json:"target"`
	Files    []File    `json:"files"`
	Mappings []Mapping `json:"mappings"`
	// Diagnostics: warnings for approximated and unmappable knobs, errors
	// for an inexpressible loss (then Files is empty), and the problems of
	// skipped records (file:line, JSON path).
	Diagnostics diag.List `json:"diagnostics"`
	// Records is the number of item records read; Rows the rows written;
	// Skipped the records left out because of errors.
	Records int `json:"records"`
	Rows    int `json:"rows"`
	Skipped int `json:"skipped"`
	// Verl holds the dataset rows of a verl export, which
	// core/export/parquet encodes as VerlDataFile.
	Verl []VerlRow `json:"-"`
}

// File names.
const (
	NotesFile       = "NOTES.md"
	TrainFile       = "train.jsonl"
	SDFTConfigFile  = "sdft_config.yaml"
	GKDConfigFile   = "gkd_config.yaml"
	VerlConfigFile  = "verl_sdpo.yaml"
	VerlRewardFile  = "rcsd_feedback_reward.py"
	VerlDataFile    = "train.parquet"
	TinkerSDFTFile  = "tinker_sdft.json"
	TinkerOnPolicy  = "tinker_on_policy.json"
	CodeUnmappable  = "export-unmappable"
	CodeApproximate = "export-approximated"
	CodeCannot      = "export-inexpressible"
	CodeNotUsed     = "export-not-used"
	CodeNoRows      = "export-no-context"
)

// Export maps req.Config (and req.Items) to req.Target. It never fails
// silently: approximated and unmappable knobs are warnings, an
// inexpressible loss is an error with no files.
func Export(req Request) Result {
	res := Result{Target: req.Target, Files: []File{}, Mappings: []Mapping{}, Diagnostics: diag.List{}}
	if req.Config == nil {
		res.Diagnostics = append(res.Diagnostics, diag.Errorf(CodeCannot, "$", "no config"))
		return res
	}
	s := resolve(req.Config)
	var b *builder
	switch req.Target {
	case TRLSDFT:
		b = mapTRLSDFT(s)
	case TRLGKD:
		b = mapTRLGKD(s)
	case Verl:
		b = mapVerl(s)
	case Tinker:
		b = mapTinker(s)
	default:
		_, err := ParseTarget(string(req.Target))
		res.Diagnostics = append(res.Diagnostics, diag.Errorf(CodeCannot, "", "%v", err))
		return res
	}
	b.datasetKnobs(s, req.Config)
	b.notUsed(req.Config)
	res.Mappings = b.maps
	res.Diagnostics = append(res.Diagnostics, b.diagnostics()...)
	if res.Diagnostics.HasErrors() {
		return res
	}
	rows, rdl, records := convertItems(req, s)
	res.Diagnostics = append(res.Diagnostics, rdl...)
	res.Records, res.Rows, res.Skipped = records, len(rows), records-len(rows)
	res.Files = writeFiles(req, s, b, rows, &res)
	return res
}

// settings is the config resolved: the preset filled in, defaults named.
type settings struct {
	loss     distill.Options
	prompt   prompt.Options
	teacher  config.Teacher
	sampling config.Sampling
	preset   string
	// div is the divergence with the JSD endpoints rewritten (β 0 is
	// forward, β 1 reverse), as rcsd computes it.
	div distill.Divergence
	// tau is the loss temperature (1 when unset).
	tau float64
	// template is the teacher's composition ({prompt}, {privileged_context}).
	template string
}

func resolve(c *config.Config) settings {
	s := settings{loss: c.LossOptions(), prompt: c.PromptOptions(), teacher: c.TeacherOptions(), sampling: c.SamplingOptions(), preset: c.Preset}
	if s.prompt.Variant == "" {
		s.prompt.Variant = prompt.RCSD
	}
	s.div = s.loss.Divergence
	switch {
	case s.div == "":
		s.div = distill.Forward
	case s.div == distill.JSD && s.loss.Beta == 0:
		s.div = distill.Forward
	case s.div == distill.JSD && s.loss.Beta == 1:
		s.div = distill.Reverse
	}
	if s.loss.Estimator != distill.NoEstimator && s.div == distill.Forward {
		s.div = distill.Reverse // the estimators estimate reverse KL (config validation refuses an explicit forward)
	}
	s.tau = s.loss.Temperature
	if s.tau == 0 {
		s.tau = 1
	}
	s.template = s.prompt.Custom
	if s.template == "" {
		s.template = prompt.DefaultTemplate
	}
	return s
}
