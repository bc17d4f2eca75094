#!/usr/bin/env python3
"""Hostile inputs: rule and facts files of one pathological shape each, at sizes a user's
limits allow, run through the release binary with a time limit. Each row says how long the
command took, its peak memory and how it ended (an exit code, or `TIMEOUT` / a signal).

    python3 bench/hostile.py [BINARY] [--timeout SECONDS] [--only NAME]

The language server's case opens a large file and makes each request an editor makes of it
(hover, symbols, semantic tokens, formatting...); its row gives the slowest.

Writes bench/hostile.md. Not a test: the times are this machine's. What it guards against
is a shape that makes a command hang, crash or take gigabytes: every case found so far (a
recursive graph search overflowing the stack, checks that compared every pair of rules,
help text copying the rest of the file for each error, joins holding 10 GB of premises)
ran here first. A case should end in a few seconds with exit 0 or 1.
"""

import os
import subprocess
import sys
import tempfile
import threading
import time

from lsp_wire import Lsp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def chain(n):
    return ["fact p0(1)\n"] + [f"rule r{i} when p{i}(X) then p{i + 1}(X)\n" for i in range(n)]


def paths_rule(conditions, name="r", head="b(X0, X{n})", pred="a"):
    body = " and ".join(f"{pred}(X{i}, X{i + 1})" for i in range(conditions))
    return f"rule {name} when {body} then {head.format(n=conditions)}\n"


TAGS = 'question tags "Tags?"\n  many\nrule r when tags(T) then seen(T)\n'


def tagged(n):
    return [f"fact tags(t{i})\n" for i in range(n)]


def steps(n):
    """N rules with a because text each, and one error (so that diagnostics are published)."""
    return ([f'rule r{i} because "step {i}" when p{i}(X) and q(X, Y) then p{i + 1}(Y)\n' for i in range(n)]
            + ["fact p0(1)\nfact q(1, 2)\nrule bad when undefined_x(X) then zz(X)\n"])


# (name, what it is, kind, writer of its lines). `kind` is "rules" (run as --rules FILE
# query), a facts format (run as query --facts FILE), "program" (the writer gives a rule
# file's lines and a native facts file's: --rules RULES query --facts FACTS), or "lsp" (the
# file opened in `because lsp`, then every request an editor makes of it: see `lsp`), or
# "suite" (the writer gives rules, a test case and its facts: `because test DIR`).
CASES = [
    ("identical_rules", "500,000 rules with the same conditions and conclusion", "rules",
     lambda: [f"rule r{i} when a(X) then b(Y)\n" for i in range(500_000)]),
    ("one_conclusion", "200,000 rules concluding b(X) from distinct conditions", "rules",
     lambda: ["fact a(1)\n"] + [f"rule r{i} when a(X) and c{i}(X) then b(X)\nfact c{i}(1)\n"
                                 for i in range(200_000)]),
    ("undefined", "200,000 rules, each reading a predicate nothing defines", "rules",
     lambda: [f"rule r{i} when u{i}(X) then b(X)\n" for i in range(200_000)]),
    ("one_name", "200,000 rules of one name", "rules",
     lambda: [f"rule r when a(X) then b{i}(X)\n" for i in range(200_000)] + ["fact a(1)\n"]),
    ("arity", "200,000 predicates used with two arities", "rules",
     lambda: [f"fact a({i})\nfact a({i}, {i})\n" for i in range(200_000)]),
    ("chain", "a chain of 200,000 predicates, each rule reading the one before", "rules",
     lambda: chain(200_000)),
    ("misspelt", "10,000 undefined names, each one letter from a defined one", "rules",
     lambda: [f"fact lang{i}(1)\n" for i in range(10_000)]
     + [f"rule r{i} when lang{i}x(X) then b(X)\n" for i in range(10_000)]),
    ("all_paths", "one rule of 250 conditions through every path of a 3-fact graph", "rules",
     lambda: [paths_rule(250), "fact a(1, 1)\nfact a(1, 2)\nfact a(2, 1)\n"]),
    ("wide_rules", "2,000 rules of 250 conditions each", "rules",
     lambda: [paths_rule(250, f"r{r}", f"b{r}(X0)") for r in range(2_000)] + ["fact a(1, 1)\n"]),
    ("wide_recursive", "2,000 recursive rules of 250 conditions each", "rules",
     lambda: [paths_rule(250, f"r{r}", "p(X0, X{n})", "p") for r in range(2_000)] + ["fact p(1, 1)\n"]),
    ("broken_rules", "1,000,000 rules without a conclusion", "rules",
     lambda: ["rule r when a(X) then\n"] * 1_000_000),
    ("unknown_keys", "a JSON facts file of 2,000,000 unknown keys (12 MB)", "json",
     lambda: ["{" + ",".join(['"x":1'] * 2_000_000) + "}\n"]),
    ("repeated_values", "one answer listing one value 2,000,000 times (16 MB, one line)", "json",
     lambda: ['{"needs": [' + ", ".join(['"auth"'] * 2_000_000) + "]}\n"]),
    ("broken_facts", "a native facts file of 1,000,000 broken lines (15 MB)", "facts",
     lambda: ["fact language(\n"] * 1_000_000),
    ("many_values", "200,000 values of one many-valued question", "program",
     lambda: ([TAGS], tagged(200_000))),
    ("large_tie", "100,000 conclusions of one output, all tied", "program",
     lambda: ([TAGS, 'output seen(T) "Seen"\n'], tagged(100_000))),
    ("ruled_out", "100,000 conclusions ruled out, each for reasons of its own", "program",
     lambda: ([TAGS, "rule s when tags(T) and pair(T, U) then seen(T) with certainty -0.9\n",
               'output seen(T) "Seen"\n'] + [f"fact pair(t{i}, u{i})\n" for i in range(100_000)],
              tagged(100_000))),
    ("lsp_large_file", "a 2.2 MB rule file of 30,000 rules in the language server", "lsp",
     lambda: steps(30_000)),
    ("test_ranks", "a test case of 20,000 rank expectations (`because test`)", "suite",
     lambda: ([TAGS, 'output seen(T) "Seen"\n'],
              ["--- facts file tags.facts\n", "--- expect\n"]
              + [f"seen(t{i}) rank 1\n" for i in range(20_000)],
              tagged(20_000))),
]


LSP_REQUESTS = ["hover", "definition", "references", "completion", "documentSymbol", "formatting",
                "semanticTokens/full", "foldingRange", "codeLens", "rename"]


def lsp(binary, path, timeout):
    """Open `path` in `because lsp`, wait for its diagnostics, make each request of
    LSP_REQUESTS at the file's last rule's name, then change the file once: (seconds in
    all, the slowest step and its milliseconds, the server's exit status)."""
    server = Lsp(binary)
    p, send, until = server.p, server.send, server.until
    timer = threading.Timer(timeout, p.kill)
    timer.start()

    start = time.monotonic()
    times = []
    try:
        server.initialize()
        uri = "file://" + path
        text = open(path).read()
        doc = {"uri": uri}
        t = time.monotonic()
        send({"jsonrpc": "2.0", "method": "textDocument/didOpen",
              "params": {"textDocument": {"uri": uri, "languageId": "because", "version": 1, "text": text}}})
        until(lambda m: m.get("method") == "textDocument/publishDiagnostics")
        times.append(("open", time.monotonic() - t))
        lines = text.splitlines()
        line = max(i for i, l in enumerate(lines) if l.startswith("rule r"))
        at = {"line": line, "character": len("rule r")}
        params = {"textDocument": doc, "position": at}
        extra = {"references": {"context": {"includeDeclaration": True}},
                 "formatting": {"options": {"tabSize": 2, "insertSpaces": True}},
                 "rename": {"newName": "renamed"}}
        for i, r in enumerate(LSP_REQUESTS, start=1):
            q = {"textDocument": doc} if r in ("documentSymbol", "semanticTokens/full", "foldingRange",
                                               "codeLens", "formatting") else dict(params)
            q.update(extra.get(r, {}))
            t = time.monotonic()
            send({"jsonrpc": "2.0", "id": i, "method": "textDocument/" + r, "params": q})
            until(lambda m: m.get("id") == i)
            times.append((r, time.monotonic() - t))
        t = time.monotonic()
        send({"jsonrpc": "2.0", "method": "textDocument/didChange",
              "params": {"textDocument": {"uri": uri, "version": 2},
                         "contentChanges": [{"text": text + "fact q(2, 3)\n"}]}})
        until(lambda m: m.get("method") == "textDocument/publishDiagnostics")
        times.append(("change", time.monotonic() - t))
        status = server.shutdown()
    except (EOFError, BrokenPipeError, ValueError):
        status = p.wait()
    killed = not timer.is_alive()
    timer.cancel()
    wall = time.monotonic() - start
    slowest = max(times, key=lambda x: x[1], default=("none", 0))
    ended = "TIMEOUT" if killed else str(status)
    return wall, ended, f"slowest: {slowest[0]} {slowest[1] * 1000:.0f} ms"


def run(binary, case, path, timeout):
    """Run one case: (seconds, peak MB, how it ended, last line of stderr)."""
    name, _, kind, _ = case
    if kind == "lsp":
        # wait4 in `lsp` would race its reader; the peak is not measured here.
        wall, ended, last = lsp(binary, path, timeout)
        return wall, "-", ended, last
    if kind == "rules":
        cmd = [binary, "--rules", path, "query"]
    elif kind == "suite":
        cmd = [binary, "test", os.path.dirname(path)]
    elif kind == "program":
        cmd = [binary, "--rules", path, "query", "--facts", path[:-len(kind)] + "facts"]
    else:
        cmd = [binary, "query", "--facts", path]
    with tempfile.TemporaryFile() as err:
        start = time.monotonic()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        timer = threading.Timer(timeout, p.kill)
        timer.start()
        # wait4 gives this child's own peak (getrusage's is the largest of all children).
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.monotonic() - start
        timed_out = not timer.is_alive() and wall >= timeout
        timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        last = err.read().decode(errors="replace").strip().splitlines()[-1:] or [""]
    if timed_out:
        ended = "TIMEOUT"
    elif p.returncode < 0:
        ended = f"signal {-p.returncode}"
    else:
        ended = str(p.returncode)
    return wall, f"{usage.ru_maxrss / 1024:.0f}", ended, last[0][:60]


def main():
    args = sys.argv[1:]
    binary = os.path.join(ROOT, "target/release/because")
    timeout, only = 60.0, None
    while args:
        a = args.pop(0)
        if a == "--timeout":
            timeout = float(args.pop(0))
        elif a == "--only":
            only = args.pop(0)
        else:
            binary = a
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for case in CASES:
            name, what, kind, lines = case
            if only and name != only:
                continue
            path = os.path.join(d, f"{name}.{kind}")
            if kind == "lsp":
                # A directory of its own: the server analyses every rule file beside it.
                os.mkdir(os.path.join(d, name))
                path = os.path.join(d, name, f"{name}.rules")
            written = lines()
            if kind == "suite":
                # A directory of its own: its rules, its case, and the case's facts.
                os.mkdir(os.path.join(d, name))
                rules, test_case, facts = written
                with open(os.path.join(d, name, "tags.facts"), "w") as f:
                    f.writelines(facts)
                with open(os.path.join(d, name, "rules.rules"), "w") as f:
                    f.writelines(rules)
                path, written = os.path.join(d, name, "case.test"), test_case
            if kind == "program":
                # The program's rules in NAME.program, its facts beside them in NAME.facts.
                written, facts = written
                with open(path[:-len(kind)] + "facts", "w") as f:
                    f.writelines(facts)
            with open(path, "w") as f:
                f.writelines(written)
            size_mb = os.path.getsize(path) / 1e6
            if kind == "program":
                size_mb += os.path.getsize(path[:-len(kind)] + "facts") / 1e6
            wall, peak, ended, last = run(binary, case, path, timeout)
            rows.append((name, what, size_mb, wall, peak, ended, last))
            print(f"{name:18} {size_mb:6.1f} MB {wall:7.2f} s {peak:>6} MB  exit {ended:8} {last}",
                  file=sys.stderr)
    out = ["# Hostile inputs", "",
           "`python3 bench/hostile.py` (see its docstring): each file run once, "
           f"{timeout:.0f} s allowed.", "",
           "| case | what | size | time | peak | exit | last line of stderr |",
           "|---|---|---:|---:|---:|---|---|"]
    for name, what, size_mb, wall, peak, ended, last in rows:
        last = last.replace("|", "\\|").replace("`", "'")
        out.append(f"| {name} | {what} | {size_mb:.1f} MB | {wall:.2f} s | {peak} MB | {ended} | {last} |")
    if not only:
        with open(os.path.join(ROOT, "bench/hostile.md"), "w") as f:
            f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
