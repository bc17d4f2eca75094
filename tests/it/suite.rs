//! `because test` beyond its CLI fixtures: JUnit XML read by a real XML parser, golden files
//! written by `--update` and accepted or kept one by one by `--review`, and the shipped
//! knowledge base's cases firing every rule.

use crate::common;
use crate::common::run_because;

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[test]
fn junit_output_is_well_formed_and_counts_every_expectation() {
    let (code, out, err) = run_because(
        &s(&["test", "tests/fixtures/suite", "--format", "junit"]),
        None,
        &[],
    );
    assert_eq!(code, 6, "{err}");
    let doc = roxmltree::Document::parse(&out).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 3, "one suite per case file");
    let cases: usize = suites
        .iter()
        .map(|s| s.children().filter(|n| n.has_tag_name("testcase")).count())
        .sum();
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    assert_eq!(root.attribute("tests"), Some(cases.to_string().as_str()));
    assert_eq!(
        root.attribute("failures"),
        Some(failures.to_string().as_str())
    );
    assert_eq!(failures, 13, "every expectation of failing.test fails");
    // The golden file's difference is in the failure's text.
    assert!(doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .any(|n| n
            .text()
            .is_some_and(|t| t.contains("+++ golden/failing.txt (this run)"))));
}

/// A copy of the fixture rule set and its cases in a temporary directory.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/suite");
    std::fs::copy(from.join("tea.rules"), dir.path().join("tea.rules")).expect("copy");
    std::fs::copy(from.join("passing.test"), dir.path().join("passing.test")).expect("copy");
    dir
}

#[test]
fn update_writes_missing_goldens_and_then_the_cases_pass() {
    let dir = scratch();
    let path = dir.path().to_string_lossy().into_owned();
    let (code, out, _) = run_because(&s(&["test", &path]), None, &[]);
    assert_eq!(code, 6, "goldens missing: {out}");
    assert!(out.contains("no such file yet"), "{out}");
    let (code, out, err) = run_because(&s(&["test", &path, "--update"]), None, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("3 golden files written"), "{out}");
    let answer = std::fs::read_to_string(dir.path().join("golden/passing.txt")).expect("written");
    assert!(
        answer.starts_with("Serve\n  1. coffee  certainty 0.80\n"),
        "{answer}"
    );
    let json =
        std::fs::read_to_string(dir.path().join("golden/passing-coffee.json")).expect("written");
    common::validate(&json);
    let (code, out, _) = run_because(&s(&["test", &path]), None, &[]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn review_accepts_and_keeps_changes_one_by_one() {
    let dir = scratch();
    let path = dir.path().to_string_lossy().into_owned();
    let golden = dir.path().join("golden");
    std::fs::create_dir_all(&golden).expect("dir");
    std::fs::write(golden.join("passing.txt"), "old answer\n").expect("write");
    std::fs::write(golden.join("passing-coffee.json"), "{}\n").expect("write");
    // Three goldens differ (one is missing): accept the first, refuse the second, and the
    // third gets no answer (end of input), so it is kept too.
    let (code, out, err) = run_because(&s(&["test", &path, "--review"]), Some("y\nn\n"), &[]);
    assert_eq!(code, 6, "two still differ: {out}{err}");
    assert!(
        err.contains("-old answer"),
        "the difference is shown: {err}"
    );
    assert_eq!(
        err.matches("accept the new output into").count(),
        3,
        "{err}"
    );
    let answer = std::fs::read_to_string(golden.join("passing.txt")).expect("read");
    assert!(answer.starts_with("Serve\n"), "accepted: {answer}");
    assert_eq!(
        std::fs::read_to_string(golden.join("passing-coffee.json")).expect("read"),
        "{}\n",
        "refused: kept as it was"
    );
    assert!(
        !golden.join("passing-water.txt").exists(),
        "no answer: not written"
    );
}

#[test]
fn the_shipped_cases_pass_and_fire_every_rule() {
    let (code, out, err) = run_because(
        &s(&["test", "rules", "--coverage", "--format", "json"]),
        None,
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["failed"], 0);
    let cases = v["cases"].as_array().expect("cases").len();
    let scenarios = std::fs::read_dir("rules/tests/facts").expect("dir").count();
    assert_eq!(cases, scenarios, "every scenario is a case");
    let rules = v["coverage"]["rules"].as_array().expect("rules");
    let unfired: Vec<&str> = rules
        .iter()
        .filter(|r| r["fired"] == 0)
        .map(|r| r["name"].as_str().unwrap_or("?"))
        .collect();
    assert!(unfired.is_empty(), "rules no case fires: {unfired:?}");
}
