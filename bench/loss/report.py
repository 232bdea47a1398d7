#!/usr/bin/env python3
"""Helpers for bench/loss/run.sh: print the timing table, and check that
rcsd and loss.py agree on the loss.

  report.py table RUNS.tsv
      RUNS.tsv rows (tab-separated): tool cores traces tokens wall_s cpu_s
      peak_rss_kib input_bytes. Prints wall and CPU (user+sys) seconds,
      traces/s, tokens/s and MB/s (10^6 input bytes per wall second), the
      speed-up over the python row in wall time ("vs python") and in CPU
      seconds ("(cpu)"), for rows on several cores the wall-time speed-up
      over the same tool's 1-core row ("vs 1 core"; 2.00x is linear), and
      the peak RSS.

  report.py compare PY_SUMMARY PY_PER_TRACE RCSD_SUMMARY [RCSD_RECORDS] [--tol 1e-9]
      PY_SUMMARY / PY_PER_TRACE are loss.py's --summary and --per-trace
      files; RCSD_SUMMARY is `rcsd loss --summary`; RCSD_RECORDS (optional)
      is rcsd's JSONL output (--no-tokens is enough). Checks the batch loss
      within tol, equal trace, token and clipped-token counts, and with
      RCSD_RECORDS every per-trace loss (same ids, same order) and the sum
      of the per-trace losses within tol. Exits 1 on any difference.
"""

import json
import sys


def table(path):
    rows = []
    with open(path) as f:
        for line in f:
            if line.strip():
                t, c, n, tok, s, cpu, rss, b = line.rstrip("\n").split("\t")
                rows.append((t, int(c), int(n), int(tok), float(s), float(cpu), int(rss), int(b)))
    py = [r for r in rows if r[0] == "python"]
    base = (py[0][4], py[0][5]) if py else None
    one = {r[0]: r[4] for r in rows if r[1] == 1}
    hdr = ("tool", "cores", "traces", "MB in", "wall s", "cpu s", "traces/s", "tokens/s", "MB/s",
           "vs python", "(cpu)", "vs 1 core", "peak RSS")
    print("%-17s %5s %6s %7s %7s %7s %8s %9s %6s %9s %7s %9s %12s" % hdr)
    for t, c, n, tok, s, cpu, rss, b in rows:
        ratio = "%.2fx" % (base[0] / s) if base and s > 0 else "-"
        cratio = "%.2fx" % (base[1] / cpu) if base and cpu > 0 else "-"
        scale = "%.2fx" % (one[t] / s) if c > 1 and t in one and s > 0 else "-"
        print("%-17s %5d %6d %7.1f %7.2f %7.2f %8.1f %9.0f %6.1f %9s %7s %9s %8.1f MiB"
              % (t, c, n, b / 1e6, s, cpu, n / s, tok / s, b / 1e6 / s, ratio, cratio, scale, rss / 1024.0))


def load_jsonl(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
    return out


def compare(py_sum, py_per, rc_sum, rc_rec, tol):
    bad = []
    with open(py_sum) as f:
        p = json.load(f)
    with open(rc_sum) as f:
        r = json.load(f)
    if abs(p["loss"] - r["loss"]) > tol:
        bad.append("batch loss: python %.17g, rcsd %.17g (|diff| %.3g > %g)" % (p["loss"], r["loss"], abs(p["loss"] - r["loss"]), tol))
    for k in ("traces", "valid_tokens", "clipped_tokens"):
        if p[k] != r.get(k):
            bad.append("%s: python %s, rcsd %s" % (k, p[k], r.get(k)))
    note = ""
    if rc_rec:
        a, b = load_jsonl(py_per), load_jsonl(rc_rec)
        if len(a) != len(b):
            bad.append("per-trace records: python %d, rcsd %d" % (len(a), len(b)))
        nd, worst = 0, 0.0
        for x, y in zip(a, b):
            d = abs(x["loss"] - y["loss"])
            worst = max(worst, d)
            if x["id"] != y["id"] or d > tol or x["valid_tokens"] != y["valid_tokens"]:
                nd += 1
                if nd <= 5:
                    bad.append("trace %s / %s: loss %.17g vs %.17g, tokens %d vs %d"
                               % (x["id"], y["id"], x["loss"], y["loss"], x["valid_tokens"], y["valid_tokens"]))
        if nd > 5:
            bad.append("... %d traces differ in all" % nd)
        sa, sb = sum(x["loss"] for x in a), sum(y["loss"] for y in b)
        if abs(sa - sb) > tol or abs(sa - p["per_trace_loss_sum"]) > tol:
            bad.append("sum of per-trace losses: python %.17g, rcsd %.17g" % (sa, sb))
        note = ", %d per-trace losses within %g (largest |diff| %.3g), per-trace sum %.15f vs %.15f" % (len(a), tol, worst, sa, sb)
    if bad:
        sys.stderr.write("MISMATCH between %s and %s:\n  %s\n" % (py_sum, rc_sum, "\n  ".join(bad)))
        return 1
    print("agree (%s): loss %.15f vs %.15f (|diff| %.3g), %d traces, %d tokens, %d clipped%s"
          % (rc_sum.rsplit("/", 1)[-1], p["loss"], r["loss"], abs(p["loss"] - r["loss"]),
             p["traces"], p["valid_tokens"], p["clipped_tokens"], note))
    return 0


def main(argv):
    tol = 1e-9
    if "--tol" in argv:
        i = argv.index("--tol")
        tol = float(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    if argv[:1] == ["table"] and len(argv) == 2:
        table(argv[1])
        return 0
    if argv[:1] == ["compare"] and len(argv) in (4, 5):
        return compare(argv[1], argv[2], argv[3], argv[4] if len(argv) == 5 else None, tol)
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
