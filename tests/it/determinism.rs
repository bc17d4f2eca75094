//! Output is deterministic: the same input gives the same bytes whatever the order of rule
//! files, of the items inside them, of the facts, and whatever the hash seeds. The shipped
//! knowledge base is cut into one file per item, shuffled, and the answers and explanations
//! compared byte for byte.

use crate::common;

use because::engine::eval::Limits;
use because::engine::KnowledgeBase;
use because::explain::how::{self, HowOptions};
use because::explain::render::{self, text::Style};
use because::explain::why_not::{self, Target};
use because::facts_file::{Format, Loaded};
use because::span::SourceMap;

/// A tiny deterministic shuffle (xorshift), so a failure can be reproduced from its seed.
fn shuffle<T>(v: &mut [T], mut seed: u64) {
    for i in (1..v.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        v.swap(i, (seed % (i as u64 + 1)) as usize);
    }
}

/// The shipped rules as separate items (each item's text, comments dropped).
fn items() -> Vec<String> {
    let mut out = Vec::new();
    for (_, text) in because::engine::EMBEDDED_RULES {
        let mut cur = String::new();
        for line in text.lines() {
            let l = line.trim_start();
            if l.starts_with('#') || l.is_empty() {
                continue;
            }
            if ["rule ", "fact ", "question ", "output "]
                .iter()
                .any(|k| l.starts_with(k))
                && !cur.is_empty()
            {
                out.push(std::mem::take(&mut cur));
            }
            cur.push_str(line);
            cur.push('\n');
        }
        if !cur.is_empty() {
            out.push(cur);
        }
    }
    out
}

fn answer(files: &[(String, String)], facts_json: &str) -> String {
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let kb = KnowledgeBase::from_sources(&refs)
        .map_err(|_| "rules compile")
        .expect("compiles");
    let mut sources = SourceMap::default();
    let mut loaded = Loaded::default();
    let d = loaded.add(&kb, &mut sources, "facts.json", facts_json, Format::Json);
    assert!(d.is_empty());
    let mut g = kb.run(&loaded.facts, Limits::default()).expect("run");
    describe(&mut g)
}

/// Everything a user can see of a run: the answer in text and JSON with every derivation, the
/// DOT graph, why-not explanations and a cut explanation.
fn describe(g: &mut because::engine::graph::FactGraph<'_>) -> String {
    let style = Style::command_line(true, false);
    let q = because::explain::query::query(
        g,
        Some(HowOptions {
            all: true,
            depth: None,
        }),
        None,
    );
    let mut out = render::text::query(&q, style);
    out += &render::json(&q);
    let trees: Vec<_> = q
        .outputs
        .iter()
        .flat_map(|o| o.concluded.iter().filter_map(|c| c.explanation.as_ref()))
        .collect();
    out += &render::dot::how_graph(&trees);
    for fact in [
        "recommend(rails)",
        "recommend(spring)",
        "caution(django, steep_learning_curve)",
        "architecture(microservices)",
    ] {
        let t = Target::parse(g, fact)
            .map_err(|_| "target")
            .expect("parses");
        let w = why_not::explain(g, &t, 2);
        out += &render::text::why_not(&w, style);
        out += &render::json(&w);
    }
    if let Some(f) = g.lookup("recommend", &[because::ast::Const::Sym("django".into())]) {
        out += &render::json(&how::explain(
            g,
            f,
            HowOptions {
                all: true,
                depth: Some(2),
            },
        ));
    }
    out
}

#[test]
fn same_bytes_whatever_the_order() {
    let facts = r#"{"language": ["python", "javascript"], "database": "relational", "deadline": "tight",
        "experience": "beginner", "needs": ["admin", "api", "auth"], "project_size": "medium",
        "complexity": "straightforward", "traffic": "high", "frontend": "react"}"#;
    let items = items();
    // Reference: the items in their shipped order, in one file (outputs first, as below).
    let (outs, rest): (Vec<String>, Vec<String>) = items
        .iter()
        .cloned()
        .partition(|i| i.starts_with("output "));
    let reference = answer(
        &[("kb.rules".into(), outs.concat() + &rest.concat())],
        facts,
    );
    for seed in 1..=6u64 {
        // Outputs are listed in the order they are declared (a presentation choice of the
        // author): their declarations keep their order, at the head of the first file.
        let (outputs, mut shuffled): (Vec<String>, Vec<String>) = items
            .iter()
            .cloned()
            .partition(|i| i.starts_with("output "));
        shuffle(&mut shuffled, seed * 7919);
        let shuffled: Vec<String> = outputs.into_iter().chain(shuffled).collect();
        // Split into three files whose names keep the same set; only the content order moves.
        let third = shuffled.len() / 3;
        let files = vec![
            ("kb.rules".to_string(), shuffled[..third].concat()),
            ("kb2.rules".to_string(), shuffled[third..2 * third].concat()),
            ("kb3.rules".to_string(), shuffled[2 * third..].concat()),
        ];
        // Facts in another order too (object keys reversed).
        let v: serde_json::Value = serde_json::from_str(facts).expect("json");
        let mut pairs: Vec<(String, serde_json::Value)> =
            v.as_object().expect("object").clone().into_iter().collect();
        shuffle(&mut pairs, seed);
        let reordered = format!(
            "{{{}}}",
            pairs
                .iter()
                .map(|(k, v)| format!("{:?}: {}", k, v))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let got = answer(&files, &reordered);
        // File names and positions differ between the layouts; compare with them removed.
        let strip = |s: &str| {
            let mut t = s.to_string();
            for name in ["kb2.rules", "kb3.rules"] {
                t = t.replace(name, "kb.rules");
            }
            t.lines()
                .map(|l| {
                    // Drop `file:line` and byte offsets, which legitimately move with the items.
                    let mut l = l.to_string();
                    for key in [
                        "\"line\":",
                        "\"column\":",
                        "\"byte_start\":",
                        "\"byte_end\":",
                    ] {
                        if let Some(i) = l.find(key) {
                            l.truncate(i);
                        }
                    }
                    for file in ["kb.rules:", "facts.json:"] {
                        l = l
                            .split(file)
                            .map(|p| p.trim_start_matches(|c: char| c.is_ascii_digit() || c == ':'))
                            .collect::<Vec<_>>()
                            .join(file);
                    }
                    l
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let (g, r) = (strip(&got), strip(&reference));
        if g != r {
            let first = g
                .lines()
                .zip(r.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            let show = |t: &str| {
                t.lines()
                    .skip(first.saturating_sub(3))
                    .take(8)
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            panic!("seed {seed}: output differs from the reference order at line {first}:\n--- got\n{}\n--- reference\n{}", show(&g), show(&r));
        }
    }
}

/// A query of the shipped rules, every output explained, as JSON.
fn shipped_query() -> Vec<String> {
    [
        "query",
        "--facts",
        "rules/tests/facts/polyglot-team.json",
        "--explain",
        "--all",
        "--format",
        "json",
    ]
    .map(String::from)
    .to_vec()
}

/// The whole binary prints the same bytes on repeated runs (hash seeds differ per process).
#[test]
fn same_bytes_across_processes() {
    let args = shipped_query();
    let first = common::run_because(&args, None, &[]);
    for _ in 0..3 {
        assert_eq!(common::run_because(&args, None, &[]), first);
    }
    // And with the rule files given in another order.
    let files = [
        "rules/cautions.rules",
        "rules/questions.rules",
        "rules/frameworks.rules",
        "rules/choosing.rules",
        "rules/architecture.rules",
    ];
    let args_for = |files: &mut dyn Iterator<Item = &&str>| -> Vec<String> {
        files
            .flat_map(|f| ["--rules".to_string(), f.to_string()])
            .chain(
                [
                    "query",
                    "--facts",
                    "rules/tests/facts/polyglot-team.json",
                    "--format",
                    "json",
                ]
                .map(String::from),
            )
            .collect()
    };
    let a = args_for(&mut files.iter());
    let b = args_for(&mut files.iter().rev());
    assert_eq!(
        common::run_because(&a, None, &[]),
        common::run_because(&b, None, &[])
    );
}

/// Batch runs reuse one store for their own facts (`Scratch`), emptied after each run: every
/// scenario, in either order through one scratch, must give what a fresh run gives.
#[test]
fn a_reused_scratch_gives_what_a_fresh_run_gives() {
    let kb = KnowledgeBase::embedded()
        .map_err(|_| "embedded rules compile")
        .expect("compiles");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules/tests/facts");
    let mut inputs = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .expect("scenarios")
        .map(|e| e.expect("entry").path())
        .collect();
    names.sort();
    for path in names {
        let Some(format) = Format::from_name(&path.to_string_lossy()) else {
            continue;
        };
        let text = std::fs::read_to_string(&path).expect("read");
        let mut sources = SourceMap::default();
        let mut loaded = Loaded::default();
        let d = loaded.add(&kb, &mut sources, "facts", &text, format);
        assert!(d.iter().all(|d| !d.is_error()), "{}", path.display());
        inputs.push(loaded.facts);
    }
    assert!(inputs.len() >= 20, "only {} scenarios", inputs.len());
    let fresh: Vec<String> = inputs
        .iter()
        .map(|facts| describe(&mut kb.run(facts, Limits::default()).expect("run")))
        .collect();
    let mut scratch = because::engine::Scratch::default();
    for order in [false, true] {
        let mut ids: Vec<usize> = (0..inputs.len()).collect();
        if order {
            ids.reverse();
        }
        for i in ids {
            let mut g = kb
                .run_with(&mut scratch, &inputs[i], Limits::default())
                .expect("run");
            assert_eq!(
                describe(&mut g),
                fresh[i],
                "scenario {i}, reversed: {order}"
            );
            scratch.recycle(g);
        }
    }
    // A run stopped by a limit gives its facts back to no one: the next run through the
    // same scratch starts again from the stated facts and answers as a fresh run does.
    let tight = Limits {
        max_facts: 1,
        ..Limits::default()
    };
    assert!(kb.run_with(&mut scratch, &inputs[0], tight).is_err());
    let mut g = kb
        .run_with(&mut scratch, &inputs[1], Limits::default())
        .expect("run");
    assert_eq!(describe(&mut g), fresh[1], "after a stopped run");
}

/// Batch runs copy the components no answer can change from one evaluation of them (see
/// `engine::closed`), and keep them in their scratch from one run to the next: the same
/// graph as a run, id for id, for inputs that leave them alone, and a full evaluation for
/// input that states a fact they read. The program has each case that copy must get right:
/// closed rules between open ones in the evaluation order, one concluding a fact also
/// stated, a closed recursive component whose weak facts are banned, a closed rule that
/// fails (division by zero), an open rule reading closed facts, closed rules concluding one
/// fact, derived or stated, more ways than are recorded, and open rules concluding stated
/// facts (some ways past the cap, some ways the closed rules already did): what a run adds
/// to the kept facts' counts is taken back before the next; and an open rule reading a
/// closed predicate with weak facts.
#[test]
fn batch_runs_copy_what_no_answer_changes() {
    let mut rules = String::from(
        "\
question size \"Size?\" one of small, large
question team \"Team?\" many of alice, bob
output pick(F) \"Pick\"
fact framework(rails)
fact framework(django)
fact framework(spring)
fact fast(spring)
fact edge(a, b)
fact edge(b, c)
fact edge(c, a)
fact weak_edge(c, d) with certainty 0.3
fact budget(x, 100, 0)
fact budget(y, 100, 4)
rule mature when framework(F) and not fast(F) then mature(F) with certainty 0.7
rule also_fast when framework(F) and F = spring then fast(F)
rule reach when edge(X, Y) then path(X, Y)
rule reach_weak when weak_edge(X, Y) then path(X, Y) with certainty 0.5
rule reach_on when path(X, Y) and path(Y, Z) then path(X, Z)
rule per_person when budget(T, B, N) and B / N > 10 then generous(T)
rule small_pick when size(small) and mature(F) then pick(F) with certainty 0.6
rule fast_pick when size(large) and fast(F) then pick(F)
rule team_pick when team(alice) and path(a, c) and framework(F) then pick(F) with certainty 0.2
rule noted when pick(F) and not mature(F) then note(F)
fact plenty(yes)
rule many when n(X) then many(yes)
rule plenty when n(X) then plenty(yes)
fact lots(yes)
rule lots when n(X) then lots(yes)
rule more_lots when team(bob) and n(X) then lots(yes)
rule crowd when size(large) and n(X) then framework(spring)
rule via_weak when size(small) and path(X, d) then via(X)
",
    );
    // More derivations of one fact than are recorded (1,000).
    for i in 0..1200 {
        rules += &format!("fact n({i})\n");
    }
    let rules = rules.as_str();
    let compile = || {
        KnowledgeBase::from_sources(&[("closed.rules", rules)])
            .map_err(|_| "compiles")
            .expect("compiles")
    };
    // `kb` copies (after its first batch run, or `prepare`); `plain` never does.
    let (kb, plain) = (compile(), compile());
    let fact = |pred: &str, value: &str| because::engine::InputFact {
        pred: pred.into(),
        args: vec![because::ast::Const::Sym(value.into())],
        certainty: 1.0,
        origin: Default::default(),
    };
    let inputs = [
        vec![],
        vec![fact("size", "small")],
        vec![fact("size", "large"), fact("team", "alice")],
        vec![fact("team", "alice"), fact("team", "bob")],
        // A fact of a predicate the closed rules read: this run evaluates them.
        vec![fact("size", "small"), fact("fast", "rails")],
        // A predicate the program does not know.
        vec![fact("colour", "blue"), fact("size", "large")],
    ];
    let mut scratch = because::engine::Scratch::default();
    for round in 0..2 {
        for (i, input) in inputs.iter().enumerate() {
            let fresh = common::graph_text(&plain.run(input, Limits::default()).expect("run"));
            assert!(fresh.contains("rule errors 1"), "{fresh}");
            assert!(fresh.contains("many(yes) 1 unrecorded 200"), "{fresh}");
            assert!(fresh.contains("plenty(yes) 1 unrecorded 200"), "{fresh}");
            let g = kb
                .run_with(&mut scratch, input, Limits::default())
                .expect("run");
            assert_eq!(common::graph_text(&g), fresh, "input {i}, round {round}");
            scratch.recycle(g);
            // Once prepared, single runs copy too.
            let g = kb.run(input, Limits::default()).expect("run");
            assert_eq!(common::graph_text(&g), fresh, "run of input {i}");
        }
    }
    // The copy's facts count against the limits as evaluating them would: a limit below
    // the run's facts stops the run where and as it stops without the copy, with the same
    // facts derived so far.
    let all = plain
        .run(&inputs[1], Limits::default())
        .expect("run")
        .fact_count();
    for max_facts in (all - 12..all).rev() {
        let tight = Limits {
            max_facts,
            ..Limits::default()
        };
        let (e, partial) = *plain.run_keep(&inputs[1], tight).map(|_| ()).unwrap_err();
        let (e2, partial2) = *kb.run_keep(&inputs[1], tight).map(|_| ()).unwrap_err();
        assert_eq!(e2, e, "at most {max_facts} facts");
        assert_eq!(
            common::graph_text(&partial2),
            common::graph_text(&partial),
            "at most {max_facts} facts"
        );
        let batch = kb.run_with(&mut scratch, &inputs[1], tight).map(|_| ());
        assert_eq!(batch.unwrap_err(), e, "at most {max_facts} facts");
    }
    // A join stops once the facts it started with and its pending conclusions (duplicates
    // too) pass the limit: a closed rule concluding one fact 5,000 ways stops a run allowed
    // 10 more facts than are stated, copied or not.
    let mut many = String::from("rule many when n(X) then many(yes)\n");
    for i in 0..5000 {
        many += &format!("fact n({i})\n");
    }
    let compile = || {
        KnowledgeBase::from_sources(&[("many.rules", many.as_str())])
            .map_err(|_| "compiles")
            .expect("compiles")
    };
    let (kb, plain) = (compile(), compile());
    kb.prepare(Limits::default());
    let tight = Limits {
        max_facts: 5010,
        ..Limits::default()
    };
    let e = plain.run(&[], tight).map(|_| ()).unwrap_err();
    assert_eq!(kb.run(&[], tight).map(|_| ()).unwrap_err(), e);
    let mut scratch = because::engine::Scratch::default();
    assert_eq!(
        kb.run_with(&mut scratch, &[], tight)
            .map(|_| ())
            .unwrap_err(),
        e
    );
}

/// Output does not depend on the fact hash, whose key is drawn once a process: runs with
/// fixed seeds (`BECAUSE_HASH_SEED`) print the same bytes, for the shipped rules and for a
/// recursive program whose facts go through hashed indexes, negation and the dedup table.
#[test]
fn same_bytes_whatever_the_fact_hash_seed() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut rules = String::from(
        "rule base when edge(X, Y) then path(X, Y)\n\
         rule step when path(X, Y) and edge(Y, Z) then path(X, Z)\n\
         rule cut when path(X, Y) and not blocked(Y) and label(Y, L) then reach(X, L)\n",
    );
    for i in 0..60 {
        rules.push_str(&format!("fact edge(n{i}, n{})\n", (i * 7 + 3) % 60));
        rules.push_str(&format!("fact label(n{i}, \"l{}\")\n", i % 5));
        if i % 9 == 0 {
            rules.push_str(&format!("fact blocked(n{i})\n"));
        }
    }
    let file = dir.path().join("graph.rules");
    std::fs::write(&file, rules).expect("written");
    let graph: Vec<String> = [
        "--rules",
        file.to_str().expect("utf-8 path"),
        "explain",
        "reach(n0, \"l1\")",
        "--format",
        "json",
    ]
    .map(String::from)
    .to_vec();
    for args in [graph, shipped_query()] {
        let first = common::run_because(&args, None, &[("BECAUSE_HASH_SEED", "1")]);
        assert_eq!(first.0, 0, "{}", first.2);
        assert!(first.1.contains("\"derivations\""), "{}", first.1);
        for seed in ["2", "18446744073709551615", "not a number"] {
            assert_eq!(
                common::run_because(&args, None, &[("BECAUSE_HASH_SEED", seed)]),
                first,
                "seed {seed}"
            );
        }
    }
}

/// A batch line orders each output's conclusions as the query does (strongest first, then as
/// shown), though it shows only the ones that tie: numbers shown in text order (10 before
/// 9), a string and a symbol of the same text, and distinct certainties around the ties.
#[test]
fn a_batch_line_orders_conclusions_as_the_query_does() {
    let rules = "\
output pick(X) \"Pick\"
fact option(9)
fact option(10)
fact option(100)
fact option(\"b\")
fact option(b)
fact option(a)
fact option(2.5)
fact option(true)
fact weak(a)
fact weak(10)
rule all when option(X) then pick(X) with certainty 0.8
rule some when weak(X) then pick(X) with certainty 0.5
rule less when option(X) and X = 100 then pick(X) with certainty -0.5
";
    let kb = KnowledgeBase::from_sources(&[("order.rules", rules)])
        .map_err(|_| "compiles")
        .expect("compiles");
    let g = kb.run(&[], Limits::default()).expect("run");
    let query = because::explain::query::query(&g, None, None);
    let expected: Vec<(String, f64, usize)> = query.outputs[0]
        .concluded
        .iter()
        .map(|c| (c.values.join(", "), c.certainty, c.rank.expect("ranked")))
        .collect();
    let batch = because::explain::query::batch_outputs(&g);
    let (name, rows) = &batch.0[0];
    assert_eq!(*name, "pick");
    let got: Vec<(String, f64, usize)> = rows
        .iter()
        .map(|r| {
            let shown = serde_json::to_string(&r.values).expect("serializes");
            (shown, r.certainty, r.rank)
        })
        .collect();
    assert_eq!(got.len(), expected.len(), "{got:?}\n{expected:?}");
    // The query shows values as facts do (strings quoted); the line as JSON.
    let as_json = |shown: &str| match shown {
        "true" | "2.5" | "9" | "10" | "100" => format!("[{shown}]"),
        s if s.starts_with('"') => format!("[{s}]"),
        s => format!("[\"{s}\"]"),
    };
    let expected: Vec<(String, f64, usize)> = expected
        .into_iter()
        .map(|(v, c, r)| (as_json(&v), c, r))
        .collect();
    assert_eq!(got, expected);
    // Two rules make 10 and a stronger (0.9), one against makes 100 weaker (0.6); ties are
    // in the order facts are shown: a string's quote first, then digits as text (10, 100,
    // 2.5, 9), then letters.
    let order: Vec<(&str, f64, usize)> = got.iter().map(|(v, c, r)| (v.as_str(), *c, *r)).collect();
    assert_eq!(
        order,
        [
            ("[10]", 0.9, 1),
            ("[\"a\"]", 0.9, 1),
            ("[\"b\"]", 0.8, 3),
            ("[2.5]", 0.8, 3),
            ("[9]", 0.8, 3),
            ("[\"b\"]", 0.8, 3),
            ("[true]", 0.8, 3),
            ("[100]", 0.6, 8),
        ]
    );
}

/// One scratch used with two knowledge bases in turn (different stated facts, different
/// closed components): each run gives what a fresh run of its own knowledge base gives.
#[test]
fn a_scratch_shared_by_two_knowledge_bases_gives_fresh_runs() {
    let compile = |rules: &str| {
        KnowledgeBase::from_sources(&[("kb.rules", rules)])
            .map_err(|_| "compiles")
            .expect("compiles")
    };
    let a = compile(
        "question size \"Size?\" one of small, large\n\
         output pick(F) \"Pick\"\n\
         fact framework(rails)\nfact framework(django)\n\
         rule known when framework(F) then known(F)\n\
         rule pick when size(small) and known(F) then pick(F)\n",
    );
    let b = compile(
        "question size \"Size?\" one of small, large\n\
         output pick(F) \"Pick\"\n\
         fact lib(flask)\nfact lib(express)\nfact lib(spring)\n\
         rule seen when lib(F) then seen(F)\nrule also when seen(F) then known(F)\n\
         rule pick when size(large) and known(F) then pick(F) with certainty 0.5\n",
    );
    let size = |v: &str| because::engine::InputFact {
        pred: "size".into(),
        args: vec![because::ast::Const::Sym(v.into())],
        certainty: 1.0,
        origin: Default::default(),
    };
    let mut scratch = because::engine::Scratch::default();
    for round in 0..3 {
        for (kb, input) in [
            (&a, size("small")),
            (&b, size("large")),
            (&a, size("large")),
        ] {
            let fresh = common::graph_text(
                &kb.run(std::slice::from_ref(&input), Limits::default())
                    .expect("run"),
            );
            let g = kb
                .run_with(&mut scratch, &[input], Limits::default())
                .expect("run");
            assert_eq!(common::graph_text(&g), fresh, "round {round}");
            scratch.recycle(g);
        }
    }
}
