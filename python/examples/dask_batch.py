"""Score a large batch of fact sets on a Dask cluster, partition by partition, with the
`because` package inside each worker.

    python dask_batch.py SETS.ndjson OUT.ndjson [--rules DIR] [--workers N] [--scheduler ADDR]

Each input line is one fact set (a JSON object, as in a facts file). Each output line is the
same as `because query --facts-ndjson SETS.ndjson --format ndjson` prints for it: the input's
line number and, per output, the concluded values with their certainty and rank (or the
error). Lines come out in input order.

Locally (the default) it starts a cluster of worker processes on this machine. On a real
cluster, give `--scheduler tcp://host:8786`: every worker needs Python 3.9+ and this package
(`pip install because-rules`, or the wheel `maturin build` makes from `python/`), and the
input file must be where every worker can read it (a shared file system); each task carries
only its range of lines. The rules are shipped to the workers with the tasks (`--rules`: their
text travels with each task, and each worker compiles them once), so nothing else has to be
copied to them.

Why Dask (and not Spark): it is pip-installable, pure Python, starts worker processes in a
second, and its partitions map one to one onto `query_many` calls; Spark would need a JVM and
a 300 MB download for the same partitioning.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import pathlib
from typing import Dict, List, Optional


@functools.lru_cache(maxsize=4)
def _knowledge_base(rules_key: Optional[str], rules_json: Optional[str]):
    """The knowledge base, compiled once per worker process (and per rule set)."""
    import because

    if rules_json is None:
        return because.KnowledgeBase.shipped()
    rules: Dict[str, str] = json.loads(rules_json)
    text = "\n".join(rules[name] for name in sorted(rules))
    return because.KnowledgeBase.from_source(text, f"rules-{rules_key}")


def batch_line(number: int, answer: str) -> str:
    """One line as `because query --format ndjson` writes it, from the answer's JSON text
    (`{"outputs": ...}` or `{"error": ...}`)."""
    return f'{{"input":{number},{answer[1:]}'



def score_range(path: str, first: int, last: int, rules_key: Optional[str],
                rules_json: Optional[str]) -> List[str]:
    """Score lines `first..last` (0-based, end excluded) of the input, read by the worker
    itself: only the range travels with the task."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= last:
                break
            if i >= first and line.strip():
                rows.append((i + 1, line))
    kb = _knowledge_base(rules_key, rules_json)
    # JSON text in, JSON text out: no Python object per fact set.
    answers = kb.query_many_json([text for _, text in rows])
    return [batch_line(n, a) for (n, _), a in zip(rows, answers)]


def run(sets: pathlib.Path, out: pathlib.Path, rules: Optional[pathlib.Path] = None,
        workers: int = 2, scheduler: Optional[str] = None, partition: int = 5000) -> int:
    import dask.bag as db
    from dask.distributed import Client, LocalCluster

    rules_json = rules_key = None
    if rules is not None:
        texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(rules.glob("*.rules"))}
        rules_json = json.dumps(texts, sort_keys=True)
        rules_key = hashlib.sha256(rules_json.encode()).hexdigest()[:16]
    with open(sets, encoding="utf-8") as f:
        total = sum(1 for _ in f)
    ranges = [(lo, min(lo + partition, total)) for lo in range(0, total, partition)]
    cluster = None if scheduler else LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    with Client(scheduler or cluster):
        path = str(sets.resolve())
        bag = db.from_sequence(ranges, npartitions=max(1, len(ranges)))
        lines = bag.map(lambda r: score_range(path, r[0], r[1], rules_key, rules_json)).flatten().compute()
    if cluster is not None:
        cluster.close()
    out.write_text("".join(l + "\n" for l in lines), encoding="utf-8")
    return len(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sets", type=pathlib.Path)
    ap.add_argument("out", type=pathlib.Path)
    ap.add_argument("--rules", type=pathlib.Path)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scheduler")
    a = ap.parse_args()
    n = run(a.sets, a.out, a.rules, a.workers, a.scheduler)
    print(f"{n} fact sets scored into {a.out}")


if __name__ == "__main__":
    main()
