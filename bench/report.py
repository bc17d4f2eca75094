#!/usr/bin/env python3
"""Write bench/report.md and bench/chart.svg from bench/results.json (see bench/run)."""
import json
import math
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUICK = "--quick" in sys.argv
SUFFIX = "-quick" if QUICK else ""
for arg in sys.argv[1:]:
    if arg.startswith("--suffix="):
        SUFFIX = arg.split("=", 1)[1]
        QUICK = SUFFIX == "-quick"
data = json.load(open(os.path.join(ROOT, f"bench/results{SUFFIX}.json")))
rows = data["rows"]
PEERS = ["crepe", "ascent", "datafrog", "souffle", "souffle-prov", "souffle-compiled", "nemo",
         "clips", "clipspy", "swipl", "durable", "experta"]
TARGETS = {  # from the engine issue: (max seconds, max MiB, or a ratio to ascent)
    ("w1", 100000): "under 0.5 s, under 150 MB",
    ("w2", 1000): "under 3x ascent's time, under 150 MB",
    ("w3", 100000): "under 0.4 s, under 200 MB",
}


def get(engine, w, n):
    for r in rows:
        if r["engine"] == engine and r["workload"] == w and r["size"] == n:
            return r
    return None


def fmt_s(x):
    return "—" if x is None else (f"{x*1e3:.0f} ms" if x < 1 else f"{x:.2f} s")


def fmt_mb(k):
    return "—" if k in (None, -1) else f"{k/1024:.0f} MiB"


m = data["machine"]
out = [f"# Benchmarks{' (quick smoke run)' if QUICK else ''}", "",
       f"Measured {m['date']} on {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}, {m['rustc']}.",
       "Every cell is one whole process (start, parsing, evaluation, output), timed from outside;",
       "the median of several runs (`runs`), peak resident memory the largest. `because` and the peers",
       "ran in the same session; `because`'s W1-W3 cells were run before the peers and again after",
       "them, and pooled (`results.tsv` keeps both medians). Regenerate with `bench/run` (see README.md).", ""]
if data["missing"]:
    out.append("Peers not in this run: " + "; ".join(f"{k}: {v}" for k, v in sorted(data["missing"].items())) + ".")
    out.append("")
for w, title in (("w1", "W1: a chain of N distinct rules"), ("w2", "W2: transitive closure of an N-edge chain"),
                 ("w3", "W3: a join with negation and a comparison over P projects")):
    sizes = sorted({r["size"] for r in rows if r["workload"] == w})
    if not sizes:
        continue
    engines = ["because"] + [e for e in PEERS if any(r["engine"] == e and r["workload"] == w for r in rows)]
    out += [f"## {title}", "", "| engine | " + " | ".join(f"N = {n:,}" for n in sizes) + " |",
            "|---|" + "---|" * len(sizes)]
    for e in engines:
        cells = []
        for n in sizes:
            r = get(e, w, n)
            ours = get("because", w, n)
            if r is None:
                cells.append("—")
            elif r["status"] != "ok":
                cells.append(r["status"])
            else:
                ratio = ""
                if e != "because" and ours and ours["status"] == "ok" and r["wall_s"]:
                    ratio = f" ({r['wall_s']/ours['wall_s']:.2f}× because)"
                compiled = f" + {fmt_s(r['compile_s'])} to compile" if r.get("compile_s") else ""
                cells.append(f"{fmt_s(r['wall_s'])}, {fmt_mb(r['peak_kib'])}{ratio}{compiled}")
        out.append(f"| {e} | " + " | ".join(cells) + " |")
        if e == "because" and w == "w1" and any(r["workload"] == "w1d" for r in rows):
            # The compiled peers run W1 as data: `because` on that formulation too.
            cells = []
            for n in sizes:
                r, a = get("because", "w1d", n), get("ascent", "w1", n)
                if r is None:
                    cells.append("—")
                elif r["status"] != "ok":
                    cells.append(r["status"])
                else:
                    ratio = f" ({r['wall_s']/a['wall_s']:.2f}× ascent)" if a and a["status"] == "ok" and a["wall_s"] else ""
                    cells.append(f"{fmt_s(r['wall_s'])}, {fmt_mb(r['peak_kib'])}{ratio}")
            out.append("| because, the chain as data | " + " | ".join(cells) + " |")
    out.append("")
    if w == "w1" and any(r["workload"] == "w1d" for r in rows):
        out += ["crepe, ascent and datafrog fix their rules when they are compiled, so their W1 is the chain as",
                "data: N facts `imp(i, i+1)` and one recursive rule (the peers' README: \"same derivations,",
                "data-driven\"). `because, the chain as data` runs that formulation, with every derivation",
                "recorded; the `because` row, the interpreted peers, Soufflé and Nemo load N distinct rules.", ""]
    pts = [(n, get("because", w, n)) for n in sizes]
    pts = [(n, r["wall_s"], int(r["count"])) for n, r in pts
           if r and r["status"] == "ok" and str(r["count"]).isdigit()]
    if len(pts) >= 2:
        (n0, t0, c0), (n1, t1, c1) = pts[-2], pts[-1]
        what = f"{n1/n0:.0f}× the size" + (f" ({c1/c0:.0f}× the results)" if w == "w2" else "")
        out.append(f"Growth: {what} took {t1/t0:.1f}× the time (N = {n0:,} → {n1:,}).")
        out.append("")
    if w in ("w2", "w3"):
        # Memory per result fact at the largest size: a W2 path or a W3 candidate has one
        # derivation, so this is also what each recorded derivation costs `because`.
        n = sizes[-1]
        per = []
        for e in engines:
            r = get(e, w, n)
            if r and r["status"] == "ok" and r["peak_kib"] and str(r["count"]).isdigit() and int(r["count"]):
                per.append(f"{e} {r['peak_kib'] * 1024 / int(r['count']):.0f}")
        if per:
            out.append(f"Peak memory per result fact at N = {n:,} (bytes; the whole process's peak over the "
                       f"result count, so input and program are in it): " + ", ".join(per) + ".")
            out.append("")

if any(r["engine"].startswith("souffle") or r["engine"] == "nemo" for r in rows):
    out += ["Soufflé: `souffle` is its interpreter (`-j1`), `souffle-prov` the interpreter keeping what it needs to",
            "show proof trees (`-t explain`, as every `because` run does), `souffle-compiled` the program compiled to",
            "C++ first (the compile time apart). Nemo reads W2 and W3 from CSV files, as its users load data.",
            "Every peer's result file is counted against the workload's expected count.", ""]

out += ["## Targets of the engine issue", "", "| workload | target | because | met? |", "|---|---|---|---|"]
for (w, n), target in TARGETS.items():
    r = get("because", w, n)
    if not r:
        continue
    if w == "w2":
        a = get("ascent", w, n)
        met = a is not None and a["wall_s"] and r["wall_s"] <= 3 * a["wall_s"] and r["peak_kib"] <= 150 * 1000
        val = f"{fmt_s(r['wall_s'])}, {fmt_mb(r['peak_kib'])}" + (f" ({r['wall_s']/a['wall_s']:.1f}× ascent)" if a and a["wall_s"] else "")
    else:
        limit_s = 0.5 if w == "w1" else 0.4
        limit_mb = 150 if w == "w1" else 200
        met = r["wall_s"] <= limit_s and r["peak_kib"] <= limit_mb * 1000
        val = f"{fmt_s(r['wall_s'])}, {fmt_mb(r['peak_kib'])}"
    out.append(f"| {w.upper()} N = {n:,} | {target} | {val} | {'yes' if met else '**no**'} |")
out.append("")


def speed_targets():
    """The targets of the speed issue, each from this run's cells."""
    t = ["## Targets of the speed issue", "",
         "Each from this run's cells. \"At the largest sizes\": W1 N = 100,000, W2 N = 3,000, W3 P = 1,000,000.", "",
         "| target | figures | met? |", "|---|---|---|"]
    ok = lambda r: r is not None and r["status"] == "ok" and r["wall_s"]
    for w, n, ours_w, what in (("w1", 100000, "w1", "W1, N distinct rules"), ("w1", 100000, "w1d", "W1, the chain as data"),
                               ("w2", 3000, "w2", "W2"), ("w3", 1000000, "w3", "W3")):
        r, a = get("because", ours_w, n), get("ascent", w, n)
        if not ok(r) or not ok(a):
            continue
        t.append(f"| {what}: time at most ascent's | {fmt_s(r['wall_s'])} against {fmt_s(a['wall_s'])} "
                 f"({r['wall_s']/a['wall_s']:.2f}×) | {'yes' if r['wall_s'] <= a['wall_s'] else '**no**'} |")
    for w, n in (("w2", 3000), ("w3", 1000000)):
        r, p = get("because", w, n), get("souffle-prov", w, n)
        if ok(r) and ok(p) and p["peak_kib"]:
            x = r["peak_kib"] / p["peak_kib"]
            t.append(f"| {w.upper()}: memory at most 1.5× Soufflé's with provenance | {fmt_mb(r['peak_kib'])} against "
                     f"{fmt_mb(p['peak_kib'])} ({x:.2f}×) | {'yes' if x <= 1.5 else '**no**'} |")
    for peer in ("souffle", "nemo"):
        for w, n in (("w1", 100000), ("w2", 3000), ("w3", 1000000)):
            r, p = get("because", w, n), get(peer, w, n)
            if not ok(r) or p is None:
                continue
            if p["status"] != "ok":
                t.append(f"| ahead of {peer} on {w.upper()}, time and memory | {fmt_s(r['wall_s'])}, "
                         f"{fmt_mb(r['peak_kib'])} against {p['status']} | yes |")
                continue
            faster, smaller = r["wall_s"] <= p["wall_s"], r["peak_kib"] <= p["peak_kib"]
            t.append(f"| ahead of {peer} on {w.upper()}, time and memory | {fmt_s(r['wall_s'])}, {fmt_mb(r['peak_kib'])} "
                     f"against {fmt_s(p['wall_s'])}, {fmt_mb(p['peak_kib'])} | "
                     f"{'yes' if faster and smaller else ('time only' if faster else ('memory only' if smaller else '**no**'))} |")
    for w in ("w1", "w2", "w3"):
        # The size is the result count (W2's grows as the square of N), each step between
        # sizes scaled to tenfold.
        pts = sorted((int(r["count"]), r["wall_s"]) for r in rows
                     if r["engine"] == "because" and r["workload"] == w and ok(r) and str(r["count"]).isdigit())
        if len(pts) >= 2:
            worst = max((t1 / t0) / (n1 / n0) * 10 for (n0, t0), (n1, t1) in zip(pts, pts[1:]))
            t.append(f"| {w.upper()}: 10× the size in at most 11× the time | the worst step between sizes, "
                     f"per tenfold results: {worst:.1f}× | {'yes' if worst <= 11 else '**no**'} |")
    for r in [r for r in rows if r["workload"] == "w7" and ok(r)]:
        t.append(f"| W7: 200,000 fact sets a second | {r['rate_per_s']:,} | {'yes' if r['rate_per_s'] >= 200000 else '**no**'} |")
    for r in [r for r in rows if r["workload"] == "w6-last" and r["size"] == 1000000 and r.get("explain_ms", -1) >= 0]:
        t.append(f"| W6: explaining the last of 1,000,000 derived facts under 1 s | {r['explain_ms']:.0f} ms to explain "
                 f"({fmt_s(r['wall_s'])} with writing {r['count'] / 2**30:.1f} GiB of JSON) | "
                 f"{'yes' if r['explain_ms'] < 1000 else '**no**'} |")
    return t + [""]


out += speed_targets()
out += ["## Workloads of our own", ""]
w4 = [r for r in rows if r["workload"] == "w4"]
for r in w4:
    out.append(f"- **W4**, the shipped knowledge base on the {r['size']} scenario facts files (`because query`, whole "
               f"process, {r['runs']} runs): median {r['wall_s']*1e3:.1f} ms, 90th percentile {r['p90_s']*1e3:.1f} ms, "
               f"peak {fmt_mb(r['peak_kib'])}. Target: under 10 ms median.")
for r in [r for r in rows if r["workload"] == "w5"]:
    out.append(f"- **W5**, `because check` on a generated rule file of {r['size']:,} rules ({r['count']}): "
               f"{fmt_s(r['wall_s'])}, {fmt_mb(r['peak_kib'])}. Target (50,000+ rules, 10 MB): under 2 s.")
w6 = [r for r in rows if r["workload"].startswith("w6")]
if w6:
    out.append("- **W6**, explaining one conclusion of a chain of N derived facts (`because explain --format json`); "
               "the explain phase (which facts the tree shows, in order: from `BECAUSE_TIMINGS`), the write phase "
               "(each node's text built and written as JSON, on two threads), then the whole process and the "
               "JSON's size:")
    out.append("")
    out.append("  | N derived | explain the first fact (2 nodes) | explain the last fact (2N nodes) | write it | process | JSON |")
    out.append("  |---|---|---|---|---|---|")
    for n in sorted({r["size"] for r in w6}):
        f = next((r for r in w6 if r["size"] == n and r["workload"] == "w6-first"), None)
        l = next((r for r in w6 if r["size"] == n and r["workload"] == "w6-last"), None)
        ms = lambda r, k: "—" if r is None or r.get(k, -1) < 0 else f"{r[k]:.2f} ms"
        out.append(f"  | {n:,} | {ms(f, 'explain_ms')} | {ms(l, 'explain_ms')} | {ms(l, 'write_ms')} | "
                   f"{'—' if l is None else fmt_s(l['wall_s'])} | {'—' if l is None else fmt_mb(l['count'] / 1024)} |")
for r in [r for r in rows if r["workload"] == "w7"]:
    piped = r.get("wall_python_pipes_s")
    piped = (f" Fed and read by the Python driver through pipes instead (its loop shares the cores): "
             f"{fmt_s(piped)}, {round(r['size'] / piped):,} per second." if piped else "")
    # Runs before session 21 fed W7 through Python's pipes, and kept no second figure.
    how = " (`< sets.ndjson > answers.ndjson`)" if "wall_python_pipes_s" in r else ""
    out.append(f"- **W7**, {r['size']:,} fact sets through `--facts-ndjson -` on {m['cores']} cores"
               f"{how}: {fmt_s(r['wall_s'])}, "
               f"**{r['rate_per_s']:,} fact sets per second**, peak {fmt_mb(r['peak_kib'])}. Target: 200,000 per second."
               + piped)
out.append("")
out.append(f"![time against size, log-log](chart{SUFFIX}.svg)")
out.append("")
open(os.path.join(ROOT, f"bench/report{SUFFIX}.md"), "w").write("\n".join(out))

# The chart: wall time against size, log-log, one line per engine per workload.
W, H, PAD = 900, 520, 70
series = {}
for r in rows:
    if r["workload"] in ("w1", "w2", "w3") and r["status"] == "ok" and r["wall_s"]:
        series.setdefault((r["engine"], r["workload"]), []).append((r["size"], r["wall_s"]))
xs = [p[0] for s in series.values() for p in s] or [1, 10]
ys = [p[1] for s in series.values() for p in s] or [0.001, 1]
lx0, lx1 = math.log10(min(xs)) - 0.1, math.log10(max(xs)) + 0.1
ly0, ly1 = math.log10(min(ys)) - 0.1, math.log10(max(ys)) + 0.1
X = lambda v: PAD + (math.log10(v) - lx0) / (lx1 - lx0) * (W - 2 * PAD - 160)
Y = lambda v: H - PAD - (math.log10(v) - ly0) / (ly1 - ly0) * (H - 2 * PAD)
colors = {"because": "#d62728", "ascent": "#1f77b4", "crepe": "#17becf", "datafrog": "#9467bd", "clips": "#8c564b",
          "clipspy": "#e377c2", "swipl": "#2ca02c", "durable": "#7f7f7f", "experta": "#bcbd22"}
dashes = {"w1": "", "w2": "6,3", "w3": "2,3"}
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="Helvetica" font-size="12">',
       f'<rect width="{W}" height="{H}" fill="white"/>',
       f'<text x="{W/2-120}" y="24" font-size="15">Wall time against size (log-log)</text>']
for e in range(math.floor(lx0), math.ceil(lx1) + 1):
    if lx0 <= e <= lx1:
        svg.append(f'<line x1="{X(10**e):.1f}" y1="{PAD}" x2="{X(10**e):.1f}" y2="{H-PAD}" stroke="#eee"/>')
        svg.append(f'<text x="{X(10**e)-12:.1f}" y="{H-PAD+18}">1e{e}</text>')
for e in range(math.floor(ly0), math.ceil(ly1) + 1):
    if ly0 <= e <= ly1:
        svg.append(f'<line x1="{PAD}" y1="{Y(10**e):.1f}" x2="{W-PAD-160}" y2="{Y(10**e):.1f}" stroke="#eee"/>')
        svg.append(f'<text x="{PAD-45}" y="{Y(10**e)+4:.1f}">{10**e:g} s</text>')
svg.append(f'<text x="{W/2-100}" y="{H-25}">size (N rules, N edges, P projects)</text>')
legend_y = PAD
for (eng, w), pts in sorted(series.items()):
    pts.sort()
    d = " ".join(f"{X(x):.1f},{Y(y):.1f}" for x, y in pts)
    c = colors.get(eng, "#000")
    width = 3 if eng == "because" else 1.5
    svg.append(f'<polyline points="{d}" fill="none" stroke="{c}" stroke-width="{width}" stroke-dasharray="{dashes[w]}"/>')
    for x, y in pts:
        svg.append(f'<circle cx="{X(x):.1f}" cy="{Y(y):.1f}" r="3" fill="{c}"/>')
    svg.append(f'<line x1="{W-PAD-140}" y1="{legend_y}" x2="{W-PAD-110}" y2="{legend_y}" stroke="{c}" stroke-width="{width}" stroke-dasharray="{dashes[w]}"/>')
    svg.append(f'<text x="{W-PAD-105}" y="{legend_y+4}">{eng} {w.upper()}</text>')
    legend_y += 16
svg.append("</svg>")
open(os.path.join(ROOT, f"bench/chart{SUFFIX}.svg"), "w").write("\n".join(svg))
print(f"wrote bench/report{SUFFIX}.md and bench/chart{SUFFIX}.svg", file=sys.stderr)
