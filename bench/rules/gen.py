#!/usr/bin/env python3
"""Deterministic generator of rules-judge benchmark data.

Writes one JSON object: {"rubrics": [{"id", "criteria": [{"id", "checks": [...]}]}],
"items": [{"rubric": index, "response": text}]}. Each rubric has 6 criteria
carrying 8 checks in all (contains x2, any, all, none, regex, boxed, number),
the shape of a science-QA rubric with machine checks. Responses are about
2,000 characters of science-answer prose (with LaTeX, numbers and a final
\\boxed{} answer); about half of them satisfy each check. Same arguments,
same bytes: random.Random(seed) only.

usage: gen.py [-n ITEMS] [-r RUBRICS] [-s SEED] [-c CHARS] OUT.json
"""
import argparse
import json
import random

WORDS = """energy force mass velocity acceleration momentum pressure temperature volume density
equilibrium reaction enzyme protein membrane gradient potential current voltage resistance
photosynthesis respiration mitochondria chloroplast nucleus ribosome oxidation reduction
entropy enthalpy catalyst solution concentration molecule electron proton neutron isotope
wavelength frequency amplitude spectrum diffraction refraction friction gravity orbit
population allele mutation selection species ecosystem nitrogen carbon oxygen hydrogen""".split()

FILLER = [
    "We start from the definition and substitute the given values.",
    "Note that the units must be consistent before we combine the terms.",
    "This follows because the system is closed and no work is done on it.",
    "Rearranging the expression gives the quantity we are asked for.",
    "The sign tells us the direction, so we keep track of it carefully.",
    "A quick sanity check on the order of magnitude confirms the result.",
    "Let me double-check the arithmetic in the previous step.",
    "In other words, the rate depends linearly on the concentration here.",
    "Because the process is reversible, the entropy change of the universe is zero.",
    "The measured value at 25 °C is close to the textbook value.",
]

MATH = [
    r"$F = ma$",
    r"$E = mc^2$",
    r"$\Delta G = \Delta H - T\Delta S$",
    r"$v = \lambda f$",
    r"$PV = nRT$",
    r"$x^2 + 2x + 1 = 0$",
    r"$\frac{d}{dt}(mv) = F$",
]

ANSWERS = ["42", "3.5", "0.125", r"\frac{1}{2}", r"\frac{3}{4}", r"2.5\times10^{-3}", "1200", "-7", "9.81", "6.02e23"]
ANSWER_VALUES = {"42": "42", "3.5": "3.5", "0.125": "1/8", r"\frac{1}{2}": "0.5", r"\frac{3}{4}": "0.75",
                 r"2.5\times10^{-3}": "0.0025", "1200": "1,200", "-7": "-7", "9.81": "9.81", "6.02e23": "6.02e23"}


def make_rubric(rng, k):
    terms = rng.sample(WORDS, 9)
    multi = " ".join(rng.sample(WORDS, 2))
    ans = rng.choice(ANSWERS)
    num = str(rng.choice([12, 37, 64, 101, 250, 980])) + rng.choice(["", ".5"])
    return {
        "id": "r%d" % k,
        "criteria": [
            {"id": "c1", "checks": [{"kind": "contains", "terms": [terms[0]]}, {"kind": "contains", "terms": [multi]}]},
            {"id": "c2", "checks": [{"kind": "any", "terms": [terms[1], terms[2], terms[3]]}]},
            {"id": "c3", "checks": [{"kind": "all", "terms": [terms[4], terms[5]]}]},
            {"id": "c4", "checks": [{"kind": "none", "terms": [terms[6], "I am not sure"]}]},
            {"id": "c5", "checks": [{"kind": "regex", "pattern": r"(?i)final answer\s*(is|:)\s*[-\d$\\]"}]},
            {"id": "c6", "checks": [{"kind": "boxed", "value": ANSWER_VALUES[ans], "rel_tolerance": 1e-6},
                                    {"kind": "number", "value": num, "tolerance": 0.01}]},
        ],
        "_terms": terms, "_multi": multi, "_ans": ans, "_num": num,
    }


def make_response(rng, rb, chars):
    parts = []
    pool = rb["_terms"]
    while sum(len(p) + 1 for p in parts) < chars - 120:
        r = rng.random()
        if r < 0.45:
            parts.append(rng.choice(FILLER))
        elif r < 0.7:
            w = rng.sample(WORDS, 3)
            parts.append("The %s affects the %s through the %s." % tuple(w))
        elif r < 0.8:
            parts.append("Using %s we get %s." % (rng.choice(MATH), rng.choice(["%d" % rng.randint(2, 999), "%.2f" % rng.uniform(0, 100), "1,%03d" % rng.randint(0, 999)])))
        elif r < 0.9:
            # A rubric term, sometimes capitalised or glued into a longer word.
            t = rng.choice(pool)
            form = rng.choice([t, t.capitalize(), t.upper(), "sub" + t, t + "s"])
            parts.append("Consider the %s in this case." % form)
        else:
            parts.append("Recall that %s matters here." % rng.choice(pool[:6]))
    if rng.random() < 0.5:
        a, b = rb["_multi"].split()
        parts.insert(rng.randrange(len(parts) + 1), "The %s%s%s link is key." % (a.capitalize(), rng.choice([" ", "  ", "\n"]), b))
    if rng.random() < 0.5:
        parts.insert(rng.randrange(len(parts) + 1), "We measured %s units." % rb["_num"])
    if rng.random() < 0.2:
        parts.append("I am not sure about this step.")
    ans = rb["_ans"] if rng.random() < 0.5 else rng.choice(ANSWERS)
    if rng.random() < 0.1:
        parts.append(r"A first guess was $\boxed{%s}$." % rng.choice(ANSWERS))
    end = rng.choice(["The final answer is $\\boxed{%s}$." % ans, "Final answer: \\boxed{%s}" % ans, "So the result is %s." % ans])
    parts.append(end)
    return " ".join(parts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=20000)
    ap.add_argument("-r", type=int, default=200)
    ap.add_argument("-s", type=int, default=1)
    ap.add_argument("-c", type=int, default=2000)
    ap.add_argument("out")
    a = ap.parse_args()
    rng = random.Random(a.s)
    rubrics = [make_rubric(rng, k) for k in range(a.r)]
    items = []
    for i in range(a.n):
        k = rng.randrange(a.r)
        items.append({"rubric": k, "response": make_response(rng, rubrics[k], a.c)})
    for rb in rubrics:
        for key in [k for k in rb if k.startswith("_")]:
            del rb[key]
    with open(a.out, "w") as f:
        json.dump({"rubrics": rubrics, "items": items}, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
