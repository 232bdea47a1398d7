// Package distill computes the self-distillation losses of RCSD and its
// peers (OPSD, RGSD, SDPO/SDFT, TRL GKD) at every position of a student's
// completion: the forward, reverse and generalised Jensen–Shannon
// divergences between the teacher's and the student's next-token
// distributions (TRL's β convention), with temperature, full or top-k
// supports (renormalised or with a tail bucket), per-entry and per-token
// clips, completion/thinking/skip masks, four reductions, the sampled-token
// estimators (RCSD's thinking-machines form, verl's k1/abs/k2/k3, tinker,
// rllm), per-token diagnostics, and the analytic gradient with respect to
// the student's logits.
//
// Everything is float64, computed stably (log-sum-exp with the maximum
// subtracted, 0·log 0 = 0, −Inf logits allowed, NaN and +Inf rejected with
// an error instead of a NaN loss). The dense path handles one position at
// a time in O(V) scratch owned by a Kernel, so a caller can stream rows
// without holding the batch's logits. A sparse path takes the (token id,
// log-prob) lists that inference servers return and refuses to guess a
// log-prob the requested support needs but the lists lack.
//
// The package never runs a model, never reads files or the network, and
// never trains anything: it turns numbers into a loss, per-token outputs
// and gradients. docs/loss.md documents every knob with its formula.
package distill
