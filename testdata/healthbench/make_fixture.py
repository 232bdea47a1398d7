#!/usr/bin/env python3
"""Builds the HealthBench conformance fixture and its expected values.

Input: the first 30 HealthBench rows (../shared/data/healthbench_oss_eval_first30.jsonl,
openai/simple-evals data, MIT). Each row gets a `response` (its physician ideal
completion when it has one) and `labels`: one verdict per rubric item, drawn
from random.Random(2026), standing in for a grader's criteria_met.

Expected values follow the HealthBench rules as simple-evals' healthbench_eval.py
states them (written out independently here, not copied):
  per example: overall = sum(points of met items, negatives included) / sum(positive points);
               example tags copy overall; each rubric tag scores the items carrying it
               and is omitted when they have no positive points; metrics ordered
               overall_score, example tags, rubric tags (first appearance);
  aggregate:   for each metric name in first-appearance order (then "score"):
               mean clipped to [0, 1]; n_samples; bootstrap std = np.std of 1000 clipped
               means of np.random.choice(values, len(values)), with np.random.seed(SEED)
               set once before aggregating.
Run with Debian's numpy: /usr/bin/python3 make_fixture.py SRC.jsonl
Writes labels.json (the project's labels) and expected.json next to this
script. The rows are public data and are never committed: the Go tests join
them with labels.json when they run (internal/shareddata), and
`go run ./cmd/internal/fixtures` writes the items as items.jsonl (git-ignored).
"""
import json
import os
import random
import sys

import numpy as np

SEED = 0
here = os.path.dirname(os.path.abspath(__file__))
src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "../../../shared/data/healthbench_oss_eval_first30.jsonl")
rng = random.Random(2026)

rows = [json.loads(l) for l in open(src, encoding="utf-8")]
items = []
for row in rows:
    row = dict(row)
    icd = row.get("ideal_completions_data")
    row["response"] = icd["ideal_completion"] if icd else "(response text not part of this fixture; labels are given)"
    row["labels"] = [rng.random() < 0.55 for _ in row["rubrics"]]
    items.append(row)


def score(items_, labels):
    possible = sum(it["points"] for it in items_ if it["points"] > 0)
    if possible == 0:
        return None
    return sum(it["points"] for it, met in zip(items_, labels) if met) / possible


per_example = []
for row in items:
    overall = score(row["rubrics"], row["labels"])
    metrics = {"overall_score": overall}
    for t in row["example_tags"]:
        metrics[t] = overall
    by_tag = {}
    for it, met in zip(row["rubrics"], row["labels"]):
        for t in it["tags"]:
            by_tag.setdefault(t, ([], []))
            by_tag[t][0].append(it)
            by_tag[t][1].append(met)
    for t, (its, mets) in by_tag.items():
        s = score(its, mets)
        if s is not None:
            metrics[t] = s
    per_example.append({"id": row["prompt_id"], "score": overall, "metrics": metrics})

np.random.seed(SEED)
name2values = {}
for ex in per_example:
    for k, v in ex["metrics"].items():
        name2values.setdefault(k, []).append(v)
    name2values.setdefault("score", []).append(ex["score"])
agg = {}
for name, values in name2values.items():
    agg[name] = float(np.clip(np.mean(values), 0, 1))
    agg[name + ":n_samples"] = len(values)
    means = [float(np.clip(np.mean(np.random.choice(values, len(values))), 0, 1)) for _ in range(1000)]
    agg[name + ":bootstrap_std"] = float(np.std(means))
for k in ("score", "score:n_samples", "score:bootstrap_std"):
    agg.pop(k)

ABOUT = ("Project-made labels for the HealthBench conformance fixture: one verdict per rubric item of each "
         "of the first 30 rows of ../shared/data/healthbench_oss_eval_first30.jsonl, drawn with Python's "
         "random.Random(2026), P(met) = 0.55, in row order (make_fixture.py). The rows themselves are public "
         "data and are not committed; internal/shareddata joins them with these labels when the tests run.")
with open(os.path.join(here, "labels.json"), "w", encoding="utf-8") as f:
    f.write('{\n "about": %s,\n "rows": [\n' % json.dumps(ABOUT))
    f.write(",\n".join('  {"prompt_id": %s, "labels": %s}' % (json.dumps(r["prompt_id"]), json.dumps(r["labels"]))
                        for r in items))
    f.write("\n ]\n}\n")
with open(os.path.join(here, "expected.json"), "w", encoding="utf-8") as f:
    json.dump({"seed": SEED, "numpy": np.__version__, "examples": per_example,
               "aggregate": dict(sorted(agg.items()))}, f, indent=1, sort_keys=False)
print(len(items), "items;", len(agg), "aggregate keys")
