#!/usr/bin/env python3
"""The released RCSD loss over a JSONL trace file, written plainly in
Python (json and math, no NumPy): the baseline `rcsd loss --preset rcsd`
is timed against in bench/loss/run.sh.

Usage: loss.py TRACES.jsonl [--per-trace OUT.jsonl] [--summary OUT.json]
               [--topk 20] [--tau 1.2] [--clip 0.05]

The setting (carriegu0818/RCSD Stage II, core/distill.RCSDReleased):

  * support: the teacher's 20 most probable listed tokens at the position
    (the top list plus the sampled token when the list lacks it; ties to
    the earlier entry, as rcsd's selectTopK), each looked up in the
    student's list (again with its sampled token); a token the student
    does not list is an error, as in rcsd (no --missing floor here);
  * both sides renormalised over those 20 entries at τ = 1.2:
    log T_v = t_v/τ − logsumexp(t/τ), log S_v likewise;
  * forward KL terms T_v (log T_v − log S_v), each capped above at 0.05
    (an upper cap only: negative terms pass), summed per token;
  * the trace's loss is the mean over its tokens, the batch's the mean
    over every token of every trace (token mean). A "mask" field, when a
    trace has one, leaves positions out as in rcsd.

Log-probs in (0, 1e-6] are read as 0, like rcsd. The script checks what
it needs (equal lengths and sampled tokens on both sides, 20 teacher
entries, the student's log-prob of each); it does not repeat rcsd's other
validation (probability sums, duplicate ids, finiteness, unknown fields).

Prints one line: traces, tokens, clipped tokens (a cap fired), the batch
loss and the sum of the per-trace losses, with 17 significant digits.
--split also prints the CPU seconds spent in json.loads and in the loss.
"""

import argparse
import json
import math
import os
import sys
import time


def lse(xs):
    m = max(xs)
    s = 0.0
    for v in xs:
        s += math.exp(v - m)
    return m + math.log(s)


def side(p):
    """A position's listed log-probs: (ids, logprobs) with the sampled token
    appended when the top list lacks it."""
    ids, lps = [], []
    tok = p["token_id"]
    seen = False
    for a in p.get("top") or ():
        i = a["token_id"]
        ids.append(i)
        lps.append(min(a["logprob"], 0.0))
        if i == tok:
            seen = True
    if not seen:
        ids.append(tok)
        lps.append(min(p["logprob"], 0.0))
    return ids, lps


def trace_loss(rec, k, tau, clip):
    """(Σ divergence, valid tokens, clipped tokens) of one trace."""
    st, te = rec["student"], rec["teacher"]
    if len(st) != len(te):
        raise ValueError("student has %d positions, teacher %d" % (len(st), len(te)))
    mask = rec.get("mask")
    inv = 1.0 / tau
    total, n, nclip = 0.0, 0, 0
    for t in range(len(st)):
        sp, tp = st[t], te[t]
        if sp["token_id"] != tp["token_id"]:
            raise ValueError("position %d: sampled tokens differ" % t)
        if mask is not None and not mask[t]:
            continue
        tids, tlps = side(tp)
        sids, slps = side(sp)
        if len(tids) < k:
            raise ValueError("position %d: the teacher lists %d tokens, the support needs %d" % (t, len(tids), k))
        smap = dict(zip(sids, slps))
        sel = sorted(range(len(tlps)), key=lambda i: (-tlps[i], i))[:k]
        y = [tlps[i] * inv for i in sel]
        try:
            x = [smap[tids[i]] * inv for i in sel]
        except KeyError as e:
            raise ValueError("position %d: the student does not list teacher top-%d token %s" % (t, k, e)) from None
        lt0, ls0 = lse(y), lse(x)
        d = 0.0
        capped = False
        for j in range(k):
            lt = y[j] - lt0
            e = math.exp(lt) * (lt - (x[j] - ls0))
            if e > clip:
                e = clip
                capped = True
            d += e
        total += d
        n += 1
        nclip += capped
    return total, n, nclip


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("traces")
    ap.add_argument("--per-trace", help="write {id, loss, valid_tokens} per trace (JSONL)")
    ap.add_argument("--summary", help="write the batch loss and counts (JSON)")
    ap.add_argument("--topk", type=int, default=20)
    ap.add_argument("--tau", type=float, default=1.2)
    ap.add_argument("--clip", type=float, default=0.05)
    ap.add_argument("--split", action="store_true",
                    help="also print the CPU seconds spent in json.loads and in the loss (standard error)")
    a = ap.parse_args(argv)
    clock = time.process_time if a.split else (lambda: 0.0)
    t_parse = t_loss = 0.0
    out = open(a.per_trace, "w", encoding="utf-8") if a.per_trace else None
    total, ntok, nclip, ntr, per_sum = 0.0, 0, 0, 0, 0.0
    with open(a.traces, "rb") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            t0 = clock()
            rec = json.loads(line)
            t1 = clock()
            tid = rec.get("id")
            tid = "line-%d" % lineno if tid is None else str(tid)
            try:
                s, n, c = trace_loss(rec, a.topk, a.tau, a.clip)
            except (ValueError, KeyError, TypeError) as e:
                sys.stderr.write("%s:%d: trace %s: %s\n" % (a.traces, lineno, tid, e))
                return 1
            t_loss += clock() - t1
            t_parse += t1 - t0
            loss = s / n if n else 0.0
            total += s
            ntok += n
            nclip += c
            ntr += 1
            per_sum += loss
            if out:
                out.write(json.dumps({"id": tid, "loss": loss, "valid_tokens": n}) + "\n")
    if out:
        out.close()
    batch = total / ntok if ntok else 0.0
    if a.summary:
        with open(a.summary, "w", encoding="utf-8") as f:
            json.dump({"loss": batch, "per_trace_loss_sum": per_sum, "traces": ntr,
                       "valid_tokens": ntok, "clipped_tokens": nclip}, f, indent=2)
            f.write("\n")
    print("traces=%d tokens=%d clipped_tokens=%d loss=%.17g per_trace_loss_sum=%.17g"
          % (ntr, ntok, nclip, batch, per_sum))
    if a.split:
        mb = os.path.getsize(a.traces) / 1e6
        sys.stderr.write("json.loads %.2f s CPU (%.1f MB/s), loss %.2f s CPU (%.0f tokens/s)\n"
                         % (t_parse, mb / t_parse if t_parse else 0, t_loss, ntok / t_loss if t_loss else 0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
