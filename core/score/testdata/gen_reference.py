#!/usr/bin/python3
"""Writes numpy_reference.json and healthbench_first30_graded.json, the
reference values core/score's tests compare against.

Run with Debian's numpy (apt-get install python3-numpy; numpy 1.24.2):

    /usr/bin/python3 core/score/testdata/gen_reference.py /work/shared/data/healthbench_oss_eval_first30.jsonl

The HealthBench logic below restates openai/simple-evals healthbench_eval.py
(calculate_score, grade_sample's metrics, _compute_clipped_stats,
_aggregate_get_clipped_mean) in a few lines; the random draws and sums are
numpy's own, which is what the Go code must reproduce.
"""
import json
import random
import sys
from collections import defaultdict

import numpy as np

HERE = __file__.rsplit("/", 1)[0]


def hb_score(items, met):
    possible = sum(p for p, _ in items if p > 0)
    if possible == 0:
        return None
    return sum(p for (p, _), m in zip(items, met) if m) / possible


def example_metrics(rubrics, example_tags, met):
    items = [(r["points"], r["tags"]) for r in rubrics]
    overall = hb_score(items, met)
    metrics = {"overall_score": overall}
    metrics.update({t: overall for t in example_tags})
    by_tag = defaultdict(list)
    for (p, tags), m in zip(items, met):
        for t in tags:
            by_tag[t].append(((p, tags), m))
    for t, pairs in by_tag.items():
        s = hb_score([i for i, _ in pairs], [m for _, m in pairs])
        if s is not None:
            metrics[t] = s
    return metrics, overall


def clipped_stats(values, stat):
    if stat == "mean":
        return np.clip(np.mean(values), 0, 1)
    if stat == "n_samples":
        return len(values)
    means = [clipped_stats(list(np.random.choice(values, len(values))), "mean") for _ in range(1000)]
    return np.std(means)


def aggregate(results):
    name2values = defaultdict(list)
    for metrics, score in results:
        for k, v in metrics.items():
            name2values[k].append(v)
        name2values["score"].append(score)
    out = {}
    for name, values in name2values.items():
        for stat in ["mean", "n_samples", "bootstrap_std"]:
            out[name if stat == "mean" else f"{name}:{stat}"] = float(clipped_stats(values, stat))
    return dict(sorted(out.items()))


def main(path):
    rows = [json.loads(l) for l in open(path)]
    rng = random.Random(20251125)
    graded = []
    for r in rows:
        met = [rng.random() < 0.55 for _ in r["rubrics"]]
        graded.append({
            "prompt_id": r["prompt_id"],
            "example_tags": r["example_tags"],
            "rubrics": [{"points": c["points"], "tags": c["tags"]} for c in r["rubrics"]],
            "met": met,
        })
    results = [example_metrics(g["rubrics"], g["example_tags"], g["met"]) for g in graded]
    for g, (m, _) in zip(graded, results):
        g["want_metrics"] = [[k, v] for k, v in m.items()]
    reports = {}
    for seed in [0, 12345]:
        np.random.seed(seed)
        reports[str(seed)] = aggregate(results)
    with open(f"{HERE}/healthbench_first30_graded.json", "w") as f:
        json.dump({"source": "first 30 rows of HealthBench (shared/data/healthbench_oss_eval_first30.jsonl); "
                   "met drawn by random.Random(20251125), P(met)=0.55; want_* computed by gen_reference.py with numpy "
                   + np.__version__,
                   "examples": graded, "want_reports": reports}, f, indent=1)

    # Bootstrap of plain value sets: Aggregate(values, seed).
    cases = []
    def vals(kind, n):
        r = np.random.RandomState(n)
        if kind == "uniform":
            return [float(x) for x in r.uniform(-0.3, 1.2, n)]
        if kind == "binary":
            return [float(x) for x in r.randint(0, 2, n)]
        if kind == "neg":
            return [float(x) for x in r.uniform(-0.12, 0.1, n)]
    for kind, n, seed in [("uniform", 1, 0), ("uniform", 7, 1), ("uniform", 50, 42), ("binary", 129, 7),
                          ("neg", 40, 3), ("uniform", 1000, 2**32 - 1), ("uniform", 9000, 5)]:
        v = vals(kind, n)
        np.random.seed(seed)
        mean = float(clipped_stats(v, "mean"))
        std = float(clipped_stats(v, "bootstrap_std"))
        # The values are not stored: the test regenerates them with
        # RandomState(n) (uniform = low + (high-low)*random_sample()).
        cases.append({"name": f"{kind}-{n}-seed{seed}", "kind": kind, "n": n, "seed": seed,
                      "first_value": v[0], "mean": mean, "bootstrap_std": std,
                      "bootstrap_std_hex": std.hex()})
    # np.add.reduce bit patterns over x_i = ((i*7919) % 1009 - 504)/7 + (i % 13)*1e6.
    sums = {}
    for n in [1, 7, 8, 9, 15, 16, 17, 127, 128, 129, 130, 1000, 8192, 8193, 9000, 20001]:
        x = np.array([((i * 7919) % 1009 - 504) / 7.0 + (i % 13) * 1e6 for i in range(n)])
        sums[str(n)] = float(np.add.reduce(x)).hex()
    with open(f"{HERE}/numpy_reference.json", "w") as f:
        json.dump({"numpy": np.__version__, "bootstrap": cases, "sums_hex": sums}, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
