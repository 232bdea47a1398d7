#!/usr/bin/env python3
"""Helpers for run.sh: print the timing table, and check that two tools'
HealthBench results agree.

  report.py table RUNS.tsv
      RUNS.tsv rows: tool cores items wall_seconds cpu_seconds peak_rss_kib input_bytes
      Prints wall and CPU (user+sys) seconds, items/s and MB/s (10^6 bytes
      of input per wall second), the speed-up against the python row of
      the same item count in wall time and (cpu) in CPU seconds, and for
      rows on several cores the wall-time speed-up over the same tool's
      one-core row ("vs 1 core"; 2.00x on two cores is linear scaling).

  report.py compare BASE_SUMMARY BASE_OUT OTHER_SUMMARY OTHER_OUT [--tol 1e-9]
      Reads "overall_score" from both summaries (top level, or nested in
      one object such as {"metrics": {...}}), then every per-response
      "score" of the two JSONL outputs keyed by (id, response_index).
      Exits 1 with the first differences when any pair differs by more
      than tol, a key is missing, or the counts differ.
"""

import json
import sys


def table(path):
    rows = []
    with open(path) as f:
        for line in f:
            if line.strip():
                t, c, n, s, cpu, rss, b = line.split("\t")
                rows.append((t, int(c), int(n), float(s), float(cpu), int(rss), int(b)))
    base = {r[2]: (r[3], r[4]) for r in rows if r[0] == "python"}
    one = {(r[0], r[2]): r[3] for r in rows if r[1] == 1}
    hdr = ("tool", "cores", "items", "MB in", "wall s", "cpu s", "items/s", "MB/s",
           "vs python", "(cpu)", "vs 1 core", "peak RSS")
    print("%-8s %5s %8s %8s %8s %8s %9s %7s %9s %7s %9s %12s" % hdr)
    for t, c, n, s, cpu, rss, b in rows:
        ratio = "%.2fx" % (base[n][0] / s) if n in base and s > 0 else "-"
        cratio = "%.2fx" % (base[n][1] / cpu) if n in base and cpu > 0 else "-"
        scale = "%.2fx" % (one[(t, n)] / s) if c > 1 and (t, n) in one and s > 0 else "-"
        print(
            "%-8s %5d %8d %8.1f %8.2f %8.2f %9.0f %7.1f %9s %7s %9s %8.1f MiB"
            % (t, c, n, b / 1e6, s, cpu, n / s, b / 1e6 / s, ratio, cratio, scale, rss / 1024.0)
        )


def find_overall(d, depth=0):
    if isinstance(d, dict):
        if "overall_score" in d and isinstance(d["overall_score"], (int, float)):
            return float(d["overall_score"])
        if depth < 2:
            for v in d.values():
                r = find_overall(v, depth + 1)
                if r is not None:
                    return r
    return None


def load_scores(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                out[(r["id"], r.get("response_index", 0))] = r.get("score")
    return out


def compare(base_sum, base_out, other_sum, other_out, tol):
    bad = []
    ov = []
    for p in (base_sum, other_sum):
        with open(p) as f:
            d = json.load(f)
        v = find_overall(d)
        if v is None:
            keys = sorted(d)[:20] if isinstance(d, dict) else type(d).__name__
            bad.append("%s: no numeric overall_score (keys: %s)" % (p, keys))
        ov.append(v)
    if None not in ov and abs(ov[0] - ov[1]) > tol:
        bad.append("overall_score differs: %.17g (%s) vs %.17g (%s), |diff| %.3g > %g"
                   % (ov[0], base_sum, ov[1], other_sum, abs(ov[0] - ov[1]), tol))
    a, b = load_scores(base_out), load_scores(other_out)
    if len(a) != len(b):
        bad.append("result counts differ: %d in %s, %d in %s" % (len(a), base_out, len(b), other_out))
    ndiff = 0
    for k, va in a.items():
        if k not in b:
            ndiff += 1
            if ndiff <= 5:
                bad.append("%s: no result for id %s response %d" % (other_out, k[0], k[1]))
            continue
        vb = b[k]
        if (va is None) != (vb is None) or (va is not None and abs(va - vb) > tol):
            ndiff += 1
            if ndiff <= 5:
                bad.append("score differs for id %s response %d: %r vs %r" % (k[0], k[1], va, vb))
    if ndiff > 5:
        bad.append("... %d differing or missing results in all" % ndiff)
    if bad:
        sys.stderr.write("MISMATCH between %s and %s:\n  %s\n" % (base_out, other_out, "\n  ".join(bad)))
        return 1
    print("agree: overall_score %.15f vs %.15f (|diff| %.3g), %d per-response scores within %g"
          % (ov[0], ov[1], abs(ov[0] - ov[1]), len(a), tol))
    return 0


def main(argv):
    if argv[:1] == ["table"] and len(argv) == 2:
        table(argv[1])
        return 0
    if argv[:1] == ["compare"] and len(argv) in (5, 7):
        tol = 1e-9
        if len(argv) == 7 and argv[5] == "--tol":
            tol = float(argv[6])
        return compare(argv[1], argv[2], argv[3], argv[4], tol)
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
