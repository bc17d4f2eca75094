"""because: a rule engine and expert system that explains every conclusion it reaches.

    >>> import because
    >>> kb = because.KnowledgeBase.shipped()
    >>> answer = kb.query({"language": ["python"], "database": "nosql"})
    >>> answer["outputs"][0]["concluded"][0]["fact"]
    'recommend(flask)'

Results have the same shapes as the command line's ``--format json``
(``docs/explanation-schema.json`` in the repository). Errors raise :class:`BecauseError`,
whose ``diagnostics`` say where each problem is.
"""

from __future__ import annotations

import gc
import json
import os
from typing import Any, Iterable, List, Mapping, Optional, Sequence, Union

from . import _because

__all__ = ["KnowledgeBase", "BecauseError", "Diagnostic"]

Facts = Union[Mapping[str, Any], str, "os.PathLike[str]"]


class Diagnostic(dict):
    """One problem: ``code``, ``message``, and where: ``file``, ``line``, ``column`` (1-based;
    ``None`` when the problem has no place), with ``help`` when there is a suggestion."""

    @property
    def code(self) -> str:
        return self["code"]

    @property
    def message(self) -> str:
        return self["message"]

    @property
    def file(self) -> Optional[str]:
        return self.get("file")

    @property
    def line(self) -> Optional[int]:
        return self.get("line")

    @property
    def column(self) -> Optional[int]:
        return self.get("column")


class BecauseError(Exception):
    """Invalid rules or facts, or a run stopped at a limit. ``diagnostics`` lists every
    problem with its place."""

    def __init__(self, message: str, diagnostics: Sequence[Mapping[str, Any]] = ()):
        super().__init__(message)
        self.diagnostics: List[Diagnostic] = [Diagnostic(d) for d in diagnostics]


def _raise(e: Exception) -> "BecauseError":
    message, diagnostics = e.args if len(e.args) == 2 else (str(e), "[]")
    return BecauseError(message, json.loads(diagnostics))


def _native(call: Any, *args: Any) -> Any:
    """Call the native module, its errors raised as :class:`BecauseError`."""
    try:
        return call(*args)
    except _because.BecauseError as e:
        raise _raise(e) from None


def _facts(facts: Facts) -> "tuple[str, str, str]":
    """The facts as text, a name for diagnostics, and a format."""
    if isinstance(facts, Mapping):
        return json.dumps(facts), "<facts>", "json"
    if isinstance(facts, os.PathLike) or (isinstance(facts, str) and not facts.lstrip().startswith("{")):
        path = os.fspath(facts)
        ext = os.path.splitext(path)[1]
        fmt = {".json": "json", ".toml": "toml", ".facts": "native"}.get(ext)
        if fmt is None:
            raise BecauseError(f"`{path}` is not a facts file (.json, .toml or .facts)", [])
        with open(path, encoding="utf-8") as f:
            return f.read(), path, fmt
    return facts, "<facts>", "json"


class KnowledgeBase:
    """A compiled rule set. Build one with :meth:`shipped`, :meth:`from_path` or
    :meth:`from_source`; it is immutable and safe to share between threads."""

    def __init__(self, native: Any):
        self._kb = native

    @classmethod
    def shipped(cls) -> "KnowledgeBase":
        """The knowledge base shipped with because: which backend framework and architecture
        fit a project."""
        return cls(_native(_because.KnowledgeBase.shipped))

    @classmethod
    def from_path(cls, *paths: "Union[str, os.PathLike[str]]") -> "KnowledgeBase":
        """Rule files, or directories of ``.rules`` files."""
        return cls(_native(_because.KnowledgeBase.from_paths, [os.fspath(p) for p in paths]))

    @classmethod
    def from_source(cls, text: str, name: str = "<rules>") -> "KnowledgeBase":
        """Rules given as text; ``name`` is the file name diagnostics show."""
        return cls(_native(_because.KnowledgeBase.from_source, text, name))

    def prepare(self) -> "KnowledgeBase":
        """Evaluate, once, what no answer can change (the rules that read only the rule files'
        facts), so that every later query copies it instead of deriving it again: worth it
        before many single queries (``query_many`` does it itself). Answers are the same
        either way. Returns the knowledge base."""
        self._kb.prepare()
        return self

    def questions(self) -> List[dict]:
        """The questions a facts set may answer, with their allowed values."""
        return json.loads(self._kb.questions_json())["questions"]

    def query(self, facts: Facts) -> dict:
        """The answer for one fact set: each output's conclusions, ranked, with reasons.
        ``facts`` is a dict shaped like a JSON facts file, JSON text, or a path to a facts
        file (``.json``, ``.toml``, ``.facts``)."""
        text, name, fmt = _facts(facts)
        return json.loads(_native(self._kb.query_json, text, name, fmt))

    def explain(
        self, facts: Facts, fact: str, *, as_dict: bool = False, all: bool = False
    ) -> Union[str, dict, list]:
        """How ``fact`` (such as ``"recommend(flask)"``) was concluded: text a person reads,
        or (``as_dict=True``) the explanation tree. Each fact shows its first derivation;
        ``all=True`` shows every one."""
        text, name, fmt = _facts(facts)
        out = _native(self._kb.explain, text, fact, as_dict, name, fmt, all)
        return json.loads(out) if as_dict else out

    def why_not(self, facts: Facts, fact: str, *, as_dict: bool = False) -> Union[str, dict]:
        """Why ``fact`` was not concluded, or (when it holds but is not first) why the first
        rather than it: text, or (``as_dict=True``) the structure."""
        text, name, fmt = _facts(facts)
        out = _native(self._kb.why_not, text, fact, as_dict, name, fmt)
        return json.loads(out) if as_dict else out

    def query_many_json(self, texts: Sequence[str], *, full: bool = False) -> List[str]:
        """:meth:`query_many` for fact sets already written as JSON text (NDJSON lines, say),
        answered as JSON text: no Python object is made on either side, which is the
        fastest path for pipelines that read and write JSON."""
        return self._kb.query_many_json(list(texts), full)

    def query_many(self, fact_sets: Iterable[Mapping[str, Any]], *, full: bool = False) -> List[dict]:
        """Answers for many fact sets, in order, computed on every core with the GIL
        released. Each is ``{"outputs": {output: [{"values", "certainty", "rank"}, ...]}}``,
        as a line of ``because query --format ndjson`` (the ranked conclusions, compact), or
        with ``full=True`` the whole answer of :meth:`query` (reasons, names, ruled-out
        conclusions: about 9 KB each, several times slower to hand to Python). A fact set
        that is invalid gives ``{"error": [diagnostics]}`` in its place; the others are
        answered."""
        # Python's cycle collector would run again and again over the many new dicts (it
        # made this 7 times slower); none of them can form a cycle, so it waits until the end.
        collecting = gc.isenabled()
        gc.disable()
        try:
            texts = [json.dumps(f) for f in fact_sets]
            out = []
            for r in self._kb.query_many_json(texts, full):
                out.append(json.loads(r))
            return out
        finally:
            if collecting:
                gc.enable()
