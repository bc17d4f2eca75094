//! Rule-file fixtures, one case per file: `parse_ok/` must load with no diagnostic at all;
//! `parse_err/` and `check/` must give at least one, and their rendered diagnostics are
//! snapshotted (read them: a snapshot claims the message is right).

use crate::common;
use because::check::check_program;
use because::diag::{render, ErrorFormat};
use because::program::Program;
use std::path::Path;

/// Load and check `path`, rendered in `format`.
fn diagnose_as(path: &Path, format: ErrorFormat) -> (String, Vec<because::diag::Diagnostic>) {
    let rel = path
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path)
        .to_path_buf();
    let (program, diags) = Program::load_paths(&[rel]);
    let report = check_program(&program, diags);
    let text = render(&report.diagnostics, &program.sources, format, false);
    (text, report.diagnostics)
}

fn diagnose(path: &Path) -> (String, Vec<because::diag::Diagnostic>) {
    diagnose_as(path, ErrorFormat::Plain)
}

#[test]
fn parse_ok() {
    common::each_fixture("fixtures/parse_ok/*.rules", |path| {
        let (text, diags) = diagnose(path);
        assert!(
            diags.is_empty(),
            "{} should load cleanly, got:\n{text}",
            path.display()
        );
    });
}

#[test]
fn parse_err() {
    common::each_fixture("fixtures/parse_err/*.rules", |path| {
        let (text, diags) = diagnose(path);
        assert!(
            diags.iter().any(|d| d.is_error()),
            "{} should fail",
            path.display()
        );
        insta::assert_snapshot!(text);
    });
}

#[test]
fn check() {
    common::each_fixture("fixtures/check/*.rules", |path| {
        let (text, diags) = diagnose(path);
        assert!(
            !diags.is_empty(),
            "{} should give a diagnostic",
            path.display()
        );
        insta::assert_snapshot!(text);
    });
}

/// JSON diagnostics carry file, 1-based line and column, and byte offsets.
#[test]
fn json_diagnostics_have_positions() {
    let (out, _) = diagnose_as(
        Path::new("tests/fixtures/check/undefined_predicate_typo.rules"),
        ErrorFormat::Json,
    );
    let v: serde_json::Value =
        serde_json::from_str(out.lines().next().expect("one line")).expect("valid JSON");
    assert_eq!(v["code"], "E0101");
    assert_eq!(
        v["file"],
        "tests/fixtures/check/undefined_predicate_typo.rules"
    );
    assert_eq!(v["line"], 2);
    assert_eq!(v["column"], 13);
    assert_eq!(v["byte_start"], 33);
    assert_eq!(v["byte_end"], 40);
    assert_eq!(v["help"], "did you mean `database`?");
}

/// The shipped knowledge base loads with no error and no warning.
#[test]
fn shipped_rules_are_clean() {
    let (text, diags) = diagnose(Path::new("rules"));
    assert!(diags.is_empty(), "{text}");
    // And the embedded copy is the same text as the files.
    for (name, text) in because::engine::EMBEDDED_RULES {
        assert_eq!(
            std::fs::read_to_string(name).expect("rule file"),
            *text,
            "{name} differs from the embedded copy"
        );
    }
    // (`rules/tests/` holds the rule set's test cases, not rules.)
    let on_disk = std::fs::read_dir("rules")
        .expect("rules/")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "rules"))
        })
        .count();
    assert_eq!(
        on_disk,
        because::engine::EMBEDDED_RULES.len(),
        "every file under rules/ must be embedded"
    );
}
