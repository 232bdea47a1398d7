#!/usr/bin/python3
"""Recompute core/distill's losses, per-token values and student-logit
gradients in PyTorch float64 on seeded random cases, and write them as the
Go tests' fixture (core/distill/testdata/torch_reference.json).

The formulas follow the public code the Go package mirrors:
  - divergence, temperature, teacher top-k renormalisation, per-entry clip:
    carriegu0818/RCSD rcsd_trainer_reward.py, RCSDTrainer.generalized_jsd_loss
    (logits / T, torch.topk on the teacher, gather, log_softmax, F.kl_div with
    log_target, beta 0 / 1 special-cased, jsd.clamp(max=token_clip));
  - tail bucket: TRL trl/experimental SDPO helper _add_tail_log_probs
    (logsumexp, clamp(max=-1e-7), log(-expm1));
  - k1/abs/k2/k3: verl core_algos.kl_penalty (k3 clamps u to [-20, 20] and the
    value to [-10, 10]);
  - sampled-token: RCSD's use_thinking_machines_loss branch
    (advantage detached, loss -A log S);
  - tinker: incorporate_kl_penalty (a = -coef (log S - log T), masked,
    optional discounted future sum); rllm: advantage clamped to +-5.
Gradients come from autograd. Run with Debian's /usr/bin/python3 (torch 1.13).

Usage: /usr/bin/python3 bench/distill/torch_reference.py > core/distill/testdata/torch_reference.json
"""
import json
import math
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
THINK = 3


def add_tail(lp):
    log_s = torch.logsumexp(lp, dim=-1, keepdim=True)
    log_s = torch.clamp(log_s, max=-1e-7)
    return torch.cat([lp, torch.log(-torch.expm1(log_s))], dim=-1)


def divergence(s_logits, t_logits, o):
    tau = o.get("temperature", 1.0) or 1.0
    s = s_logits / tau
    t = t_logits / tau
    support = o.get("support", "full")
    if support == "full":
        ls, lt = F.log_softmax(s, -1), F.log_softmax(t, -1)
    else:
        src = t if support == "teacher-topk" else s
        _, idx = torch.topk(src.detach(), k=o["top_k"], dim=-1)
        if o.get("tail"):
            ls = add_tail(torch.gather(F.log_softmax(s, -1), -1, idx))
            lt = add_tail(torch.gather(F.log_softmax(t, -1), -1, idx))
        else:
            ls = F.log_softmax(torch.gather(s, -1, idx), -1)
            lt = F.log_softmax(torch.gather(t, -1, idx), -1)
    div = o.get("divergence", "forward")
    beta = o.get("beta", 0.0)
    if div == "jsd" and beta == 0:
        div = "forward"
    if div == "jsd" and beta == 1:
        div = "reverse"
    if div == "forward":
        e = F.kl_div(ls, lt, reduction="none", log_target=True)
    elif div == "reverse":
        e = F.kl_div(lt, ls, reduction="none", log_target=True)
    else:
        b = torch.tensor(beta)
        m = torch.logsumexp(torch.stack([ls + torch.log1p(-b), lt + torch.log(b)]), dim=0)
        e = b * F.kl_div(m, lt, reduction="none", log_target=True) + (1 - b) * F.kl_div(m, ls, reduction="none", log_target=True)
    if o.get("clip_entry"):
        e = e.clamp(max=o["clip_entry"])
    d = e.sum(-1)
    if o.get("clip_token"):
        d = d.clamp(max=o["clip_token"])
    return d


def estimator(s_logits, t_logits, tokens, valid, o):
    tau = o.get("temperature", 1.0) or 1.0
    logS = torch.gather(F.log_softmax(s_logits / tau, -1), -1, tokens.unsqueeze(-1)).squeeze(-1)
    logT = torch.gather(F.log_softmax(t_logits / tau, -1), -1, tokens.unsqueeze(-1)).squeeze(-1)
    delta = logS - logT
    e = o["estimator"]
    if e == "k1":
        return delta, None
    if e == "abs":
        return delta.abs(), None
    if e == "k2":
        return 0.5 * delta.square(), None
    if e == "k3":
        kl = torch.clamp(logT - logS, min=-20, max=20)
        return torch.clamp(torch.exp(kl) - kl - 1, min=-10, max=10), None
    if e == "sampled-token":
        adv = (logT - logS).detach()
    elif e == "rllm":
        adv = torch.clamp(logT - logS, -5, 5).detach()
    elif e == "tinker":
        adv = (-(o.get("kl_coef") or 1.0) * (logS - logT)).detach() * valid
        g = o.get("discount", 0.0)
        if g:
            out = torch.zeros_like(adv)
            acc = torch.zeros(adv.shape[0])
            for t in reversed(range(adv.shape[1])):
                acc = adv[:, t] + g * acc
                out[:, t] = acc
            adv = out
    else:
        raise ValueError(e)
    return -adv * logS, adv


def masks(tokens, comp, o):
    B, L = tokens.shape
    valid = torch.zeros(B, L)
    dropped = 0
    for b in range(B):
        start = o.get("skip_first", 0)
        if o.get("mask_thinking"):
            hits = (tokens[b] == o.get("think_end_token", 0)).nonzero()
            if len(hits) == 0:
                dropped += 1
                continue
            start = max(start, int(hits[0]) + 1)
        for t in range(L):
            valid[b, t] = 1.0 if (t >= start and comp[b, t]) else 0.0
    return valid, dropped


def reduce(d, valid, o):
    red = o.get("reduction", "token-mean")
    n = valid.sum()
    if n == 0:
        return (d * valid).sum() * 0.0
    if red == "token-mean":
        return (d * valid).sum() / n
    if red == "sum":
        return (d * valid).sum()
    if red == "batchmean":
        return (d * valid).sum() / d.shape[0]
    per = valid.sum(-1)
    keep = per > 0
    return ((d * valid).sum(-1)[keep] / per[keep]).mean()


CASES = [
    ("rcsd-released", {"divergence": "forward", "temperature": 1.2, "support": "teacher-topk", "top_k": 5, "clip_entry": 0.05}),
    ("forward-full", {"divergence": "forward"}),
    ("reverse-full-tau", {"divergence": "reverse", "temperature": 0.7}),
    ("jsd-0.5-full", {"divergence": "jsd", "beta": 0.5}),
    ("jsd-0.1-full-tau", {"divergence": "jsd", "beta": 0.1, "temperature": 1.5}),
    ("jsd-beta0-is-forward", {"divergence": "jsd", "beta": 0.0}),
    ("jsd-beta1-is-reverse", {"divergence": "jsd", "beta": 1.0}),
    ("forward-teacher-topk", {"divergence": "forward", "support": "teacher-topk", "top_k": 4}),
    ("reverse-student-topk", {"divergence": "reverse", "support": "student-topk", "top_k": 4, "temperature": 1.3}),
    ("jsd-teacher-topk-tail", {"divergence": "jsd", "beta": 0.5, "support": "teacher-topk", "top_k": 3, "tail": True}),
    ("forward-student-topk-tail", {"divergence": "forward", "support": "student-topk", "top_k": 6, "tail": True, "temperature": 1.1}),
    ("reverse-teacher-topk-tail-entryclip", {"divergence": "reverse", "support": "teacher-topk", "top_k": 5, "tail": True, "clip_entry": 0.02}),
    ("jsd-full-entryclip", {"divergence": "jsd", "beta": 0.3, "clip_entry": 0.01}),
    ("forward-full-tokenclip", {"divergence": "forward", "clip_token": 0.4}),
    ("jsd-topk-both-clips", {"divergence": "jsd", "beta": 0.7, "support": "teacher-topk", "top_k": 6, "clip_entry": 0.03, "clip_token": 0.1}),
    ("sequence-mean-thinking", {"divergence": "forward", "reduction": "sequence-mean", "mask_thinking": True, "think_end_token": THINK}),
    ("sum-skip", {"divergence": "reverse", "reduction": "sum", "skip_first": 2}),
    ("batchmean-thinking", {"divergence": "jsd", "beta": 0.5, "reduction": "batchmean", "mask_thinking": True, "think_end_token": THINK}),
    ("zero-valid", {"divergence": "forward", "skip_first": 50}),
    ("est-sampled-token", {"estimator": "sampled-token", "temperature": 1.2}),
    ("est-k1", {"estimator": "k1"}),
    ("est-abs", {"estimator": "abs"}),
    ("est-k2", {"estimator": "k2", "reduction": "sum"}),
    ("est-k3", {"estimator": "k3", "temperature": 0.5}),
    ("est-tinker", {"estimator": "tinker", "kl_coef": 0.5}),
    ("est-tinker-discount", {"estimator": "tinker", "kl_coef": 1.0, "discount": 0.9, "reduction": "sequence-mean"}),
    ("est-rllm", {"estimator": "rllm", "temperature": 0.3}),
]


def main():
    out = {
        "provenance": "bench/distill/torch_reference.py, torch %s float64, autograd gradients; "
        "formulas per carriegu0818/RCSD rcsd_trainer_reward.py generalized_jsd_loss, TRL SDPO _add_tail_log_probs, "
        "verl kl_penalty, tinker incorporate_kl_penalty" % torch.__version__,
        "cases": [],
    }
    for i, (name, o) in enumerate(CASES):
        g = torch.Generator().manual_seed(1000 + i)
        B, L, V = 3, 5, 13 + i
        scale = 6.0 if name == "est-rllm" else 2.0
        s = (torch.randn(B, L, V, generator=g) * scale).requires_grad_(True)
        t = torch.randn(B, L, V, generator=g) * scale
        tokens = torch.randint(0, V, (B, L), generator=g)
        tokens[tokens == THINK] = THINK + 1
        tokens[0, 1] = THINK
        tokens[1, 3] = THINK
        comp = torch.ones(B, L, dtype=torch.bool)
        comp[2, L - 1] = False
        valid, dropped = masks(tokens, comp, o)
        if "estimator" in o:
            d, adv = estimator(s, t, tokens, valid, o)
        else:
            d, adv = divergence(s, t, o), None
        loss = reduce(d, valid, o)
        loss.backward()
        out["cases"].append({
            "name": name,
            "options": o,
            "tokens": tokens.tolist(),
            "completion_mask": comp.tolist(),
            "student": s.detach().tolist(),
            "teacher": t.tolist(),
            "loss": loss.item(),
            "per_token": d.detach().tolist(),
            "valid_tokens": int(valid.sum().item()),
            "dropped": dropped,
            "grad": s.grad.tolist(),
        })
    json.dump(out, sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
