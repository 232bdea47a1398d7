#!/usr/bin/python3
"""Side-by-side table for bench/distill/run.sh.

Reads the key=value lines that main.go and torch_bench.py print (one per
process run; a configuration may have several runs), keeps for each
configuration and side the run with the best wall time (and, separately,
the least CPU time), and prints one row per configuration:

  Go tokens/s and ns per vocabulary entry, PyTorch float64 (the same
  precision as core/distill) and float32 beside it, the ratios
  torch time / Go time in wall and in CPU seconds (> 1: Go is faster), the
  target and whether the CPU ratio against float64 meets it, and peak RSS.

Targets: sparse top-20 >= 2x PyTorch; dense no slower than PyTorch (>= 1x)
for every divergence, with and without the gradient.

Usage: report.py RESULTS.txt [REF_SPARSE_TOKENS_PER_S]
"""
import sys


def parse(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("side="):
                continue
            kv = dict(p.split("=", 1) for p in line.split())
            rows.append(kv)
    return rows


def key(kv):
    return (kv["mode"], kv["div"], int(kv["grad"]), int(kv["T"]), int(kv["V"]))


def best(rows):
    """(side, dtype) -> config -> {wall, cpu, tokens_per_s, ns, peak, data, input}"""
    out = {}
    for kv in rows:
        d = out.setdefault((kv["side"], kv["dtype"]), {}).setdefault(key(kv), {
            "wall": float("inf"), "cpu": float("inf"), "peak": 0.0, "data": 0.0, "input": 0.0, "runs": 0})
        d["runs"] += 1
        wall, cpu = float(kv["wall_s"]), float(kv["cpu_s"])
        if wall < d["wall"]:
            d["wall"] = wall
            d["tokens_per_s"] = float(kv["tokens_per_s"])
            d["ns"] = float(kv["ns_per_entry"])
        d["cpu"] = min(d["cpu"], cpu)
        d["peak"] = max(d["peak"], float(kv["peak_rss_mib"]))
        d["data"] = max(d["data"], float(kv["rss_data_mib"]))
        d["input"] = float(kv["input_mib"])
    return out


def fmt_rate(x):
    if x >= 1e6:
        return "%.2fM" % (x / 1e6)
    if x >= 1e3:
        return "%.1fk" % (x / 1e3)
    return "%.0f" % x


def main():
    rows = parse(sys.argv[1])
    ref_sparse = float(sys.argv[2]) if len(sys.argv) > 2 else 5.5e6
    b = best(rows)
    go = b.get(("go", "float64"), {})
    t64 = b.get(("torch", "float64"), {})
    t32 = b.get(("torch", "float32"), {})
    row = "%-44s %9s %8s | %9s %8s %7s %7s | %9s %8s %7s | %6s %4s | %9s %9s"
    hdr = (row %
           ("configuration", "go tok/s", "go ns/e", "f64 tok/s", "f64 ns/e", "wall x", "cpu x",
            "f32 tok/s", "f32 ns/e", "cpu x", "target", "met", "go RSS", "f64 RSS"))
    print(hdr)
    print("-" * len(hdr))
    misses = []
    for k in sorted(go, key=lambda k: (k[0] != "sparse", k[4], k[3], k[1], k[2])):
        mode, div, grad, T, V = k
        g = go[k]
        name = "%s %s%s T=%d %s=%d" % (mode, div, " +grad" if grad else "", T, "k" if mode == "sparse" else "V", V)
        if mode == "dense" and T > 0 and g["input"] < 16 * T * V / 2**20 * 0.99:
            name += " (%d rows)" % round(g["input"] * 2**20 / (16 * V))
        target = 2.0 if mode == "sparse" else 1.0
        cols = [name, fmt_rate(g["tokens_per_s"]), "%.2f" % g["ns"]]
        f = t64.get(k)
        met = "-"
        if f:
            wr, cr = f["wall"] / g["wall"], f["cpu"] / g["cpu"]
            cols += [fmt_rate(f["tokens_per_s"]), "%.2f" % f["ns"], "%.2fx" % wr, "%.2fx" % cr]
            met = "yes" if cr >= target else "NO"
            if cr < target:
                misses.append("%s: %.2fx CPU vs torch float64 (target %.0fx)" % (name, cr, target))
        else:
            cols += ["-", "-", "-", "-"]
        h = t32.get(k)
        if h:
            cols += [fmt_rate(h["tokens_per_s"]), "%.2f" % h["ns"], "%.2fx" % (h["cpu"] / g["cpu"])]
        else:
            cols += ["-", "-", "-"]
        cols += ["%.0fx" % target, met, "%.0fM" % g["peak"], ("%.0fM" % f["peak"]) if f else "-"]
        print(row % tuple(cols))
    print()
    print("x = PyTorch time / Go time for the same work (> 1: Go faster); wall from the best wall time, "
          "cpu from the least user+sys CPU seconds; 'met' judges the CPU ratio against float64.")
    sp = [(k, v) for k, v in go.items() if k[0] == "sparse"]
    for k, v in sorted(sp, key=lambda kv: kv[0][3]):
        print("sparse T=%d: go %.2fM tokens/s = %.2fx the reference point %.1fM tokens/s (target 2x)" %
              (k[3], v["tokens_per_s"] / 1e6, v["tokens_per_s"] / ref_sparse, ref_sparse / 1e6))
    # Wall and CPU seconds per call (one call = the whole batch of T positions).
    print()
    print("seconds per call (T positions): best wall / least user+sys CPU, and the runs kept from:")
    print("  %-44s %27s %27s %27s" % ("configuration", "go", "torch float64", "torch float32"))
    for k in sorted(go, key=lambda k: (k[0] != "sparse", k[4], k[3], k[1], k[2])):
        cells = []
        for side in (go, t64, t32):
            v = side.get(k)
            cells.append("%.4g / %.4g (%d)" % (v["wall"], v["cpu"], v["runs"]) if v else "-")
        mode, div, grad, T, V = k
        print("  %-44s %27s %27s %27s" % ("%s %s%s T=%d %s=%d" % (mode, div, " +grad" if grad else "", T,
                                                                   "k" if mode == "sparse" else "V", V), *cells))
    # Memory: RSS above the data, per configuration and side.
    print()
    print("peak RSS above the RSS once the data were made (MiB), dense rows:")
    for k in sorted(go, key=lambda k: (k[4], k[3], k[1], k[2])):
        if k[0] != "dense":
            continue
        g = go[k]
        f = t64.get(k)
        print("  %-30s go %7.1f (input %7.1f)   torch f64 %s" % (
            "%s%s T=%d V=%d" % (k[1], " +grad" if k[2] else "", k[3], k[4]),
            g["peak"] - g["data"], g["input"],
            ("%7.1f (input %7.1f)" % (f["peak"] - f["data"], f["input"])) if f else "-"))
    if misses:
        print()
        print("targets missed (CPU ratio):")
        for m in misses:
            print("  " + m)


if __name__ == "__main__":
    main()
