#!/usr/bin/env python3
"""The benchmark driver behind bench/run (see bench/README.md)."""
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# BECAUSE_BIN runs another build (say, the previous commit's) through the same workloads.
BIN = os.environ.get("BECAUSE_BIN") or os.path.join(ROOT, "target/release/because")
DATA = os.path.join(ROOT, "bench/data")
QUICK = bool(os.environ.get("QUICK"))
REPS = int(os.environ.get("REPS", "1" if QUICK else "3"))
# `because` runs in a second or less; more repetitions steady its medians on a noisy machine
# without lengthening the peers' part of the run.
BECAUSE_REPS = int(os.environ.get("BECAUSE_REPS", str(REPS)))
# W2 N = 3,000 (4.5 million paths) and W3 P = 1,000,000 are the sizes the engine issue asks
# for beyond the shared folder's; the peers' script is given the same sizes.
SIZES = {"w1": [1000, 10000, 100000], "w2": [200, 500, 1000, 3000], "w3": [10000, 100000, 1000000]}
if QUICK:
    SIZES = {"w1": [1000], "w2": [200], "w3": [10000]}
PEERS_SRC = os.path.join(ROOT, "..", "shared", "bench-peers")
PEERS_DIR = os.path.join(ROOT, "target", "bench-peers")
PEER_ENGINES = ["crepe", "ascent", "datafrog", "clips", "clipspy", "swipl", "durable", "experta"]
# Built from source by bench/install-peers, cached outside the repository.
PEERS_CACHE = os.environ.get("PEERS_CACHE") or os.path.expanduser("~/.cache/because-peers")
DATALOG_ENGINES = ["souffle", "souffle-prov", "souffle-compiled", "nemo"]
PEER_TIMEOUT = int(os.environ.get("TIMEOUT", "120"))
# PEERS="ascent souffle nemo" runs only those peers (souffle: its three modes), and the
# results go to bench/results-<NAME>.* and report-<NAME>.md (NAME from RUN_NAME, default
# "peers"), leaving the full run's report alone.
ONLY = os.environ.get("PEERS", "").split()
if ONLY:
    ONLY += [e for e in ("souffle-prov", "souffle-compiled") if "souffle" in ONLY]
SUFFIX = "-quick" if QUICK else ""
if ONLY:
    SUFFIX = "-" + os.environ.get("RUN_NAME", "peers")


def timed(cmd, stdin=None, env=None, cwd=None, stdout_file=None):
    """Run a whole process; returns (wall seconds, peak RSS KiB, stdout, stderr, rc). `stdin`
    is bytes (written through a pipe) or an open file (standard input is the file). With
    `stdout_file`, standard output goes to that file (stdout is then ""): a process writing
    gigabytes is not slowed by this script reading them from a pipe."""
    feed = {"stdin": stdin} if hasattr(stdin, "fileno") else {"input": stdin}
    t0 = time.perf_counter_ns()
    if stdout_file:
        with open(stdout_file, "wb") as out:
            p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", "/tmp/because-bench-time"] + cmd,
                               stdout=out, stderr=subprocess.PIPE, env=env, cwd=cwd, **feed)
        p.stdout = b""
    else:
        p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", "/tmp/because-bench-time"] + cmd,
                           capture_output=True, env=env, cwd=cwd, **feed)
    wall = (time.perf_counter_ns() - t0) / 1e9
    try:
        kib = int(open("/tmp/because-bench-time").read().split()[-1])
    except (OSError, ValueError, IndexError):
        kib = -1
    return wall, kib, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"), p.returncode


def cell(engine, workload, size, cmd, expected, stdin=None, env=None, reps=REPS, earlier=None):
    """Run `cmd` `reps` times; `earlier` is this cell's row from earlier in the run, whose
    runs are pooled with these (median of all, largest peak)."""
    walls, peak, status, count = [], 0, "ok", "NA"
    if earlier is not None:
        walls, peak, status = list(earlier["walls"]), earlier["peak_kib"], earlier["status"]
    for _ in range(reps):
        wall, kib, out, err, rc = timed(cmd, stdin=stdin, env=env)
        walls.append(wall)
        peak = max(peak, kib)
        count = out.strip().splitlines()[-1] if out.strip() else "NA"
        if rc != 0:
            status = f"ERROR(rc={rc})"
            sys.stderr.write(err[-800:])
            break
        if expected is not None and count != str(expected):
            status = f"MISMATCH(expected={expected})"
            break
    row = {"engine": engine, "workload": workload, "size": size, "count": count,
           "wall_s": round(statistics.median(walls), 4), "peak_kib": peak, "status": status, "runs": len(walls),
           "walls": walls}
    if earlier is not None:
        row["wall_before_peers_s"] = round(statistics.median(earlier["walls"]), 4)
        row["wall_after_peers_s"] = round(statistics.median(walls[len(earlier["walls"]):]), 4)
    print(f"{engine:10} {workload:4} {size:>8} count={count} wall={row['wall_s']:.3f}s peak={peak/1024:.0f}MiB {status}",
          file=sys.stderr)
    return row


def gen(w, n):
    d = os.path.join(DATA, w, str(n))
    if not os.path.exists(os.path.join(d, "expected.txt")):
        subprocess.run([sys.executable, os.path.join(ROOT, "bench/gen.py"), w, str(n), d], check=True)
    return d


def rules_args(d):
    args = []
    for f in sorted(os.listdir(d)):
        if f.endswith(".rules"):
            args += ["--rules", os.path.join(d, f)]
    return args


def workloads(earlier=None):
    """`because` on W1-W3. Run before the peers and again after them (`earlier`: the rows of
    the first pass): the peers take a quarter of an hour, and on a shared machine a load
    spike in the minute `because` alone was measured would otherwise decide its figures."""
    rows = []
    # W1 also as the compiled peers run it (`w1d`: the chain as data), `because` alone: the
    # peers' W1 cells are that formulation.
    for w, sizes in list(SIZES.items()) + [("w1d", SIZES["w1"])]:
        for n in sizes:
            d = gen(w, n)
            count = open(os.path.join(d, "count.txt")).read().strip()
            expected = open(os.path.join(d, "expected.txt")).read().strip()
            prev = next(r for r in earlier if r["workload"] == w and r["size"] == n) if earlier else None
            rows.append(cell("because", w, n, [BIN] + rules_args(d) + ["query", "--show", count, "--format", "count"], expected,
                             reps=BECAUSE_REPS, earlier=prev))
    return rows


def w7_payload(n):
    """N fact sets for W7, drawn from the shipped questions (`because questions --format
    json`) so that every set is valid: each question answered four times in five, with an
    allowed value (two for a question that takes several), booleans, and integers
    among the four smallest the question allows."""
    questions = json.loads(subprocess.run([BIN, "questions", "--format", "json"], check=True,
                                          capture_output=True, text=True).stdout)["questions"]
    rng = random.Random(7)
    lines = []
    for _ in range(n):
        answers = {}
        for q in questions:
            if rng.random() >= 0.8:
                continue
            if q["type"] == "boolean":
                answers[q["name"]] = rng.random() < 0.5
            elif q["type"] == "integer":
                low = q.get("min", 0)
                answers[q["name"]] = rng.randint(low, min(q.get("max", low + 3), low + 3))
            elif q["many"]:
                answers[q["name"]] = rng.sample(q["allowed"], min(2, len(q["allowed"])))
            else:
                answers[q["name"]] = rng.choice(q["allowed"])
        lines.append(json.dumps(answers))
    return ("\n".join(lines) + "\n").encode()


def ours():
    rows = []
    # W4: the shipped knowledge base on every scenario (whole-process latency of `query`).
    scen = sorted(os.path.join(ROOT, "rules/tests/facts", f) for f in os.listdir(os.path.join(ROOT, "rules/tests/facts")))
    walls, peak = [], 0
    for _ in range(3 if QUICK else 10):
        for f in scen:
            wall, kib, _, _, rc = timed([BIN, "query", "--facts", f])
            assert rc == 0, f
            walls.append(wall)
            peak = max(peak, kib)
    rows.append({"engine": "because", "workload": "w4", "size": len(scen), "count": len(walls),
                 "wall_s": round(statistics.median(walls), 4), "peak_kib": peak, "status": "ok", "runs": len(walls),
                 "p90_s": round(sorted(walls)[int(len(walls) * 0.9)], 4)})
    print(f"because    w4   scenarios median={rows[-1]['wall_s']*1e3:.1f} ms p90={rows[-1]['p90_s']*1e3:.1f} ms", file=sys.stderr)
    # W5: parse and check a large rule file.
    for n in ([5000] if QUICK else [5000, 50000]):
        d = gen("w5", n)
        size_mb = os.path.getsize(os.path.join(d, "program.rules")) / 1e6
        r = cell("because", "w5", n, [BIN, "check", os.path.join(d, "program.rules")], None, reps=BECAUSE_REPS)
        r["count"] = f"{size_mb:.1f}MB"
        rows.append(r)
    # W6: explain one conclusion of a chain of N derived facts: the conclusion at the start
    # (a small tree) and at the end (a tree of N nodes). Whole process, and the explain phase alone.
    for n in ([10000] if QUICK else [10000, 100000, 1000000]):
        d = gen("w6", n)
        for which, fact in (("first", "reach(1)"), ("last", f"reach({n})")):
            env = dict(os.environ, BECAUSE_TIMINGS="1")
            cmd = [BIN] + rules_args(d) + ["explain", fact, "--format", "json"]
            json_out = os.path.join(d, "explain.json")
            wall, kib, _, err, rc = timed(cmd, env=env, stdout_file=json_out)
            size = os.path.getsize(json_out)
            os.remove(json_out)
            def phase_ms(name):
                phase = [l for l in err.splitlines() if l.startswith(f"[timing] {name}:")]
                return float(phase[0].split(":")[1].split()[0]) if phase else -1
            # The explain phase plans the tree (which facts, in which order); the write phase
            # builds each node's text and writes it as JSON.
            ms, write_ms = phase_ms("explain"), phase_ms("write")
            rows.append({"engine": "because", "workload": f"w6-{which}", "size": n, "count": size,
                         "wall_s": round(wall, 4), "peak_kib": kib, "status": "ok" if rc == 0 else f"ERROR(rc={rc})",
                         "runs": 1, "explain_ms": ms, "write_ms": write_ms})
            print(f"because    w6   {n:>8} explain {which}: explain phase {ms:.3f} ms, write {write_ms:.3f} ms, "
                  f"process {wall:.3f}s, {size/1e6:.1f} MB", file=sys.stderr)
    # W7: batch of fact sets through --facts-ndjson -. Standard input is the payload's file
    # and standard output a file, as a shell runs `because ... < sets.ndjson > answers.ndjson`.
    # Fed and drained by this script through pipes instead (`subprocess.run(input=...)`),
    # Python's loop of 4 KiB writes shares the two cores with `because`: 60-90 ms of 0.5 s
    # in session 21. That figure is kept beside it (`wall_python_pipes_s`).
    n = 10000 if QUICK else 100000
    payload = w7_payload(n)
    walls, piped = [], []
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "sets.ndjson"), os.path.join(tmp, "answers.ndjson")
        with open(src, "wb") as f:
            f.write(payload)
        for _ in range(BECAUSE_REPS):
            with open(src, "rb") as stdin:
                wall, kib, _, err, rc = timed([BIN, "query", "--facts-ndjson", "-", "--format", "ndjson"],
                                              stdin=stdin, stdout_file=dst)
            assert rc == 0, err[-500:]
            with open(dst, "rb") as f:
                out = f.read()
            assert out.count(b"\n") == n
            errors = sum(1 for line in out.split(b"\n") if line.startswith(b'{"input":') and b'"error":' in line)
            assert errors == 0, f"{errors} of the W7 fact sets were refused"
            walls.append(wall)
            wall, _, out, err, rc = timed([BIN, "query", "--facts-ndjson", "-", "--format", "ndjson"], stdin=payload)
            # Lines counted by their `\n`: `str.splitlines` also cuts at U+2028 and others,
            # which JSON strings may hold unescaped.
            assert rc == 0 and out.count("\n") == n, err[-500:]
            assert '"error":' not in out, "a W7 fact set was refused"
            piped.append(wall)
    med = statistics.median(walls)
    rows.append({"engine": "because", "workload": "w7", "size": n, "count": n, "wall_s": round(med, 4),
                 "peak_kib": kib, "status": "ok", "runs": len(walls), "rate_per_s": round(n / med),
                 "wall_python_pipes_s": round(statistics.median(piped), 4)})
    print(f"because    w7   {n:>8} fact sets: {med:.2f}s, {n/med:.0f} per second "
          f"(through Python's pipes {statistics.median(piped):.2f}s)", file=sys.stderr)
    return rows


def peers():
    """Run ../shared/bench-peers in a writable copy; returns rows and the engines not installed."""
    if os.environ.get("NO_PEERS") or not os.path.isdir(PEERS_SRC):
        return [], {e: "not run (NO_PEERS or no ../shared/bench-peers)" for e in PEER_ENGINES}
    if not os.path.exists(os.path.join(PEERS_DIR, "run-peers.sh")):
        # The shared folder may be read-only: work in a writable copy (the venv may exist).
        shutil.copytree(PEERS_SRC, PEERS_DIR, dirs_exist_ok=True)
        for root, dirs, files in os.walk(PEERS_DIR):
            for n in dirs + files:
                p = os.path.join(root, n)
                if not os.path.islink(p):
                    os.chmod(p, os.stat(p).st_mode | 0o200)
    # The copy lies under this repository, inside its Cargo workspace: the peers' crate is a
    # workspace of its own.
    manifest = os.path.join(PEERS_DIR, "rust-peers", "Cargo.toml")
    if "[workspace]" not in open(manifest).read():
        open(manifest, "a").write("\n[workspace]\n")
    missing = {}
    have_py = os.path.exists(os.path.join(PEERS_DIR, ".venv/bin/python"))
    for e, ok in (("clips", shutil.which("clips")), ("swipl", shutil.which("swipl")),
                  ("clipspy", have_py), ("experta", have_py), ("durable", have_py)):
        if not ok:
            missing[e] = "not installed (run bench/install-peers)"
    engines = [e for e in PEER_ENGINES if e not in missing and (not ONLY or e in ONLY)]
    if not shutil.which("clips") or not shutil.which("swipl") or not have_py:
        # run-peers.sh insists on clips, swipl and the venv; run the Rust peers alone then.
        engines = [e for e in engines if e in ("crepe", "ascent", "datafrog")]
    env = dict(os.environ, ENGINES=" ".join(engines), REPS=str(REPS), OUT=os.path.join(PEERS_DIR, "results.tsv"))
    if QUICK:
        env["QUICK"] = "1"
    script = os.path.join(PEERS_DIR, "run-peers.sh")
    if not (shutil.which("clips") and shutil.which("swipl") and have_py):
        # Fall back to a private copy of the script without its tool check.
        text = open(script).read().replace('for tool in /usr/bin/time timeout clips swipl cargo python3; do',
                                           'for tool in /usr/bin/time timeout cargo python3; do')
        text = text.replace('[ -x "$PY" ] || { echo "missing $PY: see README (install)" >&2; exit 1; }', '')
        script = os.path.join(PEERS_DIR, "run-rust-peers.sh")
        open(script, "w").write(text)
        os.chmod(script, 0o755)
    # The same sizes as ours (the shared script has only the smaller ones).
    sizes = "declare -A SIZES=(" + " ".join(f'[{w}]="{" ".join(map(str, n))}"' for w, n in SIZES.items()) + ")"
    text = open(script).read()
    text = re.sub(r'^declare -A SIZES=\(.*\)$', lambda _: sizes, text, count=1, flags=re.M)
    script = os.path.join(PEERS_DIR, "run-peers-sized.sh")
    open(script, "w").write(text)
    os.chmod(script, 0o755)
    subprocess.run(["bash", script], env=env, check=True)
    rows = []
    with open(os.path.join(PEERS_DIR, "results.tsv")) as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            r = dict(zip(head, line.rstrip("\n").split("\t")))
            rows.append({"engine": r["engine"], "workload": r["workload"], "size": int(r["size"]), "count": r["count"],
                         "wall_s": float(r["wall_s"]) if r["wall_s"] != "NA" else None,
                         "peak_kib": int(r["peak_kib"]) if r["peak_kib"] not in ("NA", "") else None,
                         "status": r["status"], "runs": r["runs"]})
    return rows, missing


def datalog_peers():
    """Soufflé (interpreter, with provenance, compiled) and Nemo on W1-W3, from their
    binaries in PEERS_CACHE; each cell's result file is counted against the workload's
    expected count. Returns rows and the engines not installed."""
    souffle = os.path.join(PEERS_CACHE, "souffle/bin/souffle")
    nmo = os.path.join(PEERS_CACHE, "nemo/bin/nmo")
    missing = {}
    if not os.access(souffle, os.X_OK):
        for e in ("souffle", "souffle-prov", "souffle-compiled"):
            missing[e] = f"not installed (bench/install-peers builds it into {PEERS_CACHE})"
    if not os.access(nmo, os.X_OK):
        missing["nemo"] = f"not installed (bench/install-peers builds it into {PEERS_CACHE})"
    if ONLY:
        missing = {e: why for e, why in missing.items() if e in ONLY}
    if os.environ.get("NO_PEERS") or not os.path.isdir(PEERS_SRC):
        return [], {e: "not run (NO_PEERS or no ../shared/bench-peers)" for e in DATALOG_ENGINES}
    result = {"w1": "p", "w2": "path", "w3": "candidate"}
    rows = []
    for engine in [e for e in DATALOG_ENGINES if e not in missing and (not ONLY or e in ONLY)]:
        for w, sizes in SIZES.items():
            dead = None
            for n in sizes:
                kind = "nemo" if engine == "nemo" else "souffle"
                d = os.path.join(PEERS_DIR, f"data-{kind}", w, str(n))
                if not os.path.exists(os.path.join(d, "expected.txt")):
                    os.makedirs(d, exist_ok=True)
                    gen_script = os.path.join(PEERS_SRC, kind, f"gen_{kind}.py")
                    exp = subprocess.run([sys.executable, gen_script, w, str(n), d], check=True,
                                         capture_output=True, text=True).stdout.strip()
                    open(os.path.join(d, "expected.txt"), "w").write(exp)
                expected = open(os.path.join(d, "expected.txt")).read().strip()
                row = {"engine": engine, "workload": w, "size": n, "count": "NA", "wall_s": None,
                       "peak_kib": None, "status": "ok", "runs": 0}
                if dead:
                    row["status"] = f"SKIPPED({dead})"
                    rows.append(row)
                    continue
                out = os.path.join(d, "out")
                stdin = None
                if engine == "nemo":
                    cmd = [nmo, "prog.rls", "-D", "out", "-o", "--report", "short"]
                elif engine == "souffle-compiled":
                    exe = os.path.join(d, "prog-compiled")
                    t0 = time.perf_counter()
                    c = subprocess.run(["timeout", "-k", "5", str(2 * PEER_TIMEOUT), souffle, "-j1", "-o", exe,
                                        "prog.dl"], cwd=d, capture_output=True, text=True)
                    row["compile_s"] = round(time.perf_counter() - t0, 3)
                    if c.returncode in (124, 137):
                        row["status"] = "TIMEOUT(compiling)"
                        print(f"{engine:16} {w:4} {n:>8} compiling took over {2 * PEER_TIMEOUT} s", file=sys.stderr)
                        rows.append(row)
                        dead = row["status"]
                        continue
                    if c.returncode != 0:
                        row["status"] = f"ERROR(compile rc={c.returncode})"
                        sys.stderr.write(c.stderr[-800:])
                        rows.append(row)
                        dead = row["status"]
                        continue
                    cmd = [exe, "-j1", "-F", ".", "-D", "out"]
                else:
                    cmd = [souffle, "-j1", "-F", ".", "-D", "out", "prog.dl"]
                    if engine == "souffle-prov":
                        cmd[1:1] = ["-t", "explain"]
                        stdin = b"exit\n"
                walls, peak = [], 0
                for _ in range(REPS):
                    shutil.rmtree(out, ignore_errors=True)
                    os.makedirs(out)
                    wall, kib, so, se, rc = timed(["timeout", "-k", "5", str(PEER_TIMEOUT)] + cmd, stdin=stdin, cwd=d)
                    row["runs"] += 1
                    if rc in (124, 137):
                        row["status"], walls, kib = "TIMEOUT", [float(PEER_TIMEOUT)], None
                        break
                    if rc != 0:
                        row["status"] = f"ERROR(rc={rc})"
                        sys.stderr.write((so + se)[-800:])
                        break
                    walls.append(wall)
                    peak = max(peak, kib)
                    path = os.path.join(out, result[w] + ".csv")
                    lines = sum(1 for _ in open(path)) if os.path.exists(path) else None
                    # W1's result holds the stated p(0) too; the expected count is of derived facts.
                    row["count"] = "NA" if lines is None else str(lines - 1 if w == "w1" else lines)
                    if row["count"] != expected:
                        row["status"] = f"MISMATCH(expected={expected})"
                        break
                    if wall > 10:
                        break
                shutil.rmtree(out, ignore_errors=True)
                if walls:
                    row["wall_s"] = round(statistics.median(walls), 4)
                row["peak_kib"] = peak or None
                print(f"{engine:16} {w:4} {n:>8} count={row['count']} wall={row['wall_s']}s "
                      f"peak={(peak or 0)/1024:.0f}MiB {row['status']}"
                      + (f" compile={row['compile_s']}s" if "compile_s" in row else ""), file=sys.stderr)
                rows.append(row)
                if row["status"] not in ("ok",) and not row["status"].startswith("MISMATCH"):
                    dead = row["status"]
    return rows, missing


def main():
    first = workloads()
    rows = ours()
    peer_rows, missing = peers()
    datalog_rows, datalog_missing = datalog_peers()
    missing.update(datalog_missing)
    rows = workloads(first) + rows + peer_rows + datalog_rows
    for r in rows:
        r.pop("walls", None)
    keys = ["engine", "workload", "size", "count", "wall_s", "peak_kib", "status", "runs"]
    out = f"bench/results{SUFFIX}.tsv"
    with open(os.path.join(ROOT, out), "w") as f:
        f.write("\t".join(keys + ["extra"]) + "\n")
        for r in rows:
            extra = {k: v for k, v in r.items() if k not in keys}
            f.write("\t".join(str(r.get(k, "")) for k in keys) + "\t" + json.dumps(extra) + "\n")
    machine = {
        "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor()),
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "os": platform.platform(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "rustc": subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip(),
    }
    json.dump({"machine": machine, "missing": missing, "rows": rows}, open(os.path.join(ROOT, f"bench/results{SUFFIX}.json"), "w"), indent=1)
    subprocess.run([sys.executable, os.path.join(ROOT, "bench/report.py"), f"--suffix={SUFFIX}"], check=True)


if __name__ == "__main__":
    main()
