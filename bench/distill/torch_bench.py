#!/usr/bin/python3
"""PyTorch side of bench/distill/run.sh: the distillation losses that
core/distill computes, written the way TRL's GKD and RCSD write them, timed
on one thread.

  sparse  RCSD's released Stage II loss on pre-gathered top-k log-probs
          (carriegu0818/RCSD rcsd_trainer_reward.py, generalized_jsd_loss with
          beta 0): divide by the temperature, log_softmax over the k gathered
          entries, F.kl_div(log_target=True), the per-entry clamp(max=c), sum
          over the k entries, mean over tokens.
  dense   TRL GKDTrainer.generalized_jsd_loss over the full vocabulary:
          logits / temperature, F.log_softmax over V, beta 0 forward KL and
          beta 1 reverse KL by F.kl_div(log_target=True), 0 < beta < 1 the
          mixture log M = logsumexp([log S + log(1-beta), log T + log(beta)])
          and beta*kl_div(M, T) + (1-beta)*kl_div(M, S); sum / tokens. With
          --grad the student logits require grad and loss.backward() is timed.

The data have the same shapes and distributions as bench/distill/main.go's
(not the same numbers): see gen_sparse and gen_dense.

Usage:
  torch_bench.py sparse T [--k 20] [--tau 1.2] [--clip 0.05] [--dtype float64]
  torch_bench.py dense DIV T V [--beta 0.5] [--tau 1.0] [--grad] [--dtype float64]
  torch_bench.py check OUT.json      write a small shared input and torch's values
Each benchmark prints one line of key=value pairs: the best wall time of a
repetition, the least CPU time (user+sys, time.process_time) of one, tokens/s
and ns per vocabulary entry from the best wall time, the loss, the peak RSS
of the process (ru_maxrss) and its RSS after the data were made.
"""
import argparse
import json
import math
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.set_num_interop_threads(1)

DTYPES = {"float64": torch.float64, "float32": torch.float32}


# ---------------------------------------------------------------- the losses

def sparse_loss(s_lp, t_lp, tau, clip):
    """RCSD: teacher top-k renormalised, forward KL, per-entry clip, token mean.
    s_lp, t_lp: [T, k] log-probs of the teacher's top-k tokens."""
    student_log_probs = F.log_softmax(s_lp / tau, dim=-1)
    teacher_log_probs = F.log_softmax(t_lp / tau, dim=-1)
    jsd = F.kl_div(student_log_probs, teacher_log_probs, reduction="none", log_target=True)
    jsd = jsd.clamp(max=clip)
    return jsd.sum(-1).mean()


def dense_loss(student_logits, teacher_logits, beta, tau):
    """TRL GKDTrainer.generalized_jsd_loss, reduction sum / tokens."""
    student_logits = student_logits / tau
    teacher_logits = teacher_logits / tau
    student_log_probs = F.log_softmax(student_logits, dim=-1)
    teacher_log_probs = F.log_softmax(teacher_logits, dim=-1)
    if beta == 0:
        jsd = F.kl_div(student_log_probs, teacher_log_probs, reduction="none", log_target=True)
    elif beta == 1:
        jsd = F.kl_div(teacher_log_probs, student_log_probs, reduction="none", log_target=True)
    else:
        beta = torch.tensor(beta, dtype=student_log_probs.dtype)
        mixture_log_probs = torch.logsumexp(
            torch.stack([student_log_probs + torch.log(1 - beta), teacher_log_probs + torch.log(beta)]),
            dim=0,
        )
        kl_teacher = F.kl_div(mixture_log_probs, teacher_log_probs, reduction="none", log_target=True)
        kl_student = F.kl_div(mixture_log_probs, student_log_probs, reduction="none", log_target=True)
        jsd = beta * kl_teacher + (1 - beta) * kl_student
    return jsd.sum() / student_logits.shape[0]


BETA = {"forward": 0.0, "reverse": 1.0}


# ------------------------------------------------------------------ the data

def gen_sparse(T, k, dtype, seed=20261129):
    """Served top-k log-probs (full-vocabulary normaliser, all <= 0): the
    teacher's top-k sorted largest first, the student's log-probs of the same
    tokens; one extra logit per side stands for the mass outside the top-k."""
    g = torch.Generator().manual_seed(seed)
    j = torch.arange(k, dtype=torch.float64)
    xt = -0.35 * j + 0.3 * torch.randn(T, k, generator=g, dtype=torch.float64)
    xs = xt + 0.8 * torch.randn(T, k, generator=g, dtype=torch.float64)
    rt = -1.5 + torch.randn(T, 1, generator=g, dtype=torch.float64)
    rs = -1.0 + torch.randn(T, 1, generator=g, dtype=torch.float64)
    lt = torch.logsumexp(torch.cat([xt, rt], -1), -1, keepdim=True)
    ls = torch.logsumexp(torch.cat([xs, rs], -1), -1, keepdim=True)
    xt, order = torch.sort(xt, dim=-1, descending=True)
    xs = torch.gather(xs, -1, order)
    return (xs - ls).to(dtype).contiguous(), (xt - lt).to(dtype).contiguous()


def gen_dense(T, V, dtype, seed=20261130):
    """Logits: a Gaussian body (sigma 2) with 32 boosted tokens per row, the
    teacher a perturbation of the student."""
    g = torch.Generator().manual_seed(seed)
    s = 2 * torch.randn(T, V, generator=g, dtype=dtype)
    u = s + torch.randn(T, V, generator=g, dtype=dtype)
    for i in range(T):
        idx = torch.randint(0, V, (32,), generator=g)
        s[i, idx] += 8 + 4 * torch.rand(32, generator=g, dtype=dtype)
        u[i, idx] += 8 + 4 * torch.rand(32, generator=g, dtype=dtype)
    return s.contiguous(), u.contiguous()


# ------------------------------------------------------------------- timing

def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench(fn, min_rep_s=0.2, reps=7):
    """Warm up, size the inner loop to about min_rep_s, then keep the best
    wall time and the least CPU time of `reps` repetitions (per call)."""
    fn()
    fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-6)
    inner = max(1, int(math.ceil(min_rep_s / one)))
    best_wall, best_cpu = float("inf"), float("inf")
    for _ in range(reps):
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(inner):
            fn()
        w1, c1 = time.perf_counter(), time.process_time()
        best_wall = min(best_wall, (w1 - w0) / inner)
        best_cpu = min(best_cpu, (c1 - c0) / inner)
    return best_wall, best_cpu, inner


def emit(**kv):
    print(" ".join("%s=%s" % (k, v) for k, v in kv.items()), flush=True)


def run_sparse(a):
    dtype = DTYPES[a.dtype]
    s, t = gen_sparse(a.T, a.k, dtype)
    rss0 = rss_mib()
    out = {}

    def fn():
        with torch.no_grad():
            out["loss"] = sparse_loss(s, t, a.tau, a.clip)

    wall, cpu, inner = bench(fn, reps=a.reps)
    emit(side="torch", mode="sparse", div="forward", dtype=a.dtype, grad=0, T=a.T, V=a.k,
         wall_s="%.6g" % wall, cpu_s="%.6g" % cpu, tokens_per_s="%.6g" % (a.T / wall),
         ns_per_entry="%.4g" % (wall * 1e9 / (a.T * a.k)), loss="%.17g" % out["loss"].item(),
         inner=inner, rss_data_mib="%.1f" % rss0, peak_rss_mib="%.1f" % peak_rss_mib(),
         input_mib="%.1f" % ((s.numel() + t.numel()) * s.element_size() / 2**20))


def run_dense(a):
    dtype = DTYPES[a.dtype]
    beta = BETA.get(a.div, a.beta)
    s, t = gen_dense(a.T, a.V, dtype)
    rss0 = rss_mib()
    out = {}
    if a.grad:
        s.requires_grad_(True)

        def fn():
            s.grad = None
            loss = dense_loss(s, t, beta, a.tau)
            loss.backward()
            out["loss"] = loss.detach()
    else:
        def fn():
            with torch.no_grad():
                out["loss"] = dense_loss(s, t, beta, a.tau)

    wall, cpu, inner = bench(fn, reps=a.reps)
    emit(side="torch", mode="dense", div=a.div, dtype=a.dtype, grad=int(a.grad), T=a.T, V=a.V,
         wall_s="%.6g" % wall, cpu_s="%.6g" % cpu, tokens_per_s="%.6g" % (a.T / wall),
         ns_per_entry="%.4g" % (wall * 1e9 / (a.T * a.V)), loss="%.17g" % out["loss"].item(),
         inner=inner, rss_data_mib="%.1f" % rss0, peak_rss_mib="%.1f" % peak_rss_mib(),
         input_mib="%.1f" % ((s.numel() + t.numel()) * s.element_size() / 2**20))


# -------------------------------------------------------- the shared input

def run_check(a):
    """Write a small input in float64 with torch's values for each setting
    the benchmark times; main.go -check recomputes them with core/distill.
    The values come from the timed functions above and are cross-checked
    against bench/distill/torch_reference.py's `divergence` (the fixture
    generator of core/distill's tests)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    import torch_reference as ref  # sets float64 as the default dtype

    cases = []
    s, t = gen_sparse(64, 20, torch.float64, seed=7)
    loss = sparse_loss(s, t, 1.2, 0.05)
    o = {"divergence": "forward", "temperature": 1.2, "support": "full", "clip_entry": 0.05}
    want = ref.divergence(s, t, o).mean()
    assert abs(loss.item() - want.item()) <= 1e-12 * max(1.0, abs(want.item())), (loss.item(), want.item())
    cases.append({"name": "sparse-top20-rcsd", "mode": "sparse", "divergence": "forward", "beta": 0,
                  "temperature": 1.2, "clip_entry": 0.05, "student": s.tolist(), "teacher": t.tolist(),
                  "loss": loss.item()})
    # The reverse KL over a renormalised top-20, for the sparse fast path's other branch.
    e = F.kl_div(F.log_softmax(t / 0.8, -1), F.log_softmax(s / 0.8, -1), reduction="none", log_target=True)
    loss = e.clamp(max=0.02).sum(-1).mean()
    cases.append({"name": "sparse-top20-reverse", "mode": "sparse", "divergence": "reverse", "beta": 0,
                  "temperature": 0.8, "clip_entry": 0.02, "student": s.tolist(), "teacher": t.tolist(),
                  "loss": loss.item()})
    sd, td = gen_dense(4, 1000, torch.float64, seed=8)
    for div, beta, tau in (("forward", 0.0, 1.0), ("reverse", 1.0, 1.0), ("jsd", 0.5, 1.0), ("forward", 0.0, 1.2)):
        z = sd.clone().requires_grad_(True)
        loss = dense_loss(z, td, beta, tau)
        loss.backward()
        o = {"divergence": div, "beta": beta, "temperature": tau}
        want = ref.divergence(sd, td, o).mean()
        assert abs(loss.item() - want.item()) <= 1e-12 * max(1.0, abs(want.item())), (div, loss.item(), want.item())
        cases.append({"name": "dense-%s-tau%g" % (div, tau), "mode": "dense", "divergence": div, "beta": beta,
                      "temperature": tau, "clip_entry": 0, "student": sd.tolist(), "teacher": td.tolist(),
                      "loss": loss.item(), "grad": z.grad.tolist()})
    with open(a.out, "w") as f:
        json.dump({"provenance": "bench/distill/torch_bench.py check, torch %s float64" % torch.__version__,
                   "cases": cases}, f)
    emit(side="torch", mode="check", cases=len(cases), out=a.out)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("sparse")
    sp.add_argument("T", type=int)
    sp.add_argument("--k", type=int, default=20)
    sp.add_argument("--tau", type=float, default=1.2)
    sp.add_argument("--clip", type=float, default=0.05)
    sp.add_argument("--dtype", choices=DTYPES, default="float64")
    sp.add_argument("--reps", type=int, default=7)
    dp = sub.add_parser("dense")
    dp.add_argument("div", choices=["forward", "reverse", "jsd"])
    dp.add_argument("T", type=int)
    dp.add_argument("V", type=int)
    dp.add_argument("--beta", type=float, default=0.5)
    dp.add_argument("--tau", type=float, default=1.0)
    dp.add_argument("--grad", action="store_true")
    dp.add_argument("--dtype", choices=DTYPES, default="float64")
    dp.add_argument("--reps", type=int, default=7)
    cp = sub.add_parser("check")
    cp.add_argument("out")
    a = p.parse_args()
    {"sparse": run_sparse, "dense": run_dense, "check": run_check}[a.cmd](a)


if __name__ == "__main__":
    main()
