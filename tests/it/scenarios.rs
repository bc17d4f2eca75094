//! The shipped knowledge base on realistic projects (`rules/tests/facts/`, JSON and TOML).
//! Each scenario's full explanation is snapshotted; together the scenarios must put every
//! framework on top at least once. (Each scenario is also a `because test` case in
//! `rules/tests/`, with what the guide says it must conclude and its ranked answer as a golden
//! file; `suite.rs` runs them and checks that they fire every rule.)

use because::engine::eval::Limits;
use because::engine::KnowledgeBase;
use because::explain::how::HowOptions;
use because::explain::query::{query, QueryResult};
use because::explain::render::text::{self, Style};
use because::facts_file::{Format, Loaded};
use because::span::SourceMap;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn scenario_files() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir("rules/tests/facts")
        .expect("rules/tests/facts")
        .map(|e| e.expect("entry").path())
        .collect();
    v.sort();
    v
}

struct Outcome {
    result: QueryResult,
    explained: QueryResult,
}

fn run(kb: &KnowledgeBase, path: &Path) -> Outcome {
    let name = format!(
        "rules/tests/facts/{}",
        path.file_name().expect("name").to_string_lossy()
    );
    let text = std::fs::read_to_string(path).expect("scenario");
    let format = Format::from_name(&name).expect("json or toml");
    let mut sources = SourceMap::default();
    let mut loaded = Loaded::default();
    let diags = loaded.add(kb, &mut sources, &name, &text, format);
    assert!(diags.is_empty(), "{name}: {diags:?}");
    let g = kb.run(&loaded.facts, Limits::default()).expect("run");
    Outcome {
        result: query(&g, None, None),
        explained: query(
            &g,
            Some(HowOptions {
                all: false,
                depth: None,
            }),
            None,
        ),
    }
}

fn top(q: &QueryResult, output: &str) -> Option<String> {
    q.outputs
        .iter()
        .find(|o| o.name == output)
        .and_then(|o| o.concluded.first())
        .map(|c| c.values.join(", "))
}

#[test]
fn scenario_snapshots() {
    let kb = KnowledgeBase::embedded()
        .map_err(|_| "shipped rules")
        .expect("compiles");
    let style = Style::command_line(false, false);
    for path in scenario_files() {
        let o = run(&kb, &path);
        let stem = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .replace('.', "_");
        insta::assert_snapshot!(
            format!("{stem}__explained"),
            text::query(&o.explained, style)
        );
    }
}

#[test]
fn every_framework_tops_some_scenario() {
    let kb = KnowledgeBase::embedded()
        .map_err(|_| "shipped rules")
        .expect("compiles");
    let mut tops: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in scenario_files() {
        if let Some(t) = top(&run(&kb, &path).result, "recommend") {
            tops.entry(t).or_default().push(path.display().to_string());
        }
    }
    for f in [
        "nodejs",
        "express",
        "nestjs",
        "nextjs",
        "django",
        "flask",
        "rails",
        "laravel",
        "aspnet_core",
        "spring",
    ] {
        assert!(
            tops.contains_key(f),
            "{f} is never the top recommendation; tops: {tops:?}"
        );
    }
}

/// Every advice ID in the guide's ADVICE.md is cited by a rule, and every rule cites one.
#[test]
fn every_advice_id_is_cited() {
    let kb = KnowledgeBase::embedded()
        .map_err(|_| "shipped rules")
        .expect("compiles");
    let cited: BTreeSet<&str> = kb
        .rules()
        .flat_map(|r| r.sources.iter().map(String::as_str))
        .collect();
    for r in kb.rules() {
        assert!(!r.sources.is_empty(), "rule `{}` cites no advice", r.name);
    }
    // The IDs, as numbered in ../shared/guide/ADVICE.md (a copy is kept in docs so the test
    // runs without the shared folder).
    let advice = std::fs::read_to_string("docs/advice-ids.txt").expect("docs/advice-ids.txt");
    let ids: Vec<&str> = advice.split_whitespace().collect();
    assert!(ids.len() >= 35, "expected the full list of advice IDs");
    let missing: Vec<&&str> = ids.iter().filter(|id| !cited.contains(**id)).collect();
    assert!(missing.is_empty(), "advice IDs no rule cites: {missing:?}");
    // And the knowledge base declares exactly the guide's advice (`rules/advice.rules`).
    let declared: BTreeSet<&str> = because::engine::EMBEDDED_RULES
        .iter()
        .flat_map(|(_, text)| text.lines())
        .filter_map(|l| l.strip_prefix("advice ")?.split_whitespace().next())
        .collect();
    assert_eq!(declared, ids.iter().copied().collect::<BTreeSet<&str>>());
    let unknown: Vec<&&str> = cited.iter().filter(|c| !ids.contains(c)).collect();
    assert!(
        unknown.is_empty(),
        "rules cite IDs that ADVICE.md does not have: {unknown:?}"
    );
}
