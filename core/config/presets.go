package config

import (
	"sort"

	"github.com/rcsd-dev/rcsd/core/distill"
	"github.com/rcsd-dev/rcsd/core/prompt"
)

// Preset is a named setting of a published method: the loss and the
// teacher's privileged context.
type Preset struct {
	Name    string
	Summary string
	Loss    distill.Options
	Variant prompt.Variant
	// Teacher is the teacher's weights (its privileged fields are the
	// variant's own).
	Teacher Teacher
	// Sampling holds the sampling values the method states; the others
	// are left to the framework.
	Sampling Sampling
}

// presets, with the provenance of each value (method.md §2–3).
var presets = map[string]Preset{
	// carriegu0818/RCSD rcsd_trainer_reward.py: forward KL (β = 0), τ 1.2,
	// teacher top-20 renormalised, per-entry clip 0.05, token mean; the
	// teacher is the frozen initial model (LoRA adapters off), the
	// student samples one rollout per prompt at the same temperature 1.2
	// (method.md §1–2).
	"rcsd": {Name: "rcsd", Summary: "released RCSD Stage II: forward KL, τ 1.2, teacher top-20, per-entry clip 0.05, rubric + reference in the teacher",
		Loss: distill.RCSDReleased(), Variant: prompt.RCSD,
		Teacher: Teacher{Mode: Frozen}, Sampling: Sampling{Temperature: 1.2, RolloutsPerPrompt: 1}},
	// siyan-zhao/OPSD, final paper: forward KL over the teacher's top-k,
	// renormalised, per-entry clip in the later version; the teacher sees
	// the reference solution.
	"opsd": {Name: "opsd", Summary: "OPSD: forward KL over the teacher's top-20, per-entry clip 0.05, reference solution in the teacher",
		Loss: distill.Options{Divergence: distill.Forward, Support: distill.TeacherTopK, TopK: 20, ClipEntry: 0.05, Reduction: distill.TokenMean}, Variant: prompt.OPSD,
		// OPSD offers frozen, EMA 0.999 and live teachers (method.md §3);
		// frozen is its first.
		Teacher: Teacher{Mode: Frozen}},
	// RGSD (arXiv 2606.12507, third-party reproduction): JSD β 0.5 over the
	// full vocabulary, per-token clip after the vocabulary sum; the rubric
	// as numbered weighted lines.
	"rgsd": {Name: "rgsd", Summary: "RGSD: JSD β 0.5 over the full vocabulary, per-token clip 1.0, numbered weighted rubric lines",
		Loss: distill.Options{Divergence: distill.JSD, Beta: 0.5, Support: distill.Full, ClipToken: 1.0, Reduction: distill.TokenMean}, Variant: prompt.RGSD,
		Teacher: Teacher{Mode: Frozen}},
	// TRL experimental SDPO/SDFT: α = 0 forward over the student's top-100
	// with one tail bucket log(1 − Σ p); the teacher sees feedback. TRL's
	// importance-ratio cap (2.0) applies to rollouts, not to this loss.
	"sdpo": {Name: "sdpo", Summary: "SDPO / TRL SDFT: forward KL over the student's top-100 with a tail bucket, feedback in the teacher",
		Loss: distill.Options{Divergence: distill.Forward, Support: distill.StudentTopK, TopK: 100, Tail: true, Reduction: distill.TokenMean}, Variant: prompt.Feedback,
		// lasgroup/SDPO verl/trainer/config/actor/actor.yaml:
		// teacher_regularization ema, teacher_update_rate 0.05 (decay
		// 0.95), is_clip 2 (the importance-ratio cap of reused rollouts).
		Teacher: Teacher{Mode: EMA, EMADecay: 0.95}, Sampling: Sampling{ImportanceClip: 2.0}},
}

// LookupPreset returns the preset called name.
func LookupPreset(name string) (Preset, bool) {
	p, ok := presets[name]
	return p, ok
}

// PresetNames lists the presets in a stable order.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
