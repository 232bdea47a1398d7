#!/usr/bin/env python3
"""Write N log-prob traces (the format of core/trace, docs/loss.md#traces)
for the end-to-end `rcsd loss` benchmark.

Usage: gen.py OUT [--traces N] [--tokens T] [--topk K] [--seed S]
       (defaults: 2000 traces x 512 tokens, top-20, seed 20260601)

Each trace is one completion of T tokens scored by the student and by the
teacher, as an inference server returns served log-probs (vLLM's
prompt_logprobs, SGLang's input_token_logprobs): per position and per
side, log-probs of a full-vocabulary log-softmax at temperature 1 over
V = 151,936 tokens (Qwen's vocabulary), rounded to float32 as servers
compute them and written as the double that float32 is (vLLM's
.tolist(): "-0.31326162815093994").

Per position:

  * 40 candidate token ids (distinct, drawn from [0, V)). A shared base
    logit vector over them: the top one at 0, the second s·Exp(1) below
    it, where s, the position's confidence, is log-uniform in SPREAD
    (0.8..24: the median top-1 probability is about 0.8), then ranks
    packed densely, DENSE_GAP (0.35) apart on average. The student's and
    the teacher's logits are the base plus independent normal noise,
    growing with the rank (sd 0.15 + 0.06·rank, NOISE); at one position
    in 8 (PROMOTE) the teacher, who saw the rubric, also raises one of
    the top 5 by 0.5..3.
  * The other V - 40 tokens hold one tail bucket per side, 0.5..3 above
    the last candidate's base logit (it spreads over many tokens, each
    far below either side's 20th), and never less than 1e-5 of the
    probability: every listed sum is < 1 (no position is "covered", so no
    full distribution is claimed).
  * Each side's top-K is its K most probable candidates. Both sides list
    the union of the two top-Ks (20..40 ids, 22.4 on average for K = 20;
    the same ids on both sides, each sorted by its own log-prob), as a
    server asked for both sides' top-K and then scoring the union writes
    it: the student's list holds every token of the teacher's top-K,
    which the released RCSD loss (teacher top-20) needs.
  * The sampled token is drawn from the student's distribution at
    temperature 1: usually a listed token; otherwise a candidate outside
    the union, or a tail token, whose log-probs are then given only as the
    position's own "logprob" (the top lists do not hold it).

The output is deterministic for (N, T, K, seed): one random.Random(seed)
drives everything, trace by trace, so the first M traces of an N-trace
file are the M-trace file. Lines are compact JSON in the field order
rcsd's trace.Encode writes, no token texts; a 2,000 x 512 file is
2.35 GB (about 2 1/4 minutes) and is written as it is made.
"""

import argparse
import json
import math
import random
import sys
from array import array

V = 151936
CANDIDATES = 40
SPREAD = (0.8, 24.0)  # head gap scale, log-uniform
DENSE_GAP = 0.35  # mean gap between the ranks below the head
NOISE = (0.15, 0.06)  # each side's logit noise around the base: a + b * rank
PROMOTE = 0.125  # share of positions where the teacher promotes a head token


def f32(xs):
    """Round to float32 (as a server's log-probs are) and back to float."""
    return array("f", xs).tolist()


def logsumexp(xs):
    m = max(xs)
    return m + math.log(sum(math.exp(x - m) for x in xs))


def position(r, k):
    """One position: (student, teacher) dicts of the trace format."""
    ids = r.sample(range(V), CANDIDATES)
    # base logits: the head's gap scales with the position's confidence,
    # the rest of the list is densely packed (as served top-20s are).
    s = math.exp(r.uniform(math.log(SPREAD[0]), math.log(SPREAD[1])))
    base = [0.0] * CANDIDATES
    base[1] = -s * r.expovariate(1.0)
    for i in range(2, CANDIDATES):
        base[i] = base[i - 1] - r.expovariate(1.0 / DENSE_GAP)
    zs = [b + r.gauss(0.0, NOISE[0] + NOISE[1] * i) for i, b in enumerate(base)]
    zt = [b + r.gauss(0.0, NOISE[0] + NOISE[1] * i) for i, b in enumerate(base)]
    if r.random() < PROMOTE:
        zt[r.randrange(5)] += r.uniform(0.5, 3.0)
    tail_lse = base[-1] + r.uniform(0.5, 3.0)
    sides = []
    for z in (zs, zt):
        lz = logsumexp(z)
        # tail bucket: at least 1e-5 of the mass
        # (p_tail / p_listed >= 1e-5 / (1 - 1e-5)).
        zr = max(tail_lse, lz + math.log(1e-5 / (1 - 1e-5)))
        norm = logsumexp([lz, zr])
        sides.append(([v - norm for v in z], zr - norm))
    (lps, tail_s), (lpt, tail_t) = sides
    top_s = sorted(range(CANDIDATES), key=lambda i: -lps[i])[:k]
    top_t = sorted(range(CANDIDATES), key=lambda i: -lpt[i])[:k]
    union = set(top_s) | set(top_t)

    # The sampled token: the student's distribution at temperature 1.
    u = r.random()
    pick = None
    for i in range(CANDIDATES):
        u -= math.exp(lps[i])
        if u < 0:
            pick = i
            break
    if pick is not None:
        tok = ids[pick]
        tok_s, tok_t = lps[pick], lpt[pick]
    else:
        # a tail token: one of V - 40, its share of each side's tail times
        # a log-normal factor, below the side's smallest candidate.
        cand = set(ids)
        tok = r.randrange(V)
        while tok in cand:
            tok = r.randrange(V)
        spread = math.log(V - CANDIDATES)
        tok_s = min(tail_s - spread + r.gauss(0.0, 1.0), min(lps) - 0.1)
        tok_t = min(tail_t - spread + r.gauss(0.0, 1.0), min(lpt) - 0.1)
    tok_s, tok_t = f32([tok_s, tok_t])
    lps32, lpt32 = f32(lps), f32(lpt)

    out = []
    for lp, own in ((lps32, tok_s), (lpt32, tok_t)):
        order = sorted(union, key=lambda i: -lp[i])
        top = [{"token_id": ids[i], "logprob": lp[i]} for i in order]
        out.append({"token_id": tok, "logprob": own, "top": top})
    return out[0], out[1]


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--traces", type=int, default=2000)
    ap.add_argument("--tokens", type=int, default=512)
    ap.add_argument("--topk", type=int, default=20)
    ap.add_argument("--seed", type=int, default=20260601)
    a = ap.parse_args(argv)
    if not (1 <= a.topk <= CANDIDATES // 2):
        ap.error("--topk must be in 1..%d" % (CANDIDATES // 2))
    r = random.Random(a.seed)
    enc = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
    with open(a.out, "w", encoding="utf-8") as f:
        for n in range(a.traces):
            student, teacher = [], []
            for _ in range(a.tokens):
                sp, tp = position(r, a.topk)
                student.append(sp)
                teacher.append(tp)
            rec = {"schema_version": 1, "id": "bench-%06d#0" % n, "student": student, "teacher": teacher}
            f.write(enc.encode(rec))
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
