//! Micro benchmarks (criterion) for each pipeline step: parse, check, compile, evaluate,
//! explain. `cargo bench -p because-bench` runs them; they are not part of the test run.
//!
//! The inputs are generated in memory (the same shapes as bench/gen.py) so the benchmarks
//! need no files.

use because::engine::eval::Limits;
use because::engine::KnowledgeBase;
use because::explain::how::{self, HowOptions};
use because::program::Program;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;

/// W5's shape: rules with a join, a negation, a comparison and a certainty factor.
fn rule_text(n: usize) -> String {
    let mut s = String::from("question level \"Which level?\" one of low, mid, high\nquestion amount \"How much?\" integer\nfact base(0, 1)\n");
    for i in 0..n {
        s += &format!(
            "rule r{i} because \"value {{X}} leads to {{Y}}\" source S{}\n  when base(X, Y) and level(L) and L in [low, high] and amount(A)\n    and A + X * 2 < {} and not blocked{}(X)\n  then out{}(X, Y) with certainty 0.{}\n",
            i % 97,
            1000 + i,
            i % 50,
            i % 100,
            i % 9 + 1
        );
    }
    for j in 0..50 {
        s += &format!(
            "rule block{j} when base(X, _Y) and X > {} then blocked{j}(X)\n",
            j + 100
        );
    }
    for j in 0..100 {
        s += &format!("output out{j}(X, Y) \"Result {j}\"\n");
    }
    s
}

/// W3's shape at P projects (a simple deterministic generator, not the peers' exact data).
fn join_text(p: usize) -> String {
    let mut s = String::from("rule candidates when language(P, L) and size(P, S) and S < 1000 and written_in(F, L) and not excluded(P, F) then candidate(P, F)\n");
    let mut x: u64 = 20240601;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for f in 0..12 {
        s += &format!("fact written_in({f}, {})\n", f % 6);
    }
    for i in 0..p {
        s += &format!(
            "fact language({i}, {})\nfact size({i}, {})\n",
            next() % 6,
            next() % 1250 + 1
        );
        for f in 0..12 {
            if next() % 10 == 0 {
                s += &format!("fact excluded({i}, {f})\n");
            }
        }
    }
    s
}

fn chain_text(n: usize) -> String {
    format!("fact reach(0)\nrule walk when reach(X) and X < {n} then reach(X + 1)\n")
}

fn pipeline(c: &mut Criterion) {
    let rules = rule_text(2000);
    c.bench_function("parse 2,000 rules", |b| {
        b.iter(|| {
            let mut p = Program::default();
            black_box(p.add_text("w5.rules", &rules))
        })
    });
    let mut program = Program::default();
    let diags = program.add_text("w5.rules", &rules);
    assert!(diags.is_empty());
    c.bench_function("check 2,000 rules", |b| {
        b.iter(|| black_box(because::check::check_program(&program, Vec::new())))
    });
    c.bench_function("parse + check + compile 2,000 rules", |b| {
        b.iter(|| black_box(KnowledgeBase::from_sources(&[("w5.rules", &rules)]).is_ok()))
    });

    let join = join_text(10_000);
    let kb = KnowledgeBase::from_sources(&[("w3.rules", &join)])
        .map_err(|_| "compiles")
        .expect("rules");
    c.bench_function("evaluate W3 join, 10,000 projects", |b| {
        b.iter(|| black_box(kb.run(&[], Limits::default()).expect("run").fact_count()))
    });

    let shipped = KnowledgeBase::embedded()
        .map_err(|_| "compiles")
        .expect("rules");
    let mut sources = because::span::SourceMap::default();
    let mut loaded = because::facts_file::Loaded::default();
    let text = r#"{"language": ["python"], "database": "nosql", "project_size": "small", "complexity": "straightforward", "needs": ["api"]}"#;
    assert!(loaded
        .add(
            &shipped,
            &mut sources,
            "f.json",
            text,
            because::facts_file::Format::Json
        )
        .is_empty());
    c.bench_function("shipped knowledge base: run one fact set", |b| {
        b.iter(|| {
            black_box(
                shipped
                    .run(&loaded.facts, Limits::default())
                    .expect("run")
                    .fact_count(),
            )
        })
    });
}

/// Explaining one conclusion costs the size of its explanation, not the number of facts:
/// the first fact of a chain (a 2-node tree) costs the same at 10,000 and 1,000,000 facts.
fn explain(c: &mut Criterion) {
    let mut group = c.benchmark_group("explain the first fact of a chain");
    for n in [10_000usize, 1_000_000] {
        let text = chain_text(n);
        let kb = KnowledgeBase::from_sources(&[("chain.rules", &text)])
            .map_err(|_| "compiles")
            .expect("rules");
        let g = kb.run(&[], Limits::default()).expect("run");
        let first = g
            .lookup("reach", &[because::ast::Const::Int(1)])
            .expect("reach(1)");
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| black_box(explain_size(&g, first)))
        });
    }
    group.finish();
    let mut group = c.benchmark_group("explain the last fact of a chain (N nodes)");
    group.sample_size(10);
    for n in [1_000usize, 10_000, 100_000] {
        let text = chain_text(n);
        let kb = KnowledgeBase::from_sources(&[("chain.rules", &text)])
            .map_err(|_| "compiles")
            .expect("rules");
        let g = kb.run(&[], Limits::default()).expect("run");
        let last = g
            .lookup("reach", &[because::ast::Const::Int(n as i64)])
            .expect("end");
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| black_box(explain_size(&g, last)))
        });
    }
    group.finish();
}

/// The number of nodes in the minimal explanation of `fact`.
fn explain_size(g: &because::engine::graph::FactGraph<'_>, fact: because::engine::FactId) -> usize {
    how::explain(
        g,
        fact,
        HowOptions {
            all: false,
            depth: None,
        },
    )
    .nodes
    .len()
}

criterion_group!(benches, pipeline, explain);
criterion_main!(benches);
