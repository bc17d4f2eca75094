#!/usr/bin/env python3
"""Instructions a W7 fact set costs, counted by callgrind: a measure that does not move with
the machine's load (timings of one binary on these shared machines vary by a third).

    python3 bench/instructions.py [BINARY ...]     (default: target/release/because)

Runs each binary on the first 2,000 and the first 4,000 of W7's fact sets, on one thread,
under `valgrind --tool=callgrind`, and prints the difference of the whole processes' counts
divided by 2,000: what one more fact set costs, reading, running and writing included, the
start (loading the rules) left out. Batches run many sets in one run (`ask::sets`), so no one
function's count is a set's. Prints a digest of the output too, so that a change that alters
answers shows. Needs valgrind (apt install valgrind); about a minute a binary. Compare
binaries built before and after a change; the absolute figure depends on the compiler.
Set BECAUSE_HASH_SEED (a number) to fix the hash key; the count still moves by about 0.3%
from run to run, because how many lines a batch round starts with depends on the reader
thread. Run each binary twice, interleaved.
(Before session 16 it counted inside `ask::batch_line` alone, which batches of sets no longer
run: figures from then are not comparable.)
"""
import hashlib
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the workload writers)

SETS = 2000


def total(binary, payload):
    """Instructions of one whole process on `payload`, and its output's digest."""
    with tempfile.TemporaryDirectory() as d:
        out_file = os.path.join(d, "callgrind.out")
        proc = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}", binary,
             "query", "--facts-ndjson", "-", "--format", "ndjson"],
            input=payload, capture_output=True, env=dict(os.environ, RAYON_NUM_THREADS="1"),
            check=True)
        digest = hashlib.md5(proc.stdout).hexdigest()[:8]
        report = subprocess.run(["callgrind_annotate", out_file],
                                capture_output=True, text=True, check=True).stdout
    for line in report.splitlines():
        if "PROGRAM TOTALS" in line:
            return int(line.split()[0].replace(",", "")), digest
    sys.exit(f"{binary}: callgrind counted nothing")


def count(binary, payload):
    lines = payload.splitlines(keepends=True)
    small, _ = total(binary, b"".join(lines[:SETS]))
    large, digest = total(binary, payload)
    return (large - small) / (len(lines) - SETS), digest


def main():
    binaries = sys.argv[1:] or [run.BIN]
    payload = run.w7_payload(2 * SETS)
    for b in binaries:
        per_set, digest = count(b, payload)
        print(f"{b}: {per_set:,.0f} instructions a set (output md5 {digest}...)")


if __name__ == "__main__":
    main()
