#!/usr/bin/env python3
"""Tests for score.py and report.py: python3 bench/ingest/test_score.py"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def run_score(rows):
    with tempfile.TemporaryDirectory() as d:
        inp, out, summ = (os.path.join(d, n) for n in ("in.jsonl", "out.jsonl", "s.json"))
        with open(inp, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
        subprocess.run([sys.executable, os.path.join(HERE, "score.py"), inp, "-o", out, "--summary", summ],
                       check=True, capture_output=True)
        with open(out) as f:
            res = [json.loads(l) for l in f]
        with open(summ) as f:
            return res, json.load(f)


def rubric(*pts_tags):
    return [{"criterion": "item %d" % i, "points": p, "tags": t} for i, (p, t) in enumerate(pts_tags)]


class ScoreTest(unittest.TestCase):
    def test_healthbench_rules(self):
        # Hand derivation, following simple-evals calculate_score:
        # row a: positives 10+9+5 = 24; met 10, -10, 5 -> 5/24.
        #   axis:accuracy items (10 met, -10 met): 0/10 = 0.
        #   axis:completeness items (9 unmet, 5 met): 5/14.
        # row b: only negative points -> score undefined (None), no tag scores
        #   except none; excluded from the mean.
        # row c: positives 4; met 4 and -8 -> -1 (not clipped per example).
        rows = [
            {"prompt_id": "a", "example_tags": ["theme:x"], "response": "r",
             "rubrics": rubric((10, ["axis:accuracy"]), (9, ["axis:completeness"]),
                               (-10, ["axis:accuracy"]), (5, ["axis:completeness"])),
             "labels": [True, False, True, True]},
            {"prompt_id": "b", "response": "r", "rubrics": rubric((-3, ["axis:accuracy"])),
             "labels": [True]},
            {"prompt_id": "c", "example_tags": ["theme:x"], "response": "r",
             "rubrics": rubric((4, ["axis:accuracy"]), (-8, ["axis:accuracy"])),
             "labels": {"c1": True, "c2": True}},
        ]
        res, summ = run_score(rows)
        self.assertEqual([r["id"] for r in res], ["a", "b", "c"])
        self.assertEqual(res[0]["score"], 5 / 24)
        self.assertEqual(res[0]["tag_scores"],
                         {"axis:accuracy": 0.0, "axis:completeness": 5 / 14, "theme:x": 5 / 24})
        self.assertIsNone(res[1]["score"])
        self.assertEqual(res[1]["tag_scores"], {})
        self.assertEqual(res[2]["score"], -1.0)
        # mean over defined scores (5/24 - 1)/2 < 0 -> clipped to 0.
        self.assertEqual(summ["overall_score"], 0.0)
        self.assertEqual(summ["overall_score:n_samples"], 2)
        self.assertEqual(summ["axis:completeness"], 5 / 14)
        self.assertEqual(summ["n_items"], 3)

    def test_responses_and_unlabelled(self):
        rows = [{"id": "m", "responses": ["x", "y"],
                 "rubrics": rubric((2, []), (6, [])),
                 "labels": [[True, None], [True, True]]}]
        res, summ = run_score(rows)
        self.assertEqual([(r["response_index"], r["score"], r["unjudged"]) for r in res],
                         [(0, 0.25, 1), (1, 1.0, 0)])
        self.assertEqual(summ["overall_score"], 0.625)


class GenTest(unittest.TestCase):
    def test_shape_and_prefix_stability(self):
        with tempfile.TemporaryDirectory() as d:
            a, b = os.path.join(d, "a"), os.path.join(d, "b")
            subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), "50", a], check=True)
            subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), "20", b], check=True)
            with open(a) as fa, open(b) as fb:
                la, lb = fa.read().splitlines(), fb.read().splitlines()
            self.assertEqual(la[:20], lb)
            for line in la:
                r = json.loads(line)
                self.assertEqual(len(r["rubrics"]), 12)
                self.assertEqual(len(r["labels"]), 12)
                pts = [x["points"] for x in r["rubrics"]]
                self.assertTrue(max(pts) > 0 and all(-10 <= p <= 10 and p != 0 for p in pts))
                self.assertTrue(300 <= len(r["prompt"][0]["content"]) <= 600)
                self.assertTrue(1500 <= len(r["response"]) <= 2500)


if __name__ == "__main__":
    unittest.main()
