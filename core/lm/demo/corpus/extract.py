#!/usr/bin/env python3
"""Rebuild healthbench.txt and prometheus.txt from the project's shared data.

Run from this directory:  python3 extract.py ../../../../../shared/data
Documents are separated by a line holding exactly "===". Exact duplicate
documents are written once, so the held-out slice does not leak into training.
"""
import json, os, sys

src = sys.argv[1] if len(sys.argv) > 1 else "../../../../../shared/data"
seen = set()

def emit(out, text):
    text = text.strip("\n")
    if not text.strip() or text in seen:
        return
    seen.add(text)
    out.write(text + "\n===\n")

with open("healthbench.txt", "w", encoding="utf-8", newline="") as out:
    for line in open(os.path.join(src, "healthbench_oss_eval_first30.jsonl"), encoding="utf-8"):
        row = json.loads(line)
        for turn in row["prompt"]:
            emit(out, turn["content"])
        if row["ideal_completions_data"]:
            emit(out, row["ideal_completions_data"]["ideal_completion"])
        emit(out, "\n".join(r["criterion"] for r in row["rubrics"]))

with open("prometheus.txt", "w", encoding="utf-8", newline="") as out:
    for rec in json.load(open(os.path.join(src, "prometheus_vicuna_eval_first10q.json"), encoding="utf-8")):
        # The instruction is a sequence of "###Header:\n body" sections.
        for part in rec["instruction"].split("###"):
            emit(out, "###" + part if part.strip() else "")
        for fb in rec["gpt4_feedback"]:
            emit(out, fb)
