"""CPython json.loads over the same lines decodefloor's Go side decodes.

usage: python3 bench/ingest/decodefloor/decodefloor.py bench/out/items-small.jsonl
"""
import json
import sys
import time

lines = [l for l in open(sys.argv[1], "rb").read().split(b"\n") if l]
best = float("inf")
for _ in range(5):
    t = time.perf_counter()
    for l in lines:
        json.loads(l)
    best = min(best, time.perf_counter() - t)
print("CPython json.loads: %d rows in %.1fms (best of 5)" % (len(lines), best * 1e3))
