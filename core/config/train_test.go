package config_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rcsd-dev/rcsd/core/config"
	"github.com/rcsd-dev/rcsd/core/distill"
	"github.com/rcsd-dev/rcsd/core/prompt"
)

func TestTrainSections(t *testing.T) {
	doc := `schema_version: 1
preset: rcsd
rubrics: {from: file, file: rubrics/answer-format.yaml}
teacher: {mode: ema, ema_decay: 0.999, privileged: [rubric]}
sampling: {temperature: 1.2, top_p: 0.95, top_k: 50, max_new_tokens: 2048, rollouts_per_prompt: 4, importance_clip: 2}
`
	c, dl := config.Parse("c.yaml", []byte(doc))
	if len(dl) != 0 {
		t.Fatal(dl)
	}
	if d := cmp.Diff(config.RubricSource{From: config.FromFile, File: "rubrics/answer-format.yaml"}, c.RubricSourceOf()); d != "" {
		t.Errorf("rubric source (-want +got):\n%s", d)
	}
	if d := cmp.Diff(config.Teacher{Mode: config.EMA, EMADecay: 0.999, Privileged: []string{"rubric"}}, c.TeacherOptions()); d != "" {
		t.Errorf("teacher (-want +got):\n%s", d)
	}
	if d := cmp.Diff(config.Sampling{Temperature: 1.2, TopP: 0.95, TopK: 50, MaxNewTokens: 2048, RolloutsPerPrompt: 4, ImportanceClip: 2}, c.SamplingOptions()); d != "" {
		t.Errorf("sampling (-want +got):\n%s", d)
	}
	// The legacy top-level rubric is a file source; nothing is each item's own.
	c, _ = config.Parse("c.yaml", []byte("schema_version: 1\nrubric: r.yaml\n"))
	if got := c.RubricSourceOf(); got != (config.RubricSource{From: config.FromFile, File: "r.yaml"}) {
		t.Errorf("legacy rubric: %+v", got)
	}
	c, _ = config.Parse("c.yaml", []byte("schema_version: 1\n"))
	if got := c.RubricSourceOf(); got.From != config.FromItem {
		t.Errorf("default source: %+v", got)
	}
	// An inline rubric in any importable format.
	c, dl = config.Parse("c.yaml", []byte("schema_version: 1\nrubrics:\n  inline: [{title: T, description: D., weight: 2}]\n"))
	if c == nil {
		t.Fatal(dl)
	}
	r, dl := c.InlineRubric()
	if r == nil || len(r.Criteria) != 1 || r.Criteria[0].Weight != 2 {
		t.Errorf("inline rubric %+v %v", r, dl)
	}
}

// TestPresetsReleased: the presets carry the released values of
// method.md §2–3. RCSD: forward KL (β 0), τ 1.2, teacher top-20
// renormalised (no tail), per-entry clip 0.05, token mean, the frozen
// initial model as teacher, one rollout per prompt sampled at τ; the
// teacher sees the reference answer and the whole rubric.
func TestPresetsReleased(t *testing.T) {
	c, dl := config.Parse("c.yaml", []byte("schema_version: 1\npreset: rcsd\n"))
	if c == nil {
		t.Fatal(dl)
	}
	wantLoss := distill.Options{Divergence: distill.Forward, Beta: 0, Temperature: 1.2, Support: distill.TeacherTopK, TopK: 20, Tail: false, ClipEntry: 0.05, Reduction: distill.TokenMean}
	if d := cmp.Diff(wantLoss, c.LossOptions()); d != "" {
		t.Errorf("rcsd loss (-want +got):\n%s", d)
	}
	if d := cmp.Diff(config.Teacher{Mode: config.Frozen, Privileged: []string{"rubric", "reference_answer"}}, c.TeacherOptions()); d != "" {
		t.Errorf("rcsd teacher (-want +got):\n%s", d)
	}
	if d := cmp.Diff(config.Sampling{Temperature: 1.2, RolloutsPerPrompt: 1}, c.SamplingOptions()); d != "" {
		t.Errorf("rcsd sampling (-want +got):\n%s", d)
	}
	if c.PromptOptions().Variant != prompt.RCSD {
		t.Errorf("rcsd variant %q", c.PromptOptions().Variant)
	}
	// SDPO (lasgroup/SDPO actor.yaml): EMA with update rate 0.05, IS cap 2.
	c, _ = config.Parse("c.yaml", []byte("schema_version: 1\npreset: sdpo\n"))
	if d := cmp.Diff(config.Teacher{Mode: config.EMA, EMADecay: 0.95, Privileged: []string{"rubric"}}, c.TeacherOptions()); d != "" {
		t.Errorf("sdpo teacher (-want +got):\n%s", d)
	}
	if c.SamplingOptions().ImportanceClip != 2 {
		t.Errorf("sdpo importance clip %v", c.SamplingOptions().ImportanceClip)
	}
	// OPSD's teacher sees the reference solution only.
	c, _ = config.Parse("c.yaml", []byte("schema_version: 1\npreset: opsd\n"))
	if d := cmp.Diff([]string{"reference_answer"}, c.TeacherOptions().Privileged); d != "" {
		t.Errorf("opsd privileged (-want +got):\n%s", d)
	}
}

// TestTrainBad: every problem of the new sections at once, with its
// position and path, contradictions included.
func TestTrainBad(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"sampled-token with forward KL", "schema_version: 1\nloss:\n  divergence: forward\n  estimator: sampled-token\n", []string{
			`c.yaml:3:15: error distill-estimator-divergence: $.loss.divergence: estimator "sampled-token" estimates reverse KL(S‖T) from the sampled token; divergence "forward" contradicts it (leave divergence out or set "reverse")`,
		}},
		{"teacher", "schema_version: 1\nteacher:\n  mode: emma\n  ema_decay: 1.5\n  privileged: [rubric, rubric, reference]\n", []string{
			`c.yaml:3:9: error bad-value: $.teacher.mode: unknown teacher mode "emma" (did you mean "ema"?)`,
			`c.yaml:4:14: error bad-value: $.teacher.ema_decay: ema_decay 1.5 is outside (0, 1) (e.g. 0.999)`,
			`c.yaml:5:24: error bad-value: $.teacher.privileged[1]: privileged field "rubric" is listed twice`,
			`c.yaml:5:32: error bad-value: $.teacher.privileged[2]: unknown privileged field "reference" (one of: rubric, reference_answer)`,
		}},
		{"decay without ema, ema without decay", "schema_version: 1\nteacher: {mode: live, ema_decay: 0.99}\n", []string{
			`c.yaml:2:34: error contradictory-options: $.teacher.ema_decay: ema_decay applies only to mode ema, but the teacher is live (set mode: ema, or remove ema_decay)`,
		}},
		{"ema without decay", "schema_version: 1\nteacher: {mode: ema}\n", []string{
			`c.yaml:2:10: error missing-value: $.teacher: an ema teacher needs ema_decay (add ema_decay, e.g. 0.999 (OPSD))`,
		}},
		{"privileged vs variant", "schema_version: 1\nprompt: {variant: opsd, reason_first: true}\nteacher: {privileged: [rubric]}\n", []string{
			`c.yaml:2:39: error contradictory-options: $.prompt.reason_first: reason_first with the opsd teacher (only the rcsd teacher has a reason-first pass)`,
			`c.yaml:3:23: error contradictory-options: $.teacher.privileged: the opsd teacher needs the reference answer (add "reference_answer")`,
			`c.yaml:3:24: error contradictory-options: $.teacher.privileged[0]: the opsd teacher does not show the rubric (use a variant that shows it (rcsd shows both))`,
		}},
		{"rubric sources", "schema_version: 1\nrubric: a.yaml\nrubrics:\n  from: inline\n  file: b.yaml\n", []string{
			`c.yaml:4:3: error contradictory-options: $.rubrics: the top-level rubric file and the rubrics section both say where rubrics come from (move the path to rubrics.file)`,
			`c.yaml:4:3: error missing-value: $.rubrics: inline rubrics need the rubric (add "inline" (a criteria list))`,
			`c.yaml:5:9: error contradictory-options: $.rubrics.file: file applies to rubrics from "file", but from is "inline" (remove it, or set from: file)`,
		}},
		{"bad inline rubric", "schema_version: 1\nrubrics:\n  inline: [{title: T, description: D, wieght: 2}]\n", []string{
			`c.yaml:3:47: error unknown-field: $.rubrics.inline[0].wieght: unknown field "wieght" in a criterion (did you mean "weight"?)`,
		}},
		{"inline weight out of bounds", "schema_version: 1\nrubrics:\n  inline: [{title: T, description: D., weight: 1e308}, {title: U, description: E., weight: 1e-9}]\n", []string{
			`c.yaml:3:48: error weight-out-of-bounds: $.rubrics.inline[0].weight: criterion "c1" has weight 1e+308; a weight's magnitude must be at most 1e6 (weights act only through ratios: scale the rubric's weights down together)`,
			`c.yaml:3:92: error weight-out-of-bounds: $.rubrics.inline[1].weight: criterion "c2" has weight 1e-09; a nonzero weight's magnitude must be at least 1e-6 (use 0 for a criterion that should not count, or scale the rubric's weights up together)`,
		}},
		{"sampling", "schema_version: 1\nloss: {temperature: 1.2}\nsampling: {temperature: 0.7, top_p: 1.5, top_k: -1, max_new_tokens: -5, rollouts_per_prompt: -1, importance_clip: -2}\n", []string{
			`c.yaml:3:25: warning temperature-mismatch: $.sampling.temperature: the sampling temperature 0.7 differs from the loss temperature τ 1.2 (TRL, verl and RCSD's code divide the loss logits by the sampling temperature: one knob there)`,
			`c.yaml:3:37: error bad-value: $.sampling.top_p: top_p 1.5 is outside (0, 1]`,
			`c.yaml:3:49: error bad-value: $.sampling.top_k: top_k -1 is negative (leave it out to sample from the whole vocabulary)`,
			`c.yaml:3:69: error bad-value: $.sampling.max_new_tokens: max_new_tokens -5 is negative`,
			`c.yaml:3:94: error bad-value: $.sampling.rollouts_per_prompt: rollouts_per_prompt -1 is negative`,
			`c.yaml:3:115: error bad-value: $.sampling.importance_clip: importance_clip -2 must be ≥ 0 and finite (leave it out for no cap)`,
		}},
		{"typos", "schema_version: 1\nteacher: {mod: ema}\nsampling: {temprature: 1}\nrubrics: {fields: x}\n", []string{
			`c.yaml:2:16: error unknown-field: $.teacher.mod: unknown field "mod" (did you mean "mode"?)`,
			`c.yaml:3:24: error unknown-field: $.sampling.temprature: unknown field "temprature" (did you mean "temperature"?)`,
			`c.yaml:4:19: error unknown-field: $.rubrics.fields: unknown field "fields" (did you mean "field"?)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, dl := config.Parse("c.yaml", []byte(tt.in))
			var got []string
			for _, d := range dl {
				got = append(got, d.String())
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("diagnostics (-want +got):\n%s", d)
			}
		})
	}
}
