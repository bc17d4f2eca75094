#!/usr/bin/env python3
"""Write the benchmark workloads as `because` rule files.

usage: gen.py W SIZE OUTDIR    (W in w1, w1d, w2, w3, w5, w6)

W1-W3 are the workloads of ../shared/bench-peers/gen/gen.py: same sizes, same seed, same data,
same expected counts (the data functions below are copied from it). Each OUTDIR gets
`program.rules` (and `facts.rules` for data), `count.txt` (the predicate/arity to count) and
`expected.txt`.

  w1 chain:  N distinct rules p(i) -> p(i+1); one seed fact; count = N derived p facts
  w1d:       W1 as the compiled peers (crepe, ascent, datafrog) run it, the chain as data:
             imp(i, i+1) for i < N, init(0), p(X) <- init(X), p(Y) <- p(X), imp(X, Y);
             count = N + 1 (p(0) is derived too)
  w2 tc:     edge(i, i+1) for i < N; path = transitive closure; count = N(N+1)/2
  w3 join:   candidate(p, f) <- language(p, L), size(p, S), S < 1000, written_in(f, L),
             not excluded(p, f)
  w5 parse:  a rule file of SIZE rules (~200 bytes each; 50,000 rules is about 10 MB) with
             joins, negation, comparisons, certainty, questions and outputs: parse + check
  w5c:       W5 with shorter rules (53,000 rules is 10 MB)
  hostile:   SIZE facts `v(x)` crafted to share the unkeyed FxHash's upper half (the fact
             hash is keyed now; with FxHash, loading them took time quadratic in SIZE)
  w6 explain: a chain of SIZE facts derived from each other (SIZE derivations); explaining the
             last one touches SIZE nodes, explaining a fact near the start touches few
"""
import os
import random
import sys

N_LANG = 6
N_FW = 12
SIZE_MAX = 1250
EXCL_RATE = 0.10
SEED = 20240601


def data_w3(p):
    rng = random.Random(SEED)
    language = [(i, rng.randrange(N_LANG)) for i in range(p)]
    size = [(i, rng.randint(1, SIZE_MAX)) for i in range(p)]
    written_in = [(f, f % N_LANG) for f in range(N_FW)]
    excluded = [(i, f) for i in range(p) for f in range(N_FW) if rng.random() < EXCL_RATE]
    ex = set(excluded)
    lang_of = dict(language)
    size_of = dict(size)
    count = sum(1 for i in range(p) for (f, l) in written_in
                if lang_of[i] == l and size_of[i] < 1000 and (i, f) not in ex)
    return {"language": language, "size": size, "written_in": written_in, "excluded": excluded}, count


def facts(d):
    return "".join(f"fact {rel}({', '.join(map(str, r))})\n" for rel, rows in d.items() for r in rows)


def main():
    w, size, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.makedirs(out, exist_ok=True)
    files = {}
    if w == "w1":
        rules = ["fact seed(0)\nrule r0 when seed(0) then p(1)\n"]
        rules += [f"rule r{i} when p({i}) then p({i + 1})\n" for i in range(1, size)]
        files["program.rules"] = "".join(rules)
        count, expected = "p/1", size
    elif w == "w1d":
        # W1 as the compiled peers run it (they fix their rules when compiled, so the chain is
        # their data): the same N derivations from N `imp` facts and one recursive rule. p(0)
        # is derived too (from `init`), as in ascent, so the count is N + 1.
        files["facts.rules"] = "fact init(0)\n" + "".join(f"fact imp({i}, {i + 1})\n" for i in range(size))
        files["program.rules"] = ("rule start when init(X) then p(X)\n"
                                  "rule step when p(X) and imp(X, Y) then p(Y)\n")
        count, expected = "p/1", size + 1
    elif w == "w2":
        files["facts.rules"] = facts({"edge": [(i, i + 1) for i in range(size)]})
        files["program.rules"] = ("rule base when edge(X, Y) then path(X, Y)\n"
                                  "rule step when path(X, Y) and edge(Y, Z) then path(X, Z)\n")
        count, expected = "path/2", size * (size + 1) // 2
    elif w == "w3":
        d, expected = data_w3(size)
        files["facts.rules"] = facts(d)
        files["program.rules"] = ("rule candidates when language(P, L) and size(P, S) and S < 1000 "
                                  "and written_in(F, L) and not excluded(P, F) then candidate(P, F)\n")
        count = "candidate/2"
    elif w == "w5":
        parts = ["question level \"Which level?\" one of low, mid, high\n",
                 "question amount \"How much?\" integer\n",
                 "fact base(0, 1)\n"]
        for i in range(size):
            parts.append(
                f"## Rule {i}: a join, a negation, a comparison and a certainty factor.\n"
                f"rule r{i}\n"
                f"  because \"value {{X}} leads to {{Y}} at step {i}\"\n"
                f"  source S{i % 97}\n"
                f"  when base(X, Y) and level(L) and L in [low, high] and amount(A)\n"
                f"    and A + X * 2 < {1000 + i} and not blocked{i % 50}(X)\n"
                f"  then out{i % 100}(X, Y) with certainty 0.{(i % 9) + 1}\n")
        for j in range(50):
            parts.append(f"rule block{j} when base(X, _Y) and X > {j + 100} then blocked{j}(X)\n")
        for j in range(100):
            parts.append(f"output out{j}(X, Y) \"Result {j}\"\n")
        files["program.rules"] = "".join(parts)
        count, expected = "base/2", 1
    elif w == "w5c":
        # W5 with ~190 bytes a rule: 53,000 rules make a 10 MB file (the rule-language target).
        parts = ["question level \"Level?\" one of low, mid, high\nquestion amount \"Amount?\" integer\nfact base(0, 1)\n"]
        for i in range(size):
            parts.append(f"rule r{i} because \"{{X}} to {{Y}}\" source S{i % 97}\n"
                         f"  when base(X, Y) and level(L) and L in [low, high] and amount(A) and A + X * 2 < {1000 + i}\n"
                         f"  and not blocked{i % 50}(X) then out{i % 100}(X, Y) with certainty 0.{i % 9 + 1}\n")
        parts += [f"rule block{j} when base(X, _Y) and X > {j + 100} then blocked{j}(X)\n" for j in range(50)]
        parts += [f"output out{j}(X, Y) \"Result {j}\"\n" for j in range(100)]
        files["program.rules"] = "".join(parts)
        count, expected = "base/2", 1
    elif w == "w6":
        files["facts.rules"] = "fact step(0, 1)\n" + "".join(f"fact next({i}, {i + 1})\n" for i in range(1, size))
        files["program.rules"] = ("rule start when step(0, X) then reach(X)\n"
                                  "rule walk when reach(X) and next(X, Y) then reach(Y)\n")
        count, expected = "reach/1", size
    elif w == "hostile":
        # Integers chosen so that rustc-hash 2's FxHash of `v(x)` (predicate 0) has the same
        # upper half: the fact hash before it was keyed. Loading them was quadratic.
        k, m = 0xF1357AEA2E62A9C5, 1 << 64
        kinv, c = pow(k, -1, m), (2 * k) % m
        vals = [((12345 + (j << 38)) * kinv - c) % m for j in range(size)]
        vals = [v - m if v >= 1 << 63 else v for v in vals]
        files["program.rules"] = "".join(f"fact v({v})\n" for v in vals)
        count, expected = "v/1", size
    else:
        sys.exit(f"unknown workload {w}")
    for name, text in files.items():
        with open(os.path.join(out, name), "w") as f:
            f.write(text)
    with open(os.path.join(out, "count.txt"), "w") as f:
        f.write(count + "\n")
    with open(os.path.join(out, "expected.txt"), "w") as f:
        f.write(f"{expected}\n")


if __name__ == "__main__":
    main()
