#!/usr/bin/env python3
"""Time the what-if search on the shipped knowledge base over every scenario.

For each scenario in rules/tests/facts: every framework that is not concluded first (why-not:
what would make it hold, or come first) and the contrast of the first two (explain --over:
what would put the second ahead). Prints the search's own time (BECAUSE_TIMINGS) per case,
then the median and the worst, and how many variations were run.

usage: bench/what_if.py [BINARY]   (default target/release/because)
"""
import json, statistics, subprocess, sys, pathlib, re

root = pathlib.Path(__file__).resolve().parent.parent
binary = sys.argv[1] if len(sys.argv) > 1 else str(root / "target/release/because")
env = {"BECAUSE_TIMINGS": "1", "PATH": "/usr/bin:/bin"}


def run(args):
    p = subprocess.run([binary, *args], capture_output=True, text=True, env=env, cwd=root)
    ms = [float(m) for m in re.findall(r"\[timing\] what-if: ([0-9.]+) ms", p.stderr)]
    return p, (ms[0] if ms else None)


cases = []
for f in sorted((root / "rules/tests/facts").iterdir()):
    if f.suffix not in (".json", ".toml"):
        continue
    q = subprocess.run([binary, "query", "--facts", str(f), "--format", "json"],
                       capture_output=True, text=True, cwd=root)
    if q.returncode != 0:
        continue
    rec = next(o for o in json.loads(q.stdout)["outputs"] if o["name"] == "recommend")
    concluded = rec["concluded"]
    targets = [c["fact"] for c in concluded if c.get("rank", 1) > 1]
    targets += [c["fact"] for c in rec["below_threshold"] + rec["ruled_out"]]
    for t in targets:
        p, ms = run(["why-not", t, "--facts", str(f), "--format", "json"])
        w = json.loads(p.stdout).get("what_if")
        if ms is not None and w:
            cases.append((f.name, "why-not " + t, ms, w["tried"], len(w["changes"])))
    if len(concluded) >= 2:
        a, b = concluded[0]["fact"], concluded[1]["fact"]
        p, ms = run(["explain", a, "--over", b, "--facts", str(f), "--format", "json"])
        w = json.loads(p.stdout).get("what_if")
        if ms is not None and w:
            cases.append((f.name, f"explain {a} --over {b}", ms, w["tried"], len(w["changes"])))

for name, what, ms, tried, found in cases:
    print(f"{ms:8.2f} ms  {tried:5d} runs  {found} found  {name}: {what}")
times = [c[2] for c in cases]
print(f"\n{len(cases)} searches over {len({c[0] for c in cases})} scenarios: "
      f"median {statistics.median(times):.1f} ms, worst {max(times):.1f} ms; "
      f"runs per search median {statistics.median([c[3] for c in cases]):.0f}, "
      f"most {max(c[3] for c in cases)}")
