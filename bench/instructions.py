#!/usr/bin/env python3
"""Instructions a W7 fact set costs, counted by callgrind: a measure that does not move with
the machine's load (timings of one binary on these shared machines vary by a third).

    python3 bench/instructions.py [BINARY ...]     (default: target/release/because)

Runs each binary on the first 2,000 of W7's fact sets on one thread under
`valgrind --tool=callgrind` and prints the instructions counted under `ask::batch_line`
(reading, evaluating and writing one set) divided by 2,000, with a digest of the output so
that a change that alters answers shows. Needs valgrind (apt install valgrind); about a
few seconds a binary. Compare binaries built before and after a change; the absolute figure
depends on the compiler.
"""
import hashlib
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the workload writers)

SETS = 2000


def count(binary, payload):
    with tempfile.TemporaryDirectory() as d:
        out_file = os.path.join(d, "callgrind.out")
        # Only the instructions executed inside batch_line are counted (code inlined into it
        # included; reading its "inclusive" line of callgrind_annotate's report missed the
        # parts that inlining attributes to other source files, such as serde's).
        proc = subprocess.run(
            ["valgrind", "--tool=callgrind", "--toggle-collect=because::ask::batch_line*",
             f"--callgrind-out-file={out_file}", binary,
             "query", "--facts-ndjson", "-", "--format", "ndjson"],
            input=payload, capture_output=True, env=dict(os.environ, RAYON_NUM_THREADS="1"),
            check=True)
        digest = hashlib.md5(proc.stdout).hexdigest()[:8]
        report = subprocess.run(["callgrind_annotate", out_file],
                                capture_output=True, text=True, check=True).stdout
    for line in report.splitlines():
        if "PROGRAM TOTALS" in line:
            total = int(line.split()[0].replace(",", ""))
            if total > 0:
                return total / SETS, digest
    sys.exit(f"{binary}: nothing counted in batch_line (built without symbols?)")


def main():
    binaries = sys.argv[1:] or [run.BIN]
    payload = run.w7_payload(SETS)
    for b in binaries:
        per_set, digest = count(b, payload)
        print(f"{b}: {per_set:,.0f} instructions a set (output md5 {digest}...)")


if __name__ == "__main__":
    main()
