#!/usr/bin/env python3
"""Plain Python 3 (stdlib only) implementation of the rules checks used in
bench/rules data: the baseline the Go rules judge is measured against.

Written the way a researcher would: the re module for term search (with
(?<!\\w) / (?!\\w) boundaries on word-character ends, whitespace runs
matching \\s+, re.IGNORECASE), a brace-matching loop for the last
\\boxed{}, a small number parser (fractions, a/b, \\times10^{k}, e-notation,
thousands commas). Patterns are compiled once per rubric, which is
kinder to Python than calling re.search(pattern_string, ...) each time
(re's own cache holds only a few hundred patterns).

Prints: items, verdicts, met, sha256 of the verdict bits, seconds and
responses/s for the best of --passes passes over the data (loading the JSON
is not timed), and cpu_seconds, the least user+sys CPU time of a pass.

usage: rules.py [--passes N] DATA.json
"""
import argparse
import hashlib
import json
import re
import time

NUM_RE = re.compile(r"(?<![\w.])[-+]?(?:\d{1,3}(?:,\d{3}(?!\d))+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+(?!\w))?")


def term_pattern(term):
    parts = [re.escape(p) for p in term.split()]
    pat = r"\s+".join(parts)
    if re.match(r"\w", term.strip()[0]):
        pat = r"(?<!\w)" + pat
    if re.match(r"\w", term.strip()[-1]):
        pat = pat + r"(?!\w)"
    return re.compile(pat, re.IGNORECASE)


def parse_number(s):
    s = s.strip().replace("$", "").replace(" ", "").rstrip(".")
    m = re.fullmatch(r"\\[dt]?frac\{([^{}]+)\}\{([^{}]+)\}", s)
    if m:
        a, b = parse_number(m.group(1)), parse_number(m.group(2))
        if a is None or not b:
            return None
        return a / b
    m = re.fullmatch(r"(.+?)(?:\\times|\\cdot|\*|x)10\^\{?([-+]?\d+)\}?", s)
    if m:
        a = parse_number(m.group(1))
        return None if a is None else a * 10 ** int(m.group(2))
    if "/" in s:
        a, _, b = s.partition("/")
        a, b = parse_number(a), parse_number(b)
        if a is None or not b:
            return None
        return a / b
    try:
        return float(s.replace(",", ""))
    except ValueError:
        return None


def close(got, want, tol, rel):
    if tol == 0 and rel == 0:
        rel = 1e-9
    d = abs(got - want)
    return got == want or d <= tol or d <= rel * abs(want)


def last_boxed(text):
    pos = len(text)
    while True:
        i = max(text.rfind("\\boxed{", 0, pos), text.rfind("\\fbox{", 0, pos))
        if i < 0:
            return None
        j = text.index("{", i) + 1
        depth = 1
        k = j
        while k < len(text) and depth > 0:
            c = text[k]
            if c == "\\":
                k += 2
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            k += 1
        if depth == 0:
            return text[j:k - 1]
        pos = i


def norm(s):
    s = s.replace("$", "").replace("\\left", "").replace("\\right", "")
    s = re.sub(r"\s+", "", s).rstrip(".")
    return s.lower()


def compile_check(c):
    k = c["kind"]
    d = dict(c)
    if k in ("contains", "all", "any", "none"):
        d["pats"] = [term_pattern(t) for t in c["terms"]]
    elif k == "regex":
        d["re"] = re.compile(c["pattern"])
    elif k in ("boxed", "number"):
        d["want"] = parse_number(c["value"])
    return d


def run_check(c, text):
    k = c["kind"]
    if k == "contains":
        return c["pats"][0].search(text) is not None
    if k == "all":
        return all(p.search(text) for p in c["pats"])
    if k == "any":
        return any(p.search(text) for p in c["pats"])
    if k == "none":
        return not any(p.search(text) for p in c["pats"])
    if k == "regex":
        return c["re"].search(text) is not None
    tol, rel = c.get("tolerance", 0.0), c.get("rel_tolerance", 0.0)
    if k == "boxed":
        got = last_boxed(text)
        if got is None:
            return False
        g = parse_number(got)
        if g is not None and c["want"] is not None:
            return close(g, c["want"], tol, rel)
        return norm(got) == norm(c["value"])
    if k == "number":
        for m in NUM_RE.finditer(text):
            g = parse_number(m.group(0))
            if g is not None and close(g, c["want"], tol, rel):
                return True
        return False
    raise ValueError("unknown check kind " + k)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--passes", type=int, default=1)
    ap.add_argument("data")
    a = ap.parse_args()
    with open(a.data) as f:
        data = json.load(f)
    items = data["items"]
    nbytes = sum(len(it["response"].encode()) for it in items)
    best = best_cpu = None
    for _ in range(a.passes):
        c0 = time.process_time()
        t0 = time.perf_counter()
        compiled = {}
        bits = []
        for it in items:
            ri = it["rubric"]
            rb = compiled.get(ri)
            if rb is None:
                rb = [[compile_check(c) for c in cr["checks"]] for cr in data["rubrics"][ri]["criteria"]]
                compiled[ri] = rb
            text = it["response"]
            for checks in rb:
                bits.append("1" if all(run_check(c, text) for c in checks) else "0")
        dt = time.perf_counter() - t0
        cpu = time.process_time() - c0
        best = dt if best is None else min(best, dt)
        best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
    s = "".join(bits)
    print("python items=%d verdicts=%d met=%d sha256=%s" % (len(items), len(s), s.count("1"), hashlib.sha256(s.encode()).hexdigest()[:16]))
    print("python seconds=%.3f responses/s=%.0f MB/s=%.2f cpu_seconds=%.3f" % (best, len(items) / best, nbytes / best / 1e6, best_cpu))


if __name__ == "__main__":
    main()
