#!/usr/bin/env python3
"""Fact sets per second through each layer, on the same machine and the same sets:
the CLI batch (`because query --facts-ndjson --format ndjson`), the Python package's
`query_many` (in one process), and the Dask scale-out example (a local cluster of worker
processes, each calling `query_many` on its range of lines).

usage: bench/python_throughput.py [N] [WORKERS]   (default 100000 sets, 2 workers)
Run with the Python that has the package and dask installed; BECAUSE_BIN names the CLI
(default target/release/because).
"""
import json, os, pathlib, subprocess, sys, tempfile, time

root = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(root / "python" / "examples"))
sys.path.insert(0, str(root / "python" / "tests"))
import because  # noqa: E402
import dask_batch  # noqa: E402
from test_dask import generate  # noqa: E402

def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    binary = os.environ.get("BECAUSE_BIN", str(root / "target/release/because"))
    tmp = pathlib.Path(tempfile.mkdtemp())
    sets = tmp / "sets.ndjson"
    lines = list(generate(n))
    sets.write_text("".join(l + "\n" for l in lines))

    t = time.perf_counter()
    subprocess.run([binary, "query", "--facts-ndjson", str(sets), "--format", "ndjson"],
                   stdout=subprocess.DEVNULL, check=False)
    cli = time.perf_counter() - t

    kb = because.KnowledgeBase.shipped()
    dicts = [json.loads(l) for l in lines]
    t = time.perf_counter()
    kb.query_many(dicts)
    many = time.perf_counter() - t

    t = time.perf_counter()
    dask_batch.run(sets, tmp / "out.ndjson", workers=workers, partition=max(1, n // (4 * workers)))
    dist = time.perf_counter() - t

    print(f"{n} fact sets, {os.cpu_count()} cores")
    print(f"| layer | seconds | fact sets per second |")
    print(f"|---|---|---|")
    for name, s in [("CLI batch (NDJSON in, NDJSON out)", cli), ("Python query_many (dicts in, dicts out)", many),
                    (f"Dask, {workers} worker processes (file in, NDJSON out)", dist)]:
        print(f"| {name} | {s:.2f} | {n / s:,.0f} |")


if __name__ == "__main__":
    main()
