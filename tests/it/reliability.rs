//! Limits and data safety: deep explanations, runaway rules, and writes that never lose the
//! original file.

use crate::common;

use because::engine::eval::Limits;
use because::engine::KnowledgeBase;
use because::explain::how::{self, HowOptions};
use because::explain::render;

/// A derivation chain 100,000 steps deep explains without deep recursion: rendering runs on
/// a thread with a deliberately small stack, and the tree has one node per step.
#[test]
fn explaining_a_100k_deep_chain_does_not_overflow() {
    let n = 100_000;
    // One rule applied 100,000 times: reach(X + 1) from reach(X).
    let rules = format!("fact reach(0)\nrule walk when reach(X) and X < {n} then reach(X + 1)\n");
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let kb = KnowledgeBase::from_sources(&[("chain.rules", &rules)])
                .map_err(|_| "compiles")
                .expect("rules");
            let g = kb.run(&[], Limits::default()).expect("run");
            let last = g
                .lookup("reach", &[because::ast::Const::Int(n)])
                .expect("the chain's end is reached");
            let h = how::explain(
                &g,
                last,
                HowOptions {
                    all: false,
                    depth: None,
                },
            );
            // reach(0..=n): one node per step.
            assert_eq!(h.nodes.len(), n as usize + 1);
            let text = render::text::how(&h, Default::default());
            let json = render::json(&h);
            let dot = render::dot::how_graph(&[&h]);
            assert!(
                text.lines().count() > n as usize
                    && json.len() > n as usize
                    && dot.lines().count() > n as usize
            );
            // A depth cut keeps the tree small.
            let cut = how::explain(
                &g,
                last,
                HowOptions {
                    all: false,
                    depth: Some(3),
                },
            );
            assert!(cut.nodes.len() < 10 && cut.nodes.iter().any(|node| node.cut));
        })
        .expect("thread");
    handle.join().expect("no stack overflow, no panic");
}

/// A rule set that keeps deriving stops at --max-facts with the rules named (exit 1).
#[test]
fn runaway_rules_stop_at_the_limit() {
    let kb = KnowledgeBase::from_sources(&[(
        "grow.rules",
        "fact n(0)\nrule grow when n(X) then n(X + 1)\n",
    )])
    .map_err(|_| "compiles")
    .expect("rules");
    let err = kb
        .run(
            &[],
            Limits {
                max_facts: 5000,
                ..Limits::default()
            },
        )
        .err()
        .expect("stops");
    assert_eq!(
        err,
        because::engine::eval::RunError::TooManyFacts {
            limit: 5000,
            rules: vec!["grow".into()]
        }
    );
}

/// `consult --save` writes a temporary file and renames it: when the write fails before the
/// rename, the original file is untouched and no temporary file is left behind.
#[test]
fn a_failed_save_leaves_the_original_untouched() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/reliability-save");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let target = dir.join("answers.json");
    std::fs::write(&target, "{\"language\": [\"ruby\"]}\n").expect("original");
    let args: Vec<String> = ["consult", "--save", "target/reliability-save/answers.json"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let (code, _, err) = common::run_because(
        &args,
        Some("python\nquit\n"),
        &[("BECAUSE_TEST_FAIL_BEFORE_RENAME", "1")],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("E0403"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&target).expect("still there"),
        "{\"language\": [\"ruby\"]}\n"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "temporary files left: {leftovers:?}");
    // And without the failure, the file is replaced.
    let (code, _, err) = common::run_because(&args, Some("python\nquit\n"), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read_to_string(&target)
        .expect("saved")
        .contains("python"));
}

/// Issue 14: the limits hold inside one rule's join. Three relations of 1,000 facts joined:
/// a billion conclusions. With a facts limit of 10,000 the run stops with at most twice as
/// many facts (the join checks the limit every few thousand candidates, and what it keeps
/// pending is dropped, not stored).
#[test]
fn a_join_stops_at_the_facts_limit_from_inside() {
    let mut rules = String::from("output t(X, Y, Z) \"T\"\n");
    for r in ["a", "b", "c"] {
        for i in 0..1000 {
            rules.push_str(&format!("fact {r}({i})\n"));
        }
    }
    rules.push_str("rule j when a(X) and b(Y) and c(Z) then t(X, Y, Z)\n");
    let kb = KnowledgeBase::from_sources(&[("bomb.rules", &rules)])
        .map_err(|e| e.to_string())
        .expect("compiles");
    let limits = Limits {
        max_facts: 10_000,
        ..Limits::default()
    };
    let Err(failed) = kb.run_keep(&[], limits) else {
        panic!("the join must stop")
    };
    let (err, graph) = *failed;
    assert!(
        matches!(err, because::engine::eval::RunError::TooManyFacts { limit: 10_000, ref rules } if rules == &["j".to_string()]),
        "{err:?}"
    );
    assert!(graph.fact_count() <= 20_000, "{}", graph.fact_count());
}

/// The same join with a filter that never passes runs out of time, not facts: with a
/// deadline already past, it stops at the first check (and derives nothing).
#[test]
fn a_join_stops_at_the_deadline_from_inside() {
    let mut rules = String::from("output t(X, Y, Z) \"T\"\n");
    for r in ["a", "b", "c"] {
        for i in 0..1000 {
            rules.push_str(&format!("fact {r}({i})\n"));
        }
    }
    rules.push_str("rule j when a(X) and b(Y) and c(Z) and X + Y + Z < 0 then t(X, Y, Z)\n");
    let kb = KnowledgeBase::from_sources(&[("bomb.rules", &rules)])
        .map_err(|e| e.to_string())
        .expect("compiles");
    let limits = Limits {
        deadline: Some(std::time::Instant::now()),
        timeout_secs: 0.0,
        ..Limits::default()
    };
    let Err(failed) = kb.run_keep(&[], limits) else {
        panic!("the join must stop")
    };
    let (err, graph) = *failed;
    assert!(
        matches!(err, because::engine::eval::RunError::Timeout { .. }),
        "{err:?}"
    );
    assert_eq!(graph.fact_count(), 3000, "nothing derived");
}

/// A fact concluded 200,000 ways keeps 1,000 derivations and counts the rest; its
/// explanation says how many more there were.
#[test]
fn derivations_per_fact_are_capped_and_counted() {
    let mut rules = String::from("output t(X) \"T\"\nfact one(0)\n");
    for i in 0..200_000 {
        rules.push_str(&format!("fact m({i})\n"));
    }
    rules.push_str("rule many when m(_Y) and one(X) then t(X)\n");
    let kb = KnowledgeBase::from_sources(&[("many.rules", &rules)])
        .map_err(|e| e.to_string())
        .expect("compiles");
    let g = kb.run(&[], Limits::default()).expect("runs");
    let f = g
        .lookup("t", &[because::ast::Const::Int(0)])
        .expect("concluded");
    assert_eq!(g.derivation_count(), 1_000);
    assert_eq!(g.unrecorded_derivations(f), 199_000);
    let h = how::explain(
        &g,
        f,
        HowOptions {
            all: false,
            depth: None,
        },
    );
    assert_eq!(h.nodes[0].unrecorded_derivations, 199_000);
    let text = render::text::how(&h, Default::default());
    assert!(
        text.contains("199000 more derivations not recorded"),
        "{text}"
    );
    assert!(text.contains("994 more pieces of evidence"), "{text}");
}

/// A derivation records a fact for each condition of its rule, so the limits bound premises
/// too: four for each derivation allowed. A rule of 60 conditions joined through every path
/// of a graph where each node has two successors concludes little but records 2^60
/// derivations of 60 premises each (before the bound, a rule of 250 such conditions held
/// 10 GB of pending premises). It stops from inside the join, naming the rule, with the
/// premises recorded within the bound.
#[test]
fn a_join_stops_at_the_premises_limit() {
    let body: Vec<String> = (0..60).map(|i| format!("a(X{i}, X{})", i + 1)).collect();
    let rules = format!(
        "output b(X, Y) \"B\"\nfact a(1, 1)\nfact a(1, 2)\nfact a(2, 1)\nfact a(2, 2)\nrule paths when {} then b(X0, X60)\n",
        body.join(" and ")
    );
    let kb = KnowledgeBase::from_sources(&[("paths.rules", &rules)])
        .map_err(|e| e.to_string())
        .expect("compiles");
    let limits = Limits {
        max_derivations: 10_000,
        ..Limits::default()
    };
    let Err(failed) = kb.run_keep(&[], limits) else {
        panic!("the join must stop")
    };
    let (err, graph) = *failed;
    assert_eq!(
        err,
        because::engine::eval::RunError::TooManyPremises {
            limit: 40_000,
            rules: vec!["paths".to_string()]
        }
    );
    assert!(
        graph.derivation_count() * 60 <= 40_000,
        "{}",
        graph.derivation_count()
    );
    // The message names the limit to raise.
    let d = because::ask::run_error(&err);
    assert_eq!(d.code, "E0405");
    assert!(
        d.help
            .as_deref()
            .is_some_and(|h| h.contains("--max-derivations")),
        "{d:?}"
    );
}

/// A facts input's check stops after 100 problems (E0319), whether they are answers or the
/// values of one answer's list, and says how many were left unchecked: a 16 MiB input of
/// repeated values made 2 million diagnostics, 745 MB, where it now makes 101.
#[test]
fn a_facts_check_stops_after_a_hundred_problems() {
    let kb = KnowledgeBase::embedded().map_err(|_| "loads").expect("kb");
    let values = vec!["\"auth\""; 1_000].join(", ");
    let keys = vec!["\"langauge\": \"python\""; 1_000].join(", ");
    for (text, left) in [
        // The first value is an answer; the next 100 are repeats.
        (
            format!("{{\"needs\": [{values}]}}"),
            "899 more values not checked",
        ),
        (format!("{{{keys}}}"), "900 more answers not checked"),
    ] {
        let Err(problem) =
            because::ask::read_facts(&kb, "many.json", &text, because::facts_file::Format::Json)
        else {
            panic!("rejected")
        };
        let d = &problem.diagnostics;
        assert_eq!(d.len(), 101);
        let last = d.iter().find(|d| d.code == "E0319").expect("E0319");
        assert_eq!(last.label, left);
        assert_eq!(d.iter().filter(|d| d.code != "E0319").count(), 100);
    }
}
