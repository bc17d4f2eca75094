"""Scale-out: 100,000 generated fact sets scored on a local Dask cluster of two worker
processes, partition by partition with the package in each worker, give the same lines as
the command line's batch (`because query --facts-ndjson --format ndjson`)."""

import json
import pathlib
import random
import subprocess
import sys

import because

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python" / "examples"))
import dask_batch  # noqa: E402

from test_because import cli  # noqa: E402


def generate(n, seed=19):
    """Fact sets over the shipped questions: each question answered or not, with allowed
    values (and, one set in a thousand, a value that is not allowed)."""
    rnd = random.Random(seed)
    qs = because.KnowledgeBase.shipped().questions()
    for i in range(n):
        d = {}
        for q in qs:
            if rnd.random() < 0.35:
                continue
            if q["type"] == "boolean":
                d[q["name"]] = rnd.random() < 0.5
            elif q["type"] == "integer":
                d[q["name"]] = rnd.randint(1, 4)
            elif q["many"]:
                d[q["name"]] = rnd.sample(q["allowed"], rnd.randint(1, min(3, len(q["allowed"]))))
            else:
                d[q["name"]] = rnd.choice(q["allowed"])
        if i % 1000 == 999:
            d["language"] = ["cobol"]
        yield json.dumps(d)


def test_dask_batch_equals_the_command_line(tmp_path):
    sets = tmp_path / "sets.ndjson"
    sets.write_text("".join(line + "\n" for line in generate(100_000)))
    expected = subprocess.run(
        [cli(), "query", "--facts-ndjson", str(sets), "--format", "ndjson"],
        capture_output=True, text=True,
    ).stdout.splitlines()
    assert len(expected) == 100_000
    out = tmp_path / "out.ndjson"
    n = dask_batch.run(sets, out, workers=2, partition=10_000)
    got = out.read_text().splitlines()
    assert n == len(got) == 100_000
    # Same answers, line by line; the invalid sets are errors in both (their diagnostics
    # name the input differently: the CLI's the NDJSON file, the package's its fact set).
    for e, g in zip(expected, got):
        e, g = json.loads(e), json.loads(g)
        assert e["input"] == g["input"]
        if "error" in e:
            assert [d["code"] for d in e["error"]] == [d["code"] for d in g["error"]]
        else:
            assert e == g


def test_rules_travel_with_the_tasks(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "tea.rules").write_text(
        'question mood "How are you?" one of tired, calm\n'
        'output serve(D) "Serve"\n'
        "rule coffee when mood(tired) then serve(coffee)\n"
    )
    sets = tmp_path / "sets.ndjson"
    sets.write_text('{"mood": "tired"}\n{"mood": "calm"}\n')
    out = tmp_path / "out.ndjson"
    dask_batch.run(sets, out, rules=rules, workers=2, partition=1)
    lines = [json.loads(l) for l in out.read_text().splitlines()]
    assert lines[0]["outputs"]["serve"][0]["values"] == ["coffee"]
    assert lines[1]["outputs"]["serve"] == []
