//! Many fact sets in one run (`ask::sets`, the batch's fast path): each set's line is the
//! line its own run gives, on the shipped knowledge base and on programs built to reach
//! every part of the rewriting; programs it cannot rewrite exactly are left alone; a run
//! that meets a limit or a rule error gives way to runs of one set each.

use because::ask::sets::{SetInput, SetProgram};
use because::ast::{Const, ValueType};
use because::engine::eval::Limits;
use because::engine::{InputFact, KnowledgeBase, Scratch};
use because::wire::BatchInput;

/// A small deterministic generator (xorshift), so that the sets are the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// `n` answer sets for `kb`'s questions, as W7 draws them (`bench/run.py`): each question
/// answered four times in five with allowed values, booleans, small integers; some with a
/// certainty.
fn answer_sets(kb: &KnowledgeBase, n: usize, seed: u64) -> Vec<Vec<InputFact>> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|_| {
            let mut facts = Vec::new();
            for q in kb.questions() {
                if rng.below(5) == 0 {
                    continue;
                }
                let certainty = [1.0, 1.0, 1.0, 0.6, -0.5][rng.below(5)];
                let mut values: Vec<Const> = match q.ty {
                    ValueType::Boolean => vec![Const::Bool(rng.below(2) == 0)],
                    ValueType::Integer => {
                        let low = match q.min.as_ref().map(|m| &m.node) {
                            Some(Const::Int(i)) => *i,
                            _ => 0,
                        };
                        vec![Const::Int(low + rng.below(4) as i64)]
                    }
                    _ if q.allowed.is_empty() => vec![Const::Sym("anything".into())],
                    _ => {
                        let take = if q.many { 2 } else { 1 };
                        (0..take)
                            .map(|_| q.allowed[rng.below(q.allowed.len())].node.clone())
                            .collect()
                    }
                };
                values.dedup();
                for v in values {
                    facts.push(InputFact {
                        pred: q.name.node.clone(),
                        args: vec![v],
                        certainty,
                        origin: Default::default(),
                    });
                }
            }
            facts
        })
        .collect()
}

/// Each set's line from its own run, and from one run of all of them (twice through the
/// same scratch, as a batch reuses it); `None` when the run of all gave way.
fn both(
    kb: &KnowledgeBase,
    sets: &SetProgram,
    facts: &[Vec<InputFact>],
    limits: Limits,
) -> (Vec<String>, Option<Vec<String>>) {
    let mut one = Scratch::default();
    let alone: Vec<String> = facts
        .iter()
        .enumerate()
        .map(|(i, f)| because::ask::batch_run(kb, &mut one, BatchInput::Line(i + 1), f, limits).0)
        .collect();
    let input: Vec<SetInput<'_>> = facts
        .iter()
        .enumerate()
        .map(|(i, f)| SetInput {
            input: BatchInput::Line(i + 1),
            facts: f,
        })
        .collect();
    let mut many = Scratch::default();
    let first = sets.lines(&mut many, &input, limits);
    let again = sets.lines(&mut many, &input, limits);
    assert_eq!(
        first, again,
        "a second run through the same scratch differs"
    );
    (alone, first)
}

#[test]
fn the_shipped_knowledge_base_runs_many_sets_as_each_runs_alone() {
    let kb = KnowledgeBase::embedded().expect("the shipped rules compile");
    let sets = SetProgram::of(&kb).expect("the shipped rules run many sets at once");
    for (n, seed) in [(1, 1), (7, 2), (300, 3)] {
        let facts = answer_sets(&kb, n, seed);
        let (alone, many) = both(&kb, &sets, &facts, Limits::default());
        let many = many.expect("no limit is near: the sets run at once");
        assert_eq!(many.len(), n);
        for (i, (a, m)) in alone.iter().zip(&many).enumerate() {
            assert_eq!(m, a, "set {i} of {n} (seed {seed})");
        }
        // Not vacuous: the sets have results, and they differ.
        assert!(alone.iter().any(|l| l.contains("\"values\"")));
        if n > 1 {
            assert!(alone.iter().any(|l| l != &alone[0]));
        }
    }
}

/// Every part of the rewriting: a rule reading no answer that concludes a fact depending on
/// them (it reads `set(S)`), a negated condition on an answer, `or` with an alternative
/// that reads no answer, arithmetic on an answer, outputs that depend on answers and one
/// that does not, and certainties below 1 and below 0.
const REWRITTEN: &str = r#"
question level "Level?" integer from 0 to 9
question tag "Tags?" many of a, b, c
fact known(a)
fact known(b)
fact weight(a, 2)
rule base when known(T) then pick(T) with certainty 0.4
rule tagged when tag(T) and known(T) then pick(T) with certainty 0.7
rule untagged when known(T) and not tag(T) then missing(T)
rule either when tag(T) or (known(T) and not level(_L)) then seen(T)
rule scaled when level(N) and weight(T, W) and N * W > 3 then heavy(T, N * W)
rule steady when known(T) then always(T)
output pick(T) "picked"
output missing(T) "missing"
output seen(T) "seen"
output heavy(T, N) "heavy"
output always(T) "always"
"#;

#[test]
fn a_program_with_every_kind_of_rule_runs_many_sets_as_each_runs_alone() {
    let kb = KnowledgeBase::from_sources(&[("t.rules", REWRITTEN)]).expect("compiles");
    let sets = SetProgram::of(&kb).expect("this program can run many sets at once");
    let facts = answer_sets(&kb, 200, 7);
    let (alone, many) = both(&kb, &sets, &facts, Limits::default());
    assert_eq!(many.expect("no limit is near"), alone);
    for output in ["pick", "missing", "seen", "heavy", "always"] {
        assert!(
            alone
                .iter()
                .any(|l| l.contains(&format!("\"{output}\":[{{"))),
            "no set concludes {output}: the test would not check it"
        );
    }
}

#[test]
fn programs_it_cannot_rewrite_exactly_run_set_by_set() {
    let cases = [
        (
            "a predicate that depends on answers has stated facts",
            "question q \"Q?\" many integer\nfact p(1)\nrule r when q(X) then p(X)\noutput p(X) \"p\"\n",
        ),
        (
            "a rule reading no answer concludes facts of both kinds",
            "question q \"Q?\" many integer\nfact c(1)\nrule r1 when q(X) then p(X)\nrule r2 when c(X) then p(X) and d(X)\noutput p(X) \"p\"\noutput d(X) \"d\"\n",
        ),
        (
            "a recursive component reads answers",
            "question q \"Q?\" many integer\nfact e(1, 2)\nrule r1 when q(X) then p(X)\nrule r2 when p(X) and e(X, Y) then p(Y)\noutput p(X) \"p\"\n",
        ),
    ];
    for (what, text) in cases {
        let kb = KnowledgeBase::from_sources(&[("t.rules", text)]).expect(what);
        assert!(SetProgram::of(&kb).is_none(), "{what}: rewritten");
    }
    // Rule files too large to parse and compile twice for a batch's sake.
    let small = "question q \"Q?\" many integer\nrule r when q(X) then p(X)\noutput p(X) \"p\"\n";
    let large = format!(
        "# {}\n{small}",
        "x".repeat(because::ask::sets::MAX_REWRITE_BYTES)
    );
    let kb = KnowledgeBase::from_sources(&[("t.rules", large.as_str())]).expect("compiles");
    assert!(SetProgram::of(&kb).is_none(), "a large program rewritten");
    // The same programs without what stops them are rewritten (the cases above test what
    // they say).
    for text in [
        "question q \"Q?\" many integer\nfact p0(1)\nrule r when q(X) then p(X)\noutput p(X) \"p\"\n",
        "question q \"Q?\" many integer\nfact c(1)\nrule r1 when q(X) then p(X)\nrule r2 when c(X) then p(X)\noutput p(X) \"p\"\n",
        "question q \"Q?\" many integer\nfact e(1, 2)\nrule r1 when q(X) then p(X)\nrule r2 when p(X) and e(X, Y) then s(Y)\noutput s(X) \"s\"\n",
    ] {
        let kb = KnowledgeBase::from_sources(&[("t.rules", text)]).expect("compiles");
        assert!(SetProgram::of(&kb).is_some(), "not rewritten:\n{text}");
    }
}

#[test]
fn a_run_of_many_sets_near_a_limit_or_with_rule_errors_gives_way() {
    let kb = KnowledgeBase::embedded().expect("the shipped rules compile");
    let sets = SetProgram::of(&kb).expect("rewritten");
    let facts = answer_sets(&kb, 40, 11);
    // A limit some sets' own runs pass and others meet.
    let sizes: Vec<usize> = facts
        .iter()
        .map(|f| kb.run(f, Limits::default()).expect("runs").fact_count())
        .collect();
    let (lo, hi) = (
        *sizes.iter().min().expect("sets"),
        *sizes.iter().max().expect("sets"),
    );
    assert!(lo < hi, "the sets differ in size");
    let limits = Limits {
        max_facts: (lo + hi) / 2,
        ..Limits::default()
    };
    let (alone, many) = both(&kb, &sets, &facts, limits);
    assert!(alone.iter().any(|l| l.contains("E0401")));
    assert!(alone.iter().any(|l| !l.contains("E0401")));
    assert_eq!(many, None, "sets meeting the limit ran at once");

    // Rule errors: a division by an answer that may be zero.
    let text = "question n \"N?\" integer from 0 to 3\nrule r when n(N) and 6 / N > 1 then big(N)\noutput big(N) \"big\"\n";
    let kb = KnowledgeBase::from_sources(&[("t.rules", text)]).expect("compiles");
    let sets = SetProgram::of(&kb).expect("rewritten");
    let facts: Vec<Vec<InputFact>> = (0..12)
        .map(|i| {
            vec![InputFact {
                pred: "n".into(),
                args: vec![Const::Int(i % 4)],
                certainty: 1.0,
                origin: Default::default(),
            }]
        })
        .collect();
    let (alone, many) = both(&kb, &sets, &facts, Limits::default());
    assert!(alone.iter().any(|l| l.contains("\"rule_errors\":1")));
    assert_eq!(many, None, "sets with rule errors ran at once");
    // Without the zero, they run at once.
    let (alone, many) = both(&kb, &sets, &facts[1..4], Limits::default());
    assert_eq!(many, Some(alone));
}

/// A bug in a run of many sets (a panic, made by a debug build's test hook) costs the batch
/// nothing but its report: the chunk's sets run one by one, and every line is the one the
/// batch gives without the bug, the line with errors included.
#[test]
fn a_bug_in_a_run_of_many_sets_leaves_every_line_as_it_was() {
    let languages = [
        "python",
        "java",
        "javascript",
        "typescript",
        "php",
        "ruby",
        "csharp",
    ];
    let mut lines = String::new();
    for i in 0..150 {
        let l = languages[i % languages.len()];
        if i == 77 {
            lines.push_str("{\"languag\": [\"python\"]}\n");
        } else {
            lines.push_str(&format!(
                "{{\"language\": [\"{l}\"], \"database\": \"relational\", \"needs\": [\"auth\"], \"experience\": \"{}\"}}\n",
                ["beginner", "experienced"][i % 2]
            ));
        }
    }
    let args: Vec<String> = ["query", "--facts-ndjson", "-", "--format", "ndjson"]
        .map(String::from)
        .to_vec();
    let (code, out, err) = crate::common::run_because(&args, Some(&lines), &[]);
    let hook = [("BECAUSE_TEST_PANIC_IN_SETS", "1")];
    let (hooked_code, hooked_out, hooked_err) =
        crate::common::run_because(&args, Some(&lines), &hook);
    assert_eq!(out.lines().count(), 150);
    assert!(
        out.contains("E0302"),
        "line 78 reports its unknown question"
    );
    assert_eq!((hooked_code, hooked_out), (code, out));
    assert!(!err.contains("internal error"), "{err}");
    assert!(
        hooked_err.contains("simulated bug in a run of many fact sets"),
        "the bug is reported: {hooked_err}"
    );
}

/// A rule file whose text was released after loading (as the command line does for large
/// files) is read again to rewrite the program: as loaded, it is rewritten; once the file
/// has changed on disk, it is not (the rewrite would be of rules the knowledge base does
/// not hold), and the batch runs set by set.
#[test]
fn a_rule_file_changed_since_loading_is_not_rewritten() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/sets-changed");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("p.rules");
    let text = "question q \"Q?\" many integer\nrule r when q(X) then p(X)\noutput p(X) \"p\"\n";
    std::fs::write(&path, text).expect("write");
    let load = || {
        KnowledgeBase::load_paths_releasing(std::slice::from_ref(&path), 1 << 20, 1)
            .map_err(|e| e.to_string())
            .expect("compiles")
    };
    let kb = load();
    assert!(SetProgram::of(&kb).is_some(), "read again as loaded");
    let kb = load();
    std::fs::write(&path, text.replace("p(X)", "s(X)")).expect("change");
    assert!(
        SetProgram::of(&kb).is_none(),
        "rewritten from a changed file"
    );
}

/// A fact set as a batch line of JSON: each question's answers in declaration order, a list
/// for a question that takes several, `{"value": ..., "certainty": ...}` for an answer of
/// certainty other than 1.
fn json_line(kb: &KnowledgeBase, facts: &[InputFact]) -> String {
    let mut out = Vec::new();
    for q in kb.questions() {
        let mine: Vec<&InputFact> = facts.iter().filter(|f| f.pred == q.name.node).collect();
        if mine.is_empty() {
            continue;
        }
        let values: Vec<String> = mine
            .iter()
            .map(|f| {
                let v = match &f.args[0] {
                    Const::Sym(s) | Const::Str(s) => format!("\"{s}\""),
                    Const::Int(i) => i.to_string(),
                    Const::Dec(d) => d.to_string(),
                    Const::Bool(b) => b.to_string(),
                };
                if f.certainty == 1.0 {
                    v
                } else {
                    format!("{{\"value\": {v}, \"certainty\": {}}}", f.certainty)
                }
            })
            .collect();
        let value = if q.many {
            format!("[{}]", values.join(", "))
        } else {
            values.join(", ")
        };
        out.push(format!("\"{}\": {value}", q.name.node));
    }
    format!("{{{}}}", out.join(", "))
}

/// Batch lines through `chunk_lines`, as the CLI and the server run them: plain lines read
/// straight into the run of many sets (booleans, integers, symbols, lists), the others (with
/// certainties) by the facts-file reader. Each line is the one its set's own run gives, on
/// the shipped knowledge base and on a program with every kind of rule; and when the run of
/// many sets gives way at a limit, the sets read straight are read again for their own runs.
#[test]
fn lines_read_straight_into_a_run_give_what_each_set_gives_alone() {
    let shipped = KnowledgeBase::embedded().expect("the shipped rules compile");
    let rewritten = KnowledgeBase::from_sources(&[("t.rules", REWRITTEN)]).expect("compiles");
    for (kb, seed, near_limit) in [
        (&shipped, 5, false),
        (&rewritten, 9, false),
        (&shipped, 13, true),
    ] {
        let sets = SetProgram::of(kb).expect("rewritten");
        let mut facts = answer_sets(kb, 150, seed);
        // Every other set plain: its answers certain.
        for set in facts.iter_mut().step_by(2) {
            set.iter_mut().for_each(|f| f.certainty = 1.0);
        }
        let texts: Vec<String> = facts.iter().map(|f| json_line(kb, f)).collect();
        let plain = texts.iter().filter(|t| !t.contains("certainty")).count();
        assert!(
            plain > 20 && plain < texts.len(),
            "{plain} plain lines of {}",
            texts.len()
        );
        let limits = if near_limit {
            let sizes: Vec<usize> = facts
                .iter()
                .map(|f| kb.run(f, Limits::default()).expect("runs").fact_count())
                .collect();
            let (lo, hi) = (
                sizes.iter().min().expect("sets"),
                sizes.iter().max().expect("sets"),
            );
            Limits {
                max_facts: (lo + hi) / 2,
                ..Limits::default()
            }
        } else {
            Limits::default()
        };
        let read = |n: usize| {
            because::ask::batch_read(
                kb,
                BatchInput::Line(n + 1),
                (
                    "<stdin>",
                    because::ask::LineText::Text(&texts[n]),
                    because::facts_file::Format::Json,
                ),
                None,
            )
        };
        let mut alone_scratch = Scratch::default();
        let alone: Vec<String> = (0..texts.len())
            .map(|n| match read(n) {
                Ok(f) => {
                    because::ask::batch_run(
                        kb,
                        &mut alone_scratch,
                        BatchInput::Line(n + 1),
                        &f,
                        limits,
                    )
                    .0
                }
                Err(line) => line,
            })
            .collect();
        if near_limit {
            assert!(
                alone.iter().any(|l| l.contains("E0401")),
                "the limit is met by some"
            );
        }
        let (mut one, mut many) = (Scratch::default(), Scratch::default());
        let mut batch = Vec::new();
        for (c, chunk) in texts.chunks(because::ask::sets::AT_ONCE).enumerate() {
            let first = c * because::ask::sets::AT_ONCE;
            let inputs: Vec<(BatchInput<'_>, Option<&str>)> = chunk
                .iter()
                .enumerate()
                .map(|(i, t)| (BatchInput::Line(first + i + 1), Some(t.as_str())))
                .collect();
            let read_nth = |i: usize| read(first + i);
            batch.extend(
                because::ask::sets::chunk_lines(
                    kb,
                    Some(&sets),
                    (&mut one, &mut many),
                    &inputs,
                    &read_nth,
                    &|| limits,
                )
                .into_iter()
                .map(|(line, _)| line),
            );
        }
        for (n, (b, a)) in batch.iter().zip(&alone).enumerate() {
            assert_eq!(b, a, "line {} (seed {seed}): {}", n + 1, texts[n]);
        }
        assert_eq!(batch.len(), alone.len());
    }
}
