#!/usr/bin/env python3
"""HealthBench scoring of labelled JSONL rows, written plainly: the
baseline a researcher would write with the standard library (json is
C-accelerated in CPython).

Usage: score.py IN.jsonl -o OUT.jsonl [--summary SUMMARY.json]

Per example (openai/simple-evals healthbench_eval.py, calculate_score):
  score = sum(points of met items, negative ones included)
          / sum(positive points)
not clipped, None when there are no positive points. A rubric tag's
sub-score uses only the items carrying that tag and is omitted when they
have no positive points; example tags copy the overall score.
Over examples: every metric is the mean of its defined values, clipped to
[0, 1], with its n_samples (simple-evals _aggregate_get_clipped_mean;
no bootstrap std here).

Rows: prompt_id (or id), rubrics [{criterion, points, tags}], response
(or responses), labels ([bool] aligned with rubrics, or a list of those
with responses), example_tags. One JSON line is written per
(row, response), shaped like `rcsd eval` output records.
"""

import argparse
import json
import math
import sys


def calculate_score(points, met):
    total = sum(p for p in points if p > 0)
    if total <= 0:
        return None
    return sum(p for p, m in zip(points, met) if m) / total


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--summary")
    args = ap.parse_args(argv)

    sums = {}  # metric -> list of values (simple-evals keeps lists too)
    n_items = n_results = 0
    with open(args.input, encoding="utf-8") as fin, open(
        args.output, "w", encoding="utf-8"
    ) as fout:
        for lineno, line in enumerate(fin, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            n_items += 1
            rid = row.get("prompt_id", row.get("id"))
            rubrics = row["rubrics"]
            points = [r["points"] for r in rubrics]
            ids = ["c%d" % (i + 1) for i in range(len(rubrics))]
            if "responses" in row:
                nresp = len(row["responses"])
                labels = row.get("labels") or [None] * nresp
            else:
                nresp = 1
                labels = [row.get("labels")]
            for k in range(nresp):
                lab = labels[k]
                if lab is None:
                    lab = [None] * len(rubrics)
                elif isinstance(lab, dict):
                    lab = [lab.get(i) for i in ids]
                if len(lab) != len(rubrics):
                    sys.exit(
                        "%s:%d: %d labels for %d rubric items"
                        % (args.input, lineno, len(lab), len(rubrics))
                    )
                met = [x is True for x in lab]
                score = calculate_score(points, met)
                tag_scores = {}
                by_tag = {}
                for r, m in zip(rubrics, met):
                    for t in r.get("tags", ()):
                        by_tag.setdefault(t, ([], []))
                        by_tag[t][0].append(r["points"])
                        by_tag[t][1].append(m)
                for t, (p, m) in by_tag.items():
                    s = calculate_score(p, m)
                    if s is not None:
                        tag_scores[t] = s
                if score is not None:
                    for t in row.get("example_tags", ()):
                        tag_scores[t] = score
                    sums.setdefault("overall_score", []).append(score)
                for t, s in tag_scores.items():
                    sums.setdefault(t, []).append(s)
                rec = {
                    "id": rid,
                    "response_index": k,
                    "score": score,
                    "scoring": "healthbench",
                    "tag_scores": tag_scores,
                    "criteria": [
                        {"id": i, "met": x, "judge": "labels"}
                        for i, x in zip(ids, lab)
                    ],
                    "unjudged": sum(1 for x in lab if x is None),
                    "engine_version": "python-baseline",
                }
                fout.write(json.dumps(rec))
                fout.write("\n")
                n_results += 1

    summary = {"n_items": n_items, "n_results": n_results}
    for name in sorted(sums):
        vals = sums[name]
        summary[name] = min(1.0, max(0.0, math.fsum(vals) / len(vals)))
        summary[name + ":n_samples"] = len(vals)
    if args.summary:
        with open(args.summary, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=2, sort_keys=True)
            f.write("\n")
    sys.stderr.write(
        "scored %d items, %d responses: overall_score %.12f\n"
        % (n_items, n_results, summary.get("overall_score", float("nan")))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
