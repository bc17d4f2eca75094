"""The Python package against the real knowledge base and the real command line."""

import json
import os
import pathlib
import subprocess
import threading
import time

import pytest

import because

ROOT = pathlib.Path(__file__).resolve().parents[2]
FACTS = ROOT / "rules" / "tests" / "facts"
NOSQL = {
    "language": ["python"],
    "database": "nosql",
    "project_size": "small",
    "complexity": "straightforward",
}


def cli():
    """The `because` binary the repository built (CI runs `cargo test` first)."""
    path = os.environ.get("BECAUSE_BIN") or str(ROOT / "target" / "debug" / "because")
    assert os.path.exists(path), f"build the CLI first (cargo build): {path}"
    return path


@pytest.fixture(scope="module")
def kb():
    return because.KnowledgeBase.shipped()


def top(answer, output):
    group = next(o for o in answer["outputs"] if o["name"] == output)
    return group["concluded"][0]["fact"] if group["concluded"] else None


def test_query_a_dict(kb):
    answer = kb.query(NOSQL)
    assert answer["kind"] == "query"
    assert top(answer, "recommend") == "recommend(flask)"
    assert top(answer, "architecture") == "architecture(monolith)"
    flask = answer["outputs"][0]["concluded"][0]
    assert flask["names"] == ["Flask"] and flask["reasons"]


def test_a_prepared_knowledge_base_answers_the_same():
    fresh = because.KnowledgeBase.shipped()
    prepared = because.KnowledgeBase.shipped().prepare()
    for path in sorted(FACTS.iterdir()):
        answer = fresh.query(path)
        assert prepared.query(path) == answer, path.name
        best = top(answer, "recommend")
        if best:
            assert prepared.explain(path, best) == fresh.explain(path, best), path.name


def test_query_a_file_and_json_text(kb):
    path = FACTS / "php-shop.toml"
    assert top(kb.query(path), "recommend") == "recommend(laravel)"
    assert top(kb.query(str(path)), "recommend") == "recommend(laravel)"
    assert top(kb.query(json.dumps(NOSQL)), "recommend") == "recommend(flask)"


def test_knowledge_bases_from_paths_and_source(kb):
    from_disk = because.KnowledgeBase.from_path(ROOT / "rules")

    def ranked(answer):
        return [(c["fact"], c["certainty"]) for o in answer["outputs"] for c in o["concluded"]]

    assert ranked(from_disk.query(NOSQL)) == ranked(kb.query(NOSQL))
    small = because.KnowledgeBase.from_source(
        'question mood "How are you?" one of tired, calm\n'
        'output serve(D) "Serve"\n'
        "rule coffee when mood(tired) then serve(coffee)\n",
        "tea.rules",
    )
    assert top(small.query({"mood": "tired"}), "serve") == "serve(coffee)"
    assert [q["name"] for q in small.questions()] == ["mood"]


def test_rule_errors_carry_their_places():
    with pytest.raises(because.BecauseError) as e:
        because.KnowledgeBase.from_source("rule r\n  when p(X)\n  then q(X)\n", "mine.rules")
    d = e.value.diagnostics[0]
    assert (d.code, d.file, d.line, d.column) == ("E0101", "mine.rules", 2, 8)
    assert "undefined predicate" in d.message
    assert "E0101" in str(e.value)


def test_fact_errors_carry_their_places(kb):
    with pytest.raises(because.BecauseError) as e:
        kb.query({"language": ["python"], "databse": "nosql"})
    d = e.value.diagnostics[0]
    # The place in the JSON text the dict was written as: `"databse"` starts at column 26.
    assert d.code == "E0302" and d.line == 1 and d.column == 26
    assert "database" in d["help"]
    with pytest.raises(because.BecauseError):
        kb.query(ROOT / "README.md")


def test_explain_and_why_not(kb):
    text = kb.explain(NOSQL, "recommend(flask)")
    assert "build_on_what_you_know" in text
    tree = kb.explain(NOSQL, "recommend(flask)", as_dict=True)
    assert tree["kind"] == "how" and tree["target"] == "recommend(flask)"
    with pytest.raises(because.BecauseError, match="not concluded"):
        kb.explain(NOSQL, "recommend(spring)")
    # A fact's first derivation only, and the hint names Python's way to see the others.
    assert "not shown; pass all=True" in text and "--all" not in text
    every = kb.explain(NOSQL, "recommend(flask)", as_dict=True, all=True)
    first, whole = tree["nodes"][0], every["nodes"][0]
    assert len(first["derivations"]) == 1 and first["other_derivations"] > 0
    assert len(whole["derivations"]) == 1 + first["other_derivations"]
    assert "not shown" not in kb.explain(NOSQL, "recommend(flask)", all=True)
    why = kb.why_not(NOSQL, "recommend(django)")
    assert "Flask comes first instead" in why
    w = kb.why_not(NOSQL, "recommend(rails)", as_dict=True)
    assert w["kind"] == "why_not" and w["rules"]
    with pytest.raises(because.BecauseError):
        kb.why_not(NOSQL, "recommend(")


def test_query_many_equals_the_command_line(kb):
    files = sorted(FACTS.glob("*.json"))
    assert len(files) >= 20
    sets = [json.loads(f.read_text()) for f in files]
    many = kb.query_many(sets, full=True)
    for f, got in zip(files, many):
        out = subprocess.run(
            [cli(), "query", "--facts", str(f), "--format", "json"],
            capture_output=True, text=True, check=True,
        ).stdout
        assert got == json.loads(out), f.name


def test_query_many_equals_the_command_line_batch(kb, tmp_path):
    files = sorted(FACTS.glob("*.json"))
    sets = [json.loads(f.read_text()) for f in files]
    ndjson = tmp_path / "sets.ndjson"
    ndjson.write_text("".join(json.dumps(s) + "\n" for s in sets))
    lines = subprocess.run(
        [cli(), "query", "--facts-ndjson", str(ndjson), "--format", "ndjson"],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()
    for i, (got, line) in enumerate(zip(kb.query_many(sets), lines)):
        expected = json.loads(line)
        assert expected.pop("input") == i + 1
        assert got == expected, files[i].name


def test_query_many_keeps_going_past_a_bad_set(kb):
    out = kb.query_many([NOSQL, {"language": ["cobol"]}, NOSQL])
    assert out[0]["outputs"]["recommend"][0]["values"] == ["flask"]
    assert out[0] == out[2]
    assert out[1]["error"][0]["code"] == "E0303"


def test_query_many_releases_the_gil(kb):
    sets = [NOSQL, {"language": ["java"], "project_size": "large"}] * 10000
    ticks = 0
    stop = threading.Event()

    def count():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    try:
        before = ticks
        t0 = time.perf_counter()
        out = kb.query_many(sets)
        spent = time.perf_counter() - t0
        during = ticks - before
    finally:
        stop.set()
        t.join()
    assert len(out) == 20000
    # With the GIL held, the other thread could not run at all during the call.
    assert spent > 0.05, "the batch is long enough to measure"
    assert during >= 10, f"the Python thread ran {during} times in {spent:.2f} s"
