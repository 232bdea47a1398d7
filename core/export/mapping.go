package export

import (
	"fmt"
	"strings"

	"github.com/rcsd-dev/rcsd/core/config"
	"github.com/rcsd-dev/rcsd/core/distill"
	"github.com/rcsd-dev/rcsd/core/prompt"
)

// Where each target defines the keys written (docs/export.md has the
// table with the same sources).
const (
	srcTRLSD      = "huggingface/trl trl/experimental/self_distillation/self_distillation_config.py"
	srcTRLSDFT    = "huggingface/trl trl/experimental/sdft/sdft_config.py"
	srcTRLSDLoss  = "huggingface/trl trl/experimental/self_distillation/self_distillation_loss.py"
	srcTRLEMA     = "huggingface/trl trl/experimental/self_distillation/teacher_sync.py"
	srcTRLSDFTDoc = "huggingface/trl docs/source/sdft_trainer.md"
	srcGKD        = "huggingface/trl trl/experimental/gkd/gkd_config.py"
	srcGKDLoss    = "huggingface/trl trl/experimental/gkd/gkd_trainer.py (generalized_jsd_loss)"
	srcVerlData   = "volcengine/verl examples/data_preprocess/gsm8k.py"
	srcSDPO       = "lasgroup/SDPO verl/trainer/config/actor/actor.yaml"
	srcSDPOCfg    = "lasgroup/SDPO verl/workers/config/actor.py (SelfDistillationConfig)"
	srcSDPOFeed   = "lasgroup/SDPO verl/trainer/ppo/ray_trainer.py (_collect_feedback)"
	srcSDPOActor  = "lasgroup/SDPO verl/workers/actor/dp_actor.py (top-k from the student's logits)"
	srcTinkerSDFT = "https://tinker-docs.thinkingmachines.ai/cookbook/api-reference/distillation/sdft_config/"
	srcTinkerCE   = "https://tinker-docs.thinkingmachines.ai/tinker/losses/cross-entropy (Top-K distillation)"
	srcTinkerOP   = "thinking-machines-lab/tinker-cookbook tinker_cookbook/distillation/train_on_policy.py"
	srcTinkerCode = "thinking-machines-lab/tinker-cookbook tinker_cookbook/distillation/sdft.py"
)

func divValue(s settings) string {
	if s.loss.Divergence == distill.JSD && s.div == distill.JSD {
		return fmt.Sprintf("jsd (beta %s)", fnum(s.loss.Beta))
	}
	return string(s.div)
}

// alpha is the TRL / SDPO interpolation coefficient of rcsd's divergence.
// rcsd's JSD_β = β·KL(T‖M) + (1−β)·KL(S‖M) with M = (1−β)S + βT, and TRL
// computes lerp(KL(S‖M), KL(T‖M), α) with M = (1−α)S + αT
// (self_distillation_loss.py _compute_divergence; gkd_trainer.py
// generalized_jsd_loss): α = β, 0 forward KL(T‖S), 1 reverse KL(S‖T).
func alpha(s settings) float64 {
	switch s.div {
	case distill.Forward:
		return 0
	case distill.Reverse:
		return 1
	}
	return s.loss.Beta
}

const alphaNote = "TRL convention, the same as rcsd's β: 0 forward KL(T‖S), 1 reverse KL(S‖T), in between the generalised JSD with M = (1−α)S + αT"

// temperature maps τ and the sampling temperature to a target whose one
// temperature is used for sampling and divides the loss logits.
func (b *builder) temperature(s settings, key, src string) {
	st := s.sampling.Temperature
	one := fmt.Sprintf("%s divides the loss logits by the sampling temperature: τ and the sampling temperature are one knob", b.target)
	switch {
	case st == 0:
		b.mapped("loss.temperature", fnum(s.tau), key, s.tau, one+"; sampling uses it too", src)
	case st == s.tau:
		b.mapped("sampling.temperature", fnum(st), key, st, "sampling temperature", src)
		b.mapped("loss.temperature", fnum(s.tau), key, st, one, src)
	default:
		b.mapped("sampling.temperature", fnum(st), key, st, "sampling temperature", src)
		b.cannot("loss.temperature", fnum(s.tau), fmt.Sprintf("%s (%s here), so a different loss τ cannot be set", one, fnum(st)), src)
	}
}

// common knobs no target expresses.
func (b *builder) noClips(s settings, why string) {
	if s.loss.ClipEntry != 0 {
		b.cannot("loss.clip_entry", fnum(s.loss.ClipEntry), "no per-(token, vocabulary entry) cap of the divergence terms"+why, "")
	}
	if s.loss.ClipToken != 0 {
		b.cannot("loss.clip_token", fnum(s.loss.ClipToken), "no per-token cap of the divergence"+why, "")
	}
}

func (b *builder) reasonFirst(s settings) {
	if s.prompt.ReasonFirst {
		b.cannot("prompt.reason_first", "true", "the teacher's context is fixed before scoring; no trainer generates the teacher's analysis pass first", "")
	}
}

func (b *builder) maskThinking(s settings) {
	if s.loss.MaskThinking {
		b.cannot("loss.mask_thinking", "true", "no mask that drops the completion up to </think>", "")
	}
}

func (b *builder) estimatorFails(s settings) bool {
	switch s.loss.Estimator {
	case distill.K1, distill.Abs, distill.K2, distill.K3:
		b.fail("loss.estimator", string(s.loss.Estimator), "verl's KL estimators (kl_loss_type kl/abs/mse/low_var_kl) penalise against a reference policy that sees the student's prompt, not a privileged teacher; no target applies them to a rubric-conditioned teacher", "")
		return true
	case distill.RLLM:
		b.fail("loss.estimator", "rllm", "no target has rllm's clipped advantage clamp(log T − log S, −5, 5)", "")
		return true
	}
	return false
}

func mapTRLSDFT(s settings) *builder {
	b := &builder{target: TRLSDFT}
	o := s.loss
	b.fixed("generate_from_teacher", false, "the student samples from its own prompt (on-policy), as RCSD does", srcTRLSDFT)
	if b.estimatorFails(s) {
		return b
	}
	switch o.Estimator {
	case distill.SampledToken, distill.Tinker:
		if o.Estimator == distill.Tinker && o.Discount != 0 {
			b.fail("loss.discount", fnum(o.Discount), "TRL's sampled-token loss has no discounted future sum", srcTRLSDLoss)
			return b
		}
		b.conv("loss.estimator", string(o.Estimator), "distillation_mode", "sampled_token",
			"TRL's sampled-token loss (log S − log T).detach()·log S is −A_t·log S with A_t = log T − log S, rcsd's sampled-token estimator", srcTRLSDLoss)
		b.conv("loss.divergence", "reverse", "distillation_alpha", 1.0, "TRL's sampled-token mode requires α = 1 (reverse KL), the KL the estimator estimates", srcTRLSDLoss)
		if o.Estimator == distill.Tinker {
			lam := o.KLCoef
			if lam == 0 {
				lam = 1
			}
			b.conv("loss.kl_coef", fnum(lam), "distillation_weight", lam, "λ scales the whole distillation term", srcTRLSD)
		}
	default:
		b.conv("loss.divergence", divValue(s), "distillation_alpha", alpha(s), alphaNote, srcTRLSD)
		switch o.Support {
		case "", distill.Full:
			b.conv("loss.support", "full", "distillation_mode", "full_logits", "the divergence over the whole vocabulary", srcTRLSD)
		case distill.StudentTopK:
			b.conv("loss.support", "student-topk", "distillation_mode", "topk_logits", "TRL takes the top k of the student's logits and renormalises both sides over them", srcTRLSDLoss)
			b.mapped("loss.top_k", itoa(o.TopK), "distillation_topk", o.TopK, "k", srcTRLSD)
		case distill.TeacherTopK:
			b.approx("loss.support", "teacher-topk", "distillation_mode", "topk_logits",
				"TRL's top-k support is the student's top k (torch.topk(student_logits)); no option takes the teacher's, so the entries summed over differ where the two disagree", srcTRLSDLoss)
			b.approx("loss.top_k", itoa(o.TopK), "distillation_topk", o.TopK, "k of the student's top-k support (see loss.support)", srcTRLSD)
		}
		if o.Support == distill.StudentTopK || o.Support == distill.TeacherTopK {
			b.mapped("loss.tail", fmt.Sprint(o.Tail), "distillation_add_tail", o.Tail, "true: one tail bucket log(1 − Σ top-k p); false: renormalise over the top k", srcTRLSDLoss)
		}
	}
	b.temperature(s, "temperature", srcTRLSD)
	b.noClips(s, "; TRL's distillation_is_clip caps the importance ratio of reused rollouts, a different thing (sampling.importance_clip)")
	switch o.Reduction {
	case "", distill.TokenMean:
		b.conv("loss.reduction", "token-mean", "loss_type", "dapo", "dapo aggregates Σ over valid tokens / number of valid tokens (_aggregate_loss)", srcTRLSDLoss)
	case distill.SequenceMean:
		b.conv("loss.reduction", "sequence-mean", "loss_type", "grpo", "grpo aggregates each sequence's token mean, then the mean over sequences (_aggregate_loss)", srcTRLSDLoss)
	default:
		b.cannot("loss.reduction", string(o.Reduction), "TRL's loss_type offers grpo, bnpo, dr_grpo and dapo: token and sequence means, and a sum over a fixed max_completion_length", srcTRLSDLoss)
	}
	b.mapped("loss.skip_first", itoa(o.SkipFirst), "num_loss_tokens_to_skip", o.SkipFirst, "leading completion tokens left out of the loss", srcTRLSDFT)
	b.maskThinking(s)
	switch s.teacher.Mode {
	case config.Frozen:
		b.conv("teacher.mode", "frozen", "teacher_model_kind", "base", "base: the initial weights, frozen (under PEFT the adapter is disabled for the teacher pass, as RCSD does)", srcTRLSDFTDoc)
	case config.Live:
		b.mapped("teacher.mode", "live", "teacher_model_kind", "live", "the current student", srcTRLSDFTDoc)
	case config.EMA:
		b.mapped("teacher.mode", "ema", "teacher_model_kind", "ema", "an exponential moving average of the student", srcTRLSDFTDoc)
		b.conv("teacher.ema_decay", fnum(s.teacher.EMADecay), "teacher_update_rate", rate(s.teacher.EMADecay),
			"TRL updates teacher = (1 − rate)·teacher + rate·student, so rate = 1 − decay", srcTRLEMA)
		b.fixed("teacher_sync_steps", 1, "update the EMA after every optimizer step, as rcsd's decay assumes (TRL's default is 512)", srcTRLSD)
	}
	b.conv("prompt.variant", string(s.prompt.Variant), "teacher_prompt_template", s.template,
		"the teacher's prompt is this template filled with the student's prompt and the row's privileged_context (the rendered "+string(s.prompt.Variant)+" block)", srcTRLSDFT)
	b.reasonFirst(s)
	b.thinking(s, "chat_template_kwargs", srcTRLSD)
	b.sampling(s, samplingKeys{topP: "top_p", topK: "top_k", topKOff: 0, maxNew: "max_completion_length", rollouts: "num_generations", clip: "distillation_is_clip", src: srcTRLSD,
		clipNote: "the importance-ratio cap of reused rollouts; null turns TRL's default 2.0 off"})
	return b
}

func mapTRLGKD(s settings) *builder {
	b := &builder{target: TRLGKD}
	o := s.loss
	b.fixed("lmbda", 1.0, "the fraction of on-policy (student-sampled) batches: RCSD trains on the student's own samples at every step", srcGKD)
	b.fixed("seq_kd", false, "no sequence-level KD on teacher samples", srcGKD)
	if b.estimatorFails(s) {
		return b
	}
	if o.Estimator != distill.NoEstimator {
		b.fail("loss.estimator", string(o.Estimator), "GKD computes the generalised JSD over the whole vocabulary only; use trl-sdft (distillation_mode sampled_token)", srcGKDLoss)
		return b
	}
	b.conv("loss.divergence", divValue(s), "beta", alpha(s), "TRL GKD convention, the same as rcsd's β: 0 forward KL(T‖S), 1 reverse KL(S‖T) (generalized_jsd_loss special-cases both)", srcGKD)
	b.temperature(s, "temperature", srcGKD)
	if o.Support == distill.StudentTopK || o.Support == distill.TeacherTopK {
		b.cannot("loss.support", fmt.Sprintf("%s (k %d)", o.Support, o.TopK), "GKD sums over the whole vocabulary", srcGKDLoss)
		if o.Tail {
			b.cannot("loss.tail", "true", "no top-k support, so no tail bucket", srcGKDLoss)
		}
	} else {
		b.mapped("loss.support", "full", "", nil, "GKD sums over the whole vocabulary", srcGKDLoss)
	}
	b.noClips(s, "")
	switch o.Reduction {
	case "", distill.TokenMean:
		b.mapped("loss.reduction", "token-mean", "", nil, "generalized_jsd_loss's batchmean with labels divides by the number of completion tokens: a token mean", srcGKDLoss)
	default:
		b.cannot("loss.reduction", string(o.Reduction), "GKD's loss is a token mean", srcGKDLoss)
	}
	if o.SkipFirst != 0 {
		b.cannot("loss.skip_first", itoa(o.SkipFirst), "no option leaves leading completion tokens out", srcGKD)
	}
	b.maskThinking(s)
	switch s.teacher.Mode {
	case config.Frozen:
		b.conv("teacher.mode", "frozen", "teacher_model_name_or_path", nil,
			"null: the teacher is loaded from the trained model's own checkpoint and never updated; pass that frozen copy as GKDTrainer's teacher_model", srcGKD)
	default:
		b.cannot("teacher.mode", string(s.teacher.Mode), "GKD's teacher is a separate, fixed model: no EMA or live teacher", srcGKD)
	}
	b.cannot("prompt.variant", string(s.prompt.Variant),
		"GKD's teacher scores the student's own input: the privileged block cannot reach it. The rows carry privileged_context for a custom trainer; for rubric conditioning use trl-sdft", srcGKDLoss)
	b.reasonFirst(s)
	if s.prompt.Chat == prompt.Qwen3 {
		b.cannot("prompt.thinking", fmt.Sprint(s.prompt.Thinking), "GKDConfig has no chat_template_kwargs; render the messages with the thinking flag your model's template defaults to", srcGKD)
	}
	sm := s.sampling
	if sm.MaxNewTokens != 0 {
		b.mapped("sampling.max_new_tokens", itoa(sm.MaxNewTokens), "max_new_tokens", sm.MaxNewTokens, "the completion length bound", srcGKD)
	}
	if sm.TopP != 0 {
		b.cannot("sampling.top_p", fnum(sm.TopP), "GKD samples with a fixed generation config (top_k 0, no top_p)", srcGKDLoss)
	}
	if sm.TopK != 0 {
		b.cannot("sampling.top_k", itoa(sm.TopK), "GKD samples with a fixed generation config (top_k 0)", srcGKDLoss)
	}
	if sm.RolloutsPerPrompt > 1 {
		b.cannot("sampling.rollouts_per_prompt", itoa(sm.RolloutsPerPrompt), "GKD samples one completion per prompt", srcGKDLoss)
	} else if sm.RolloutsPerPrompt == 1 {
		b.mapped("sampling.rollouts_per_prompt", "1", "", nil, "GKD samples one completion per prompt", srcGKDLoss)
	}
	if sm.ImportanceClip != 0 {
		b.cannot("sampling.importance_clip", fnum(sm.ImportanceClip), "GKD does not reuse rollouts", srcGKD)
	}
	return b
}

const verlSD = "actor_rollout_ref.actor.self_distillation."

func mapVerl(s settings) *builder {
	b := &builder{target: Verl}
	o := s.loss
	b.fixed("actor_rollout_ref.actor.policy_loss.loss_mode", "sdpo", "the self-distillation loss of lasgroup/SDPO replaces the policy-gradient loss", srcSDPO)
	if b.estimatorFails(s) {
		return b
	}
	switch o.Estimator {
	case distill.SampledToken, distill.Tinker:
		if o.Estimator == distill.Tinker && (o.Discount != 0 || (o.KLCoef != 0 && o.KLCoef != 1)) {
			b.fail("loss.kl_coef", fnum(o.KLCoef)+", discount "+fnum(o.Discount), "SDPO's token-level loss has neither λ nor a discounted future sum", srcSDPOCfg)
			return b
		}
		b.conv("loss.estimator", string(o.Estimator), verlSD+"full_logit_distillation", false, "false: SDPO's token-level loss on the sampled token (the reverse-KL estimator)", srcSDPOCfg)
		b.conv("loss.divergence", "reverse", verlSD+"alpha", 1.0, "reverse KL, the KL the sampled-token estimator estimates", srcSDPOCfg)
	default:
		b.conv("loss.estimator", "none", verlSD+"full_logit_distillation", true, "true: the divergence of the two distributions", srcSDPOCfg)
		if s.div == distill.JSD {
			b.approx("loss.divergence", divValue(s), verlSD+"alpha", alpha(s),
				"SDPO's alpha: 0 forward, 1 reverse, otherwise JSD, but its actor.yaml comment reads 0.25 and 0.5 (and SelfDistillationConfig's docstring 0.25 and 0.75) as Rényi divergences with rho; check compute_self_distillation_loss in your checkout", srcSDPO)
		} else {
			b.conv("loss.divergence", divValue(s), verlSD+"alpha", alpha(s), "SDPO convention: 0.0 forward KL, 1.0 reverse KL", srcSDPO)
		}
		switch o.Support {
		case "", distill.Full:
			b.conv("loss.support", "full", verlSD+"distillation_topk", nil, "null: full logits", srcSDPO)
		case distill.StudentTopK:
			b.mapped("loss.top_k", itoa(o.TopK), verlSD+"distillation_topk", o.TopK, "the student's top k", srcSDPOActor)
		case distill.TeacherTopK:
			b.approx("loss.support", fmt.Sprintf("teacher-topk (k %d)", o.TopK), verlSD+"distillation_topk", o.TopK,
				"SDPO takes the top k of the student's logits and gathers the teacher's at those ids; no option takes the teacher's", srcSDPOActor)
		}
		b.mapped("loss.tail", fmt.Sprint(o.Tail), verlSD+"distillation_add_tail", o.Tail, "SDPO's default is true; written explicitly", srcSDPO)
	}
	b.temperature(s, "actor_rollout_ref.rollout.temperature", srcSDPOActor)
	b.noClips(s, "; SDPO's is_clip caps the importance ratio of reused rollouts (sampling.importance_clip)")
	switch o.Reduction {
	case "", distill.TokenMean:
		b.mapped("loss.reduction", "token-mean", "actor_rollout_ref.actor.loss_agg_mode", "token-mean", "Σ over valid tokens / their number", srcSDPO)
	case distill.SequenceMean:
		b.conv("loss.reduction", "sequence-mean", "actor_rollout_ref.actor.loss_agg_mode", "seq-mean-token-mean", "each sequence's token mean, then the mean over sequences", srcSDPO)
	case distill.BatchMean:
		b.conv("loss.reduction", "batchmean", "actor_rollout_ref.actor.loss_agg_mode", "seq-mean-token-sum", "each sequence's token sum, then the mean over sequences: Σ / number of sequences", srcSDPO)
	default:
		b.cannot("loss.reduction", string(o.Reduction), "verl's loss_agg_mode has token and sequence means only", srcSDPO)
	}
	if o.SkipFirst != 0 {
		b.cannot("loss.skip_first", itoa(o.SkipFirst), "no option leaves leading completion tokens out", srcSDPOCfg)
	}
	b.maskThinking(s)
	b.fixed(verlSD+"teacher_regularization", "ema", "SDPO's teacher is an EMA of the student (or a trust region); frozen and live are its update rates 0 and 1", srcSDPOCfg)
	switch s.teacher.Mode {
	case config.Frozen:
		b.conv("teacher.mode", "frozen", verlSD+"teacher_update_rate", 0.0, "rate 0: the teacher keeps the initial weights", srcSDPOCfg)
	case config.Live:
		b.conv("teacher.mode", "live", verlSD+"teacher_update_rate", 1.0, "rate 1: the teacher takes the student's weights at every update", srcSDPOCfg)
	case config.EMA:
		b.conv("teacher.ema_decay", fnum(s.teacher.EMADecay), verlSD+"teacher_update_rate", rate(s.teacher.EMADecay), "SDPO's EMA update rate is 1 − decay", srcSDPOCfg)
	}
	tmpl := strings.ReplaceAll(s.template, "{privileged_context}", "{feedback}")
	b.conv("prompt.variant", string(s.prompt.Variant), verlSD+"reprompt_template", tmpl,
		"the teacher's prompt: {prompt} is the student's last user turn, {feedback} the row's privileged context (rcsd's {privileged_context}); no {solution}, so peers' successful attempts are never shown", srcSDPOCfg)
	b.fixed(verlSD+"feedback_template", "{feedback_raw}", "the feedback is the privileged block as is", srcSDPOCfg)
	b.fixed(verlSD+"include_environment_feedback", true, "the reward function returns the row's extra_info.privileged_context as feedback", srcSDPOFeed)
	b.fixed(verlSD+"environment_feedback_only_without_solution", false, "keep the feedback even when a peer succeeded", srcSDPOCfg)
	b.fixed("custom_reward_function.path", VerlRewardFile, "returns score 0 and the privileged block as feedback (written next to this file)", srcSDPOFeed)
	b.fixed("custom_reward_function.name", "compute_score", "the function in "+VerlRewardFile, srcSDPOFeed)
	b.reasonFirst(s)
	b.thinking(s, "data.apply_chat_template_kwargs", srcSDPO)
	b.sampling(s, samplingKeys{topP: "actor_rollout_ref.rollout.top_p", topK: "actor_rollout_ref.rollout.top_k", topKOff: -1, maxNew: "data.max_response_length",
		rollouts: "actor_rollout_ref.rollout.n", clip: verlSD + "is_clip", src: srcSDPO, clipNote: "the importance-ratio cap of reused rollouts; null disables IS weighting"})
	return b
}

func mapTinker(s settings) *builder {
	b := &builder{target: Tinker}
	o := s.loss
	if b.estimatorFails(s) {
		return b
	}
	switch o.Estimator {
	case distill.SampledToken:
		b.fixed("loss_fn", "importance_sampling", "the importance-sampling loss on the per-token advantages", srcTinkerCode)
		b.conv("loss.estimator", "sampled-token", "topk", 0, "0: SDFT's importance-sampling fallback, per-token advantage teacher_lp − student_lp (the sampled-token estimator)", srcTinkerSDFT)
	case distill.Tinker:
		lam := o.KLCoef
		if lam == 0 {
			lam = 1
		}
		b.fixed("loss_fn", "importance_sampling", "the importance-sampling loss on the per-token advantages", srcTinkerCode)
		b.conv("loss.estimator", "tinker", "topk", 0, "0: SDFT's importance-sampling fallback with advantage teacher_lp − student_lp; the on-policy recipe's settings are in "+TinkerOnPolicy, srcTinkerSDFT)
		b.mapped("loss.kl_coef", fnum(lam), "kl_penalty_coef", lam, "λ of a_t = −λ(log S − log T) ("+TinkerOnPolicy+")", srcTinkerOP)
		b.mapped("loss.discount", fnum(o.Discount), "kl_discount_factor", o.Discount, "γ of the discounted future sum ("+TinkerOnPolicy+")", srcTinkerOP)
		if lam != 1 || o.Discount != 0 {
			b.cannot("loss.estimator", "tinker", "the SDFT recipe (the one whose teacher sees the privileged block) has no λ or γ; the on-policy recipe has them but its teacher sees the student's prompt", srcTinkerOP)
		}
	default:
		b.fixed("loss_fn", "cross_entropy", "the top-K cross-entropy loss with the teacher's probabilities as weights", srcTinkerCE)
		switch s.div {
		case distill.Forward:
			b.conv("loss.divergence", "forward", "reverse", false, "false: the top-K soft-target loss −Σ p̃_T log p_S, forward KL up to the teacher's entropy", srcTinkerCE)
		case distill.Reverse:
			b.approx("loss.divergence", "reverse", "reverse", true, "SDFT's config has a reverse flag whose meaning the cookbook's reference does not state; check sdft.py", srcTinkerSDFT)
		default:
			b.fail("loss.divergence", divValue(s), "tinker's SDFT has forward and reverse KL only", srcTinkerSDFT)
			return b
		}
		switch o.Support {
		case distill.TeacherTopK:
			b.mapped("loss.top_k", itoa(o.TopK), "topk", o.TopK, "the teacher's top K tokens, weighted by its renormalised probabilities", srcTinkerCE)
		case distill.StudentTopK:
			b.approx("loss.support", fmt.Sprintf("student-topk (k %d)", o.TopK), "topk", o.TopK, "tinker's top-K support is the teacher's top K, not the student's", srcTinkerCE)
		default:
			b.cannot("loss.support", "full", "SDFT distils over the teacher's top K (default 20, which the cookbook finds matches the full-vocabulary KL)", srcTinkerSDFT)
		}
		if o.Tail {
			b.cannot("loss.tail", "true", "no tail bucket: the teacher's top-K probabilities are renormalised", srcTinkerCE)
		}
	}
	if st := s.sampling.Temperature; st != 0 {
		b.mapped("sampling.temperature", fnum(st), "temperature", st, "sampling temperature", srcTinkerSDFT)
	}
	if s.tau != 1 {
		b.cannot("loss.temperature", fnum(s.tau), "tinker scores the teacher's and the student's log-probs at temperature 1", srcTinkerCode)
		if s.sampling.Temperature == 0 {
			b.approx("loss.temperature", fnum(s.tau), "temperature", s.tau, "used as the sampling temperature, which RCSD ties to τ", srcTinkerSDFT)
		}
	}
	b.noClips(s, "")
	switch o.Reduction {
	case distill.Sum:
		b.mapped("loss.reduction", "sum", "", nil, "tinker's losses are sums over tokens", srcTinkerCE)
	default:
		red := string(o.Reduction)
		if red == "" {
			red = "token-mean"
		}
		b.cannot("loss.reduction", red, "tinker's losses are sums over tokens (loss:sum); scale the learning rate by the tokens per batch instead", srcTinkerCE)
	}
	if o.SkipFirst != 0 {
		b.cannot("loss.skip_first", itoa(o.SkipFirst), "no option leaves leading completion tokens out", srcTinkerSDFT)
	}
	b.maskThinking(s)
	switch s.teacher.Mode {
	case config.Frozen:
		b.conv("teacher.mode", "frozen", "teacher_sync_every", nil, "null: a static teacher with the initial weights", srcTinkerSDFT)
	case config.Live:
		b.conv("teacher.mode", "live", "teacher_sync_every", 1, "hard-sync the student's weights into the teacher after every step", srcTinkerSDFT)
	case config.EMA:
		b.cannot("teacher.ema_decay", fnum(s.teacher.EMADecay), "teacher_sync_every is a periodic hard sync (approximating an EMA), not an average", srcTinkerSDFT)
	}
	demo := strings.NewReplacer("{prompt}", "{question}", "{privileged_context}", "{golden_answer}").Replace(s.template)
	b.conv("prompt.variant", string(s.prompt.Variant), "demo_template", demo,
		"the teacher's user turn: {question} is the student's question, {golden_answer} the row's privileged block", srcTinkerCode)
	b.reasonFirst(s)
	switch {
	case s.prompt.Chat == prompt.Qwen3 && s.prompt.Thinking:
		b.conv("prompt.chat", "qwen3 (thinking)", "renderer_name", "qwen3", "the renderer of Qwen3 with thinking", srcTinkerSDFT)
	case s.prompt.Chat == prompt.Qwen3:
		b.conv("prompt.chat", "qwen3 (no thinking)", "renderer_name", "qwen3_disable_thinking", "the renderer of Qwen3 with thinking off", srcTinkerSDFT)
	case s.prompt.Chat == prompt.Llama3:
		b.conv("prompt.chat", "llama3", "renderer_name", "llama3", "the Llama 3 renderer", srcTinkerSDFT)
	case s.prompt.Chat == prompt.Plain:
		b.conv("prompt.chat", "plain", "renderer_name", "role_colon", "\"role: content\" turns", srcTinkerSDFT)
	case s.prompt.Chat != "":
		b.cannot("prompt.chat", string(s.prompt.Chat), "pick the renderer of your model (renderer_name)", srcTinkerSDFT)
	}
	sm := s.sampling
	if sm.MaxNewTokens != 0 {
		b.mapped("sampling.max_new_tokens", itoa(sm.MaxNewTokens), "max_tokens", sm.MaxNewTokens, "the completion length bound", srcTinkerSDFT)
	}
	if sm.RolloutsPerPrompt != 0 {
		b.mapped("sampling.rollouts_per_prompt", itoa(sm.RolloutsPerPrompt), "", nil, fmt.Sprintf("completions per prompt: set group_size %d on the dataset builder (not a Config field)", sm.RolloutsPerPrompt), srcTinkerOP)
	}
	if sm.TopP != 0 {
		b.cannot("sampling.top_p", fnum(sm.TopP), "the recipes sample with temperature only", srcTinkerSDFT)
	}
	if sm.TopK != 0 {
		b.cannot("sampling.top_k", itoa(sm.TopK), "the recipes sample with temperature only", srcTinkerSDFT)
	}
	if sm.ImportanceClip != 0 {
		b.cannot("sampling.importance_clip", fnum(sm.ImportanceClip), "no cap on the importance ratio", srcTinkerSDFT)
	}
	return b
}

// thinking maps Qwen3's thinking switch to chat-template kwargs.
func (b *builder) thinking(s settings, key, src string) {
	if s.prompt.Chat == prompt.Qwen3 {
		b.conv("prompt.thinking", fmt.Sprint(s.prompt.Thinking), key, map[string]any{"enable_thinking": s.prompt.Thinking},
			"Qwen3's enable_thinking for the trainer's chat template (the student's and the teacher's prompts alike)", src)
	}
}

type samplingKeys struct {
	topP, topK, maxNew, rollouts, clip, src, clipNote string
	topKOff                                           int
}

func (b *builder) sampling(s settings, k samplingKeys) {
	sm := s.sampling
	if sm.TopP != 0 {
		b.mapped("sampling.top_p", fnum(sm.TopP), k.topP, sm.TopP, "nucleus sampling", k.src)
	}
	if sm.TopK != 0 {
		b.mapped("sampling.top_k", itoa(sm.TopK), k.topK, sm.TopK, fmt.Sprintf("sampling top-k (%d is off)", k.topKOff), k.src)
	}
	if sm.MaxNewTokens != 0 {
		b.mapped("sampling.max_new_tokens", itoa(sm.MaxNewTokens), k.maxNew, sm.MaxNewTokens, "the completion length bound", k.src)
	}
	if sm.RolloutsPerPrompt != 0 {
		b.mapped("sampling.rollouts_per_prompt", itoa(sm.RolloutsPerPrompt), k.rollouts, sm.RolloutsPerPrompt, "completions sampled per prompt", k.src)
	}
	if sm.ImportanceClip != 0 {
		b.mapped("sampling.importance_clip", fnum(sm.ImportanceClip), k.clip, sm.ImportanceClip, k.clipNote, k.src)
	} else {
		b.conv("sampling.importance_clip", "off", k.clip, nil, k.clipNote, k.src)
	}
}

// datasetKnobs records the knobs that shape the dataset rather than a
// key: where rubrics come from and which fields the teacher sees.
func (b *builder) datasetKnobs(s settings, c *config.Config) {
	column := map[Target]string{TRLSDFT: "privileged_context", TRLGKD: "privileged_context",
		Verl: "extra_info.privileged_context", Tinker: "golden_answer"}[b.target]
	src := c.RubricSourceOf()
	v := string(src.From)
	switch src.From {
	case config.FromFile:
		v += " " + src.File
	case config.FromItem:
		if src.Field != "" {
			v += " field " + src.Field
		}
	}
	b.mapped("rubrics", v, "", nil, "read when the items are converted; each row's "+column+" holds the rubric as the teacher sees it", "")
	b.mapped("teacher.privileged", strings.Join(s.teacher.Privileged, ", "), "", nil, "the fields rendered into each row's "+column+" by the "+string(s.prompt.Variant)+" template", "")
}
