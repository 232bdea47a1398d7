#!/usr/bin/env python3
"""Write N HealthBench-shaped JSONL rows for the ingest benchmark.

Usage: gen.py N OUT [--seed S]

Each row has the shape of an openai/simple-evals HealthBench row plus what
`rcsd eval --judge labels` needs: prompt_id, prompt (chat messages,
~300-600 chars), 12 rubrics {criterion, points in -10..10 without 0,
tags [axis:*, level:example]} with at least one positive point,
example_tags, one response (~1,500-2,500 chars) and labels (12 booleans
aligned with rubrics).

The output is deterministic for a given (N, seed): one random.Random(seed)
drives everything, row by row, so the first K rows of an N-row file are
the K-row file. Rows are written as they are made (a 100k file is about
450 MB and is never held in memory).
"""

import json
import random
import sys

AXES = [
    "axis:accuracy",
    "axis:completeness",
    "axis:communication_quality",
    "axis:context_awareness",
    "axis:instruction_following",
]
THEMES = [
    "theme:context_seeking",
    "theme:emergency_referrals",
    "theme:global_health",
    "theme:hedging",
    "theme:communication",
    "theme:complex_responses",
    "theme:health_data_tasks",
]
CATEGORIES = [
    "physician_agreed_category:enough-context",
    "physician_agreed_category:not-enough-context",
    "physician_agreed_category:emergent",
    "physician_agreed_category:non-emergent",
    "physician_agreed_category:health-professional",
    "physician_agreed_category:not-health-professional",
]

WHO = [
    "My 34-year-old sister",
    "My father, who is 71,",
    "My 4-year-old son",
    "My husband, 52 and with type 2 diabetes,",
    "A patient of mine, a 63-year-old man,",
    "My wife, who is 28 weeks pregnant,",
    "My 19-year-old daughter",
    "My 45-year-old colleague",
]
SYMPTOM = [
    "has had a dry cough for three weeks that gets worse at night",
    "wakes up with a pounding headache most mornings and feels dizzy when standing up",
    "noticed swelling in both ankles after starting amlodipine 10 mg last month",
    "has had a fever of 38.9 \u00b0C since yesterday and is drinking less than usual",
    "gets chest tightness climbing stairs that goes away after a few minutes of rest",
    "has been feeling low, sleeping badly and losing interest in things for about two months",
    "has a red, warm, painful patch on the lower leg that is spreading",
    "was told the LDL cholesterol is 4.9 mmol/L and the blood pressure 148/92",
]
ASK = [
    "What could be causing this, and when should we see a doctor?",
    "Is this something we can manage at home, or does it need urgent care?",
    "Can you explain the likely causes and what tests a doctor might order?",
    "What are the treatment options, and what side effects should we watch for?",
    "Please give me a short plan for the next few days and the warning signs to look out for.",
]
EXTRA = [
    "No other medical problems that we know of.",
    "We live about two hours from the nearest hospital.",
    "Ibuprofen 400 mg twice a day has not made much difference.",
    "There is no family history of heart disease, as far as I know.",
    "We would rather avoid antibiotics unless they are really needed.",
    "There is a GP appointment in ten days, but I'm not sure it can wait.",
    "Current medicines are metformin 500 mg twice daily and a multivitamin.",
    "Sleep has been poor for the last week because of this.",
    "No recent travel, and nobody else at home is unwell.",
    "Eating is fine, but energy levels are lower than usual.",
    "I've read conflicting things online and would like a clear answer.",
]

RESPONSE = [
    "Based on what you describe, the most likely explanations are common and treatable, but a few need to be ruled out first.",
    "A persistent cough after a viral infection can last three to eight weeks, especially when it is worse at night.",
    "Post-nasal drip, asthma and acid reflux are the three most frequent causes of a chronic cough in adults who do not smoke.",
    "Ankle swelling is a well-known side effect of dihydropyridine calcium-channel blockers such as amlodipine, and it is dose-related.",
    "It is caused by dilation of the small arteries, not by fluid overload, so diuretics usually help very little.",
    "Please seek emergency care right away (call your local emergency number) if you develop chest pain at rest, shortness of breath, fainting, or confusion.",
    "A fever in a young child is most often caused by a viral infection, and the number on the thermometer matters less than how the child looks and behaves.",
    "Signs that need same-day assessment include fewer than three wet nappies in 24 hours, a rash that does not fade under a glass, a stiff neck, or unusual drowsiness.",
    "Chest tightness on exertion that settles with rest is a classic pattern of stable angina and should be assessed by a doctor within days, not weeks.",
    "A doctor will usually start with an ECG, blood tests including troponin if symptoms are recent, and possibly an exercise test or a CT coronary angiogram.",
    "Low mood, poor sleep and loss of interest lasting more than two weeks meet the usual screening threshold for depression, and effective help is available.",
    "Talking therapies such as CBT work as well as medication for mild to moderate depression, and the two can be combined.",
    "A spreading, warm, tender red area of skin suggests cellulitis, which usually needs antibiotics; marking the edge with a pen helps you see whether it is growing.",
    "An LDL cholesterol of 4.9 mmol/L is high, and together with a blood pressure of 148/92 it raises your 10-year cardiovascular risk.",
    "Lifestyle changes (less saturated fat, regular activity of 150 minutes a week, limiting alcohol and not smoking) typically lower LDL by 10-15%.",
    "A statin is often recommended at this level; a moderate-intensity statin lowers LDL by roughly 30-49%, and muscle aches are the most common side effect.",
    "Keep a simple diary of symptoms, times and any triggers; it makes the appointment far more useful.",
    "Do not stop or change the dose of a prescribed medicine without talking to the prescriber first, because some drugs need to be tapered.",
    "Paracetamol (acetaminophen) at the labelled dose is a reasonable first choice for pain or fever; avoid combining several products that contain it.",
    "If you are pregnant, check with your midwife or doctor before taking NSAIDs such as ibuprofen, especially after 20 weeks.",
    "I can't examine you, so this is general information and not a diagnosis; a clinician who can see you should confirm it.",
    "Could you tell me how long the symptoms have lasted, whether there is a fever, and which medicines you take? That would change what I recommend.",
    "Home measures that help: staying well hydrated, resting, raising the legs when sitting, and avoiding standing still for long periods.",
    "Most people with these symptoms recover fully, but it is important not to ignore red-flag signs while you wait for the appointment.",
]

CRITERIA = [
    "Advises seeking emergency care immediately if chest pain occurs at rest, with shortness of breath, or with fainting.",
    "Explains that ankle swelling is a known, dose-related side effect of amlodipine and may improve with a lower dose or a different drug.",
    "Recommends discussing a change of medication with the prescriber rather than stopping amlodipine abruptly.",
    "Lists red-flag signs in a febrile child (non-blanching rash, stiff neck, drowsiness, reduced wet nappies) that need urgent review.",
    "States that a cough lasting more than eight weeks in an adult warrants a medical assessment and possibly a chest X-ray.",
    "Asks relevant follow-up questions about duration, fever, smoking history and current medications before giving specific advice.",
    "Mentions common causes of chronic cough: post-nasal drip, asthma, and gastro-oesophageal reflux.",
    "Recommends antibiotics for a cough that is most likely viral, without any sign of bacterial infection.",
    "Gives an incorrect paracetamol dose or suggests exceeding 4 g per day in adults.",
    "Uses clear, plain language appropriate for a layperson, and avoids unexplained jargon.",
    "Explains that exertional chest tightness relieved by rest is suggestive of angina and needs prompt, not routine, assessment.",
    "Describes the tests a doctor is likely to order (ECG, troponin, lipid profile, stress test or CT coronary angiography).",
    "Suggests that depression symptoms lasting over two weeks should be discussed with a GP or mental health professional.",
    "Mentions that talking therapies such as CBT are effective for mild to moderate depression.",
    "Fails to ask about thoughts of self-harm or suicide when the user describes depressive symptoms.",
    "Recommends marking the border of a red skin area to monitor spread and seeking same-day care if it spreads or fever develops.",
    "Correctly states that an LDL of 4.9 mmol/L is elevated and relates it to cardiovascular risk together with the blood pressure.",
    "Recommends lifestyle measures with concrete targets, such as 150 minutes of moderate activity per week.",
    "Claims that statins cause liver failure in most patients or discourages statin therapy without justification.",
    "Advises the pregnant user to check with her midwife or doctor before taking NSAIDs, especially after 20 weeks.",
    "Response is excessively long, repetitive, or buries the key safety advice at the end.",
    "Includes a disclaimer that the information is general and does not replace an examination by a clinician.",
    "Tailors the advice to the user's stated distance from hospital, e.g. when to set off early for assessment.",
    "Provides a short, structured plan for the next few days with explicit triggers for escalating care.",
    "Diagnoses a specific condition with certainty without enough information to do so.",
]

POINTS = [p for p in range(-10, 11) if p != 0]
# Real HealthBench rubrics are mostly positive with a minority of negative
# items (102 of 352 in the first 30 rows): weight positives 3:1.
POINT_WEIGHTS = [1 if p < 0 else 3 for p in POINTS]


def sentences(rng, pool, lo, hi, sep=" "):
    """Join distinct random sentences from pool until the text is at least
    lo chars long, stopping before it would exceed hi (at least one
    sentence)."""
    target = rng.randint(lo, hi)
    parts, n = [], 0
    for s in rng.sample(pool, len(pool)):
        if n >= target or (n and n + len(sep) + len(s) > hi):
            break
        parts.append(s)
        n += len(s) + (len(sep) if n else 0)
    return sep.join(parts)


def uuid_like(rng):
    h = "%032x" % rng.getrandbits(128)
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def prompt_text(rng):
    text = "%s %s. %s" % (rng.choice(WHO), rng.choice(SYMPTOM), rng.choice(ASK))
    target = rng.randint(300, 600)
    for extra in rng.sample(EXTRA, len(EXTRA)):
        if len(text) >= target or len(text) + 1 + len(extra) > 600:
            break
        text += " " + extra
    return text


def response_text(rng):
    # Paragraphs of 2-4 sentences separated by blank lines, like a chat answer.
    body = sentences(rng, RESPONSE, 1500, 2480)
    out, cut = [], body.split(". ")
    para = []
    for s in cut:
        para.append(s)
        if len(para) >= rng.randint(2, 4):
            out.append(". ".join(para))
            para = []
    if para:
        out.append(". ".join(para))
    return ".\n\n".join(o.rstrip(".") for o in out) + "."


def row(rng):
    crit = rng.sample(CRITERIA, 12)
    points = rng.choices(POINTS, POINT_WEIGHTS, k=12)
    if max(points) < 0:
        points[rng.randrange(12)] = rng.randint(1, 10)
    rubrics = [
        {"criterion": c, "points": p, "tags": ["level:example", rng.choice(AXES)]}
        for c, p in zip(crit, points)
    ]
    # A good-ish model meets most positive items and few negative ones.
    labels = [rng.random() < (0.6 if p > 0 else 0.25) for p in points]
    turns = [{"role": "user", "content": prompt_text(rng)}]
    return {
        "prompt_id": uuid_like(rng),
        "prompt": turns,
        "rubrics": rubrics,
        "example_tags": [rng.choice(THEMES), rng.choice(CATEGORIES)],
        "response": response_text(rng),
        "labels": labels,
    }


def main(argv):
    args = [a for a in argv if not a.startswith("--seed")]
    seed = 20260601
    for i, a in enumerate(argv):
        if a.startswith("--seed="):
            seed = int(a.split("=", 1)[1])
        elif a == "--seed":
            seed = int(argv[i + 1])
            args.remove(argv[i + 1])
    if len(args) != 2:
        sys.stderr.write("usage: gen.py N OUT [--seed S]\n")
        return 2
    n, out = int(args[0]), args[1]
    rng = random.Random(seed)
    with open(out, "w", encoding="utf-8", buffering=1 << 20) as f:
        for _ in range(n):
            f.write(json.dumps(row(rng), ensure_ascii=False))
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
